"""Results for report tests, made from prior draws: no NUTS, a few seconds per session.

The prior draws of the phase model stand in for a posterior (``posterior`` group, 2 chains),
with a ``sample_stats`` group of no divergences, so every summary, table, figure and the HTML
report run on real arrays of the right shapes and names. ``failed_result`` is the same with
divergent transitions, so its diagnostics fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from bayescape.analysis import Result
from bayescape.data import DataWarning, load_dataset
from bayescape.models import build_model, load_spec

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = os.environ.get("BAYESCAPE_CHROMIUM", "/usr/bin/chromium")


def prior_result(seed: int = 3, draws: int = 500, chains: int = 2, divergences: int = 0) -> Result:
    """A :class:`Result` whose "posterior" is ``chains x draws`` prior draws of the phase model."""
    import pymc as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1")
        spec = load_spec("phase")
        model, _ = build_model(df, spec)
    with model:
        tree = pm.sample_prior_predictive(draws=draws * chains, random_seed=seed)
    prior = tree["prior"].ds.isel(chain=0, drop=True)
    posterior = xr.concat(
        [
            prior.isel(draw=slice(k * draws, (k + 1) * draws)).assign_coords(draw=np.arange(draws))
            for k in range(chains)
        ],
        dim="chain",
    ).assign_coords(chain=np.arange(chains))
    diverging = np.zeros((chains, draws), dtype=bool)
    diverging.flat[:divergences] = True
    stats = xr.Dataset(
        {"diverging": (("chain", "draw"), diverging)},
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
    )
    idata = xr.DataTree.from_dict(
        {
            "posterior": posterior,
            "sample_stats": stats,
            "observed_data": tree["observed_data"].ds,
        }
    )
    info = {
        "data_source": "leaderboard_v1",
        "seed": seed,
        "sampler": "prior draws (test)",
        "draws": draws,
        "tune": 0,
        "chains": chains,
        "bayescape_version": "test",
    }
    return Result(idata=idata, data=df, spec=spec, info=info)


@pytest.fixture(scope="session")
def result() -> Result:
    """Prior draws of the phase model on leaderboard_v1, diagnostics passing."""
    out = prior_result()
    assert out.diagnostics.ok, out.diagnostics.describe()
    return out


@pytest.fixture(scope="session")
def failed_result(result: Result) -> Result:
    """The same draws with 3 divergent transitions: its diagnostics fail."""
    stats = result.idata["sample_stats"].ds.copy()
    diverging = stats["diverging"].values.copy()
    diverging.flat[:3] = True
    stats["diverging"] = (("chain", "draw"), diverging)
    tree = result.idata.copy()
    tree["sample_stats"] = xr.DataTree(stats)
    out = Result(idata=tree, data=result.data, spec=result.spec, info=dict(result.info))
    assert not out.diagnostics.ok
    return out


@pytest.fixture(scope="session")
def result_file(result: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``result`` saved to netCDF, for the CLI."""
    return result.save(tmp_path_factory.mktemp("results") / "prior_phase.nc")


@pytest.fixture(scope="session")
def failed_file(failed_result: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``failed_result`` saved to netCDF."""
    return failed_result.save(tmp_path_factory.mktemp("results") / "failed_phase.nc")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts/: files a test keeps for people to look at (screenshots)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def latex_engine() -> str | None:
    """pdflatex when it and the packages the tables need (booktabs, siunitx) are installed."""
    engine = shutil.which("pdflatex")
    kpse = shutil.which("kpsewhich")
    if engine is None or kpse is None:
        return None
    found = subprocess.run(
        [kpse, "booktabs.sty", "siunitx.sty"], capture_output=True, text=True, check=False
    ).stdout.split()
    return engine if len(found) == 2 else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright: the system's browser, never a downloaded one.

    Skips when Playwright (the dev extra) or Chromium (Debian package ``chromium``, installed
    by ``make test``; or set ``BAYESCAPE_CHROMIUM``) is missing.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(
            f"headless Chromium not found at {CHROMIUM} (Debian package: chromium; or "
            "set BAYESCAPE_CHROMIUM)"
        )
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watched:
    """A page with what it logged and requested: console messages, page errors, request URLs."""

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Console errors and warnings and uncaught exceptions (CSP violations included)."""
        noisy = [f"{kind}: {text}" for kind, text in self.console if kind in {"error", "warning"}]
        return noisy + self.errors

    def foreign_requests(self, allowed: Path) -> list[str]:
        """Requests for anything but ``allowed`` (its fragment ignored)."""
        return [u for u in self.requests if u.split("#")[0] != allowed.as_uri()]


@pytest.fixture
def watched(browser) -> Iterator[Any]:
    """Open a fresh page that records its console, errors and requests: ``watched()``."""
    pages: list[Any] = []

    def open_page(width: int = 1200, height: int = 1600) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": height})
        pages.append(context)
        w = Watched(context.new_page())
        w.page.on("console", lambda m: w.console.append((m.type, m.text)))
        w.page.on("pageerror", lambda e: w.errors.append(str(e)))
        w.page.on("request", lambda r: w.requests.append(r.url))
        return w

    yield open_page
    for context in pages:
        context.close()
