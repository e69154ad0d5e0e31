"""The phase of one model (tax or bonus) from its size and its two scores.

For a fitted family the family's posterior N_c is used as it is; otherwise the model's family
is a new one (:mod:`bayescape.analysis._importance`), conditioned on these scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayescape._repr import compact_repr
from bayescape.analysis._critical import UNITS
from bayescape.analysis._curves import family_curves, family_position
from bayescape.analysis._importance import MIN_ESS, simulate_family, weighted_summary
from bayescape.analysis._intervals import eti
from bayescape.analysis._new_family import NewFamily, as_family
from bayescape.analysis._predict import (
    POPULATION,
    check_prob,
    check_sizes,
    json_records,
    require_population,
)
from bayescape.data import BENCHMARKS
from bayescape.data._checks import score_problem
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult
from bayescape.models._likelihood import sample_scores


@dataclass(frozen=True, repr=False)
class ModelDiagnosis:
    """Phase of one model from its size and scores.

    Attributes
    ----------
    params, reasoning, truthfulness
        What was given (scores as fractions).
    benchmarks
        The fit's reasoning and truthfulness benchmarks (the scores' names).
    family
        The fitted family it was placed in, or the new family's name.
    basis
        ``"family posterior"`` (a fitted family: N_c from the fit; the scores are compared with
        the family's predictive interval, not used to move N_c) or ``"new family"``
        (covariates plus these scores, by importance weighting; see :func:`predict_family`).
    p_tax, p_bonus
        :math:`P(x < c)` and :math:`1 - P(x < c)` (weighted draws for a new family).
    phase
        ``tax`` or ``bonus`` when its probability is at least ``threshold``, else ``uncertain``.
    critical_scale
        N_c in parameters: ``median``, ``low``, ``high``.
    decades_above
        :math:`x - c` in decades (positive: above N_c, in the bonus phase): ``median``, ``low``,
        ``high``.
    coupling
        Local coupling :math:`\\gamma (x - c)`: ``median``, ``low``, ``high``.
    expected
        Predictive scores at this size: ``{benchmark: {"median", "low", "high",
        "percentile"}}``; ``percentile`` is where the given score falls (0.5 = typical). For a
        new family, the prediction before these scores are used.
    levers
        Covariates ranked by how far a one-unit change moves log10 N_c (posterior median of
        ``beta_per_unit``, decades): ``covariate``, ``unit``, ``current``, ``effect_median``,
        ``effect_low``, ``effect_high``, ``p_lowers``.
    c, weights
        Draws of log10 N_c used and their normalised weights.
    ess
        Effective sample size of the weights.
    notes
        Caveats for people.
    """

    __repr__ = compact_repr

    params: float
    reasoning: float
    truthfulness: float
    benchmarks: tuple[str, str]
    family: str
    basis: str
    p_tax: float
    p_bonus: float
    phase: str
    critical_scale: dict[str, float]
    decades_above: dict[str, float]
    coupling: dict[str, float]
    expected: dict[str, dict[str, float]]
    levers: pd.DataFrame
    c: np.ndarray
    weights: np.ndarray
    ess: float
    prob: float
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (no draws)."""
        return {
            "params": self.params,
            "reasoning": self.reasoning,
            "truthfulness": self.truthfulness,
            "benchmarks": {"reasoning": self.benchmarks[0], "truthfulness": self.benchmarks[1]},
            "family": self.family,
            "basis": self.basis,
            "p_tax": self.p_tax,
            "p_bonus": self.p_bonus,
            "phase": self.phase,
            "prob": self.prob,
            "critical_scale": self.critical_scale,
            "decades_above_critical_scale": self.decades_above,
            "coupling": self.coupling,
            "expected_scores": self.expected,
            "levers": json_records(self.levers),
            "effective_sample_size": self.ess,
            "notes": list(self.notes),
        }


def _levers(fit: FitResult, current: Mapping[str, float], prob: float) -> pd.DataFrame:
    cols = [
        "covariate",
        "unit",
        "current",
        "effect_median",
        "effect_low",
        "effect_high",
        "p_lowers",
    ]
    if not fit.kind.has_covariate_effects(fit.panel):
        return pd.DataFrame(columns=cols)
    per_unit = fit.draws("beta_per_unit")
    rows = []
    for k, name in enumerate(fit.panel.covariates):
        lo, hi = eti(per_unit[:, k], prob)
        rows.append(
            {
                "covariate": name,
                "unit": UNITS.get(name, ""),
                "current": float(current.get(name, math.nan)),
                "effect_median": float(np.median(per_unit[:, k])),
                "effect_low": lo,
                "effect_high": hi,
                "p_lowers": float(np.mean(per_unit[:, k] < 0)),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    order = np.argsort(-out["effect_median"].abs().to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def _check_scores(fit: FitResult, reasoning: float, truthfulness: float) -> None:
    panel = fit.panel
    for bench, value in (
        (panel.reasoning_benchmark, reasoning),
        (panel.truthfulness_benchmark, truthfulness),
    ):
        problem = score_problem(value, open_interval=True)
        if problem:
            raise BayescapeError(f"the {bench} score {problem}")


def diagnose_model(
    fit: FitResult,
    size: float,
    reasoning: float,
    truthfulness: float,
    family: str | None = None,
    covariates: NewFamily | Mapping[str, float] | None = None,
    *,
    prob: float = 0.95,
    threshold: float = 0.95,
    n_draws: int = 20_000,
    seed: int = 0,
) -> ModelDiagnosis:
    """The phase of one model (tax or bonus) from its size and its two scores.

    Parameters
    ----------
    fit
        A fit of the running-coupling phase model (the one with an N_c per family).
    size
        The model's parameter count.
    reasoning, truthfulness
        Its scores on the fit's reasoning and truthfulness benchmarks (fractions).
    family
        A fitted family the model belongs to: its posterior N_c is used as it is, and the scores
        are compared with the family's predictive interval at this size.
    covariates
        Otherwise, the model's family described by covariates (a :class:`NewFamily` or a
        mapping in natural units); with neither, a random family of the population. The scores
        condition the new family's draws (importance weighting, :func:`predict_family`).
    prob
        Interval probability.
    threshold
        ``phase`` is ``tax``/``bonus`` when that probability reaches it, else ``uncertain``.
    n_draws, seed
        New-family draws and their seed.

    Returns
    -------
    ModelDiagnosis
        ``p_tax`` is the (weighted) fraction of draws with :math:`c > \\log_{10}` ``size``.
    """
    require_population(fit, POPULATION, "diagnose")
    check_prob(prob)
    if family is not None and covariates is not None:
        raise BayescapeError("give either a fitted family or covariates, not both")
    check_sizes([size])
    _check_scores(fit, reasoning, truthfulness)
    panel = fit.panel
    x = math.log10(size)
    notes: list[str] = []
    benches = (panel.reasoning_benchmark, panel.truthfulness_benchmark)
    given = (float(reasoning), float(truthfulness))
    if family is not None:
        j = family_position(fit, family)
        curves = family_curves(fit, family, np.array([x]), max_draws=None)
        c = curves.c
        weights = np.full(len(c), 1.0 / len(c))
        local = curves.coupling[:, 0]
        rng = np.random.default_rng(seed)
        sig = (fit.draws("sigma_reasoning"), fit.draws("sigma_truthfulness"))
        expected = {}
        for bench, mu, s, value in zip(
            benches, (curves.reasoning[:, 0], curves.truthfulness[:, 0]), sig, given, strict=True
        ):
            rep = sample_scores(mu, BENCHMARKS[bench].n_items, s, rng)
            expected[bench] = {
                **weighted_summary(rep, weights, prob),
                "percentile": float(np.mean(rep < value)),
            }
        current = {
            n: float(panel.z_center[k] + panel.z[j, k] * panel.z_scale[k])
            for k, n in enumerate(panel.covariates)
        }
        if not (panel.x_min[j] <= x <= panel.x_max[j]):
            notes.append(
                f"size outside the family's observed range ({10 ** panel.x_min[j]:.3g}"
                f" to {10 ** panel.x_max[j]:.3g} parameters): an extrapolation"
            )
        for bench, e in expected.items():
            if min(e["percentile"], 1 - e["percentile"]) < (1 - prob) / 2:
                notes.append(
                    f"the {bench} score is outside the family's {prob:.0%} predictive "
                    f"interval at this size: does the model belong to {family}?"
                )
        name, basis, ess = str(panel.families[j]), "family posterior", float(len(c))
    else:
        base = as_family(covariates)
        scores = pd.DataFrame(
            {"params": [float(size)], benches[0]: [given[0]], benches[1]: [given[1]]}
        )
        new = NewFamily(
            name=base.name,
            attributes=base.attributes,
            covariates=base.covariates,
            models=pd.concat([base.models, scores], ignore_index=True),
        )
        sim = simulate_family(fit, new, np.array([size]), n_draws, MIN_ESS, seed)
        prior = simulate_family(fit, base, np.array([size]), n_draws, MIN_ESS, seed + 1)
        c, weights, ess = sim.draws.c, sim.weights, sim.ess
        local = sim.coupling[:, 0]
        expected = {}
        for bench, rep, value in zip(
            benches, (prior.reasoning[:, 0], prior.truthfulness[:, 0]), given, strict=True
        ):
            expected[bench] = {
                **weighted_summary(rep, prior.weights, prob),
                "percentile": float(prior.weights @ (rep < value)),
            }
        current = sim.covariates
        notes.extend(sim.notes)
        name, basis = new.name, "new family"
    p_tax = float(weights @ (c > x))
    phase = "tax" if p_tax >= threshold else "bonus" if 1 - p_tax >= threshold else "uncertain"
    nc = weighted_summary(c, weights, prob)
    return ModelDiagnosis(
        params=float(size),
        reasoning=given[0],
        truthfulness=given[1],
        benchmarks=benches,
        family=name,
        basis=basis,
        p_tax=p_tax,
        p_bonus=1.0 - p_tax,
        phase=phase,
        critical_scale={k: 10.0**v for k, v in nc.items()},
        decades_above=weighted_summary(x - c, weights, prob),
        coupling=weighted_summary(local, weights, prob),
        expected=expected,
        levers=_levers(fit, current, prob),
        c=c,
        weights=weights,
        ess=ess,
        prob=prob,
        notes=notes,
    )
