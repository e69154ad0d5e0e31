"""Prior-predictive check: do the priors give plausible score curves before seeing data?"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm

from bayescape.data import DEFAULT_DATASET, DataWarning, load_dataset
from bayescape.models import ModelSpec, build_model, load_spec, required_benchmarks
from bayescape.models._likelihood import forward_sampling


def prior_predictive_check(
    model: str | Path | ModelSpec = "phase",
    data: str | Path = DEFAULT_DATASET,
    *,
    draws: int = 500,
    random_seed: int = 0,
) -> pd.DataFrame:
    """Simulate scores from the priors on the dataset's design and summarise them.

    Returns one row per observed quantity (``reasoning``, ``truthfulness``) with the 5%, 50% and
    95% quantiles of the simulated scores, the fraction inside [0, 1] (scores are fractions), the
    fraction within 0.25 of the observed score, and for models with a changepoint the prior
    equal-tailed 90% interval of the critical scale (parameters).
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(data, require_benchmarks=required_benchmarks(spec))
        pm_model, panel = build_model(df, spec)
    with pm_model, forward_sampling():
        prior = pm.sample_prior_predictive(draws=draws, random_seed=random_seed)
    observed = {"reasoning": panel.reasoning, "truthfulness": panel.truthfulness}
    critical = None
    for name in ("c", "c_pooled"):
        if name in prior.prior.ds:
            critical = prior.prior.ds[name].values.ravel()
    rows = []
    for name, values in prior.prior_predictive.ds.items():
        sims = values.values.reshape(-1, values.shape[-1])
        row = {
            "quantity": name,
            "q05": float(np.quantile(sims, 0.05)),
            "q50": float(np.quantile(sims, 0.5)),
            "q95": float(np.quantile(sims, 0.95)),
            "in_unit_interval": float(np.mean((sims >= 0) & (sims <= 1))),
            "near_observed": float(np.mean(np.abs(sims - observed[name][None, :]) < 0.25)),
        }
        if critical is not None:
            row["nc_prior_low"] = 10 ** float(np.quantile(critical, 0.05))
            row["nc_prior_high"] = 10 ** float(np.quantile(critical, 0.95))
        rows.append(row)
    return pd.DataFrame(rows)
