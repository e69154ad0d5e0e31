r"""Hierarchical phase (changepoint) model: each family's critical scale :math:`N_c`.

Maths
-----
With :math:`x = \log_{10} N` and family :math:`f`, reasoning rises monotonically between its
chance floor :math:`L` and 1,

.. math:: R_f(x) = L + (1 - L)\,\sigma\!\big(a_f + b_f (x - m_f)\big), \qquad b_f > 0,

and truthfulness follows the running coupling law

.. math:: \frac{dT_f}{dx} = \gamma_f\,(x - c_f)\,\frac{dR_f}{dx}, \qquad \gamma_f > 0,

so below :math:`c_f = \log_{10} N_{c,f}` the coupling is negative (a truthfulness *tax*) and
above it positive (a *bonus*). Integrating by parts, with
:math:`\int R_f = L x + (1 - L)\,\mathrm{softplus}(a_f + b_f (x - m_f)) / b_f`,

.. math::
    T_f(x) = t_f + \gamma_f\Big[(x - c_f) R_f(x) - (m_f - c_f) R_f(m_f)
             - \int_{m_f}^{x} R_f(s)\,ds\Big],

anchored at the family's median size :math:`m_f` (:math:`T_f(m_f) = t_f`). When :math:`R` is
linear in :math:`x` this is the paper's quadratic in :math:`x` with vertex :math:`c_f`.

Hierarchy (non-centred): :math:`c_f = \mu_c + Z_f\beta + \tau_c z_f`, :math:`z_f\sim N(0,1)`,
with :math:`Z_f` the centred and scaled family covariates (missing entries imputed as latent
standard-normal values). Likelihood: each score :math:`y \sim N_{[0,1]}(\mu, \sqrt{\mu(1-\mu)/n +
\sigma^2})`, a normal truncated to [0, 1], with :math:`n` the benchmark's item count
(:mod:`bayescape.models._likelihood`).

Variants (``[model] coupling``/``pooling`` in the spec): ``constant`` coupling
(:math:`T_f = t_f + \gamma_f (R_f(x) - R_f(m_f))`, any sign: no transition), and ``pooled``
(the paper's quadratic-vertex model: one :math:`T = h + a (x - c)^2`, :math:`a > 0`, no
families).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import expit

from bayescape.data import BENCHMARKS
from bayescape.errors import SpecError
from bayescape.models._likelihood import sample_scores, score_likelihood
from bayescape.models._panel import FamilyPanel
from bayescape.models._spec import ModelSpec, pymc_prior

# ---------------------------------------------------------------------------------------------
# Pure maths, shared by numpy (tests, prediction) and PyTensor (the PyMC graph)


@dataclass(frozen=True)
class Ops:
    """The two nonlinear functions the curves need, for one array library."""

    sigmoid: Callable[[Any], Any]
    softplus: Callable[[Any], Any]


NUMPY_OPS = Ops(sigmoid=expit, softplus=lambda u: np.logaddexp(0.0, u))
PYTENSOR_OPS = Ops(sigmoid=pt.sigmoid, softplus=pt.softplus)


def reasoning_curve(x, floor, a, b, anchor, ops: Ops = NUMPY_OPS):
    r"""Reasoning score :math:`R(x) = L + (1 - L)\sigma(a + b (x - m))`."""
    return floor + (1.0 - floor) * ops.sigmoid(a + b * (x - anchor))


def reasoning_integral(x, floor, a, b, anchor, ops: Ops = NUMPY_OPS):
    r"""Closed-form integral of the reasoning curve from the anchor ``m`` to ``x``.

    :math:`\int_m^x R(s)\,ds = L (x - m) + (1 - L)[\mathrm{sp}(a + b(x - m)) - \mathrm{sp}(a)]/b`
    with :math:`\mathrm{sp}(u) = \log(1 + e^u)`.
    """
    return (
        floor * (x - anchor)
        + (1.0 - floor) * (ops.softplus(a + b * (x - anchor)) - ops.softplus(a)) / b
    )


def truthfulness_curve(x, floor, a, b, anchor, t_anchor, gamma, c, ops: Ops = NUMPY_OPS):
    r"""Truthfulness under the running coupling :math:`dT/dx = \gamma (x - c)\,dR/dx`.

    :math:`T(x) = t + \gamma[(x - c) R(x) - (m - c) R(m) - \int_m^x R]`, so :math:`T(m) = t`.
    """
    r_x = reasoning_curve(x, floor, a, b, anchor, ops)
    r_m = reasoning_curve(anchor, floor, a, b, anchor, ops)
    return t_anchor + gamma * (
        (x - c) * r_x - (anchor - c) * r_m - reasoning_integral(x, floor, a, b, anchor, ops)
    )


def coupling(x, gamma, c):
    r"""Local coupling :math:`dT/dR = \gamma (x - c)`: negative (tax) below c, positive above."""
    return gamma * (x - c)


# ---------------------------------------------------------------------------------------------
# PyMC wiring


def _covariate_matrix(panel: FamilyPanel) -> pt.TensorVariable:
    """Z with missing entries replaced by latent N(0, 1) values (Bayesian imputation)."""
    missing = panel.missing
    z = np.where(missing, 0.0, panel.z)
    if not missing.any():
        return pt.as_tensor_variable(z)
    rows, cols = np.nonzero(missing)
    latent = pm.Normal("z_missing", 0.0, 1.0, shape=len(rows))
    return pt.set_subtensor(pt.as_tensor_variable(z)[rows, cols], latent)


CENTRABLE = ("a", "log_b", "t", "log_gamma")
"""Family effects that ``[model] centred`` may list (the others stay non-centred)."""


def _family_effect(name: str, mu, sigma, centred: bool):
    r"""A partially pooled family effect :math:`\theta_f \sim N(\mu, \sigma)`.

    Centred, :math:`\theta_f` is sampled directly (right when the data pin each family's value,
    as HellaSwag pins the reasoning curve: the non-centred form then ties
    :math:`z_f = (\theta_f - \mu)/\sigma` to the hyperparameters in a narrow ridge); non-centred,
    :math:`\theta_f = \mu + \sigma z_f` with :math:`z_f \sim N(0, 1)` (right when the prior
    dominates, where the centred form has a funnel in :math:`\sigma`).
    """
    if centred:
        return pm.Normal(name, mu=mu, sigma=sigma, dims="family")
    return pm.Deterministic(
        name, mu + sigma * pm.Normal(f"{name}_z", 0, 1, dims="family"), dims="family"
    )


def centred_effects(spec: ModelSpec) -> frozenset[str]:
    """Family effects the spec samples centred (``[model] centred``), validated."""
    names = spec.model.get("centred", [])
    if not isinstance(names, list) or any(n not in CENTRABLE for n in names):
        raise SpecError(
            f"{spec.path}: [model] centred must be a list drawn from {list(CENTRABLE)}, "
            f"got {names!r}"
        )
    return frozenset(names)


def _reasoning_block(panel: FamilyPanel, spec: ModelSpec, centred: frozenset[str]):
    """Family reasoning curves (partially pooled level and log-slope)."""
    f = panel.family_index
    a = _family_effect("a", pymc_prior("a_mu", spec), pymc_prior("a_sigma", spec), "a" in centred)
    log_b = _family_effect(
        "log_b", pymc_prior("log_b_mu", spec), pymc_prior("log_b_sigma", spec), "log_b" in centred
    )
    b = pm.Deterministic("b", pt.exp(log_b), dims="family")
    floor = BENCHMARKS[panel.reasoning_benchmark].floor
    r_mu = reasoning_curve(panel.x, floor, a[f], b[f], panel.anchor[f], PYTENSOR_OPS)
    score_likelihood(
        "reasoning", r_mu, panel.reasoning, panel.n_reasoning, pymc_prior("sigma_reasoning", spec)
    )
    return floor, a, b


def _truthfulness_anchor(spec: ModelSpec, centred: frozenset[str]):
    return _family_effect(
        "t", pymc_prior("t_mu", spec), pymc_prior("t_sigma", spec), "t" in centred
    )


def build_phase_model(panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
    """Build the PyMC model named by ``spec`` (running, constant or pooled coupling).

    Parameters
    ----------
    panel
        Arrays from :func:`~bayescape.models.prepare_panel`.
    spec
        A phase-family specification (``[model] coupling`` and ``pooling``).

    Returns
    -------
    pymc.Model
        With coords ``family``, ``model`` and ``covariate``; the critical scale is the
        deterministic ``c`` (log10 N_c per family), or ``c_pooled`` for the pooled variant.
    """
    coupling_kind = spec.model.get("coupling", "running")
    pooling = spec.model.get("pooling", "family")
    coords = {"family": panel.families, "model": panel.models, "covariate": panel.covariates}
    if pooling == "pooled":
        return _build_pooled(panel, spec, coords)
    if pooling != "family" or coupling_kind not in {"running", "constant"}:
        raise SpecError(
            f"{spec.path}: [model] coupling must be 'running' or 'constant' and "
            f"pooling 'family' or 'pooled' (got {coupling_kind!r}, {pooling!r})"
        )
    f = panel.family_index
    with pm.Model(coords=coords) as model:
        centred = centred_effects(spec)
        floor, a, b = _reasoning_block(panel, spec, centred)
        t = _truthfulness_anchor(spec, centred)
        if coupling_kind == "running":
            mu_c, tau_c = pymc_prior("mu_c", spec), pymc_prior("tau_c", spec)
            k = len(panel.covariates)
            shift = 0.0
            if k:
                beta = pymc_prior("beta", spec, dims="covariate")
                shift = pt.dot(_covariate_matrix(panel), beta)
                pm.Deterministic("beta_per_unit", beta / panel.z_scale, dims="covariate")
            lg_mu, lg_sigma = pymc_prior("log_gamma_mu", spec), pymc_prior("log_gamma_sigma", spec)
            log_gamma = _family_effect("log_gamma", lg_mu, lg_sigma, "log_gamma" in centred)
            gamma = pm.Deterministic("gamma", pt.exp(log_gamma), dims="family")
            c = pm.Deterministic(
                "c", mu_c + shift + tau_c * pm.Normal("c_z", 0, 1, dims="family"), dims="family"
            )
            t_mu = truthfulness_curve(
                panel.x, floor, a[f], b[f], panel.anchor[f], t[f], gamma[f], c[f], PYTENSOR_OPS
            )
        else:
            g_mu, g_sigma = pymc_prior("gamma_mu", spec), pymc_prior("gamma_sigma", spec)
            gamma = pm.Deterministic(
                "gamma", g_mu + g_sigma * pm.Normal("gamma_z", 0, 1, dims="family"), dims="family"
            )
            r_x = reasoning_curve(panel.x, floor, a[f], b[f], panel.anchor[f], PYTENSOR_OPS)
            r_m = reasoning_curve(panel.anchor[f], floor, a[f], b[f], panel.anchor[f], PYTENSOR_OPS)
            t_mu = t[f] + gamma[f] * (r_x - r_m)
        score_likelihood(
            "truthfulness",
            t_mu,
            panel.truthfulness,
            panel.n_truthfulness,
            pymc_prior("sigma_truthfulness", spec),
        )
    return model


def _build_pooled(panel: FamilyPanel, spec: ModelSpec, coords: dict) -> pm.Model:
    """The paper's quadratic-vertex model: :math:`T = h + a (x - c)^2`, one c, no families."""
    with pm.Model(coords=coords) as model:
        c = pymc_prior("c_pooled", spec)
        curvature = pymc_prior("curvature", spec)
        h = pymc_prior("t_vertex", spec)
        t_mu = h + curvature * (panel.x - c) ** 2
        score_likelihood(
            "truthfulness",
            t_mu,
            panel.truthfulness,
            panel.n_truthfulness,
            pymc_prior("sigma_truthfulness", spec),
        )
    return model


