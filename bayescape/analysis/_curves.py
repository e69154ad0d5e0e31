"""Curves of fitted families: their posterior draws on a grid, and replicates of the scores.

Every curve is the kind's (:class:`~bayescape.models.ModelKind`): the reasoning curve
:func:`~bayescape.models.phase.reasoning_curve` and the truthfulness curve of its coupling
(running, constant, or the pooled quadratic), at each posterior draw.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass

import numpy as np

from bayescape._draws import flatten_chains
from bayescape._repr import compact_repr
from bayescape.data import BENCHMARKS
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult
from bayescape.models._likelihood import forward_sampling, sample_scores, score_logpdf
from bayescape.models.phase import coupling, reasoning_curve


def require_family_curves(fit: FitResult, what: str) -> None:
    if not fit.kind.family_curves:
        raise BayescapeError(
            f"{what} needs a phase model with family curves (running or constant coupling); "
            f"this result is model {fit.spec.name!r}, a {fit.kind.description}"
        )


def family_position(fit: FitResult, family: str) -> int:
    families = [str(f) for f in fit.panel.families]
    if family in families:
        return families.index(family)
    close = difflib.get_close_matches(family, families, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise BayescapeError(
        f"family {family!r} is not in this result ({len(families)} families){hint} "
        "See 'bayescape summary FILE.nc' for the list"
    )


def reasoning_floor(fit: FitResult) -> float:
    """The chance floor of the fit's reasoning benchmark (the curve's lower end)."""
    return BENCHMARKS[fit.panel.reasoning_benchmark].floor


# ---------------------------------------------------------------------------------------------
# Curves of fitted families (figures, checks)


@dataclass(frozen=True, repr=False)
class FamilyCurves:
    """Posterior draws of one fitted family's curves on a grid of sizes.

    Attributes
    ----------
    family
        Family name.
    x
        Grid of log10 parameters (length G).
    reasoning, truthfulness
        Mean scores (no sampling noise), shape (draws, G).
    coupling
        Local coupling :math:`\\gamma (x - c)` (draws, G); ``None`` for the constant model.
    c
        Draws of log10 N_c; ``None`` for the constant model.
    """

    __repr__ = compact_repr

    family: str
    x: np.ndarray
    reasoning: np.ndarray
    truthfulness: np.ndarray
    coupling: np.ndarray | None
    c: np.ndarray | None


def family_curves(
    fit: FitResult, family: str, x: np.ndarray | None = None, max_draws: int | None = 1000
) -> FamilyCurves:
    """Posterior draws of a fitted family's reasoning, truthfulness and coupling curves.

    Parameters
    ----------
    fit
        A result of the phase model (running or constant coupling, one curve per family).
    family
        A family of the fit.
    x
        log10 sizes (default: 60 points from half a decade below the family's smallest model
        to half a decade above its largest).
    max_draws
        Use at most this many posterior draws (evenly thinned); ``None`` for all.
    """
    require_family_curves(fit, "family curves")
    j = family_position(fit, family)
    panel = fit.panel
    if x is None:
        x = np.linspace(panel.x_min[j] - 0.5, panel.x_max[j] + 0.5, 60)
    x = np.asarray(x, dtype=float)
    keep = slice(None)
    n = fit.posterior.sizes["chain"] * fit.posterior.sizes["draw"]
    if max_draws is not None and n > max_draws:
        keep = np.linspace(0, n - 1, max_draws).round().astype(int)
    kind = fit.kind
    params = {v: fit.draws(v)[keep, j][:, None] for v in kind.curve_variables}
    floor, m = reasoning_floor(fit), panel.anchor[j]
    reasoning = reasoning_curve(x[None, :], floor, params["a"], params["b"], m)
    truth = kind.truthfulness_mean(x[None, :], floor, m, params)
    if not kind.family_critical_scales:
        return FamilyCurves(family, x, reasoning, truth, None, None)
    c = params[kind.critical_scale][:, 0]
    return FamilyCurves(
        family, x, reasoning, truth, coupling(x[None, :], params["gamma"], c[:, None]), c
    )


@dataclass(frozen=True, repr=False)
class ScoreLikelihood:
    """The likelihood of one benchmark's observed scores under every posterior draw.

    Attributes
    ----------
    observed
        Observed scores, shape (models,).
    mu
        Mean score of every model under every draw (chains flattened), shape (draws, models).
    n_items
        The benchmark's item counts, shape (models,).
    sigma
        Extra noise SD of every draw, shape (draws, 1).
    """

    __repr__ = compact_repr

    observed: np.ndarray
    mu: np.ndarray
    n_items: np.ndarray
    sigma: np.ndarray

    def log_likelihood(self) -> np.ndarray:
        """Pointwise log density of every observed score, shape (draws, models)."""
        return score_logpdf(self.observed[None, :], self.mu, self.n_items, self.sigma)

    def replicate(self, rng: np.random.Generator) -> np.ndarray:
        """Replicated scores, one per draw and model (every one in [0, 1])."""
        return sample_scores(self.mu, self.n_items, self.sigma, rng)


def score_likelihoods(fit: FitResult) -> dict[str, ScoreLikelihood]:
    """The likelihood of every observed score of a phase-model fit, by observed variable.

    Keys are the names of the model's observed variables (``reasoning``, ``truthfulness``;
    only ``truthfulness`` for the pooled quadratic model), in the order the model observes
    them. The means are the phase model's curves at each posterior draw
    (:func:`~bayescape.models.phase.reasoning_curve`, ``truthfulness_curve``, the constant
    coupling, or the pooled quadratic :math:`h + a (x - c)^2`).
    """
    panel = fit.panel
    observed = {
        "reasoning": (panel.reasoning, panel.n_reasoning),
        "truthfulness": (panel.truthfulness, panel.n_truthfulness),
    }
    out: dict[str, ScoreLikelihood] = {}
    for name, mu in fit.kind.mean_scores(fit.draws, panel).items():
        y, n_items = observed[name]
        out[name] = ScoreLikelihood(y, mu, n_items, fit.draws(f"sigma_{name}")[:, None])
    return out


def replicated_scores(fit: FitResult, seed: int = 0) -> dict[str, np.ndarray]:
    """Posterior-predictive replicates of every observed score, shape (draws, models).

    Each replicate draws the family parameters from the posterior and adds the likelihood's
    noise, :math:`y^\\text{rep} \\sim N_{[0, 1]}(\\mu, \\sqrt{\\mu(1-\\mu)/n + \\sigma^2})`.
    Keys ``reasoning`` and ``truthfulness`` (``reasoning`` is absent for the pooled quadratic
    model); one generator seeded with ``seed`` draws them in that order.
    """
    rng = np.random.default_rng(seed)
    return {name: lik.replicate(rng) for name, lik in score_likelihoods(fit).items()}


def prior_predictive_scores(
    fit: FitResult, draws: int = 200, seed: int = 0
) -> dict[str, np.ndarray]:
    """Prior-predictive replicates of every observed score, shape (draws, models).

    Samples the model that ``fit.spec`` builds on ``fit.data`` with PyMC's forward sampler (a
    few seconds: the model is built and compiled). Keys as :func:`replicated_scores`.
    """
    import warnings

    import pymc as pm

    from bayescape.data import DataWarning
    from bayescape.models import build_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _ = build_model(fit.data, fit.spec)
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)  # not "Sampling: [...]" on every call
    try:
        with model, forward_sampling():
            tree = pm.sample_prior_predictive(draws=draws, random_seed=seed)
    finally:
        logger.setLevel(level)
    pp = tree["prior_predictive"].ds
    return {k: flatten_chains(pp[k]) for k in ("reasoning", "truthfulness") if k in pp}
