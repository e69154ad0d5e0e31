r"""Sparse dynamics (ODE) model: benchmark scores of a family evolve along log10 size.

Maths
-----
With :math:`x = \log_{10} N` and the state :math:`u = (B - m) / s` (benchmark fractions
:math:`B`, fixed centre :math:`m` and scale :math:`s` per benchmark, so every coefficient is in
standard units per decade),

.. math:: \frac{du}{dx} = \Theta(u)\,\Xi + \delta_f, \qquad u_f(x_{0,f}) = u_{0,f},

where :math:`\Theta(u)` is a library of monomials (constant, linear, pairwise products and
optionally cubic terms; one row of :math:`\Xi` per term, one column per benchmark),
:math:`\delta_f` an optional partially pooled offset of family :math:`f`'s growth rates and
:math:`x_{0,f}` the family's smallest model. Each family is solved on normalised time
:math:`\sigma = (x - x_{0,f}) / (x_{1,f} - x_{0,f}) \in [0, 1]`, so that every family shares
the same interval and one ``jax.vmap``-ed :func:`diffrax.diffeqsolve` covers the panel; save
points are padded to the largest family and masked.

Priors: the constant row of :math:`\Xi` is Normal (growth is not sparse); the other rows get the
regularised ("Finnish") horseshoe of Piironen & Vehtari (2017), non-centred:

.. math::
    \Xi_{jk} = z_{jk}\,\tau\,\tilde\lambda_{jk}, \quad
    \tilde\lambda_{jk}^2 = \frac{c^2 \lambda_{jk}^2}{c^2 + \tau^2 \lambda_{jk}^2}, \quad
    \lambda_{jk}, \tau/\tau_0 \sim C^+(0, 1), \quad c^2 \sim \mathrm{IG}(\nu/2, \nu s^2/2).

The half-Cauchy scales are written as :math:`\lambda = a\sqrt{b}`, :math:`a \sim N^+(0, 1)`,
:math:`b \sim \mathrm{IG}(1/2, 1/2)`, which keeps the unconstrained geometry light-tailed.
Likelihood: each score :math:`y \sim N(B, \sqrt{B(1 - B)/n + \sigma_k^2})` with :math:`n` the
benchmark's item count (binomial sampling error) and :math:`\sigma_k` extra noise.

The shrinkage factor of a term is :math:`\kappa_{jk} = c^2 / (c^2 + \tau^2 \lambda_{jk}^2)
\in [0, 1]` (1: shrunk to zero; 0: free, only the slab regularises it).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayescape._repr import compact_repr
from bayescape.data import BENCHMARKS, DataWarning, item_column
from bayescape.errors import SpecError
from bayescape.models._spec import ModelSpec, pymc_prior

# ---------------------------------------------------------------------------------------------
# The library Theta(u)


@dataclass(frozen=True)
class Library:
    """Monomials of the state: one term per row of ``powers``.

    Attributes
    ----------
    states
        Benchmark names, the state's coordinates.
    powers
        Integer exponents, shape (terms, states); row ``j`` is the term
        :math:`\\prod_k u_k^{p_{jk}}`. Row 0 is the constant.
    terms
        Names of the terms (``"1"``, ``"hellaswag"``, ``"hellaswag*truthfulqa"``, ...).
    """

    states: tuple[str, ...]
    powers: np.ndarray
    terms: tuple[str, ...]

    @property
    def n_terms(self) -> int:
        """Number of library terms."""
        return len(self.terms)

    @property
    def n_states(self) -> int:
        """Number of state coordinates (benchmarks)."""
        return len(self.states)


def make_library(states: list[str] | tuple[str, ...], degree: int = 2) -> Library:
    """All monomials of the states up to ``degree`` (1, 2 or 3), constant first.

    >>> make_library(["hellaswag", "truthfulqa"], 2).terms
    ('1', 'hellaswag', 'truthfulqa', 'hellaswag^2', 'hellaswag*truthfulqa', 'truthfulqa^2')
    """
    if degree not in (1, 2, 3):
        raise SpecError(f"library degree must be 1, 2 or 3, got {degree!r}")
    d = len(states)
    powers, names = [np.zeros(d, dtype=int)], ["1"]
    for order in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(d), order):
            p = np.bincount(np.asarray(combo), minlength=d)
            powers.append(p)
            parts = [states[k] if p[k] == 1 else f"{states[k]}^{p[k]}" for k in range(d) if p[k]]
            names.append("*".join(parts))
    return Library(tuple(states), np.array(powers, dtype=int), tuple(names))


def library_features(u, powers: np.ndarray, xp: Any = np):
    r""":math:`\Theta(u)`: shape ``u.shape[:-1] + (terms,)``, for numpy or ``jax.numpy``."""
    cols = []
    for p in powers:
        col = xp.ones_like(u[..., 0])
        for k, e in enumerate(p):
            for _ in range(int(e)):
                col = col * u[..., k]
        cols.append(col)
    return xp.stack(cols, axis=-1)


def rhs(u, xi, powers: np.ndarray, offset=0.0, xp: Any = np):
    r"""Right-hand side :math:`du/dx = \Theta(u)\Xi + \delta` (``xi``: terms x states)."""
    return library_features(u, powers, xp) @ xi + offset


def jacobian(u: np.ndarray, xi: np.ndarray, powers: np.ndarray) -> np.ndarray:
    r"""Jacobian :math:`J_{ik} = \partial (du_i/dx) / \partial u_k` of :func:`rhs` (closed form).

    ``u``: (..., states), ``xi``: (..., terms, states); returns (..., states, states). Uses
    :math:`\partial \prod_l u_l^{p_l} / \partial u_k = p_k u_k^{p_k - 1}\prod_{l \ne k} u_l^{p_l}`.
    """
    u = np.asarray(u, dtype=float)
    d = u.shape[-1]
    # dtheta[..., j, k]: derivative of term j with respect to u_k
    dtheta = np.zeros((*u.shape[:-1], len(powers), d))
    for j, p in enumerate(powers):
        for k in range(d):
            if p[k] == 0:
                continue
            q = p.copy()
            q[k] -= 1
            dtheta[..., j, k] = p[k] * np.prod(u**q, axis=-1)
    # J[i, k] = sum_j xi[j, i] dtheta[j, k]
    return np.einsum("...ji,...jk->...ik", np.asarray(xi, dtype=float), dtheta)


# ---------------------------------------------------------------------------------------------
# Solver settings and the vectorised diffrax solve


@dataclass(frozen=True)
class SolverSettings:
    """How the ODE is integrated (``[solver]`` of the spec).

    ``stepsize="fixed"`` takes ``steps`` equal steps over each family's normalised interval
    (no adaptive control flow: cheapest reverse mode); ``"adaptive"`` uses a PID controller with
    ``rtol``/``atol``.
    """

    method: str = "tsit5"
    stepsize: str = "fixed"
    steps: int = 16
    rtol: float = 1e-6
    atol: float = 1e-8
    max_steps: int = 4096
    adjoint: str = "recursive_checkpoint"

    def __post_init__(self) -> None:
        if self.method not in _SOLVERS:
            raise SpecError(f"[solver] method = {self.method!r}; use one of {sorted(_SOLVERS)}")
        if self.stepsize not in ("fixed", "adaptive"):
            raise SpecError(f"[solver] stepsize = {self.stepsize!r}; use 'fixed' or 'adaptive'")
        if self.adjoint not in ("recursive_checkpoint", "direct"):
            raise SpecError(
                f"[solver] adjoint = {self.adjoint!r}; use 'recursive_checkpoint' or 'direct'"
            )
        if self.steps < 1:
            raise SpecError(f"[solver] steps = {self.steps!r} must be >= 1")


_SOLVERS = ("tsit5", "dopri5", "heun", "euler")


def solver_settings(spec: ModelSpec) -> SolverSettings:
    """The ``[solver]`` section as :class:`SolverSettings` (defaults where absent)."""
    section = dict(spec.sections.get("solver", {}))
    known = SolverSettings.__dataclass_fields__
    unknown = set(section) - set(known)
    if unknown:
        raise SpecError(
            f"{spec.path}: unknown [solver] keys {sorted(unknown)}; use {sorted(known)}"
        )
    return SolverSettings(**section)


def _diffrax_parts(settings: SolverSettings):
    import diffrax

    import bayescape._jax  # noqa: F401  (x64 before any JAX array)

    solver = {
        "tsit5": diffrax.Tsit5,
        "dopri5": diffrax.Dopri5,
        "heun": diffrax.Heun,
        "euler": diffrax.Euler,
    }[settings.method]()
    if settings.stepsize == "fixed":
        controller = diffrax.ConstantStepSize()
        max_steps = settings.steps
    else:
        controller = diffrax.PIDController(rtol=settings.rtol, atol=settings.atol)
        max_steps = settings.max_steps
    adjoint = (
        diffrax.RecursiveCheckpointAdjoint()
        if settings.adjoint == "recursive_checkpoint"
        else diffrax.DirectAdjoint()
    )
    return solver, controller, max_steps, adjoint


def make_panel_solver(
    powers: np.ndarray,
    span: np.ndarray,
    save_s: np.ndarray,
    settings: SolverSettings = SolverSettings(),
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
):
    r"""A jitted JAX function ``(xi, u0, offset) -> u`` solving every family at once.

    Parameters
    ----------
    powers
        Library exponents (terms x states).
    span
        :math:`x_{1,f} - x_{0,f}` per family (F,): decades from the smallest to the largest
        save point.
    save_s
        Normalised save points in [0, 1], non-decreasing per row (F x P; pad with 1.0).
    settings
        Solver, step size control and adjoint.
    bounds
        ``(low, high)`` per state (standard units; :func:`score_box`): the library is evaluated
        at the state clipped to this box. Inside it the field is the polynomial
        :math:`\Theta(u)\Xi + \delta`; outside, where a score would leave [0, 1], it is frozen
        at the box's edge, so the field is bounded and no trajectory blows up in finite time
        (a positive self-quadratic term otherwise does: :math:`u' = a u^2` reaches infinity at
        :math:`x = 1/(a u_0)`). ``None``: no clipping.

    Returns
    -------
    callable
        ``solve(xi (terms, states), u0 (F, states), offset (F, states)) -> (F, P, states)``,
        differentiable in reverse mode; a blown-up solve gives non-finite values (adaptive:
        ``throw=False``) so that the sampler rejects the proposal instead of raising.
    """
    import jax
    import jax.numpy as jnp

    import bayescape._jax  # noqa: F401  (x64 before any JAX array)

    powers = np.asarray(powers, dtype=int)
    span_j = jnp.asarray(span, dtype=jnp.float64)
    save_j = jnp.asarray(save_s, dtype=jnp.float64)
    one_family = (
        _fixed_step_family(powers, settings, bounds)
        if settings.stepsize == "fixed"
        else _adaptive_family(powers, settings, bounds)
    )
    batched = jax.vmap(one_family, in_axes=(None, 0, 0, 0, 0))

    @jax.jit
    def solve(xi, u0, offset):
        return batched(xi, u0, offset, span_j, save_j)

    return solve


def score_box(centre: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Scores in [0, 1] in standard units: :math:`((0 - m)/s, (1 - m)/s)` per state."""
    centre, scale = np.asarray(centre, dtype=float), np.asarray(scale, dtype=float)
    return -centre / scale, (1.0 - centre) / scale


