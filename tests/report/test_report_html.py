"""The self-contained HTML report, checked as text and rendered in headless Chromium.

Chromium (the system's) is driven by Playwright (the ``browser`` fixture of conftest.py): the
test records every console message, uncaught exception and network request while the page
loads, then takes a screenshot (kept in tests/artifacts/report.png).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bayescape.errors import BayescapeError
from bayescape.report import FIGURES, render_report, write_report


@pytest.fixture(scope="module")
def page(result) -> str:
    return render_report(result, figures=("forest", "ppc"), replication=True)


@pytest.fixture(scope="module")
def report_file(result, tmp_path_factory) -> Path:
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html")


@pytest.mark.behaviour
def test_report_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # nothing is loaded from anywhere: every src/href is a data: URI or an in-page anchor
    for attr, value in re.findall(r'\b(src|href)="([^"]*)"', page):
        assert value.startswith(("data:", "#")), (attr, value)
    assert "<script" not in page and "@import" not in page and "url(" not in page


@pytest.mark.behaviour
def test_report_has_every_section(result, page):
    for anchor in ("diagnostics", "data", "spec", "tables", "figures", "replication"):
        assert f'id="{anchor}"' in page
    assert page.count('src="data:image/png;base64,') == 2
    assert 'id="figure-forest"' in page and 'id="figure-ppc"' in page
    assert result.spec.hash in page and "banner ok" in page and "DIAGNOSTICS FAILED" not in page
    assert "Critical scale N_c per family" in page and "Pythia" in page
    assert "claim" in page.lower()  # the replication table (its module is in this tree)
    # the spec file is shown escaped: its comparisons cannot open tags
    assert "&lt;" in page or "<" not in result.spec.text


@pytest.mark.behaviour
def test_failed_diagnostics_are_loud(failed_result):
    page = render_report(failed_result, figures=(), replication=False)
    assert 'class="banner fail"' in page and "DIAGNOSTICS FAILED: do not report" in page
    assert 'role="alert"' in page and "divergent" in page
    assert page.index("banner fail") < page.index('id="data"')


@pytest.mark.behaviour
def test_report_arguments(result, tmp_path):
    with pytest.raises(BayescapeError, match=r"end the name in \.html"):
        write_report(result, tmp_path / "report.pdf")
    with pytest.raises(BayescapeError, match="unknown figure"):
        render_report(result, figures=("pie",))


def test_replication_warnings_reach_the_caller(result, monkeypatch):
    """Only the shipped datasets' DataWarnings are silenced around the replication table (a
    blanket filter once hid every warning, divergences and Pareto k included)."""
    import warnings

    import pandas as pd

    from bayescape.analysis import replication
    from bayescape.data import DataWarning

    def table(**_kwargs):
        warnings.warn("a note on a shipped dataset", DataWarning, stacklevel=2)
        warnings.warn("3 divergent transitions in the frontier fit", UserWarning, stacklevel=2)
        return pd.DataFrame({"claim": ["N_c"], "paper": ["3.5B"]}).set_index("claim")

    monkeypatch.setattr(replication, "replication_table", table)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render_report(result, figures=(), replication=True)
    assert [str(w.message) for w in caught] == ["3 divergent transitions in the frontier fit"]
    assert "3.5B" in page


@pytest.mark.behaviour
def test_report_renders_in_headless_chromium(report_file, watched, artifacts):
    w = watched(width=1200, height=2000)
    w.page.goto(report_file.as_uri(), wait_until="load")
    loaded = w.page.evaluate(
        "({images: [...document.images].map(i => [i.complete, i.naturalWidth]), "
        "status: document.getElementById('status').textContent, title: document.title})"
    )
    png = w.page.screenshot(full_page=False)
    assert not w.problems(), w.problems()
    assert not w.foreign_requests(report_file), w.requests
    assert report_file.as_uri() in w.requests
    assert loaded["status"] == "ok" and loaded["title"].startswith("bayescape report")
    assert len(loaded["images"]) == len(FIGURES)
    assert all(complete and width > 100 for complete, width in loaded["images"])
    assert png.startswith(b"\x89PNG")
    (artifacts / "report.png").write_bytes(png)
