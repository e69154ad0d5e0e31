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
standard-normal values); the levels follow the family's size,
:math:`a_f \sim N(\mu_a + \delta_a (m_f - 9), \sigma_a)` and likewise :math:`t_f`
(:func:`level_mean`). Likelihood: each score :math:`y \sim N_{[0,1]}(\mu, \sqrt{\mu(1-\mu)/n +
\sigma^2})`, a normal truncated to [0, 1], with :math:`n` the benchmark's item count
(:mod:`bayescape.models._likelihood`).

Variants (``[model] coupling``/``pooling`` in the spec): ``constant`` coupling
(:math:`T_f = t_f + \gamma_f (R_f(x) - R_f(m_f))`, any sign: no transition), and ``pooled``
(the paper's quadratic-vertex model: one :math:`T = h + a (x - c)^2`, :math:`a > 0`, no
families).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def constant_coupling_curve(x, floor, a, b, anchor, t_anchor, gamma, ops: Ops = NUMPY_OPS):
    r"""Truthfulness under a constant coupling :math:`dT/dx = \gamma\,dR/dx` (no transition).

    :math:`T(x) = t + \gamma (R(x) - R(m))`, so :math:`T(m) = t`; :math:`\gamma` may take
    either sign.
    """
    r_x = reasoning_curve(x, floor, a, b, anchor, ops)
    r_m = reasoning_curve(anchor, floor, a, b, anchor, ops)
    return t_anchor + gamma * (r_x - r_m)


def pooled_quadratic_mean(x, c, curvature, t_vertex):
    r"""The paper's pooled quadratic :math:`T(x) = h + a (x - c)^2` (vertex ``c``, ``a > 0``).

    Works on numpy arrays and PyTensor tensors alike (no nonlinear function but a square).
    """
    return t_vertex + curvature * (x - c) ** 2


# ---------------------------------------------------------------------------------------------
# The population of families: parameters of a family the fit has not seen

X_REF = 9.0
r"""log10 size (1e9 parameters) at which the population means of the family levels are read:
:math:`E[a_f] = a_\mu + a_\text{trend} (m_f - x_\text{ref})`, and likewise :math:`t_f`."""

_FAMILY_CURVE_POPULATION = (
    "a_mu",
    "a_trend",
    "a_beta",
    "a_sigma",
    "log_b_mu",
    "log_b_sigma",
    "t_mu",
    "t_trend",
    "t_beta",
    "t_sigma",
)
"""Population parameters of the reasoning curve and the truthfulness anchor (every family kind)."""


def level_mean(mu, trend, anchor):
    r"""Population mean of a family level at the family's anchor :math:`m`:
    :math:`\mu + \text{trend}\,(m - x_\text{ref})`.

    Families are anchored at their median size, so a family of larger models has its reasoning
    logit ``a`` and truthfulness ``t`` read further up the scale: without the trend a new
    family's level would be drawn from one population whatever its size. Works on numpy
    arrays and PyTensor tensors alike.
    """
    return mu + trend * (anchor - X_REF)


NEW_FAMILY_POPULATION: tuple[str, ...] = (
    *_FAMILY_CURVE_POPULATION,
    "log_gamma_mu",
    "log_gamma_sigma",
    "mu_c",
    "tau_c",
    "sigma_reasoning",
    "sigma_truthfulness",
)
"""Posterior variables a new family of the running-coupling model is drawn from."""

CONSTANT_POPULATION: tuple[str, ...] = (
    *_FAMILY_CURVE_POPULATION,
    "gamma_mu",
    "gamma_sigma",
    "sigma_truthfulness",
)
"""Posterior variables a new family of the constant-coupling model is drawn from."""


