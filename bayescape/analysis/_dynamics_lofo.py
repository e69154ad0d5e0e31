r"""Leave-one-family-out for the dynamics model from one fit, by importance sampling.

Refitting the dynamics model once per family costs minutes each; the leave-family-out
posterior can instead be reached from the full posterior. Write :math:`\theta` for the shared
parameters (:math:`\Xi`, the offset scale :math:`\sigma_\delta`, the noise :math:`\sigma_k`, the
horseshoe scales), :math:`\phi_f = (u_{0,f}, \delta_f)` for family :math:`f`'s own initial
state and rate offset and :math:`y_f` its scores other than the smallest model (which only
informs :math:`u_{0,f}` and stays given). Then

.. math::
    p(\theta \mid y_{-f}) \propto \frac{p(\theta \mid y)}{p(y_f \mid \theta)}, \qquad
    p(y_f \mid \theta) = \int p(y_f \mid \theta, \phi)\, p(\phi \mid \theta)\, d\phi,

so posterior draws :math:`\theta_s` weighted by :math:`1 / p(y_f \mid \theta_s)` stand for a
fit without :math:`y_f` (*integrated* importance sampling, Vehtari et al. 2016: integrating
:math:`\phi_f` out keeps the weights of a whole family from degenerating). The integral is a
Monte Carlo average over :math:`M` draws :math:`\phi_{sm} \sim p(\phi \mid \theta_s)`
(:math:`u_0` around the smallest model's scores, :math:`\delta \sim N(0, \sigma_\delta)`), and
the raw weights are Pareto-smoothed (PSIS, Vehtari et al. 2024). The Pareto :math:`\hat k` of
each family says whether its estimate can be trusted: above 0.7 refit it
(:func:`~bayescape.analysis.leave_one_family_out` with the dynamics model). The predictive
distribution of a held-out score is the weighted mixture over :math:`(\theta_s, \phi_{sm})` of
the measurement model, a new family started from its smallest model, exactly as
:func:`~bayescape.analysis.predict_dynamics_family` predicts it after a refit.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from bayescape._repr import compact_repr
from bayescape.analysis._compare import PARETO_K_THRESHOLD, HighParetoKWarning
from bayescape.analysis._dynamics import (
    _posterior_arrays,
    _require_dynamics,
    dynamics_panel,
    family_scores,
    measured_scores,
    new_family_scores,
)
from bayescape.analysis._scoring import aggregate_scores, baseline_rows, score_draws
from bayescape.data import DataWarning
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult
from bayescape.models import ModelSpec
from bayescape.models._likelihood import score_sd
from bayescape.models.dynamics import (
    DynamicsPanel,
    prepare_dynamics_panel,
    spec_initial_state_sd,
)


def _psis_inverse_likelihood(log_lik: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed normalised log weights proportional to ``1 / exp(log_lik)``, and the
    tail's k-hat (ArviZ's PSIS, which takes log-likelihoods as LOO does)."""
    import xarray as xr

    da = xr.DataArray(np.asarray(log_lik, dtype=float)[None, :], dims=("chain", "draw"))
    lw, k = da.azstats.psislw(dim=["chain", "draw"])
    lw = np.asarray(lw).ravel()
    return lw - logsumexp(lw), float(k)


