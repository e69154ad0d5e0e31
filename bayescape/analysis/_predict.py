r"""Prediction for a family the model has not seen: its scores at chosen sizes and its N_c.

The family is described by :class:`~bayescape.analysis.NewFamily`
(:mod:`bayescape.analysis._new_family`) and drawn from the population the fit learned, weighted
by the likelihood of any of its measured models (:mod:`bayescape.analysis._importance`, where
the maths is).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayescape._repr import compact_repr
from bayescape.analysis._importance import MIN_ESS, simulate_family, weighted_quantile
from bayescape.analysis._new_family import NewFamily, as_family
from bayescape.data._checks import size_problem
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult
from bayescape.models.phase import NEW_FAMILY_POPULATION

POPULATION = NEW_FAMILY_POPULATION
"""Posterior variables a new-family prediction needs (the hierarchical running-coupling model)."""


def require_population(fit: FitResult, names: Sequence[str], what: str) -> None:
    """Raise unless the posterior holds every variable of ``names`` (a new family's population)."""
    missing = [n for n in names if n not in fit.posterior]
    if missing:
        raise BayescapeError(
            f"{what} needs the hierarchical phase model (running coupling, one N_c per family); "
            f"this result is model {fit.spec.name!r}, which lacks {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        )


@dataclass(frozen=True, repr=False)
class FamilyPrediction:
    """Posterior prediction for a new family.

    Attributes
    ----------
    family
        The family's description.
    covariates
        Its covariates in natural units (``nan``: drawn as a random family's).
    scores
        One row per requested size: ``params``; predictive scores ``reasoning_median``,
        ``reasoning_low``, ``reasoning_high``, ``truthfulness_median``/``low``/``high`` (with
        sampling noise, as a new measurement would scatter); the local coupling
        ``coupling_median``/``low``/``high``; ``p_tax`` (:math:`P(x < c)`) and ``p_bonus``.
    critical_scale
        N_c of the family in parameters: ``median``, ``mean``, ``low``, ``high`` (equal-tailed).
    c, weights
        The draws of log10 N_c and their normalised importance weights (uniform without
        measured models).
    ess
        Effective sample size of the weights.
    n_measured
        Number of measured models the prediction is conditioned on.
    adapted
        Whether the draws came from the adapted proposal rather than the population itself.
    prob
        Interval probability.
    notes
        Caveats for people (unknown covariates, small ESS, ...).
    """

    __repr__ = compact_repr

    family: NewFamily
    covariates: dict[str, float]
    scores: pd.DataFrame
    critical_scale: dict[str, float]
    c: np.ndarray
    weights: np.ndarray
    ess: float
    n_measured: int
    adapted: bool
    prob: float
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (no draws)."""
        return {
            "family": self.family.name,
            "covariates": {k: (None if math.isnan(v) else v) for k, v in self.covariates.items()},
            "n_measured": self.n_measured,
            "adaptive_proposal": self.adapted,
            "prob": self.prob,
            "critical_scale": self.critical_scale,
            "scores": json_records(self.scores),
            "effective_sample_size": self.ess,
            "notes": list(self.notes),
        }


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: plain Python numbers, ``None`` for missing values."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {
                k: (
                    None
                    if isinstance(v, float) and math.isnan(v)
                    else v.item()
                    if isinstance(v, np.generic)
                    else v
                )
                for k, v in row.items()
            }
        )
    return out


def check_sizes(sizes: Sequence[float]) -> np.ndarray:
    """Parameter counts as a float array, each checked (at least one)."""
    out = np.asarray(sizes, dtype=float).ravel()
    if not len(out):
        raise BayescapeError("sizes: give at least one parameter count, e.g. 1e9,7e9,70e9")
    for value in out:
        problem = size_problem(float(value))
        if problem:
            raise BayescapeError(f"size {problem}")
    return out


def check_prob(prob: float) -> None:
    """Raise unless ``prob`` is an interval probability (strictly between 0 and 1)."""
    if not 0 < prob < 1:
        raise BayescapeError(f"the interval probability must be between 0 and 1, not {prob}")


def predict_family(
    fit: FitResult,
    family: NewFamily | Mapping[str, float] | None = None,
    sizes: Sequence[float] = (1e9, 7e9, 70e9),
    *,
    prob: float = 0.95,
    n_draws: int = 20_000,
    min_ess: float = MIN_ESS,
    seed: int = 0,
) -> FamilyPrediction:
    """Posterior-predictive scores and N_c of a family the model has not seen.

    Parameters
    ----------
    fit
        A result of the hierarchical running-coupling phase model.
    family
        A :class:`NewFamily` (see :func:`read_family`), a mapping of covariates in natural units
        (by the fit's covariate names), or ``None`` for a random family of the population.
        Listed models with both scores condition the prediction (importance weighting).
    sizes
        Parameter counts to predict at.
    prob
        Probability of the equal-tailed intervals.
    n_draws
        Number of new-family draws (posterior draws are replicated to reach it).
    min_ess
        Below this effective sample size the importance sampler adapts its proposal (up to
        three rounds) and then notes that the intervals are unreliable.
    seed
        Seed of the random draws: the same seed gives the same prediction.

    Returns
    -------
    FamilyPrediction
    """
    require_population(fit, POPULATION, "predict")
    family = as_family(family)
    sizes = check_sizes(sizes)
    check_prob(prob)
    sim = simulate_family(fit, family, sizes, n_draws, min_ess, seed)
    w, c = sim.weights, sim.draws.c
    tail = (1.0 - prob) / 2.0
    qs = (0.5, tail, 1.0 - tail)
    table: dict[str, Any] = {"params": sizes}
    for name, arr in (
        ("reasoning", sim.reasoning),
        ("truthfulness", sim.truthfulness),
        ("coupling", sim.coupling),
    ):
        qv = np.array([weighted_quantile(arr[:, i], w, qs) for i in range(len(sizes))])
        table[f"{name}_median"], table[f"{name}_low"], table[f"{name}_high"] = qv.T
    p_tax = np.array([float(w @ (c > xi)) for xi in np.log10(sizes)])
    table["p_tax"], table["p_bonus"] = p_tax, 1.0 - p_tax
    c_med, c_lo, c_hi = weighted_quantile(c, w, qs)
    critical = {
        "median": 10.0**c_med,
        "mean": float(w @ 10.0**c),
        "low": 10.0**c_lo,
        "high": 10.0**c_hi,
    }
    return FamilyPrediction(
        family=family,
        covariates=sim.covariates,
        scores=pd.DataFrame(table),
        critical_scale=critical,
        c=c,
        weights=w,
        ess=sim.ess,
        n_measured=sim.n_measured,
        adapted=sim.adapted,
        prob=prob,
        notes=sim.notes,
    )
