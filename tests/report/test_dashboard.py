"""The interactive dashboard: the page's numbers against ``diagnose_model``, in headless Chromium.

The page computes from the embedded draws what :func:`~bayescape.analysis.diagnose_model`
computes from the result. Tolerances are the Monte Carlo error of those draws:

- a fitted family, every draw embedded: the same draws of ``c``, so P(tax) agrees to the
  rounding of the page's attribute (4 decimals) and of the embedded numbers (6 digits);
  thinned to ``n`` draws, to 4 standard errors of a proportion, :math:`4\\sqrt{p(1-p)/n}`;
- a new family: both sides importance-weight their own random draws (a different generator
  each), so to 4 standard errors of the difference,
  :math:`4\\sqrt{p(1-p)(1/\\mathrm{ESS}_\\text{page} + 1/\\mathrm{ESS}_\\text{python})}`.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import pytest

from bayescape.analysis import NewFamily, Result, diagnose_model
from bayescape.cli import main
from bayescape.errors import BayescapeError
from bayescape.report import render_dashboard, write_dashboard
from bayescape.report._dashboard import dashboard_data, embed_json

pytestmark = pytest.mark.behaviour

ATTRIBUTES = {"data_curation": "curated", "tokens_per_param": 300.0, "width_per_layer": 128.0}


@pytest.fixture(scope="module")
def dashboard_file(result, tmp_path_factory) -> Path:
    """The dashboard of the report tests' result, every draw embedded."""
    return write_dashboard(result, tmp_path_factory.mktemp("dashboard") / "dashboard.html")


def open_dashboard(watched, path: Path, fragment: str = ""):
    w = watched()
    w.page.goto(path.as_uri() + fragment, wait_until="load")
    w.page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    return w


def read_result(page) -> dict[str, str | None]:
    box = page.locator("#result")
    return {k: box.get_attribute(f"data-{k}") for k in ("p-tax", "p-bonus", "phase", "nc", "ess")}


def enter(page, size: str, reasoning: str, truthfulness: str, family: str = "", **attrs: str):
    page.fill("#in-size", size)
    page.fill("#in-reasoning", reasoning)
    page.fill("#in-truthfulness", truthfulness)
    page.select_option("#in-family", family)
    for key, value in attrs.items():
        if key in {"data_curation", "distillation"}:
            page.select_option(f"#in-{key}", value)
        else:
            page.fill(f"#in-{key}", value)


def assert_clean(w, path: Path) -> None:
    assert not w.problems(), w.problems()
    assert not w.foreign_requests(path), w.requests


def test_the_page_is_one_self_contained_file(result, dashboard_file):
    page = dashboard_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page and "script-src 'sha256-" in page
    assert not re.search(r"\b(src|href)=", page)  # nothing loaded from anywhere
    assert "fetch(" not in page and "XMLHttpRequest" not in page and "eval(" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2
    data = dashboard_data(result)
    assert data["meta"]["n_draws"] == 1000 and data["families"]["names"][0] == "Amber"
    assert len(data["population"]["mu_c"]) == 1000 and len(data["families"]["draws"]["c"]) == 47
    thinned = dashboard_data(result, n_draws=100)
    assert thinned["meta"]["n_draws"] == 100 and thinned["meta"]["n_posterior"] == 1000


def test_embedded_json_cannot_close_its_script_element():
    hostile = {"name": "</script><script>alert(1)</script><!--", "sep": "\u2028&"}
    text = embed_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == hostile


def test_dashboard_arguments(result, tmp_path):
    with pytest.raises(BayescapeError, match=r"end the name in \.html"):
        write_dashboard(result, tmp_path / "dashboard.pdf")
    with pytest.raises(BayescapeError, match="too few"):
        render_dashboard(result, n_draws=3)


def test_a_fitted_family_agrees_with_diagnose(result, dashboard_file, watched, artifacts):
    w = open_dashboard(watched, dashboard_file)
    enter(w.page, "2.8e9", "0.6", "0.4", family="Pythia")
    got = read_result(w.page)
    ref = diagnose_model(result, 2.8e9, 0.6, 0.4, family="Pythia")
    # the same 1,000 draws of c: only the rounding of the attribute and of the JSON
    assert abs(float(got["p-tax"]) - ref.p_tax) <= 1e-3, (got, ref.p_tax)
    assert float(got["p-bonus"]) == pytest.approx(1 - float(got["p-tax"]), abs=1e-4)
    assert got["phase"] == ref.phase
    assert float(got["nc"]) == pytest.approx(ref.critical_scale["median"], rel=1e-3)
    text = w.page.locator("#result").inner_text()
    assert "Pythia" in text and "Nearest models" in text and "Levers" in text
    assert w.page.locator("#entered-model").count() == 1
    assert w.page.locator("#phase-map circle").count() == len(result.panel.models)
    assert w.page.locator("#forest circle").count() == result.panel.n_families
    w.page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    assert_clean(w, dashboard_file)


