"""Shared fixtures: the default panel and a Result built from prior draws (no NUTS needed)."""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytest
import xarray as xr

from bayescape.analysis import Result
from bayescape.data import DataWarning, load_dataset
from bayescape.models import build_model, load_spec, required_benchmarks


def result_from_prior(
    model: str = "phase", data: str = "leaderboard_v1", draws: int = 200, seed: int = 0
) -> Result:
    """A Result whose 'posterior' is a prior sample: exercises analysis code without sampling."""
    spec = load_spec(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(data, require_benchmarks=required_benchmarks(spec))
        pm_model, _ = build_model(df, spec)
    with pm_model:
        prior = pm.sample_prior_predictive(draws=draws, random_seed=seed)
    posterior = prior.prior.ds
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, draws), dtype=bool))})
    idata = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})
    return Result(idata=idata, data=df, spec=spec, info={"data_source": data, "seed": seed})


@pytest.fixture(scope="session")
def make_prior_result():
    """The factory :func:`result_from_prior`, for tests that need another model or dataset."""
    return result_from_prior


@pytest.fixture(scope="session")
def prior_result() -> Result:
    """Prior draws of the default phase model on leaderboard_v1, shaped like a fit."""
    return result_from_prior()
