r"""Model comparison: PSIS-LOO with Pareto-k diagnostics, and leave-family-out elpd.

PSIS-LOO (:func:`psis_loo`) approximates leave-one-*model*-out from one fit; on this data many
Pareto :math:`k` exceed 0.7 (each family's few models pin its own parameters), where the
approximation is unreliable: the table says how many, and :func:`compare` warns.

The leave-family-out expected log predictive density refits without each family :math:`f` and
scores its truthfulness scores jointly under the predictive of a *new* family,

.. math::
    \mathrm{elpd}_f = \log \frac1S \sum_{s=1}^S \prod_{i \in f}
        N\!\big(y_i \mid \mu_i(\theta_s^{\text{new}}), \mathrm{sd}_i(\theta_s^{\text{new}})\big),

with :math:`\theta^{\text{new}}_s` the family parameters drawn from the population given the
:math:`s`-th posterior draw (the phase models) or the pooled parameters (the paper's quadratic,
which has no families). Summed over families, it answers "which model predicts unseen families
best" (higher is better); its standard error is :math:`\sqrt{F}\,\mathrm{sd}(\mathrm{elpd}_f)`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import logsumexp

from bayescape.analysis._new_family import family_from_rows, standardised_covariates
from bayescape.data import DataWarning, item_column
from bayescape.inference import BatchOptions, FitResult, Task
from bayescape.models import ModelSpec, parse_spec
from bayescape.models._likelihood import score_logpdf

PARETO_K_THRESHOLD = 0.7


class HighParetoKWarning(UserWarning):
    """PSIS-LOO is unreliable: some Pareto k exceed the threshold."""


def psis_loo(result: FitResult) -> dict[str, Any]:
    """PSIS-LOO of a fitted result (pointwise log-likelihood of every observed score).

    Returns ``elpd_loo``, ``se``, ``p_loo``, ``n_obs``, ``n_high_k`` (k > 0.7), ``max_k``.
    Warns with :class:`HighParetoKWarning` when any k > 0.7.
    """
    import arviz as az
    import pymc as pm

    from bayescape.models import build_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _ = build_model(result.data, result.spec)
    idata = result.idata.copy()
    with warnings.catch_warnings():
        # expected notes only: Numba runs the custom score distributions in object mode;
        # numpy overflows inside ArviZ's relative ESS on near-constant draws; ArviZ's own
        # Pareto k notice is replaced by ours below (in this package's threshold and terms)
        warnings.filterwarnings("ignore", message="Numba will use object mode")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="arviz_stats")
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        idata = pm.compute_log_likelihood(idata, model=model, progressbar=False)
        ll = idata.log_likelihood.ds
        # one pointwise vector over every observed score (reasoning and truthfulness)
        stacked = np.concatenate(
            [ll[v].values.reshape(*ll[v].shape[:2], -1) for v in ll.data_vars], axis=-1
        )
        joint = idata.copy()
        joint["log_likelihood"] = xr.DataTree(
            xr.Dataset({"y": (("chain", "draw", "obs"), stacked)})
        )
        loo = az.loo(joint, var_name="y")
    k = np.asarray(loo.pareto_k).ravel()
    n_high = int((k > PARETO_K_THRESHOLD).sum())
    if n_high:
        warnings.warn(
            f"PSIS-LOO of {result.spec.name} is unreliable: {n_high} of {k.size} Pareto k > "
            f"{PARETO_K_THRESHOLD}; judge by the leave-family-out elpd",
            HighParetoKWarning,
            stacklevel=2,
        )
    return {
        "elpd_loo": float(loo.elpd),
        "se": float(loo.se),
        "p_loo": float(loo.p),
        "n_obs": int(k.size),
        "n_high_k": n_high,
        "max_k": float(np.nanmax(k)),
    }


def _truthfulness_draws(
    fit: FitResult, rows: pd.DataFrame, n_draws: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean truthfulness of a new family at ``rows``' sizes per draw, and the noise SD draws.

    The family is known by its covariates: none of its scores of the spec's benchmarks enter
    (the kind draws it from the population, :meth:`~bayescape.models.ModelKind.
    new_family_truthfulness`).
    """
    kind = fit.kind
    x = np.log10(rows["params"].to_numpy(dtype=float))
    new = family_from_rows(rows.drop(columns=kind.benchmarks(fit.spec), errors="ignore"))
    z, _, _ = standardised_covariates(fit, new)
    rng = np.random.default_rng(seed)
    return kind.new_family_truthfulness(fit.draws, fit.panel, x, z, n_draws, rng)


def family_elpd(fit: FitResult, rows: pd.DataFrame, n_draws: int = 4000, seed: int = 0) -> float:
    """Joint log predictive density of a held-out family's truthfulness scores (see module)."""
    bench = fit.spec.model.get("truthfulness", "truthfulqa")
    y = rows[bench].to_numpy(dtype=float)
    n = rows[item_column(bench)].to_numpy(dtype=float)
    mu, sigma = _truthfulness_draws(fit, rows, n_draws, seed)
    log_joint = score_logpdf(y[None, :], mu, n[None, :], np.asarray(sigma)[:, None]).sum(axis=1)
    return float(logsumexp(log_joint) - np.log(log_joint.size))