def _field(powers: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None):
    """The vector field on normalised time, ``args = (xi, offset, width)``."""
    import jax.numpy as jnp

    low, high = (None, None) if bounds is None else (jnp.asarray(b) for b in bounds)

    def field(s, u, args):
        xi, offset, width = args
        v = u if low is None else jnp.clip(u, low, high)
        return width * (library_features(v, powers, jnp) @ xi + offset)

    return field


def _fixed_step_family(
    powers: np.ndarray,
    settings: SolverSettings,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
):
    r"""One family's solve with ``settings.steps`` equal steps of the diffrax solver.

    The steps are unrolled (:meth:`diffrax.AbstractSolver.step`, no while loop, no
    checkpointing: reverse mode stores every stage, a few kilobytes) and each save point
    :math:`s` is read from the solver's own dense interpolation on the step
    :math:`k = \lfloor s \cdot \mathrm{steps} \rfloor` that contains it. The result is the
    same as :func:`diffrax.diffeqsolve` with a constant step size and ``SaveAt(ts=...)`` (to
    rounding), 1.6-3x cheaper per gradient (benchmarks/dynamics_results.md). A blown-up
    trajectory gives non-finite values, which the sampler rejects.
    """
    import diffrax
    import jax
    import jax.numpy as jnp

    solver = _diffrax_parts(settings)[0]
    term = diffrax.ODETerm(_field(powers, bounds))
    steps = settings.steps
    h = 1.0 / steps
    knots = np.arange(steps + 1) * h
    t_lo, t_hi = jnp.asarray(knots[:-1]), jnp.asarray(knots[1:])

    def one_family(xi, u0, offset, width, ts):
        args = (xi, offset, width)
        state = solver.init(term, 0.0, h, u0, args)
        y, dense = u0, []
        for k in range(steps):
            y, _, info, state, _ = solver.step(
                term, knots[k], knots[k + 1], y, args, state, made_jump=False
            )
            dense.append(info)
        stacked = jax.tree.map(lambda *a: jnp.stack(a), *dense)

        def at(t, k):
            info = jax.tree.map(lambda a: a[k], stacked)
            return solver.interpolation_cls(t0=t_lo[k], t1=t_hi[k], **info).evaluate(t)

        return jax.vmap(at)(ts, jnp.clip(jnp.floor(ts * steps).astype(jnp.int64), 0, steps - 1))

    return one_family