def _covariate_split(
    population: Mapping[str, np.ndarray], name: str, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shift of the known covariates ``z`` (draws,) and the effects of the unknown ones
    (draws, unknown) under the covariate effects ``name`` (draws x covariates)."""
    known = ~np.isnan(z)
    effects = population[name]
    shift = effects[:, known] @ z[known] if known.any() else np.zeros(len(effects))
    return shift, effects[:, ~known]


def new_family_moments(
    population: Mapping[str, np.ndarray], z: np.ndarray, anchor: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean and covariance of :math:`\theta = (a, \log b, t, \log\gamma, c)` of a new family.

    One row per hyperparameter draw (the arrays of ``population``, by the names of
    :data:`NEW_FAMILY_POPULATION`, and the covariate effects ``beta``, ``a_beta``, ``t_beta``
    of shape (draws, covariates)). ``z`` is the family's standardised covariates, ``NaN`` where
    unknown, and ``anchor`` its median log10 size. With :math:`B` the effects on
    :math:`(a, t, c)`,

    .. math:: \theta \mid \cdot \sim N\big(m + B_\text{known} z_\text{known},\;
        \mathrm{diag}(s^2) + B_\text{unknown} B_\text{unknown}^\top\big),

    :math:`m` the population means (:func:`level_mean` for the levels, :math:`\mu_c` for c)
    and :math:`s` their SDs: unknown covariates, :math:`z_k \sim N(0, 1)` as in the model, are
    integrated out, and because one unknown covariate moves :math:`a`, :math:`t` and :math:`c`
    together they become correlated.

    Returns
    -------
    (means, cov)
        Shapes (draws, 5) and (draws, 5, 5).
    """
    shifts, loadings = {}, []
    for name, column in (("a_beta", 0), ("t_beta", 2), ("beta", 4)):
        shifts[column], unknown = _covariate_split(population, name, z)
        loadings.append((column, unknown))
    means = np.column_stack(
        [
            level_mean(population["a_mu"], population["a_trend"], anchor) + shifts[0],
            population["log_b_mu"],
            level_mean(population["t_mu"], population["t_trend"], anchor) + shifts[2],
            population["log_gamma_mu"],
            population["mu_c"] + shifts[4],
        ]
    )
    sds = np.column_stack(
        [
            population["a_sigma"],
            population["log_b_sigma"],
            population["t_sigma"],
            population["log_gamma_sigma"],
            population["tau_c"],
        ]
    )
    load = np.zeros((*means.shape, int(np.isnan(z).sum())))
    for column, unknown in loadings:
        load[:, column, :] = unknown
    cov = load @ load.transpose(0, 2, 1)
    cov[:, np.arange(5), np.arange(5)] += sds**2
    return means, cov


def new_family_draws(
    population: Mapping[str, np.ndarray],
    z: np.ndarray,
    anchor: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One new family per hyperparameter draw: :math:`\theta \sim N(\text{mean}, \text{cov})`.

    Returns ``theta`` (draws x 5, columns as :func:`new_family_moments`) and the moments.
    """
    means, cov = new_family_moments(population, z, anchor)
    chol = np.linalg.cholesky(cov)
    eps = rng.standard_normal(means.shape)
    return means + np.einsum("dij,dj->di", chol, eps), means, cov


def new_family_log_density(theta: np.ndarray, means: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Log density of rows of ``theta`` under :func:`new_family_moments` (up to a constant)."""
    chol = np.linalg.cholesky(cov)
    resid = np.linalg.solve(chol, (theta - means)[..., None])[..., 0]
    log_det = np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
    return -0.5 * np.sum(resid**2, axis=1) - log_det


def family_parameters(theta: np.ndarray) -> dict[str, np.ndarray]:
    """Family parameters ``a``, ``b``, ``t``, ``gamma``, ``c`` from rows of ``theta``.

    ``theta`` = (a, log b, t, log gamma, c), one row per draw (:func:`new_family_draws`).
    """
    return {
        "a": theta[:, 0],
        "b": np.exp(theta[:, 1]),
        "t": theta[:, 2],
        "gamma": np.exp(theta[:, 3]),
        "c": theta[:, 4],
    }


def constant_family_draws(
    population: Mapping[str, np.ndarray],
    z: np.ndarray,
    anchor: float,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    r"""One new family of the constant-coupling model per hyperparameter draw.

    With the level means of :func:`level_mean` at the family's ``anchor``,
    :math:`a = \bar a + a_\sigma\varepsilon_1`, :math:`b = \exp(\log b_\mu +
    \log b_\sigma\varepsilon_2)`, :math:`t = \bar t + t_\sigma\varepsilon_3`,
    :math:`\gamma = \gamma_\mu + \gamma_\sigma\varepsilon_4` (any sign), with
    :math:`\varepsilon \sim N(0, 1)` drawn as one (4, draws) array; the levels move with the
    family's known covariates ``z`` (``a_beta``, ``t_beta``) and with draws of its unknown ones,
    :math:`z_k \sim N(0, 1)`.
    """
    eps = rng.standard_normal((4, population["a_mu"].size))
    a_shift, a_unknown = _covariate_split(population, "a_beta", z)
    t_shift, t_unknown = _covariate_split(population, "t_beta", z)
    z_unknown = rng.standard_normal((population["a_mu"].size, a_unknown.shape[1]))
    return {
        "a": level_mean(population["a_mu"], population["a_trend"], anchor)
        + a_shift
        + np.sum(a_unknown * z_unknown, axis=1)
        + population["a_sigma"] * eps[0],
        "b": np.exp(population["log_b_mu"] + population["log_b_sigma"] * eps[1]),
        "t": level_mean(population["t_mu"], population["t_trend"], anchor)
        + t_shift
        + np.sum(t_unknown * z_unknown, axis=1)
        + population["t_sigma"] * eps[2],
        "gamma": population["gamma_mu"] + population["gamma_sigma"] * eps[3],
    }


# ---------------------------------------------------------------------------------------------
# PyMC wiring


def _covariate_matrix(panel: FamilyPanel) -> pt.TensorVariable:
    """Z with missing entries replaced by latent N(0, 1) values (Bayesian imputation).

    The latent values ``z_missing`` are created once per model: every block that reads the
    covariates (N_c, the levels) sees the same imputed values.
    """
    missing = panel.missing
    z = np.where(missing, 0.0, panel.z)
    if not missing.any():
        return pt.as_tensor_variable(z)
    rows, cols = np.nonzero(missing)
    model = pm.modelcontext(None)
    if "z_missing" in model.named_vars:
        latent = model["z_missing"]
    else:
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


LEVEL_COVARIATE_EFFECTS = ("a_beta", "t_beta")
"""Covariate effects on the family levels ``a`` and ``t`` (optional priors of the spec)."""


def _level_covariates(name: str, panel: FamilyPanel, spec: ModelSpec):
    r"""The covariates' shift of a family level, :math:`Z_f \beta_a` (``a_beta``) or
    :math:`Z_f \beta_t` (``t_beta``): per family, or 0 with the effects fixed at 0 (kept as
    a deterministic) when the spec has no prior for them or no covariates."""
    k = len(panel.covariates)
    if name not in spec.priors or not k:
        pm.Deterministic(name, pt.zeros(k), dims="covariate")
        return 0.0
    return pt.dot(_covariate_matrix(panel), pymc_prior(name, spec, dims="covariate"))


def _level_trend(name: str, spec: ModelSpec):
    """The size trend ``a_trend`` or ``t_trend`` of :func:`level_mean`: its prior, or a fixed
    0 (kept as a deterministic, so every fit has it) when the spec has no entry for it (specs
    written before the trend; the leave-family-out comparison with and without it)."""
    if name in spec.priors:
        return pymc_prior(name, spec)
    return pm.Deterministic(name, pt.as_tensor_variable(0.0))


def _reasoning_block(panel: FamilyPanel, spec: ModelSpec, centred: frozenset[str]):
    """Family reasoning curves (partially pooled level and log-slope)."""
    f = panel.family_index
    a_mean = level_mean(
        pymc_prior("a_mu", spec), _level_trend("a_trend", spec), panel.anchor
    ) + _level_covariates("a_beta", panel, spec)
    a = _family_effect("a", a_mean, pymc_prior("a_sigma", spec), "a" in centred)
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


def _truthfulness_anchor(panel: FamilyPanel, spec: ModelSpec, centred: frozenset[str]):
    """Family truthfulness at the anchors (partially pooled around :func:`level_mean`)."""
    t_mean = level_mean(
        pymc_prior("t_mu", spec), _level_trend("t_trend", spec), panel.anchor
    ) + _level_covariates("t_beta", panel, spec)
    return _family_effect("t", t_mean, pymc_prior("t_sigma", spec), "t" in centred)


def _truthfulness_likelihood(panel: FamilyPanel, spec: ModelSpec, t_mu) -> None:
    """The observed truthfulness scores around the mean ``t_mu`` (and their extra noise)."""
    score_likelihood(
        "truthfulness",
        t_mu,
        panel.truthfulness,
        panel.n_truthfulness,
        pymc_prior("sigma_truthfulness", spec),
    )


def build_family_curves_model(
    panel: FamilyPanel, spec: ModelSpec, coupling_block: Callable[..., Any]
) -> pm.Model:
    """A phase model with one reasoning and one truthfulness curve per family.

    Everything but the coupling is shared by the phase variants, created in this order:
    the reasoning curves (``a``, ``log_b``, ``b`` and the ``reasoning`` likelihood), the
    truthfulness anchors ``t``, then ``coupling_block(panel, spec, centred, floor, a, b, t)``,
    which adds the coupling's parameters and returns the truthfulness mean of every model, and
    the ``truthfulness`` likelihood.

    Parameters
    ----------
    panel
        Arrays from :func:`~bayescape.models.prepare_panel`.
    spec
        The specification (priors, ``[model] centred``).
    coupling_block
        Builds the coupling inside the model context (see above).

    Returns
    -------
    pymc.Model
        Coords ``family``, ``model`` and ``covariate``.
    """
    coords = {"family": panel.families, "model": panel.models, "covariate": panel.covariates}
    with pm.Model(coords=coords) as model:
        centred = centred_effects(spec)
        floor, a, b = _reasoning_block(panel, spec, centred)
        t = _truthfulness_anchor(panel, spec, centred)
        _truthfulness_likelihood(panel, spec, coupling_block(panel, spec, centred, floor, a, b, t))
    return model


def _running_coupling(panel, spec, centred, floor, a, b, t):
    r"""c_f from covariates (non-centred), gamma_f > 0 (log-normal); T under the running law."""
    f = panel.family_index
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
    return truthfulness_curve(
        panel.x, floor, a[f], b[f], panel.anchor[f], t[f], gamma[f], c[f], PYTENSOR_OPS
    )


def _constant_coupling(panel, spec, centred, floor, a, b, t):
    """gamma_f = gamma_mu + gamma_sigma z_f (either sign); T = t + gamma (R(x) - R(m))."""
    f = panel.family_index
    g_mu, g_sigma = pymc_prior("gamma_mu", spec), pymc_prior("gamma_sigma", spec)
    gamma = pm.Deterministic(
        "gamma", g_mu + g_sigma * pm.Normal("gamma_z", 0, 1, dims="family"), dims="family"
    )
    return constant_coupling_curve(
        panel.x, floor, a[f], b[f], panel.anchor[f], t[f], gamma[f], PYTENSOR_OPS
    )


def build_running_model(panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
    """The hierarchical running-coupling model (``phase``): one N_c per family, ``c``.

    Parameters
    ----------
    panel
        Arrays from :func:`~bayescape.models.prepare_panel`.
    spec
        A specification with ``coupling = "running"`` and ``pooling = "family"``.

    Returns
    -------
    pymc.Model
        Coords ``family``, ``model``, ``covariate``; the critical scale is the deterministic
        ``c`` (log10 N_c per family).
    """
    return build_family_curves_model(panel, spec, _running_coupling)


def build_constant_model(panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
    """The constant-coupling model (``phase_no_transition``): no N_c, gamma of either sign.

    Takes the panel and a spec with ``coupling = "constant"``, as :func:`build_running_model`
    does; the model has no ``c``, and ``gamma`` per family may be negative.
    """
    return build_family_curves_model(panel, spec, _constant_coupling)


def build_pooled_model(panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
    """The paper's quadratic-vertex model: :math:`T = h + a (x - c)^2`, one c, no families.

    Parameters
    ----------
    panel
        Arrays from :func:`~bayescape.models.prepare_panel` (its families are not used).
    spec
        A specification with ``pooling = "pooled"``.

    Returns
    -------
    pymc.Model
        Scalars ``c_pooled``, ``curvature``, ``t_vertex``, ``sigma_truthfulness``.
    """
    coords = {"family": panel.families, "model": panel.models, "covariate": panel.covariates}
    with pm.Model(coords=coords) as model:
        c = pymc_prior("c_pooled", spec)
        curvature = pymc_prior("curvature", spec)
        h = pymc_prior("t_vertex", spec)
        _truthfulness_likelihood(panel, spec, pooled_quadratic_mean(panel.x, c, curvature, h))
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
