"""Predictive checks: the prior's scores before seeing data, and the fit's own replicates.

:func:`prior_predictive_check` asks whether the priors give plausible scores.
:func:`add_predictive_groups` stores, in a phase-model fit's DataTree, the two groups ArviZ's
predictive tools read: ``log_likelihood`` (pointwise log density of every observed score at
every draw) and ``posterior_predictive`` (one replicated score per draw and model), both from
the package's own bounded likelihood (:mod:`bayescape.models._likelihood`), under the names
and ``model`` coordinate of ``observed_data``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from bayescape._draws import flatten_chains
from bayescape.analysis._curves import replicated_scores, score_likelihoods
from bayescape.data import DEFAULT_DATASET, DataWarning, load_dataset
from bayescape.inference import FitResult
from bayescape.models import ModelSpec, build_model, load_spec, model_kind, required_benchmarks
from bayescape.models._likelihood import forward_sampling

PREDICTIVE_GROUPS = ("log_likelihood", "posterior_predictive")
"""Groups :func:`add_predictive_groups` writes (besides ``observed_data`` when it is missing)."""


def prior_predictive_check(
    model: str | Path | ModelSpec = "phase",
    data: str | Path = DEFAULT_DATASET,
    *,
    draws: int = 500,
    random_seed: int = 0,
) -> pd.DataFrame:
    """Simulate scores from the priors on the dataset's design and summarise them.

    Returns one row per observed quantity (``reasoning``, ``truthfulness`` for the phase
    models; each state's benchmark, e.g. ``hellaswag``, for the dynamics model) with the 5%,
    50% and 95% quantiles of the simulated scores, the fraction inside [0, 1] (scores are
    fractions), the fraction within 0.25 of the observed score, and for models with a
    changepoint the prior equal-tailed 90% interval of the critical scale (parameters).

    The dynamics model simulates every score of its likelihood, that is every measured score
    but each family's smallest model's (which sets the initial state). Its field is bounded
    (the score box), so prior trajectories do not blow up, but they may leave [0, 1] and its
    likelihood is an untruncated normal; quantiles are over the finite draws and a non-finite
    draw would count as outside [0, 1] and not near the observed score.
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(data, require_benchmarks=required_benchmarks(spec))
        pm_model, panel = build_model(df, spec)
    with pm_model, forward_sampling():
        prior = pm.sample_prior_predictive(draws=draws, random_seed=random_seed)
    kind = model_kind(spec)
    critical = None
    if kind.critical_scale is not None:
        critical = prior.prior.ds[kind.critical_scale].values.ravel()
    rows = []
    for quantity, (variable, columns, y) in kind.observed_scores(panel).items():
        values = prior.prior_predictive.ds[variable].values
        sims = values.reshape(-1, values.shape[-1])[:, columns]
        finite = sims[np.isfinite(sims)]
        with np.errstate(invalid="ignore"):  # inf - inf of a blown-up draw: not near
            near = np.abs(sims - y[None, :]) < 0.25
        row = {
            "quantity": quantity,
            "q05": float(np.quantile(finite, 0.05)) if finite.size else np.nan,
            "q50": float(np.quantile(finite, 0.5)) if finite.size else np.nan,
            "q95": float(np.quantile(finite, 0.95)) if finite.size else np.nan,
            "in_unit_interval": float(np.mean((sims >= 0) & (sims <= 1))),
            "near_observed": float(np.mean(near)),
        }
        if critical is not None:
            row["nc_prior_low"] = 10 ** float(np.quantile(critical, 0.05))
            row["nc_prior_high"] = 10 ** float(np.quantile(critical, 0.95))
        rows.append(row)
    return pd.DataFrame(rows)


def predictive_groups(fit: FitResult, seed: int) -> dict[str, xr.Dataset]:
    r"""``log_likelihood``, ``posterior_predictive`` and ``observed_data`` of a phase-model fit.

    For every draw :math:`s` and model :math:`i`, with the curve's mean :math:`\mu_{si}` and
    noise :math:`s_{si} = \sqrt{p(1-p)/n_i + \sigma_s^2}`,

    .. math::
        \ell_{si} = \log \mathcal{N}_{[0, 1]}(y_i \mid \mu_{si}, s_{si}), \qquad
        y^\text{rep}_{si} \sim \mathcal{N}_{[0, 1]}(\mu_{si}, s_{si}),

    (:func:`~bayescape.models._likelihood.score_logpdf`, ``sample_scores``); the replicates are
    :func:`~bayescape.analysis.replicated_scores` with ``seed``, so the same seed gives the same
    replicates. Each dataset has dims ``(chain, draw, model)`` and one variable per observed
    benchmark (``reasoning``, ``truthfulness``), named as the model's observed variables.
    Returns an empty dict for a model without these scores (the dynamics model).
    """
    if not fit.kind.score_curves:
        return {}
    post = fit.posterior
    shape = (post.sizes["chain"], post.sizes["draw"])
    models = np.asarray(fit.panel.models)
    if "observed_data" in fit.idata.children and "model" in fit.idata["observed_data"].ds.coords:
        stored = fit.idata["observed_data"].ds["model"].to_numpy().astype(str)
        if not np.array_equal(stored, models):
            raise ValueError("observed_data's model coordinate does not match the fit's panel")
    coords = {"chain": post["chain"].values, "draw": post["draw"].values, "model": models}
    dims = ("chain", "draw", "model")
    likelihoods = score_likelihoods(fit)
    replicates = replicated_scores(fit, seed)
    attrs = {
        "creation_library": "bayescape",
        "seed": int(seed),
        "likelihood": "normal truncated to [0, 1] (bayescape.models._likelihood)",
    }
    groups = {
        "log_likelihood": xr.Dataset(
            {n: (dims, lik.log_likelihood().reshape(*shape, -1)) for n, lik in likelihoods.items()},
            coords=coords,
            attrs=attrs,
        ),
        "posterior_predictive": xr.Dataset(
            {n: (dims, rep.reshape(*shape, -1)) for n, rep in replicates.items()},
            coords=coords,
            attrs=attrs,
        ),
        "observed_data": xr.Dataset(
            {n: (("model",), lik.observed) for n, lik in likelihoods.items()},
            coords={"model": models},
        ),
    }
    return groups


def add_predictive_groups[F: FitResult](fit: F, seed: int | None = None) -> F:
    """Store :func:`predictive_groups` in ``fit.idata`` (in place; returns ``fit``).

    ``seed`` defaults to the fit's own seed (``fit.info["seed"]``, 0 when absent). An existing
    ``observed_data`` group is kept (the sampler wrote it); the other two are replaced.
    """
    if seed is None:
        seed = _fit_seed(fit)
    groups = predictive_groups(fit, seed)
    for name, ds in groups.items():
        if name == "observed_data" and name in fit.idata.children:
            continue
        fit.idata[name] = xr.DataTree(ds)
    return fit


def posterior_predictive_draws(fit: FitResult) -> dict[str, np.ndarray]:
    """The fit's posterior-predictive replicates, shape (draws, models), by observed variable.

    Read from ``fit.idata``'s ``posterior_predictive`` group when it is there (a fit made with
    :func:`bayescape.fit`), else drawn as that group would be: :func:`replicated_scores` with
    the fit's seed. Either way the same fit gives the same replicates.
    """
    if "posterior_predictive" in fit.idata.children:
        pp = fit.idata["posterior_predictive"].ds
        return {name: flatten_chains(pp[name]) for name in pp.data_vars}
    return replicated_scores(fit, _fit_seed(fit))


def _fit_seed(fit: FitResult) -> int:
    return int(fit.info.get("seed", 0) or 0)