def _adaptive_family(
    powers: np.ndarray,
    settings: SolverSettings,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
):
    """One family's solve with :func:`diffrax.diffeqsolve` and a PID step size controller."""
    import diffrax
    import jax.numpy as jnp

    solver, controller, max_steps, adjoint = _diffrax_parts(settings)
    term = diffrax.ODETerm(_field(powers, bounds))

    def one_family(xi, u0, offset, width, ts):
        sol = diffrax.diffeqsolve(
            term,
            solver,
            t0=0.0,
            t1=1.0,
            dt0=1.0 / settings.steps,
            y0=u0,
            args=(xi, offset, width),
            saveat=diffrax.SaveAt(ts=ts),
            stepsize_controller=controller,
            adjoint=adjoint,
            max_steps=max_steps,
            throw=False,
        )
        ok = sol.result == diffrax.RESULTS.successful
        return jnp.where(ok, sol.ys, jnp.nan)

    return one_family


# ---------------------------------------------------------------------------------------------
# Data: the panel a dynamics model is fitted to


@dataclass(frozen=True, repr=False)
class DynamicsPanel:
    """Arrays of the dynamics model, prepared from a validated panel and a spec.

    Attributes
    ----------
    families
        Families in the fit (F), those with at least ``min_models`` models.
    models, family_index, x
        Model ids, family of each (index into ``families``) and log10 size (n).
    scores, n_items
        Observed fractions and item counts (n x D); ``NaN`` where a score is missing.
    states, centre, scale
        Benchmarks of the state and the standardisation ``u = (B - centre) / scale``.
    x0, span
        Smallest log10 size per family and decades to its largest (F).
    u0_observed
        Standardised scores of each family's smallest model (F x D); 0 where missing.
    anchor_rows, anchor_scores, anchor_items
        Row of each family's smallest model (the first of ties), its scores (``NaN`` where
        missing) and item counts (F x D). Anchors inform the initial state, not the likelihood.
    save_s, save_mask
        Normalised save points per family padded with 1.0 (F x P) and which are real.
    position
        Column of each model in ``save_s`` (n).
    dropped_families
        Families left out because they have too few models.
    """

    __repr__ = compact_repr

    families: np.ndarray
    models: np.ndarray
    family_index: np.ndarray
    x: np.ndarray
    scores: np.ndarray
    n_items: np.ndarray
    states: tuple[str, ...]
    centre: np.ndarray
    scale: np.ndarray
    x0: np.ndarray
    span: np.ndarray
    u0_observed: np.ndarray
    save_s: np.ndarray
    save_mask: np.ndarray
    position: np.ndarray
    anchor_rows: np.ndarray
    anchor_scores: np.ndarray
    anchor_items: np.ndarray
    dropped_families: list[str]

    @property
    def n_families(self) -> int:
        """Number of families in the fit."""
        return len(self.families)


