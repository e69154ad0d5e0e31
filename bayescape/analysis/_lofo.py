r"""Leave-one-family-out (LOFO) predictive checks, for the phase model and the paper's quadratic.

For every family with at least ``min_models`` models: refit without it, predict its scores at
its own sizes from its covariates alone (or also from its smallest model, whose scores are then
given and not scored), and compare with what was measured:

- coverage of the central 50% and 90% predictive intervals;
- MAE and MAPE (:math:`100\,\overline{|\hat y - y| / y}`) of the predictive median;
- CRPS in its energy form, from predictive draws :math:`X, X'` with weights :math:`w`:
  :math:`\mathrm{CRPS}(F, y) = E|X - y| - \tfrac12 E|X - X'|` (lower is better).

The baseline is the paper's pooled quadratic in :math:`x = \log_{10} N` fitted to the
truthfulness of the other families; its predictive distribution is the case-resampling bootstrap
of the fit plus a resampled residual (it has no reasoning curve, so only truthfulness is scored).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayescape._repr import compact_repr
from bayescape.analysis import _predict
from bayescape.baselines import bootstrap_coefficients
from bayescape.data import DEFAULT_DATASET, DataWarning, load_dataset
from bayescape.errors import BayescapeError
from bayescape.inference import ExecutorName, Task, run_batch
from bayescape.models import ModelSpec, load_spec, parse_spec, required_benchmarks


def crps_from_draws(draws: np.ndarray, observed: float, weights: np.ndarray | None = None) -> float:
    r"""CRPS of weighted draws at ``observed``: :math:`E|X - y| - \frac12 E|X - X'|`.

    Uses the sorted-sample identity :math:`E|X - X'| = 2 \sum_i w_i x_{(i)} (2 F_i - w_i - 1)`,
    :math:`F_i` the cumulative weight, so the cost is :math:`O(n \log n)`.
    """
    x = np.asarray(draws, dtype=float).ravel()
    w = np.full(x.size, 1.0 / x.size) if weights is None else np.asarray(weights, float).ravel()
    w = w / w.sum()
    order = np.argsort(x)
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws)
    spread = 2.0 * np.sum(ws * xs * (2.0 * cum - ws - 1.0))
    return float(np.sum(w * np.abs(x - observed)) - 0.5 * spread)


def _score(draws: np.ndarray, weights: np.ndarray, observed: float) -> dict[str, float]:
    q = _predict.weighted_quantile(draws, weights, [0.05, 0.25, 0.5, 0.75, 0.95])
    return {
        "median": float(q[2]),
        "low_90": float(q[0]),
        "high_90": float(q[4]),
        "in_50": bool(q[1] <= observed <= q[3]),
        "in_90": bool(q[0] <= observed <= q[4]),
        "abs_error": float(abs(q[2] - observed)),
        "ape": float(100.0 * abs(q[2] - observed) / abs(observed)),
        "crps": crps_from_draws(draws, observed, weights),
    }


def _quadratic_predictive(
    x_train: np.ndarray, y_train: np.ndarray, x_new: np.ndarray, n_draws: int, seed: int
) -> np.ndarray:
    """Bootstrap predictive draws of the pooled quadratic (fit uncertainty + a residual)."""
    coef = bootstrap_coefficients(x_train, y_train, n_resamples=n_draws, seed=seed)
    full = np.polyfit(x_train, y_train, 2)
    resid = y_train - np.polyval(full, x_train)
    rng = np.random.default_rng(seed)
    mean = coef[:, 0, None] * x_new**2 + coef[:, 1, None] * x_new + coef[:, 2, None]
    return mean + rng.choice(resid, size=mean.shape)


def quadratic_rows(
    rest: pd.DataFrame,
    scored: pd.DataFrame,
    truthfulness: str,
    n_draws: int,
    seed: int,
    family: str,
) -> list[dict[str, Any]]:
    """Score the paper's pooled quadratic (fitted to ``rest``) on the ``scored`` models."""
    known = rest[rest[truthfulness].notna()]
    draws = _quadratic_predictive(
        np.log10(known["params"].to_numpy(dtype=float)),
        known[truthfulness].to_numpy(dtype=float),
        np.log10(scored["params"].to_numpy(dtype=float)),
        n_draws,
        seed,
    )
    uniform = np.full(n_draws, 1.0 / n_draws)
    out = []
    for i, (_, row) in enumerate(scored.iterrows()):
        if not np.isfinite(row[truthfulness]):
            continue
        out.append(
            {
                "method": "paper quadratic",
                "family": family,
                "model": row["model"],
                "benchmark": "truthfulness",
                "observed": float(row[truthfulness]),
                **_score(draws[:, i], uniform, float(row[truthfulness])),
            }
        )
    return out