def test_thinned_draws_agree_within_their_monte_carlo_error(result, tmp_path, watched):
    n = 250
    path = write_dashboard(result, tmp_path / "thin.html", n_draws=n)
    w = open_dashboard(watched, path, "#size=1.4e9&hellaswag=0.5&truthfulqa=0.4&family=Pythia")
    ref = diagnose_model(result, 1.4e9, 0.5, 0.4, family="Pythia")
    p = ref.p_tax
    tolerance = 4 * math.sqrt(max(p * (1 - p), 0.01) / n)
    assert abs(float(read_result(w.page)["p-tax"]) - p) <= tolerance
    assert_clean(w, path)


def test_a_new_family_agrees_with_diagnose(result, dashboard_file, watched):
    w = open_dashboard(watched, dashboard_file)
    enter(
        w.page,
        "2.8e9",
        "0.6",
        "0.4",
        data_curation="curated",
        tokens_per_param="300",
        width_per_layer="128",
    )
    got = read_result(w.page)
    ref = diagnose_model(result, 2.8e9, 0.6, 0.4, covariates=NewFamily(attributes=ATTRIBUTES))
    p, ess = ref.p_tax, float(got["ess"])
    tolerance = 4 * math.sqrt(max(p * (1 - p), 0.01) * (1 / ess + 1 / ref.ess))
    print(f"new family: page {got['p-tax']} (ESS {ess:.0f}), diagnose {p:.4f} (ESS {ref.ess:.0f})")
    assert abs(float(got["p-tax"]) - p) <= tolerance, (got, p, ref.ess, tolerance)
    assert "distillation" in w.page.locator("#result").inner_text()  # the unknown covariate
    assert_clean(w, dashboard_file)


def test_the_fragment_round_trips(dashboard_file, watched):
    fragment = "#size=7B&hellaswag=0.7&truthfulqa=0.35&family=Llama-2"
    w = open_dashboard(watched, dashboard_file, fragment)
    assert w.page.input_value("#in-size") == "7B"
    assert w.page.input_value("#in-family") == "Llama-2"
    first = read_result(w.page)
    assert first["p-tax"] is not None
    w.page.fill("#in-truthfulness", "0.45")
    changed = w.page.evaluate("location.hash")
    assert "truthfulqa=0.45" in changed and "family=Llama-2" in changed
    after = read_result(w.page)
    again = open_dashboard(watched, dashboard_file, changed)
    assert read_result(again.page) == after
    assert_clean(w, dashboard_file)
    assert_clean(again, dashboard_file)


def test_a_hostile_fragment_is_ignored(dashboard_file, watched):
    fragment = (
        "#size=abc&hellaswag=2&truthfulqa=0.4&family=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
        "&evil=%3Cscript%3E&tokens_per_param=-5&distillation=maybe"
    )
    w = open_dashboard(watched, dashboard_file, fragment)
    assert w.page.input_value("#in-size") == "" and w.page.input_value("#in-reasoning") == ""
    assert w.page.input_value("#in-truthfulness") == "0.4"
    assert w.page.input_value("#in-family") == "" and w.page.input_value("#in-distillation") == ""
    assert read_result(w.page)["p-tax"] is None
    assert w.page.locator("img").count() == 0
    assert_clean(w, dashboard_file)


def test_names_reach_the_page_as_text(result, tmp_path, watched):
    hostile = "</script><b id=injected>x</b>"
    data = result.data.copy()
    data["family"] = data["family"].replace("Amber", hostile)
    renamed = Result(idata=result.idata, data=data, spec=result.spec, info=dict(result.info))
    path = write_dashboard(renamed, tmp_path / "hostile.html", n_draws=50)
    w = open_dashboard(watched, path)
    assert w.page.locator("#injected").count() == 0
    assert hostile in w.page.locator("#in-family").inner_text()
    assert hostile in w.page.locator("#forest").inner_text()
    assert_clean(w, path)


