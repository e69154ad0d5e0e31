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

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayescape._repr import compact_repr
from bayescape.analysis._dynamics_lofo import dynamics_lofo_fold
from bayescape.analysis._importance import MIN_ESS, simulate_family
from bayescape.analysis._new_family import family_from_rows
from bayescape.analysis._scoring import (
    aggregate_scores,
    baseline_rows,
    score_draws,
    versus_baselines,
)
from bayescape.data import DEFAULT_DATASET, DataWarning, load_dataset
from bayescape.errors import BayescapeError
from bayescape.inference import BatchOptions, Task
from bayescape.models import ModelSpec, load_spec, model_kind, parse_spec, required_benchmarks


def lofo_fold(spec_text: str, data: pd.DataFrame, family: str, **options: Any) -> list[dict]:
    """One fold: refit without ``family`` and score the predictions of its models (a task).

    The fold is the one for what the spec's kind predicts a new family from
    (:attr:`~bayescape.models.ModelKind.new_family_from`, a key of :data:`FOLDS`); ``options``
    (``condition_on_smallest``, ``fit_kwargs``, ``n_draws``, ``seed``) go to it.
    """
    spec = parse_spec(spec_text, "<lofo>")
    return FOLDS[model_kind(spec).new_family_from](spec, data, family, **options)


def _covariates_fold(
    spec: ModelSpec,
    data: pd.DataFrame,
    family: str,
    *,
    condition_on_smallest: bool,
    fit_kwargs: Mapping[str, Any],
    n_draws: int,
    seed: int,
) -> list[dict[str, Any]]:
    """A fold of a kind that predicts a new family from its covariates (the phase models):
    the family's models scored by :func:`simulate_family`, beside the baselines."""
    from bayescape.analysis._result import refit

    kind = model_kind(spec)
    rows = data[data["family"] == family].sort_values("params").reset_index(drop=True)
    rest = data[data["family"] != family]
    reasoning = spec.model.get("reasoning", "hellaswag")
    truthfulness = spec.model.get("truthfulness", "truthfulqa")
    given = rows.iloc[:1] if condition_on_smallest else rows.iloc[:0]
    scored = rows.iloc[len(given) :]
    out: list[dict[str, Any]] = []
    sizes = scored["params"].to_numpy(dtype=float)
    if not kind.pooled:  # the pooled quadratic is the baseline below
        result = refit(spec, data, fit_kwargs, exclude_families=[family])
        ok = result.diagnostics.ok
        described = rows.copy()
        # only the given model keeps its scores: nothing measured on a scored model can leak in
        described.loc[len(given) :, [reasoning, truthfulness]] = np.nan
        new = family_from_rows(described, name=family)
        sim = simulate_family(result, new, sizes, n_draws, MIN_ESS, seed)
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
                        **score_draws(draws[:, i], sim.weights, float(row[column])),
                        "fit_ok": ok,
                    }
                )
    needed = required_benchmarks(spec)
    benchmarks = {
        role: column
        for role, column in (("reasoning", reasoning), ("truthfulness", truthfulness))
        if column in needed
    }
    out += baseline_rows(rest, given, scored, benchmarks, n_draws, seed, family)
    return out


def _initial_state_fold(
    spec: ModelSpec, data: pd.DataFrame, family: str, *, fit_kwargs: Any, seed: int, **_: Any
) -> list[dict[str, Any]]:
    """A fold of a kind that predicts a new family from its smallest model (the dynamics model:
    always conditioned on it, so ``condition_on_smallest`` and ``n_draws`` do not apply)."""
    return dynamics_lofo_fold(spec, data, family, fit_kwargs=fit_kwargs, seed=seed)


FOLDS = {"covariates": _covariates_fold, "initial_state": _initial_state_fold}
"""The leave-one-family-out fold of each :attr:`~bayescape.models.ModelKind.new_family_from`."""


class RefitDiagnosticsWarning(UserWarning):
    """A leave-one-family-out refit failed the diagnostics gate (R-hat, ESS, divergences)."""


def _warn_failed_refits(models: pd.DataFrame) -> None:
    """Warn with the families whose refit failed the gate (its scores rest on a bad fit)."""
    if "fit_ok" not in models:
        return
    failed = models.loc[models["fit_ok"].eq(False), "family"].unique().tolist()
    if failed:
        warnings.warn(
            f"the refits without {', '.join(map(str, failed))} failed the diagnostics gate "
            "(R-hat, ESS or divergent transitions; see the fit_ok column): their scores may be "
            "off; rerun with more --draws and --tune",
            RefitDiagnosticsWarning,
            stacklevel=3,
        )


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

    def versus_baselines(self) -> pd.DataFrame:
        """``overall`` with each method's CRPS relative to the best simple baseline, in percent
        (see :func:`~bayescape.analysis._scoring.versus_baselines`)."""
        return versus_baselines(self.overall)


def leave_one_family_out(
    model: str | Path | ModelSpec = "phase",
    data: str | Path | pd.DataFrame = DEFAULT_DATASET,
    *,
    min_models: int = 3,
    families: list[str] | None = None,
    condition_on_smallest: bool = False,
    random_seed: int = 0,
    n_draws: int = 4000,
    batch: BatchOptions | None = None,
    **batch_options: Any,
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
    random_seed
        Sampler seed of each refit (fold ``i`` predicts with seed ``random_seed + i``).
    n_draws
        Predictive draws per held-out family.
    batch, **batch_options
        Where the refits run, with their sampler settings, as for
        :func:`~bayescape.analysis.leave_family_out_elpd` (one result file per fold).

    Warns
    -----
    RefitDiagnosticsWarning
        When a refit fails the diagnostics gate (``fit_ok`` is False in ``models``).
    """
    batch = BatchOptions.resolve(batch, batch_options)
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(data, require_benchmarks=required_benchmarks(spec))
    counts = df["family"].value_counts()
    eligible = sorted(counts[counts >= min_models].index)
    chosen = eligible if families is None else [f for f in families if f in eligible]
    if not chosen:
        raise BayescapeError(f"no family has >= {min_models} models to leave out")
    fit_kwargs = batch.fit_kwargs(random_seed)
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
    run = batch.run(tasks)
    models = pd.DataFrame([row for rows in run.results.values() for row in rows])
    _warn_failed_refits(models)
    return LeaveFamilyOut(
        models=models,
        families=aggregate_scores(models, ["method", "benchmark", "family"]),
        overall=aggregate_scores(models, ["method", "benchmark"]),
    )