def dynamics_states(spec: ModelSpec) -> list[str]:
    """The benchmarks that make the state (``[model] benchmarks``), checked."""
    states = list(spec.model.get("benchmarks", ["hellaswag", "truthfulqa"]))
    for name in states:
        if name not in BENCHMARKS:
            raise SpecError(
                f"{spec.path}: [model] benchmarks has unknown {name!r}; use some "
                f"of {', '.join(BENCHMARKS)}"
            )
    if len(set(states)) != len(states) or not states:
        raise SpecError(f"{spec.path}: [model] benchmarks must be distinct and non-empty")
    for key in ("reasoning", "truthfulness"):
        if spec.model.get(key) is not None and spec.model[key] not in states:
            raise SpecError(
                f"{spec.path}: [model] {key} = {spec.model[key]!r} must be one of "
                f"the state's benchmarks {states}"
            )
    return states


def state_standardisation(spec: ModelSpec, states: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale of each state coordinate from ``[state]``."""
    section = spec.sections.get("state", {})
    centre, scale = section.get("centre", {}), section.get("scale", {})
    missing = [s for s in states if s not in centre or s not in scale]
    if missing:
        raise SpecError(f"{spec.path}: [state] centre and scale need entries for {missing}")
    c = np.array([float(centre[s]) for s in states])
    s = np.array([float(scale[s]) for s in states])
    if np.any(s <= 0):
        raise SpecError(f"{spec.path}: [state] scale must be > 0")
    return c, s


def spec_library(spec: ModelSpec) -> Library:
    """The library a spec asks for (its benchmarks and ``[model] degree``)."""
    return make_library(dynamics_states(spec), int(spec.model.get("degree", 2)))


def prepare_dynamics_panel(df: pd.DataFrame, spec: ModelSpec) -> DynamicsPanel:
    """Arrays for :func:`build_dynamics_model`; warns (DataWarning) about dropped families."""
    states = dynamics_states(spec)
    centre, scale = state_standardisation(spec, states)
    min_models = int(spec.model.get("min_models", 2))
    counts = df.groupby("family")["model"].count()
    small = sorted(counts.index[counts < min_models])
    if small:
        warnings.warn(
            f"dynamics model leaves out {len(small)} family(ies) with fewer than "
            f"{min_models} models: {', '.join(small)}",
            DataWarning,
            stacklevel=2,
        )
    kept = df[~df["family"].isin(small)].copy()
    if kept.empty:
        raise SpecError(f"{spec.path}: no family has {min_models} or more models to fit")
    kept["_x"] = np.log10(kept["params"].to_numpy(dtype=float))
    kept = kept.sort_values(["family", "_x", "model"], kind="stable").reset_index(drop=True)
    families, family_index = np.unique(kept["family"].to_numpy(dtype=str), return_inverse=True)
    x = kept["_x"].to_numpy()
    scores = kept[states].to_numpy(dtype=float)
    n_items = np.column_stack(
        [
            kept[item_column(s)].to_numpy(dtype=float)
            if item_column(s) in kept
            else np.full(len(kept), BENCHMARKS[s].n_items, dtype=float)
            for s in states
        ]
    )
    n_fam = len(families)
    x0 = np.array([x[family_index == f].min() for f in range(n_fam)])
    x1 = np.array([x[family_index == f].max() for f in range(n_fam)])
    span = np.maximum(x1 - x0, 1e-9)
    sizes = np.bincount(family_index, minlength=n_fam)
    save_s = np.ones((n_fam, sizes.max()))
    save_mask = np.zeros_like(save_s, dtype=bool)
    position = np.zeros(len(kept), dtype=np.int64)
    anchor_rows = np.zeros(n_fam, dtype=np.int64)
    for f in range(n_fam):
        rows = np.flatnonzero(family_index == f)
        save_s[f, : len(rows)] = (x[rows] - x0[f]) / span[f]
        save_mask[f, : len(rows)] = True
        position[rows] = np.arange(len(rows))
        anchor_rows[f] = rows[0]  # rows are sorted by size within a family
    anchor_scores = scores[anchor_rows]
    u0 = np.nan_to_num((anchor_scores - centre) / scale)  # missing: start at the centre
    return DynamicsPanel(
        families=families,
        models=kept["model"].to_numpy(dtype=str),
        family_index=family_index.astype(np.int64),
        x=x,
        scores=scores,
        n_items=n_items,
        states=tuple(states),
        centre=centre,
        scale=scale,
        x0=x0,
        span=span,
        u0_observed=u0,
        save_s=np.clip(save_s, 0.0, 1.0),
        save_mask=save_mask,
        position=position,
        anchor_rows=anchor_rows,
        anchor_scores=anchor_scores,
        anchor_items=n_items[anchor_rows],
        dropped_families=small,
    )


# ---------------------------------------------------------------------------------------------
# PyMC wiring


def initial_state_sd(panel: DynamicsPanel, init_sigma: float, init_noise: float) -> np.ndarray:
    r"""Prior sd of each family's initial state around its smallest model (standard units).

    :math:`\sqrt{y_0 (1 - y_0)/n + s_0^2} / \mathrm{scale}` (binomial error plus a fixed
    allowance ``init_noise`` for harness noise); ``init_sigma`` where the score is missing.
    """
    anchored = ~np.isnan(panel.anchor_scores)
    q = np.clip(np.where(anchored, panel.anchor_scores, 0.5), 1e-3, 1 - 1e-3)
    sd = np.sqrt(q * (1 - q) / panel.anchor_items + init_noise**2) / panel.scale
    return np.where(anchored, sd, init_sigma)


def spec_initial_state_sd(panel: DynamicsPanel, spec: ModelSpec) -> np.ndarray:
    """:func:`initial_state_sd` with ``init_sigma`` and ``init_noise`` from ``[state]``."""
    section = spec.sections.get("state", {})
    return initial_state_sd(
        panel, float(section.get("init_sigma", 0.5)), float(section.get("init_noise", 0.02))
    )


@dataclass(frozen=True)
class HorseshoeSettings:
    r"""The ``[horseshoe]`` section: global scale, slab and the inclusion threshold.

    ``global_scale = "half_cauchy"`` gives :math:`\tau/\tau_0 \sim C^+(0, 1)`; ``"fixed"``
    fixes :math:`\tau = \tau_0` (the data-informed choice Piironen & Vehtari (2017, sec. 3.3)
    discuss when the expected number of active terms is known), which removes the global
    scale's funnel with the local scales and the coefficients.
    """

    tau0: float = 0.06
    slab_scale: float = 1.0
    slab_df: float = 4.0
    threshold: float = 0.1
    global_scale: str = "half_cauchy"
    centred: bool = False
    slab: str = "inverse_gamma"


_HORSESHOE_CHOICES: dict[str, tuple[str, ...]] = {
    "global_scale": ("half_cauchy", "fixed"),
    "slab": ("inverse_gamma", "fixed"),
}
"""The ``[horseshoe]`` keys that take a word, with their choices (the first is the default)."""


def horseshoe_settings(spec: ModelSpec) -> HorseshoeSettings:
    """``[horseshoe]`` as :class:`HorseshoeSettings`, checked."""
    section = dict(spec.sections.get("horseshoe", {}))
    unknown = set(section) - set(HorseshoeSettings.__dataclass_fields__)
    if unknown:
        raise SpecError(f"{spec.path}: unknown [horseshoe] keys {sorted(unknown)}")
    words = {}
    for key, choices in _HORSESHOE_CHOICES.items():
        words[key] = str(section.pop(key, choices[0]))
        if words[key] not in choices:
            raise SpecError(
                f"{spec.path}: [horseshoe] {key} = {words[key]!r}; use one of {', '.join(choices)}"
            )
    centred = section.pop("centred", False)
    if not isinstance(centred, bool):
        raise SpecError(f"{spec.path}: [horseshoe] centred must be true or false")
    try:
        numbers = {k: float(v) for k, v in section.items()}
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{spec.path}: [horseshoe] values must be numbers ({exc})") from None
    hs = HorseshoeSettings(**numbers, **words, centred=centred)
    if min(hs.tau0, hs.slab_scale, hs.slab_df) <= 0:
        raise SpecError(f"{spec.path}: [horseshoe] tau0, slab_scale and slab_df must be > 0")
    return hs


def _half_cauchy(name: str, scale: float, **kwargs: Any):
    r"""Half-Cauchy(0, scale) as :math:`a\sqrt{b}`, :math:`a\sim N^+`, :math:`b\sim IG(1/2,1/2)`."""
    import pymc as pm

    a = pm.HalfNormal(f"{name}_a", 1.0, **kwargs)
    b = pm.InverseGamma(f"{name}_b", 0.5, 0.5, **kwargs)
    return scale * a * pm.math.sqrt(b)


def offset_information(panel: DynamicsPanel, noise: float, guess: np.ndarray) -> np.ndarray:
    r"""How much each family's data say about its offsets, relative to the population's spread.

    The ratio of the data's precision for :math:`\delta_{fk}` to the prior's,
    :math:`r_{fk} = g_k^2 \sum_i (x_i - x_{0,f})^2 / \nu_{ik}^2`, where the trajectory moves by
    about :math:`\delta (x - x_0)` per unit of offset (linearised), :math:`\nu_{ik}^2 =
    (p(1 - p)/n + \text{noise}^2)/s_k^2` is a score's variance in standard units and
    :math:`g_k` a guess of the offsets' population sd. :math:`r > 1`: the data dominate, the
    centred parameterisation samples better; :math:`r < 1`: the non-centred one
    (Papaspiliopoulos, Roberts & Skold 2007). Returns (F, states).
    """
    q = np.clip(np.nan_to_num(panel.scores, nan=0.5), 1e-3, 1 - 1e-3)
    var = (q * (1 - q) / panel.n_items + noise**2) / panel.scale**2
    dx2 = (panel.x - panel.x0[panel.family_index])[:, None] ** 2
    observed = ~np.isnan(panel.scores)
    info = np.zeros((panel.n_families, len(panel.states)))
    np.add.at(info, panel.family_index, np.where(observed, dx2 / var, 0.0))
    return info * np.asarray(guess, dtype=float) ** 2


def _centred_offsets(spec: ModelSpec, panel: DynamicsPanel) -> np.ndarray:
    """Which family offsets are sampled centred (family x state booleans).

    ``[model] offsets_centred``: ``false`` (all non-centred), ``true`` (all centred), a list of
    the states whose offsets are centred, or ``"auto"``: centred where
    :func:`offset_information` exceeds 1, with ``[model] offset_sd_guess`` (per state; the
    parameterisation only, the posterior is the same) and the noise ``[state] init_noise``.
    """
    value = spec.model.get("offsets_centred", False)
    shape = (panel.n_families, len(panel.states))
    if isinstance(value, bool):
        return np.full(shape, value)
    if value == "auto":
        guesses = spec.model.get("offset_sd_guess", {})
        guess = np.array([float(guesses.get(s, 0.5)) for s in panel.states])
        noise = float(spec.sections.get("state", {}).get("init_noise", 0.02))
        return offset_information(panel, noise, guess) > 1.0
    if not isinstance(value, list) or any(v not in panel.states for v in value):
        raise SpecError(
            f'{spec.path}: [model] offsets_centred must be true, false, "auto" or a list of '
            f"the states {list(panel.states)}; got {value!r}"
        )
    by_state = np.array([s in value for s in panel.states])
    return np.broadcast_to(by_state, shape).copy()


def build_dynamics_model(data: pd.DataFrame | DynamicsPanel, spec: ModelSpec):
    """Build the PyMC sparse-dynamics model; the ODE is solved by diffrax inside the graph.

    Parameters
    ----------
    data
        A validated panel (one row per model) or a :class:`DynamicsPanel` already prepared.
    spec
        A ``kind = "dynamics"`` specification.

    Returns
    -------
    pymc.Model
        Coords ``family``, ``model``, ``term``, ``state``, ``shrunk_term``. Variables: ``Xi``
        (term x state), ``kappa`` (shrinkage per term and state), ``tau``, ``u0`` (family x
        state), ``delta`` (family offsets), ``sigma`` (state), the likelihood ``scores``.
    """
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    panel = data if isinstance(data, DynamicsPanel) else prepare_dynamics_panel(data, spec)
    library = make_library(list(panel.states), int(spec.model.get("degree", 2)))
    hs = horseshoe_settings(spec)
    settings = solver_settings(spec)
    n_fam, n_states, n_terms = panel.n_families, library.n_states, library.n_terms
    solve = make_panel_solver(
        library.powers, panel.span, panel.save_s, settings, score_box(panel.centre, panel.scale)
    )
    wrapped = pytensor.wrap_jax(solve)

    rows, cols = likelihood_cells(panel)
    f_idx, p_idx = panel.family_index[rows], panel.position[rows]
    y = panel.scores[rows, cols]
    n = panel.n_items[rows, cols]

    coords = {
        "family": panel.families,
        "model": panel.models,
        "term": list(library.terms),
        "shrunk_term": list(library.terms[1:]),
        "state": list(panel.states),
    }
    with pm.Model(coords=coords) as model:
        intercept = pymc_prior("intercept", spec, dims="state")
        if hs.global_scale == "fixed":
            tau = pm.Deterministic("tau", pt.as_tensor_variable(np.float64(hs.tau0)))
        else:
            tau = pm.Deterministic("tau", _half_cauchy("tau", hs.tau0))
        lam = _half_cauchy("lambda", 1.0, dims=("shrunk_term", "state"))
        if hs.slab == "fixed":
            c2 = pt.as_tensor_variable(np.float64(hs.slab_scale**2))
        else:
            c2 = pm.InverseGamma("slab_c2", hs.slab_df / 2, hs.slab_df * hs.slab_scale**2 / 2)
        lam_tilde = pt.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
        pm.Deterministic("kappa", c2 / (c2 + tau**2 * lam**2), dims=("shrunk_term", "state"))
        if hs.centred:
            shrunk = pm.Normal("Xi_shrunk", 0.0, tau * lam_tilde, dims=("shrunk_term", "state"))
        else:
            z = pm.Normal("Xi_z", 0.0, 1.0, dims=("shrunk_term", "state"))
            shrunk = z * tau * lam_tilde
        constant = intercept
        if spec.model.get("mean_rate_intercept", False):
            squares = [j - 1 for j, p in enumerate(library.powers) if p.sum() == 2 and p.max() == 2]
            constant = intercept - shrunk[squares].sum(axis=0)
        xi = pm.Deterministic(
            "Xi", pt.concatenate([constant[None, :], shrunk], axis=0), dims=("term", "state")
        )
        if spec.model.get("family_offsets", False):
            offset_sigma = pymc_prior("offset_sigma", spec, dims="state")
            centred = _centred_offsets(spec, panel)
            if centred.all():
                delta = pm.Normal("delta", 0.0, offset_sigma, dims=("family", "state"))
            elif not centred.any():
                delta = pm.Deterministic(
                    "delta",
                    offset_sigma * pm.Normal("delta_z", 0.0, 1.0, dims=("family", "state")),
                    dims=("family", "state"),
                )
            else:
                # one variable, centred where ``centred`` and non-centred elsewhere
                raw = pm.Normal(
                    "delta_raw", 0.0, pt.where(centred, offset_sigma, 1.0), dims=("family", "state")
                )
                delta = pm.Deterministic(
                    "delta", pt.where(centred, raw, offset_sigma * raw), dims=("family", "state")
                )
        else:
            delta = pt.zeros((n_fam, n_states))
        sigma = pt.stack([pymc_prior(f"sigma_{s}", spec) for s in panel.states])
        # The smallest model's measurement y0 = u0 + noise (flat prior on u0) is the same
        # density as u0 = y0 + s z, z ~ N(0, 1). s is fixed (binomial + init_noise), not tied
        # to the fitted extra noise: tying them makes a funnel between sigma and every u0.
        u0_sd = spec_initial_state_sd(panel, spec)
        u0 = pm.Deterministic(
            "u0",
            panel.u0_observed + u0_sd * pm.Normal("u0_z", 0.0, 1.0, dims=("family", "state")),
            dims=("family", "state"),
        )
        u = wrapped(
            pt.specify_shape(xi, (n_terms, n_states)),
            pt.specify_shape(u0, (n_fam, n_states)),
            pt.specify_shape(delta, (n_fam, n_states)),
        )
        b = panel.centre[cols] + panel.scale[cols] * u[f_idx, p_idx, cols]
        p = pt.clip(b, 1e-3, 1 - 1e-3)
        pm.Normal("scores", mu=b, sigma=pt.sqrt(p * (1 - p) / n + sigma[cols] ** 2), observed=y)
    return model


def likelihood_cells(panel: DynamicsPanel) -> tuple[np.ndarray, np.ndarray]:
    """Model rows and state columns of the scores in the likelihood (the ``scores`` variable,
    in this order): every measured score except the anchors', which enter through ``u0``."""
    observed = ~np.isnan(panel.scores)
    observed[panel.anchor_rows] &= np.isnan(panel.anchor_scores)
    return np.nonzero(observed)


def dynamics_headline_variables(spec: ModelSpec | None = None) -> list[str]:
    """Parameters whose convergence gates a dynamics fit (``tau`` only when it is sampled)."""
    fixed = spec is not None and horseshoe_settings(spec).global_scale == "fixed"
    return ["Xi", "u0"] if fixed else ["Xi", "tau", "u0"]
