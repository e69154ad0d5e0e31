"""The dashboard measured: page size, load time in headless Chromium, agreement with diagnose.

``python -m benchmarks.dashboard RESULT.nc [--out DIR] [--repeats 5]`` writes the dashboard of a
saved phase-model fit, loads it ``repeats`` times in the system's headless Chromium (Playwright)
and reports the page's size, the median time from navigation to the first diagnosis (the page's
``data-ready``), and P(tax) of three models in the page against ``diagnose_model`` on the same
fit: a Pythia model, a new family described by its covariates, and Llama-2 70B. Prints JSON and
writes a screenshot to DIR (default ``tests/artifacts``). Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

CASES = (
    {
        "label": "Pythia 2.8B (fitted family)",
        "fragment": "size=2.8e9&hellaswag=0.6066&truthfulqa=0.3556&family=Pythia",
        "diagnose": {"size": 2.8e9, "reasoning": 0.6066, "truthfulness": 0.3556},
        "family": "Pythia",
    },
    {
        "label": "new family, 4B (curated, 300 tokens/param, width 128, not distilled)",
        "fragment": "size=4e9&hellaswag=0.65&truthfulqa=0.40&data_curation=curated"
        "&tokens_per_param=300&width_per_layer=128&distillation=no",
        "diagnose": {"size": 4e9, "reasoning": 0.65, "truthfulness": 0.40},
        "attributes": {
            "data_curation": "curated",
            "tokens_per_param": 300.0,
            "width_per_layer": 128.0,
            "distillation": "no",
        },
    },
    {
        "label": "Llama-2 70B (fitted family)",
        "fragment": "size=70e9&hellaswag=0.8733&truthfulqa=0.4492&family=Llama-2",
        "diagnose": {"size": 7e10, "reasoning": 0.8733, "truthfulness": 0.4492},
        "family": "Llama-2",
    },
)


def main() -> None:
    """Measure and print JSON (see the module)."""
    from playwright.sync_api import sync_playwright

    from bayescape.analysis import NewFamily, diagnose_model, load
    from bayescape.report import write_dashboard

    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard")
    parser.add_argument("result")
    parser.add_argument("--out", default="tests/artifacts")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = load(args.result)
        start = time.perf_counter()
        page_path = write_dashboard(result, out / "dashboard.html", n_draws=args.draws)
        write_seconds = time.perf_counter() - start
    report: dict = {
        "result": args.result,
        "posterior_draws": len(result.draws("mu_c")),
        "embedded_draws": args.draws,
        "page_bytes": page_path.stat().st_size,
        "write_seconds": round(write_seconds, 2),
        "cases": [],
    }
    url = page_path.as_uri()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        loads = []
        for _ in range(args.repeats):
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            start = time.perf_counter()
            page.goto(url + "#" + CASES[0]["fragment"])
            page.wait_for_selector("body[data-ready=true]")
            loads.append(time.perf_counter() - start)
            page.close()
        report["load_seconds"] = {
            "median": round(statistics.median(loads), 3),
            "min": round(min(loads), 3),
            "max": round(max(loads), 3),
        }
        for case in CASES:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.goto(url + "#" + case["fragment"])
            page.wait_for_selector("body[data-ready=true]")
            box = page.locator("#result")
            got = {k: box.get_attribute(f"data-{k}") for k in ("p-tax", "phase", "nc", "ess")}
            if case is CASES[1]:
                page.screenshot(path=str(out / "dashboard.png"))
            page.close()
            covariates = NewFamily(attributes=case["attributes"]) if "attributes" in case else None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = diagnose_model(
                    result, **case["diagnose"], family=case.get("family"), covariates=covariates
                )
            report["cases"].append(
                {
                    "case": case["label"],
                    "page_p_tax": float(got["p-tax"]),
                    "page_ess": float(got["ess"]),
                    "page_phase": got["phase"],
                    "diagnose_p_tax": round(ref.p_tax, 4),
                    "diagnose_ess": round(ref.ess, 1),
                    "diagnose_phase": ref.phase,
                    "abs_diff": round(abs(float(got["p-tax"]) - ref.p_tax), 4),
                    "page_nc": float(got["nc"]),
                    "diagnose_nc": float(f"{ref.critical_scale['median']:.4g}"),
                }
            )
        browser.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