# ---------------------------------------------------------------------------------------------
# Simulation (recovery tests, calibration)


def simulate_scores(
    panel: FamilyPanel, params: dict[str, Any], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw reasoning and truthfulness scores from the running-coupling model.

    Parameters
    ----------
    panel
        The design: sizes, families, item counts (its observed scores are ignored).
    params
        Per-family arrays ``a``, ``b``, ``t``, ``gamma``, ``c`` and scalars
        ``sigma_reasoning``, ``sigma_truthfulness``.
    rng
        Source of randomness.

    Returns
    -------
    (reasoning, truthfulness)
        Scores drawn from the likelihood (:mod:`bayescape.models._likelihood`): in [0, 1].
    """
    f = panel.family_index
    floor = BENCHMARKS[panel.reasoning_benchmark].floor
    a, b, t = params["a"][f], params["b"][f], params["t"][f]
    r_mu = reasoning_curve(panel.x, floor, a, b, panel.anchor[f])
    t_mu = truthfulness_curve(
        panel.x, floor, a, b, panel.anchor[f], t, params["gamma"][f], params["c"][f]
    )

    return (
        sample_scores(r_mu, panel.n_reasoning, params["sigma_reasoning"], rng),
        sample_scores(t_mu, panel.n_truthfulness, params["sigma_truthfulness"], rng),
    )