def lofo_fold(
    spec_text: str,
    data: pd.DataFrame,
    family: str,
    *,
    condition_on_smallest: bool,
    fit_kwargs: Mapping[str, Any],
    n_draws: int,
    seed: int,
) -> list[dict[str, Any]]:
    """One fold: refit without ``family`` and score the predictions of its models (a task)."""
    from bayescape.analysis._result import fit

    spec = parse_spec(spec_text, "<lofo>")
    if spec.model.get("kind") == "dynamics":
        from bayescape.analysis._dynamics_lofo import dynamics_lofo_fold

        return dynamics_lofo_fold(spec, data, family, fit_kwargs=fit_kwargs, seed=seed)
    rows = data[data["family"] == family].sort_values("params").reset_index(drop=True)
    rest = data[data["family"] != family]
    reasoning = spec.model.get("reasoning", "hellaswag")
    truthfulness = spec.model.get("truthfulness", "truthfulqa")
    given = rows.iloc[:1] if condition_on_smallest else rows.iloc[:0]
    scored = rows.iloc[len(given) :]
    out: list[dict[str, Any]] = []
    sizes = scored["params"].to_numpy(dtype=float)
    if spec.model.get("pooling") != "pooled":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            result = fit(spec, data, exclude_families=[family], progressbar=False, **fit_kwargs)
        described = rows.copy()
        # only the given model keeps its scores: nothing measured on a scored model can leak in
        described.loc[len(given) :, [reasoning, truthfulness]] = np.nan
        new = _predict.family_from_rows(described, name=family)
        sim = _predict._simulate(result, new, sizes, n_draws, _predict._MIN_ESS, seed)
        for bench, column, draws in (
            ("reasoning", reasoning, sim.reasoning),
            ("truthfulness", truthfulness, sim.truthfulness),
        ):
            for i, (_, row) in enumerate(scored.iterrows()):
                out.append(
                    {
                        "method": spec.name,
                        "family": family,
                        "model": row["model"],
                        "benchmark": bench,
                        "observed": float(row[column]),
                        **_score(draws[:, i], sim.weights, float(row[column])),
                    }
                )
    out += quadratic_rows(rest, scored, truthfulness, n_draws, seed, family)
    return out


@dataclass(frozen=True, repr=False)
class LeaveFamilyOut:
    """Result of :func:`leave_one_family_out`.

    Attributes
    ----------
    models
        One row per held-out model, benchmark and method: observed score, predictive median and
        90% interval, hits of the 50/90% intervals, absolute and percentage error, CRPS.
    families
        The same metrics averaged per family, benchmark and method.
    overall
        Averaged over every held-out model, per benchmark and method: ``coverage_50``,
        ``coverage_90``, ``mae``, ``mape``, ``crps``, ``n``.
    """

    __repr__ = compact_repr

    models: pd.DataFrame
    families: pd.DataFrame
    overall: pd.DataFrame


def _aggregate(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return (
        frame.groupby(keys, sort=False)
        .agg(
            n=("observed", "size"),
            coverage_50=("in_50", "mean"),
            coverage_90=("in_90", "mean"),
            mae=("abs_error", "mean"),
            mape=("ape", "mean"),
            crps=("crps", "mean"),
        )
        .reset_index()
    )


def leave_one_family_out(
    model: str | Path | ModelSpec = "phase",
    data: str | Path | pd.DataFrame = DEFAULT_DATASET,
    *,
    min_models: int = 3,
    families: list[str] | None = None,
    condition_on_smallest: bool = False,
    out_dir: str | os.PathLike | None = None,
    executor: ExecutorName = "sequential",
    n_workers: int | None = None,
    scheduler_address: str | None = None,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    random_seed: int = 0,
    n_draws: int = 4000,
) -> LeaveFamilyOut:
    """Leave each family with ``>= min_models`` models out in turn; score its predictions.

    Parameters
    ----------
    model, data
        The model (``"quadratic"`` scores only the paper's baseline) and the dataset. A
        dynamics model always predicts a held-out family from its smallest model (which is
        then not scored); from one dynamics fit, :func:`leave_family_out_is` gives the same
        check without refits.
    families
        Restrict to these families (default: every family with enough models).
    condition_on_smallest
        Also give each held-out family's smallest model (then not scored).
    out_dir, executor, n_workers, scheduler_address
        One result file per fold (resumable); see :func:`~bayescape.inference.run_batch`.
    draws, tune, chains, random_seed
        Sampler settings of each refit.
    n_draws
        Predictive draws per held-out family.
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(data, require_benchmarks=required_benchmarks(spec))
    counts = df["family"].value_counts()
    eligible = sorted(counts[counts >= min_models].index)
    chosen = eligible if families is None else [f for f in families if f in eligible]
    if not chosen:
        raise BayescapeError(f"no family has >= {min_models} models to leave out")
    fit_kwargs = dict(draws=draws, tune=tune, chains=chains, random_seed=random_seed)
    tasks = [
        Task(
            f"fold{i:03d}",
            lofo_fold,
            dict(
                spec_text=spec.text,
                data=df,
                family=family,
                condition_on_smallest=condition_on_smallest,
                fit_kwargs=fit_kwargs,
                n_draws=n_draws,
                seed=random_seed + i,
            ),
        )
        for i, family in enumerate(chosen)
    ]
    run = run_batch(
        tasks,
        out_dir,
        executor=executor,
        n_workers=n_workers,
        scheduler_address=scheduler_address,
    )
    models = pd.DataFrame([row for rows in run.results.values() for row in rows])
    return LeaveFamilyOut(
        models=models,
        families=_aggregate(models, ["method", "benchmark", "family"]),
        overall=_aggregate(models, ["method", "benchmark"]),
    )