def test_a_family_shows_its_coupling_curve(dashboard_file, watched):
    w = open_dashboard(watched, dashboard_file)
    assert w.page.locator("#coupling-svg").count() == 0
    w.page.locator(".family-label", has_text="GPT-2").click()
    curve = w.page.locator("#coupling-svg")
    assert curve.get_attribute("data-family") == "GPT-2"
    assert curve.locator("polygon").count() == 1 and curve.locator("polyline").count() == 1
    enter(w.page, "1e9", "0.5", "0.4", family="Pythia")  # the analysed family's curve
    assert w.page.locator("#coupling-svg").get_attribute("data-family") == "Pythia"
    assert_clean(w, dashboard_file)


@pytest.fixture(scope="module")
def frontier_posterior():
    """Prior draws of the frontier model on frontier34, shaped like its posterior."""
    import pymc as pm
    import xarray as xr

    from bayescape.data import load_table
    from bayescape.models.frontier import build_frontier_model

    with build_frontier_model(load_table("frontier34")):
        tree = pm.sample_prior_predictive(draws=300, random_seed=1)
    return xr.DataTree.from_dict(
        {"posterior": tree["prior"].ds, "constant_data": tree["constant_data"].ds}
    )


def test_the_frontier_section(result, frontier_posterior, tmp_path, watched):
    from bayescape.models.frontier import frontier_population_line

    path = write_dashboard(
        result, tmp_path / "frontier.html", n_draws=300, frontier=frontier_posterior
    )
    w = open_dashboard(watched, path, "#swe=0.6&lab=Anthropic&lab=x&size=1e9")
    line = frontier_population_line(frontier_posterior)
    table = w.page.locator("#frontier-table")
    assert float(table.get_attribute("data-slope")) == pytest.approx(line["slope"].median, rel=1e-4)
    intercept = float(table.get_attribute("data-intercept"))
    assert intercept == pytest.approx(line["intercept"].median, rel=1e-4, abs=1e-6)
    assert w.page.locator("#frontier-h tr").count() == 1 + 34
    box = w.page.locator("#frontier-result")
    low, high = (float(box.get_attribute(f"data-gpqa-{k}")) for k in ("low", "high"))
    assert low < float(box.get_attribute("data-gpqa-median")) < high
    assert w.page.input_value("#in-lab") == "Anthropic"
    w.page.select_option("#in-lab", "")  # a new lab: wider
    assert "lab=" not in w.page.evaluate("location.hash")
    assert "swe=0.6" in w.page.evaluate("location.hash")
    assert_clean(w, path)


def test_the_page_loads_quickly(dashboard_file, watched):
    w = watched()
    start = time.perf_counter()
    w.page.goto(dashboard_file.as_uri() + "#size=1e9&hellaswag=0.5&truthfulqa=0.4")
    w.page.wait_for_selector("body[data-ready=true]")
    seconds = time.perf_counter() - start
    size = dashboard_file.stat().st_size
    print(f"dashboard: {size / 1e6:.2f} MB, loaded and diagnosed in {seconds:.2f} s")
    assert size < 5e6 and seconds < 20
    assert_clean(w, dashboard_file)


def test_dashboard_command(capsys, result_file, tmp_path):
    out = tmp_path / "dash.html"
    code = main(["dashboard", str(result_file), "--out", str(out), "--draws", "100"])
    _, err = capsys.readouterr()
    assert code == 0 and out.is_file() and "wrote" in err
    assert '"n_draws":100' in out.read_text(encoding="utf-8")
    code = main(["dashboard", str(result_file), "--out", str(tmp_path / "dash.pdf")])
    assert code == 2 and "end the name in .html" in capsys.readouterr().err


def test_dashboard_command_with_the_frontier(
    capsys, result_file, frontier_posterior, tmp_path, monkeypatch
):
    from bayescape.analysis import replication

    seeds = []

    def fake_fit(**kwargs):  # the real fit is a 2-chain NUTS run; its posterior's shape is this
        seeds.append(kwargs.get("random_seed"))
        return frontier_posterior

    monkeypatch.setattr(replication, "fit_frontier", fake_fit)
    out = tmp_path / "frontier.html"
    code = main(["dashboard", str(result_file), "--out", str(out), "--frontier", "--seed", "3"])
    assert code == 0 and seeds == [3] and "fitting the frontier" in capsys.readouterr().err
    assert 'id="frontier-inputs"' in out.read_text(encoding="utf-8")