def family_elpd_fold(
    spec_text: str,
    data: pd.DataFrame,
    family: str,
    fit_kwargs: Mapping[str, Any],
    seed: int,
) -> dict[str, Any]:
    """Refit without ``family``; its elpd (a batch task)."""
    from bayescape.analysis._result import refit

    spec = parse_spec(spec_text, "<compare>")
    result = refit(spec, data, fit_kwargs, exclude_families=[family])
    rows = data[data["family"] == family].reset_index(drop=True)
    return {
        "model": spec.name,
        "family": family,
        "n_models": len(rows),
        "elpd": family_elpd(result, rows, seed=seed),
        "divergences": int(result.diagnostics.divergences),
    }


def leave_family_out_elpd(
    results: Sequence[FitResult],
    *,
    min_models: int = 3,
    random_seed: int = 0,
    batch: BatchOptions | None = None,
    **batch_options: Any,
) -> pd.DataFrame:
    """Per-family elpd of each result's model, refitted without each family (>= min_models).

    All results must be fitted to the same data; returns one row per model and family.

    Parameters
    ----------
    results
        Fitted results of different models on the same data.
    min_models
        Leave out only families with at least this many models.
    random_seed, batch, **batch_options
        Sampler seed of every refit; where the refits run, with their sampler settings: a
        :class:`~bayescape.inference.BatchOptions` or its fields as keywords (``out_dir``
        keeps one result file per fold, and a rerun resumes).
    """
    batch = BatchOptions.resolve(batch, batch_options)
    data = results[0].data
    counts = data["family"].value_counts()
    families = sorted(counts[counts >= min_models].index)
    fit_kwargs = batch.fit_kwargs(random_seed)
    tasks = [
        Task(
            f"{r.spec.name}-{r.spec.hash}-fold{i:03d}",
            family_elpd_fold,
            dict(spec_text=r.spec.text, data=data, family=f, fit_kwargs=fit_kwargs, seed=i),
        )
        for r in results
        for i, f in enumerate(families)
    ]
    run = batch.run(tasks)
    return pd.DataFrame(list(run.results.values()))


def compare(
    results: Sequence[FitResult],
    *,
    leave_family_out: bool = True,
    **lfo_kwargs: Any,
) -> pd.DataFrame:
    """Comparison table of fitted models (higher elpd is better).

    Columns: ``model``; PSIS-LOO ``elpd_loo``, ``se_loo``, ``p_loo``, ``n_high_k`` (Pareto
    k > 0.7) of ``n_obs`` (over every observed score: not comparable between models that
    observe different benchmarks); leave-family-out ``elpd_lfo`` (truthfulness of held-out
    families), ``se_lfo``, ``d_elpd_lfo`` (difference to the best) and ``se_d_lfo`` (paired SE
    over families). Warns with :class:`HighParetoKWarning` when any k is high.

    ``lfo_kwargs`` go to :func:`leave_family_out_elpd` (``min_models``, ``random_seed``,
    ``batch`` or the :class:`~bayescape.inference.BatchOptions` fields as keywords).
    """
    specs: list[ModelSpec] = [r.spec for r in results]
    if len({s.hash for s in specs}) != len(specs):
        raise ValueError("each result must be a different model (spec)")
    rows = []
    for r in results:
        with warnings.catch_warnings():  # one warning for every model, below
            warnings.simplefilter("ignore", HighParetoKWarning)
            loo = psis_loo(r)
        rows.append(
            {
                "model": r.spec.name,
                "elpd_loo": loo["elpd_loo"],
                "se_loo": loo["se"],
                "p_loo": loo["p_loo"],
                "n_obs": loo["n_obs"],
                "n_high_k": loo["n_high_k"],
                "max_k": loo["max_k"],
            }
        )
    table = pd.DataFrame(rows)
    high = table[table["n_high_k"] > 0]
    if len(high):
        warnings.warn(
            "PSIS-LOO is unreliable for "
            + ", ".join(
                f"{m} ({k} of {n} Pareto k > {PARETO_K_THRESHOLD})"
                for m, k, n in zip(high["model"], high["n_high_k"], high["n_obs"], strict=True)
            )
            + ": judge by the leave-family-out elpd",
            HighParetoKWarning,
            stacklevel=2,
        )
    if leave_family_out:
        per_family = leave_family_out_elpd(results, **lfo_kwargs)
        wide = per_family.pivot(index="family", columns="model", values="elpd")
        best = wide.sum().idxmax()
        n_f = len(wide)
        table["elpd_lfo"] = table["model"].map(wide.sum())
        table["se_lfo"] = table["model"].map(wide.std() * np.sqrt(n_f))
        diff = wide.sub(wide[best], axis=0)
        table["d_elpd_lfo"] = table["model"].map(diff.sum())
        table["se_d_lfo"] = table["model"].map(diff.std() * np.sqrt(n_f))
        table.attrs["per_family"] = per_family
        table = table.sort_values("elpd_lfo", ascending=False, ignore_index=True)
    return table