def _log_lik(b: np.ndarray, y: np.ndarray, n: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Normal log density of the scores ``y`` (..., H, D) under the model's noise, NaN-safe.

    ``b``: latent scores (S, M, H, D); ``sigma``: extra noise draws (S, D). Missing scores
    contribute nothing; a blown-up trajectory (non-finite ``b``) has density 0.
    """
    var = score_sd(b, n, sigma[:, None, None, :]) ** 2
    with np.errstate(over="ignore", invalid="ignore"):  # blown-up draws: -inf, handled below
        ll = -0.5 * ((y - b) ** 2 / var + np.log(2 * np.pi * var))
        ll = np.where(np.isnan(y), 0.0, ll)
        total = ll.sum(axis=(-2, -1))
    return np.where(np.isfinite(total), total, -np.inf)


def _log_normal(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Sum over the last axis of independent normal log densities."""
    return np.sum(-0.5 * ((x - mean) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi), axis=-1)


def _integrated_log_lik(
    solve_family,
    phi_post: np.ndarray,
    *,
    prior_mean: np.ndarray,
    prior_u0_sd: np.ndarray,
    offset_sd: np.ndarray,
    y: np.ndarray,
    n_items: np.ndarray,
    sigma: np.ndarray,
    n_inner: int,
    rng: np.random.Generator,
    defensive: float = 0.25,
) -> tuple[np.ndarray, float]:
    r""":math:`\log \hat p(y_f \mid \theta_s)` for every draw, by importance sampling.

    :math:`\phi = (u_0, \delta)` is drawn from the defensive mixture
    :math:`q_s = (1 - a)\,N(\hat\mu, 2\hat\Sigma) + a\,p(\phi \mid \theta_s)` (moments of
    the family's full-posterior draws ``phi_post``; :math:`a` = ``defensive``), and
    :math:`\hat p = \frac1M \sum_m p(y \mid \theta_s, \phi_m) p(\phi_m \mid \theta_s) /
    q_s(\phi_m)`: unbiased, and far fewer :math:`\phi` draws than sampling the prior when the
    family's data pin :math:`\phi` down. Components with zero prior spread (no offsets) stay
    at 0. Returns the log estimates (S,) and the median effective number of inner draws.
    """
    n_draws, n_states = offset_sd.shape
    free = np.concatenate([np.ones(n_states, bool), np.any(offset_sd > 0, axis=0)])
    mu = phi_post[:, free].mean(axis=0)
    cov = 2.0 * np.atleast_2d(np.cov(phi_post[:, free].T)) + 1e-10 * np.eye(free.sum())
    chol = np.linalg.cholesky(cov)
    prior_loc = np.concatenate([prior_mean, np.zeros(n_states)])[free]
    prior_sd = np.concatenate(
        [np.broadcast_to(prior_u0_sd, (n_draws, n_states)), offset_sd], axis=1
    )[:, free]  # (S, free)
    shape = (n_draws, n_inner, int(free.sum()))
    from_normal = mu + rng.standard_normal(shape) @ chol.T
    from_prior = prior_loc + prior_sd[:, None, :] * rng.standard_normal(shape)
    pick = rng.random((n_draws, n_inner, 1)) < defensive
    phi = np.where(pick, from_prior, from_normal)
    log_prior = _log_normal(phi, prior_loc, prior_sd[:, None, :])
    dev = np.linalg.solve(chol, (phi - mu).reshape(-1, free.sum()).T).T.reshape(shape)
    log_normal = (
        -0.5 * np.sum(dev**2, axis=-1)
        - np.sum(np.log(np.diag(chol)))
        - 0.5 * free.sum() * np.log(2 * np.pi)
    )
    log_q = np.logaddexp(np.log1p(-defensive) + log_normal, np.log(defensive) + log_prior)
    full = np.zeros((n_draws, n_inner, 2 * n_states))
    full[..., free] = phi
    b = solve_family(full[..., :n_states], full[..., n_states:])
    terms = _log_lik(b, y, n_items, sigma) + log_prior - log_q
    log_p = logsumexp(terms, axis=1) - np.log(n_inner)
    inner = np.exp(terms - logsumexp(terms, axis=1, keepdims=True))
    return log_p, float(np.median(1.0 / np.sum(inner**2, axis=1)))


@dataclass(frozen=True, repr=False)
class ImportanceLeaveFamilyOut:
    """Result of :func:`leave_family_out_is`.

    Attributes
    ----------
    models
        One row per held-out model, benchmark and method: observed score, predictive median
        and 90% interval, hits of the 50/90% intervals, absolute and percentage error, CRPS.
    families
        Per family and benchmark: the same metrics averaged, plus ``pareto_k`` (reliability of
        the importance weights; > 0.7: refit), ``ess`` (effective draws after weighting) and
        ``inner_ess`` (median effective number of the :math:`M` draws of the family's own
        parameters that carry its likelihood).
    overall
        Averaged over every held-out model, per method and benchmark; rows from families with
        ``pareto_k`` above the threshold are left out of ``overall`` and counted in
        ``unreliable``.
    """

    __repr__ = compact_repr

    models: pd.DataFrame
    families: pd.DataFrame
    overall: pd.DataFrame
    unreliable: list[str]

    def describe(self) -> str:
        """The overall table and the families whose estimate needs a refit."""
        text = self.overall.to_string(index=False)
        if self.unreliable:
            text += (
                f"\nPareto k > {PARETO_K_THRESHOLD} (refit these, not counted above): "
                + ", ".join(self.unreliable)
            )
        return text


def _family_panel(rows: pd.DataFrame, spec: ModelSpec) -> DynamicsPanel:
    """One family's arrays (its smallest model is the anchor), as the fit would prepare them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model = {**spec.sections.get("model", {}), "min_models": 1}
        one = replace(spec, sections={**spec.sections, "model": model})
        return prepare_dynamics_panel(rows, one)


def _held_out(panel: DynamicsPanel) -> np.ndarray:
    """Rows of a one-family panel that are scored: all but the smallest model."""
    return np.arange(1, len(panel.models))


def score_new_family(
    spec: ModelSpec,
    draws: Mapping[str, np.ndarray],
    weights: np.ndarray,
    family: DynamicsPanel,
    per_draw: int,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Predict a one-family panel's models from its smallest one and score them.

    ``weights`` (one per posterior draw, summing to 1) are uniform after a refit and the
    PSIS weights otherwise; each draw carries ``per_draw`` new-family replicates.
    """
    held = _held_out(family)
    latent = new_family_scores(
        spec,
        draws,
        family,
        family.u0_observed[0],
        spec_initial_state_sd(family, spec)[0],
        float(family.span[0]),
        family.save_s[0, family.position[held]],
        per_draw,
        rng,
    )
    pred = measured_scores(latent, family.n_items[held], draws["sigma"][:, None, None, :], rng)
    w = np.repeat(np.asarray(weights) / per_draw, per_draw)
    label = {column: role for role, column in _roles(spec).items()}
    out = []
    for h, row in enumerate(held):
        for d, state in enumerate(family.states):
            observed = family.scores[row, d]
            if np.isnan(observed):
                continue
            values = pred[:, :, h, d].ravel()
            ok = np.isfinite(values)
            out.append(
                {
                    "method": spec.name,
                    "family": str(family.families[0]),
                    "model": str(family.models[row]),
                    "benchmark": label.get(state, state),
                    "observed": float(observed),
                    **score_draws(values[ok], w[ok], float(observed)),
                }
            )
    return out


def _roles(spec: ModelSpec) -> dict[str, str]:
    """The data column behind each scored role (``reasoning``, ``truthfulness``)."""
    return {
        "reasoning": spec.model.get("reasoning", "hellaswag"),
        "truthfulness": spec.model.get("truthfulness", "truthfulqa"),
    }


def _rows_frame(family: DynamicsPanel, rows: np.ndarray | slice) -> pd.DataFrame:
    """Some models of a one-family panel as data rows: model, params and one column a state."""
    frame = pd.DataFrame({"model": family.models[rows], "params": 10.0 ** family.x[rows]})
    for d, state in enumerate(family.states):
        frame[state] = family.scores[rows, d]
    return frame


def _baseline_rows(
    spec: ModelSpec, data: pd.DataFrame, family: DynamicsPanel, seed: int
) -> list[dict[str, Any]]:
    """The simple baselines (:func:`~bayescape.analysis._scoring.baseline_rows`: the paper's
    quadratic and the within-family slope fitted to the other families, the smallest model
    carried forward) on the same held-out models, given the same smallest model, for each
    benchmark that is a state."""
    name = str(family.families[0])
    benchmarks = {role: col for role, col in _roles(spec).items() if col in family.states}
    given, scored = _rows_frame(family, slice(0, 1)), _rows_frame(family, _held_out(family))
    rest = data[data["family"] != name]
    return baseline_rows(rest, given, scored, benchmarks, 4000, seed, name)


def dynamics_lofo_fold(
    spec: ModelSpec,
    data: pd.DataFrame,
    family: str,
    *,
    fit_kwargs: Mapping[str, Any],
    seed: int,
    per_draw: int = 16,
) -> list[dict[str, Any]]:
    """One exact fold (a batch task): refit without ``family``, predict it from its smallest
    model and score its other models; the simple baselines on the same models."""
    from bayescape.analysis._result import refit

    result = refit(spec, data, fit_kwargs, exclude_families=[family])
    fam = _family_panel(data[data["family"] == family], spec)
    draws = _posterior_arrays(result, None, seed)
    n = len(draws["Xi"])
    rng = np.random.default_rng(seed)
    rows = score_new_family(spec, draws, np.full(n, 1.0 / n), fam, per_draw, rng)
    ok = result.diagnostics.ok
    return [{**r, "fit_ok": ok} for r in rows + _baseline_rows(spec, data, fam, seed)]


def leave_family_out_is(
    result: FitResult,
    *,
    families: list[str] | None = None,
    min_models: int = 3,
    n_inner: int = 256,
    n_predictive: int = 16,
    max_draws: int | None = 2000,
    seed: int = 0,
) -> ImportanceLeaveFamilyOut:
    r"""Leave-one-family-out predictive check of a dynamics fit, without refits (see module).

    Every family of the fit with ``>= min_models`` models is held out in turn: its smallest
    model's scores are given, its other scores are predicted and scored (coverage of the
    50%/90% intervals, MAE, MAPE, CRPS). The paper's pooled quadratic, refitted on the other
    families' truthfulness scores, is scored on the same models.

    Parameters
    ----------
    result
        A dynamics fit with every family in it.
    families
        Restrict to these families.
    n_inner
        Importance draws :math:`M` of the family's initial state and offset per posterior
        draw, for :math:`p(y_f \mid \theta)`.
    n_predictive
        Draws of a new family's initial state and offset (from their prior) per posterior
        draw that make the predictive distribution.
    max_draws
        Posterior draws used (a random subset when there are more).
    seed
        Seeds the inner draws and the measurement noise.

    Returns
    -------
    ImportanceLeaveFamilyOut

    Warns
    -----
    HighParetoKWarning
        When a family's Pareto :math:`\hat k` exceeds 0.7 (its estimate needs a refit).
    """
    _require_dynamics(result)
    panel = dynamics_panel(result)
    spec = result.spec
    counts = np.bincount(panel.family_index, minlength=panel.n_families)
    eligible = [str(f) for f, c in zip(panel.families, counts, strict=True) if c >= min_models]
    if families is not None:
        unknown = sorted(set(families) - set(eligible))
        if unknown:
            raise BayescapeError(
                f"cannot leave out {unknown}: not in the fit with >= {min_models} models "
                f"(eligible: {', '.join(eligible)})"
            )
        eligible = [f for f in eligible if f in set(families)]
    if not eligible:
        raise BayescapeError(f"no family of the fit has >= {min_models} models to leave out")
    draws = _posterior_arrays(result, max_draws, seed)
    rng = np.random.default_rng(seed)
    model_rows: list[dict] = []
    family_rows: list[dict] = []
    for name in eligible:
        f = int(np.flatnonzero(panel.families == name)[0])
        fam = _family_panel(result.data[result.data["family"] == name], spec)
        held = _held_out(fam)
        save = fam.save_s[0, fam.position[held]]

        def solve(u0: np.ndarray, delta: np.ndarray, fam=fam, save=save) -> np.ndarray:
            return family_scores(spec, draws["Xi"], fam, float(fam.span[0]), save, u0, delta)

        log_p, inner_ess = _integrated_log_lik(
            solve,
            np.concatenate([draws["u0"][:, f], draws["delta"][:, f]], axis=1),
            prior_mean=fam.u0_observed[0],
            prior_u0_sd=spec_initial_state_sd(fam, spec)[0],
            offset_sd=draws["offset_sigma"],
            y=fam.scores[held],
            n_items=fam.n_items[held],
            sigma=draws["sigma"],
            n_inner=n_inner,
            rng=rng,
        )
        finite = np.isfinite(log_p)
        if not finite.any():
            raise BayescapeError(
                f"family {name!r}: its scores have zero likelihood under every posterior draw "
                "(every trajectory blew up); refit it with --refit"
            )
        # a draw under which no inner draw reaches the data would get an infinite weight: the
        # estimate is then unusable (k = inf), but the rest still gets finite weights
        log_w, k_hat = _psis_inverse_likelihood(np.where(finite, log_p, log_p[finite].min()))
        k_hat = k_hat if finite.all() else np.inf
        w = np.exp(log_w)
        model_rows += score_new_family(spec, draws, w, fam, n_predictive, rng)
        model_rows += _baseline_rows(spec, result.data, fam, seed)
        family_rows.append(
            {
                "family": name,
                "pareto_k": k_hat,
                "ess": float(1.0 / np.sum(w**2)),
                "inner_ess": inner_ess,
            }
        )
    models = pd.DataFrame(model_rows)
    diag = pd.DataFrame(family_rows)
    per_family = aggregate_scores(models, ["method", "benchmark", "family"]).merge(
        diag, on="family", how="left"
    )
    unreliable = diag.loc[diag["pareto_k"] > PARETO_K_THRESHOLD, "family"].tolist()
    if unreliable:
        warnings.warn(
            f"leave-family-out by importance sampling is unreliable for {', '.join(unreliable)} "
            f"(Pareto k > {PARETO_K_THRESHOLD}; left out of the overall table): refit them "
            "(bayescape lofo --refit, or leave_one_family_out)",
            HighParetoKWarning,
            stacklevel=2,
        )
    reliable = models[~models["family"].isin(unreliable)]
    overall = (
        aggregate_scores(reliable, ["method", "benchmark"]) if len(reliable) else pd.DataFrame()
    )
    return ImportanceLeaveFamilyOut(models, per_family, overall, unreliable)
