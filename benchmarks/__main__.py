"""Benchmark harness: ``python -m benchmarks run [--quick] [--repeats N]``.

``python -m benchmarks gpu [...]`` is the accelerator benchmark (:mod:`benchmarks.gpu`).

Every configuration runs in a fresh subprocess (so compilation is counted and peak memory is
per fit), several times; the table shows the median with min and max, and ratios are taken
within this one run on this one machine. Writes ``benchmarks/results.json`` and
``benchmarks/RESULTS.md``. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _run_one(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "benchmarks._one", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "no output"}
    return json.loads(lines[-1])


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.machine()}"
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {system}"


def _summarise(runs: list[dict], key: str) -> tuple[float, float, float]:
    values = [r[key] for r in runs if key in r]
    if not values:
        return (float("nan"),) * 3
    return statistics.median(values), min(values), max(values)


def _bootstrap_seconds() -> float:
    import numpy as np

    from bayescape.baselines import vertex_bootstrap
    from bayescape.data import load_table

    points = load_table("cape_bootstrap_points")
    start = time.perf_counter()
    vertex_bootstrap(np.log10(points["params"]), points["truthfulqa"])
    return time.perf_counter() - start


def run(quick: bool, repeats: int, samplers: list[str], scale: list[int]) -> dict:
    results: dict = {
        "machine": _machine(),
        "date": date.today().isoformat(),
        "repeats": repeats,
        "backends": {},
        "scale": {},
        "load_start": os.getloadavg()[0],
    }
    for sampler in samplers:
        runs = [
            _run_one(["--sampler", sampler, "--seed", str(seed)]) for seed in range(1, repeats + 1)
        ]
        results["backends"][sampler] = runs
        print(sampler, json.dumps(runs), flush=True)
    for n in scale:
        runs = [_run_one(["--sampler", "nutpie-split", "--families", str(n), "--seed", "1"])]
        results["scale"][n] = runs
        print("scale", n, json.dumps(runs), flush=True)
    results["bootstrap_seconds"] = _bootstrap_seconds()
    results["load_end"] = os.getloadavg()[0]
    return results


def _markdown(results: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {results['machine']}. Date: {results['date']}. Written by "
        "`python -m benchmarks run`; every number below was measured in that run. Each cell: "
        f"median [min, max] over {results['repeats']} fresh-process fits (4 chains x 1000 draws "
        "after 1000 tuning steps, phase model on leaderboard_v1). The machine is shared, so "
        "compare ratios within this table, not with other runs. One-minute load average: "
        f"{results.get('load_start', float('nan')):.1f} at the start, "
        f"{results.get('load_end', float('nan')):.1f} at the end (above 2 means other jobs "
        "shared the 2 cores).",
        "",
        "| backend | wall s (compile incl.) | min bulk ESS | ESS/s | ESS/draw | leapfrog/draw "
        "| divergences | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    fmt = "{:.3g} [{:.3g}, {:.3g}]"
    ref = results["backends"].get("numpyro-reference", [])
    ref_ess_s = _summarise(ref, "ess_per_second")[0] if ref else float("nan")
    for sampler, runs in results["backends"].items():
        ok = [r for r in runs if "error" not in r]
        if not ok:
            lines.append(f"| {sampler} | failed: {runs[0].get('error', '')} | | | | | | |")
            continue
        cells = [
            fmt.format(*_summarise(ok, k))
            for k in (
                "wall_seconds",
                "min_ess_bulk",
                "ess_per_second",
                "ess_per_draw",
                "steps_per_draw",
            )
        ]
        div = sum(r["divergences"] for r in ok)
        mem = _summarise(ok, "peak_rss_mb")[0]
        lines.append(f"| {sampler} | " + " | ".join(cells) + f" | {div} | {mem:.0f} |")
    if ref:
        lines += [
            "",
            "ESS/s relative to the hand-written NumPyro reference "
            "(`benchmarks/numpyro_reference.py`):",
            "",
        ]
        for sampler, runs in results["backends"].items():
            ok = [r for r in runs if "error" not in r]
            if ok and sampler != "numpyro-reference":
                ratio = _summarise(ok, "ess_per_second")[0] / ref_ess_s
                lines.append(f"- {sampler}: {ratio:.2f}x")
    if results["scale"]:
        import numpy as np

        lines += [
            "",
            "## Scale: synthetic families x 8 models (nutpie, one fit each)",
            "",
            "Compile and sampling timed separately (`nutpie-split`: the default fit's two "
            "steps); gradient = sampling seconds per leapfrog step summed over the 4 chains "
            "(they share the 2 cores).",
            "",
            "| families | wall s | compile s | sampling s | leapfrog/draw | us/gradient "
            "| min bulk ESS | max R-hat | divergences | peak RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        pts = []
        for n, runs in results["scale"].items():
            r = runs[0]
            if "error" in r:
                lines.append(f"| {n} | failed: {r['error']} | | | | | | | | |")
                continue
            pts.append((int(n), r["wall_seconds"], r.get("sampling_seconds", np.nan)))
            lines.append(
                f"| {n} | {r['wall_seconds']:.1f} | {r.get('compile_seconds', np.nan):.1f} | "
                f"{r.get('sampling_seconds', np.nan):.1f} | {r['steps_per_draw']:.1f} | "
                f"{r.get('gradient_us', np.nan):.0f} | {r['min_ess_bulk']:.0f} | "
                f"{r['max_rhat']:.3f} | {r['divergences']} | {r['peak_rss_mb']:.0f} |"
            )
        if len(pts) >= 2:
            logn = np.log([p[0] for p in pts])
            slope = np.polyfit(logn, np.log([p[1] for p in pts]), 1)[0]
            slope_s = np.polyfit(logn, np.log([p[2] for p in pts]), 1)[0]
            lines.append(
                f"\nGrowth exponent in the number of families (least squares on log-log): "
                f"wall time {slope:.2f}, sampling time {slope_s:.2f}"
            )
    lines += [
        "",
        f"The paper's bootstrap (10,000 resamples of the 14-point quadratic) took "
        f"{results['bootstrap_seconds']:.2f} s in the same run.",
        "",
        "Notes written by hand on these runs (targets, experiments, earlier runs) are in "
        "`benchmarks/NOTES.md`; the harness never writes that file.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if sys.argv[1:2] == ["gpu"]:
        from benchmarks.gpu import main as gpu_main

        gpu_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run the benchmarks and write RESULTS.md")
    sub.add_parser("gpu", help="the accelerator benchmark (benchmarks/gpu.py; --help there)")
    p.add_argument("--quick", action="store_true", help="one repeat, no 256/1024-family runs")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--samplers", default="nutpie,numpyro,blackjax,pymc,numpyro-reference")
    p.add_argument(
        "--scale",
        default=None,
        help="comma-separated family counts of the scale runs (default 16,64,256,1024; "
        "--quick: 16,64; 'none' skips them)",
    )
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    scale = [16, 64] if args.quick else [16, 64, 256, 1024]
    if args.scale is not None:
        scale = [] if args.scale == "none" else [int(n) for n in args.scale.split(",")]
    results = run(args.quick, repeats, args.samplers.split(","), scale)
    (HERE / "results.json").write_text(json.dumps(results, indent=2))
    from benchmarks.gpu import BEGIN, END

    old = (HERE / "RESULTS.md").read_text() if (HERE / "RESULTS.md").exists() else ""
    kept = old[old.index(BEGIN) : old.index(END) + len(END)] if BEGIN in old else ""
    (HERE / "RESULTS.md").write_text(_markdown(results) + (f"\n{kept}\n" if kept else ""))
    print((HERE / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
