r"""Summaries of a fitted sparse dynamics model (``kind = "dynamics"``).

Definitions
-----------
Inclusion of library term :math:`j` in the equation of state :math:`k`:
:math:`P(|\Xi_{jk}| > \epsilon \mid \text{data})` with :math:`\epsilon` the spec's
``[horseshoe] threshold`` (standard units per decade). Shrinkage:
:math:`\kappa_{jk} = c^2 / (c^2 + \tau^2\lambda_{jk}^2)` (posterior mean; 1 = shrunk to zero,
0 = free); the constant term is not shrunk.

Coupling along a family's trajectory, in score fractions,
:math:`\gamma(x) = (dT/dx) / (dR/dx) = (s_T \dot u_T) / (s_R \dot u_R)`; its critical scale
:math:`N_c` is the first size inside the family's observed range where :math:`\gamma` changes
sign (linear interpolation on a grid), reported as the probability that there is one and the
posterior of :math:`\log_{10} N_c` among draws that have one.

Eigenvalues are those of the Jacobian :math:`\partial \dot u / \partial u` of the right-hand
side (per decade; invariant to the standardisation, which is a diagonal similarity transform).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from bayescape.analysis._intervals import eti
from bayescape.data import BENCHMARKS
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult
from bayescape.models._likelihood import score_sd
from bayescape.models.dynamics import (
    DynamicsPanel,
    SolverSettings,
    horseshoe_settings,
    jacobian,
    library_features,
    make_panel_solver,
    score_box,
    solver_settings,
    spec_initial_state_sd,
    spec_library,
)


def _require_dynamics(result: FitResult) -> None:
    if not result.kind.trajectories:
        raise BayescapeError(
            f"model {result.spec.name!r} is a {result.kind.description}, not a dynamics model "
            "(no state trajectories); fit "
            "'bayescape fit --model dynamics' first"
        )


def dynamics_panel(result: FitResult) -> DynamicsPanel:
    """The arrays the dynamics model was fitted to (recomputed from the result's data)."""
    _require_dynamics(result)
    return result.panel


def _subsample(n: int, max_draws: int | None, seed: int) -> np.ndarray:
    if max_draws is None or n <= max_draws:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_draws, replace=False))


def _posterior_arrays(result: FitResult, max_draws: int | None, seed: int) -> dict:
    """Xi, u0, delta (zeros without offsets), sigma and offset_sigma draws, aligned."""
    panel = dynamics_panel(result)
    xi = result.draws("Xi")
    idx = _subsample(len(xi), max_draws, seed)
    post = result.posterior
    out = {"Xi": xi[idx], "u0": result.draws("u0")[idx]}
    n_states = len(panel.states)
    if "delta" in post:
        out["delta"] = result.draws("delta")[idx]
        out["offset_sigma"] = result.draws("offset_sigma")[idx]
    else:
        out["delta"] = np.zeros((len(idx), panel.n_families, n_states))
        out["offset_sigma"] = np.zeros((len(idx), n_states))
    out["sigma"] = np.column_stack([result.draws(f"sigma_{s}")[idx] for s in panel.states])
    return out


# ---------------------------------------------------------------------------------------------
# Terms and equations


def term_inclusion(
    result: FitResult, prob: float = 0.9, threshold: float | None = None
) -> pd.DataFrame:
    """Posterior of every library coefficient, its inclusion probability and shrinkage.

    Columns: ``state`` (the equation d state/dx), ``term``, ``xi_median``, ``xi_low``,
    ``xi_high`` (equal-tailed ``prob`` interval, standard units per decade), ``p_positive``,
    ``p_included`` (:math:`P(|\\Xi| >` threshold)), ``kappa_mean`` (NaN for the unshrunk
    constant). Sorted by equation, then by inclusion.
    """
    _require_dynamics(result)
    library = spec_library(result.spec)
    eps = horseshoe_settings(result.spec).threshold if threshold is None else float(threshold)
    xi = result.draws("Xi")
    kappa = result.draws("kappa") if "kappa" in result.posterior else None
    rows = []
    for k, state in enumerate(library.states):
        for j, term in enumerate(library.terms):
            d = xi[:, j, k]
            lo, hi = eti(d, prob)
            rows.append(
                {
                    "state": state,
                    "term": term,
                    "xi_median": float(np.median(d)),
                    "xi_low": lo,
                    "xi_high": hi,
                    "p_positive": float(np.mean(d > 0)),
                    "p_included": float(np.mean(np.abs(d) > eps)),
                    "kappa_mean": (
                        float(np.mean(kappa[:, j - 1, k]))
                        if j > 0 and kappa is not None
                        else np.nan
                    ),
                }
            )
    table = pd.DataFrame(rows)
    return table


def fitted_equations(result: FitResult, prob: float = 0.9, min_inclusion: float = 0.5) -> str:
    """The fitted equations, one per state, with ``prob`` intervals; terms whose inclusion is
    below ``min_inclusion`` are listed separately as shrunk."""
    table = term_inclusion(result, prob)
    panel_scale = dict(
        zip(spec_library(result.spec).states, dynamics_panel(result).scale, strict=True)
    )
    pct = round(100 * prob)
    lines = [
        f"du/dx with u = (score - centre) / scale, x = log10(parameters); median "
        f"[{pct}% interval], P(included) in braces"
    ]
    for state, rows in table.groupby("state", sort=False):
        kept = rows[(rows["p_included"] >= min_inclusion) | (rows["term"] == "1")]
        parts = [
            f"{r.xi_median:+.3f} [{r.xi_low:+.3f}, {r.xi_high:+.3f}]{{{r.p_included:.2f}}}"
            + ("" if r.term == "1" else f" * {r.term}")
            for r in kept.itertuples()
        ]
        lines.append(
            f"d {state}/dx = " + "\n    ".join(parts) + f"      (scale {panel_scale[state]:g})"
        )
        shrunk = rows[(rows["p_included"] < min_inclusion) & (rows["term"] != "1")]
        if len(shrunk):
            lines.append(
                "    shrunk: "
                + ", ".join(f"{r.term} {{{r.p_included:.2f}}}" for r in shrunk.itertuples())
            )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Trajectories, coupling and eigenvalues


def _solve_draws(
    panel: DynamicsPanel, powers, span, save_s, settings: SolverSettings, xi, u0, delta
) -> np.ndarray:
    """Solve every draw as the model does (its score box): returns (draws, F, P, states)."""
    import jax

    box = score_box(panel.centre, panel.scale)
    solve = make_panel_solver(powers, span, save_s, settings, box)
    return np.asarray(jax.jit(jax.vmap(solve))(xi, u0, delta))


def latent_trajectories(
    result: FitResult, grid: int = 41, max_draws: int | None = 400, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Posterior latent trajectories of every fitted family on a grid over its observed sizes.

    Returns ``(x, u, draws)``: ``x`` (F x grid) log10 sizes, ``u`` (draws x F x grid x states)
    standardised states, and the posterior arrays used.
    """
    panel = dynamics_panel(result)
    library = spec_library(result.spec)
    draws = _posterior_arrays(result, max_draws, seed)
    s = np.tile(np.linspace(0.0, 1.0, grid), (panel.n_families, 1))
    u = _solve_draws(
        panel,
        library.powers,
        panel.span,
        s,
        solver_settings(result.spec),
        draws["Xi"],
        draws["u0"],
        draws["delta"],
    )
    x = panel.x0[:, None] + s * panel.span[:, None]
    return x, u, draws


def trajectory_coupling(
    result: FitResult, prob: float = 0.9, grid: int = 41, max_draws: int | None = 400, seed: int = 0
) -> pd.DataFrame:
    """Coupling :math:`\\gamma = (dT/dx)/(dR/dx)` along each family's trajectory and its N_c.

    Columns: ``family``, ``smallest``/``largest`` (parameters), ``gamma_start_*`` and
    ``gamma_end_*`` (median, low, high at the smallest and largest size), ``p_sign_change``
    (probability that gamma crosses zero inside the observed range: dT/dx changes sign between
    two grid points while dR/dx keeps its sign; a sign flip of gamma through a pole of
    :math:`1/(dR/dx)` is not a crossing), ``nc_median``,
    ``nc_low``, ``nc_high`` (parameters; among draws with a sign change, NaN if fewer than 5%
    have one), ``direction`` (``tax->bonus`` when gamma goes from negative to positive in most
    such draws, else ``bonus->tax``).
    """
    panel = dynamics_panel(result)
    library = spec_library(result.spec)
    x, u, draws = latent_trajectories(result, grid, max_draws, seed)
    r = library.states.index(result.spec.model.get("reasoning", library.states[0]))
    t = library.states.index(result.spec.model.get("truthfulness", library.states[-1]))
    features = library_features(u, library.powers)  # (S, F, G, terms)
    rate = (
        np.einsum("sfgj,sjd->sfgd", features, draws["Xi"]) + draws["delta"][:, :, None, :]
    )  # du/dx: (S, F, G, D)
    d_r = rate[..., r] * panel.scale[r]
    d_t = rate[..., t] * panel.scale[t]
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = d_t / d_r
    rows = []
    for f, family in enumerate(panel.families):
        g = gamma[:, f, :]
        # gamma crosses zero where dT/dx does while dR/dx keeps its sign; where dR/dx changes
        # sign, gamma flips through a pole (+-inf), which is no crossing and no N_c
        t_flips = np.sign(d_t[:, f, 1:]) * np.sign(d_t[:, f, :-1]) < 0
        r_keeps = np.sign(d_r[:, f, 1:]) * np.sign(d_r[:, f, :-1]) > 0
        change = t_flips & r_keeps
        has = change.any(axis=1)
        first = np.argmax(change, axis=1)
        xs = x[f]
        # linear interpolation of the zero of dT/dx
        lo_idx = first
        g0 = np.take_along_axis(d_t[:, f, :], lo_idx[:, None], 1)[:, 0]
        g1 = np.take_along_axis(d_t[:, f, :], lo_idx[:, None] + 1, 1)[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.clip(np.where(g1 != g0, g0 / (g0 - g1), 0.5), 0.0, 1.0)
        xc = xs[lo_idx] + w * (xs[np.minimum(lo_idx + 1, grid - 1)] - xs[lo_idx])
        gs = np.take_along_axis(g, lo_idx[:, None], 1)[:, 0]
        row = {
            "family": family,
            "smallest": 10 ** panel.x0[f],
            "largest": 10 ** (panel.x0[f] + panel.span[f]),
        }
        for label, col in (("start", g[:, 0]), ("end", g[:, -1])):
            ok = np.isfinite(col)
            lo, hi = eti(col[ok], prob) if ok.any() else (np.nan, np.nan)
            row[f"gamma_{label}_median"] = float(np.median(col[ok])) if ok.any() else np.nan
            row[f"gamma_{label}_low"], row[f"gamma_{label}_high"] = lo, hi
        row["p_sign_change"] = float(np.mean(has))
        if np.mean(has) >= 0.05:
            lo, hi = eti(xc[has], prob)
            row.update(
                nc_median=10 ** float(np.median(xc[has])),
                nc_low=10**lo,
                nc_high=10**hi,
                direction="tax->bonus" if np.mean(gs[has] < 0) >= 0.5 else "bonus->tax",
            )
        else:
            row.update(nc_median=np.nan, nc_low=np.nan, nc_high=np.nan, direction="")
        rows.append(row)
    return pd.DataFrame(rows)


def jacobian_eigenvalues(
    result: FitResult, prob: float = 0.9, max_draws: int | None = 400, seed: int = 0
) -> pd.DataFrame:
    """Eigenvalues of the Jacobian of the right-hand side at each family's smallest and largest
    model (posterior latent states).

    One row per family and position (``at`` = ``smallest``/``largest``); for each eigenvalue
    ``i`` (sorted by real part, largest first) ``re{i}_median``, ``re{i}_low``, ``re{i}_high``
    and ``im{i}_abs_median``; ``p_stable`` (all real parts < 0) and ``p_complex``, over the
    ``finite_draws`` draws whose trajectories stayed finite (blown-up draws are skipped).
    """
    panel = dynamics_panel(result)
    library = spec_library(result.spec)
    x, u, draws = latent_trajectories(result, 2, max_draws, seed)
    rows = []
    for f, family in enumerate(panel.families):
        for g, at in ((0, "smallest"), (1, "largest")):
            jac = jacobian(u[:, f, g, :], draws["Xi"], library.powers)
            # draws whose trajectory blew up (non-finite states) have no Jacobian: skip them
            finite = np.isfinite(jac).all(axis=(1, 2))
            row = {
                "family": family,
                "at": at,
                "params": 10 ** x[f, g],
                "finite_draws": int(finite.sum()),
            }
            n_states = jac.shape[-1]
            if not finite.any():
                for i in range(n_states):
                    row.update(
                        {
                            f"re{i + 1}_median": np.nan,
                            f"re{i + 1}_low": np.nan,
                            f"re{i + 1}_high": np.nan,
                            f"im{i + 1}_abs_median": np.nan,
                        }
                    )
                rows.append(row | {"p_stable": np.nan, "p_complex": np.nan})
                continue
            ev = np.linalg.eigvals(jac[finite])
            order = np.argsort(-ev.real, axis=1)
            ev = np.take_along_axis(ev, order, 1)
            for i in range(n_states):
                re = ev[:, i].real
                lo, hi = eti(re, prob)
                row[f"re{i + 1}_median"] = float(np.median(re))
                row[f"re{i + 1}_low"], row[f"re{i + 1}_high"] = lo, hi
                row[f"im{i + 1}_abs_median"] = float(np.median(np.abs(ev[:, i].imag)))
            row["p_stable"] = float(np.mean((ev.real < 0).all(axis=1)))
            row["p_complex"] = float(np.mean((np.abs(ev.imag) > 1e-12).any(axis=1)))
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Predictions for a family left out of the fit


def predict_dynamics_family(
    result: FitResult,
    family: str | None = None,
    *,
    data: pd.DataFrame | str | None = None,
    initial: Mapping[str, float] | pd.Series | None = None,
    sizes: Sequence[float] | None = None,
    prob: float = 0.9,
    max_draws: int | None = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Posterior predictive scores of a family from its smallest model's measured scores.

    Each posterior draw starts the ODE at the smallest model's scores plus their measurement
    error (binomial + ``init_noise``, as in the fit), draws a new family rate offset from
    :math:`N(0, \\sigma_\\delta)` when the model has offsets, integrates to every requested
    size and adds the measurement noise of a score (binomial + the fitted extra noise).

    Parameters
    ----------
    result
        A fitted dynamics model (usually fitted with the family excluded).
    family
        A family in ``data`` (default: the fit's dataset, reloaded): starts from its smallest
        model and predicts all its models (and ``sizes`` if given), with errors and coverage.
    initial
        Instead of ``family``: the smallest model's ``params`` and one score per state
        benchmark (optionally ``items_<benchmark>``), e.g. a CSV row.
    sizes
        Parameter counts to predict (>= the smallest model).
    prob
        Central interval width (default 0.9).

    Returns
    -------
    pandas.DataFrame
        One row per size and benchmark: ``family``, ``model`` (empty for bare sizes),
        ``params``, ``benchmark``, ``is_start`` (the starting model), ``median``, ``low``,
        ``high`` (posterior predictive), ``mean_median`` (latent score), and where a score is
        known ``observed``, ``error`` (median - observed), ``pct_error``, ``covered``.
    """
    _require_dynamics(result)
    library = spec_library(result.spec)
    panel = dynamics_panel(result)
    states = list(library.states)
    if (family is None) == (initial is None):
        raise BayescapeError("give either family=NAME or initial={params, scores...}")
    if family is not None:
        if family in set(panel.families):
            warnings.warn(
                f"family {family!r} was in the fit: these are not held-out "
                "predictions (refit with --exclude-family)",
                stacklevel=2,
            )
        rows = result.family_rows(family, data)
        rows = rows.assign(_x=np.log10(rows["params"].astype(float))).sort_values("_x")
        start = rows.iloc[0]
        targets = [(str(r.model), float(r.params), r) for r in rows.itertuples()]
        label = family
    else:
        start = pd.Series(dict(initial))
        missing = [k for k in ["params", *states] if k not in start]
        if missing:
            raise BayescapeError(
                f"initial scores need {missing} (the smallest model's size and "
                f"its {', '.join(states)} scores as fractions)"
            )
        targets, label = [], str(start.get("family", "new family"))
    targets += [("", float(n), None) for n in (sizes or [])]
    x_start = np.log10(float(start["params"]))
    x_t = np.log10([t[1] for t in targets])
    if np.any(x_t < x_start - 1e-9):
        raise BayescapeError(
            f"sizes must be >= the smallest model ({float(start['params']):.3g} "
            "parameters): the ODE is integrated upwards from it"
        )
    y0 = np.array([float(start[s]) for s in states])
    items0 = np.array([float(start.get(f"items_{s}", BENCHMARKS[s].n_items)) for s in states])
    sd0 = spec_initial_state_sd(_StartPanel(y0, items0, panel.scale), result.spec)[0]
    draws = _posterior_arrays(result, max_draws, seed)
    rng = np.random.default_rng(seed)
    order = np.argsort(x_t, kind="stable")
    span = max(float(x_t.max() - x_start), 1e-9)
    mean = new_family_scores(
        result.spec,
        draws,
        panel,
        np.nan_to_num((y0 - panel.centre) / panel.scale),
        sd0,
        span,
        (x_t[order] - x_start) / span,
        1,
        rng,
    )[:, 0]
    mean = mean[:, np.argsort(order)]  # back to the targets' order: (S, T, D)
    out = []
    for i, (model, params, row) in enumerate(targets):
        for k, s in enumerate(states):
            m = mean[:, i, k]
            items = (
                float(getattr(row, f"items_{s}", BENCHMARKS[s].n_items))
                if row is not None
                else BENCHMARKS[s].n_items
            )
            pred = measured_scores(m, items, draws["sigma"][:, k], rng)
            ok = np.isfinite(pred)
            lo, hi = eti(pred[ok], prob)
            rec = {
                "family": label,
                "model": model,
                "params": params,
                "benchmark": s,
                "is_start": bool(row is not None and model == str(start["model"])),
                "median": float(np.median(pred[ok])),
                "low": lo,
                "high": hi,
                "mean_median": float(np.median(m[ok])),
                "observed": np.nan,
            }
            observed = getattr(row, s, np.nan) if row is not None else np.nan
            if observed is not None and np.isfinite(observed):
                rec.update(
                    observed=float(observed),
                    error=rec["median"] - float(observed),
                    pct_error=100 * (rec["median"] - float(observed)) / float(observed),
                    covered=bool(lo <= observed <= hi),
                )
            out.append(rec)
    return pd.DataFrame(out)


def new_family_scores(
    spec,
    draws: Mapping[str, np.ndarray],
    panel: DynamicsPanel,
    u0_start: np.ndarray,
    sd0: np.ndarray,
    span: float,
    save: np.ndarray,
    per_draw: int,
    rng: np.random.Generator,
) -> np.ndarray:
    r"""Latent scores of a family that was not in the fit, started from its smallest model.

    For each posterior draw :math:`s` and each of ``per_draw`` replicates: the initial state
    :math:`u_0 \sim N(u_{0,\text{start}}, \mathrm{sd}_0)` (the smallest model's measured
    scores and their measurement error), a new family offset :math:`\delta \sim
    N(0, \sigma_{\delta,s})`, then the ODE from there to the normalised save points ``save``
    (in [0, 1] over ``span`` decades). Returns :math:`B = m + s\,u`, shape
    (draws, per_draw, points, states).
    """
    n, d = draws["Xi"].shape[0], len(panel.states)
    u0 = u0_start + sd0 * rng.standard_normal((n, per_draw, d))
    delta = draws["offset_sigma"][:, None, :] * rng.standard_normal((n, per_draw, d))
    return family_scores(spec, draws["Xi"], panel, span, save, u0, delta)


def family_scores(
    spec,
    xi: np.ndarray,
    panel: DynamicsPanel,
    span: float,
    save: np.ndarray,
    u0: np.ndarray,
    delta: np.ndarray,
) -> np.ndarray:
    r"""Latent scores :math:`B = m + s\,u` of one family from given initial states and offsets.

    ``xi`` (draws, terms, states); ``u0`` and ``delta`` (draws, replicates, states): every
    replicate of draw :math:`s` is integrated with :math:`\Xi_s` over ``span`` decades to the
    normalised save points ``save`` (in [0, 1]). Returns (draws, replicates, points, states).
    """
    m = u0.shape[1]
    saves = np.tile(np.clip(np.asarray(save, dtype=float), 0.0, 1.0), (m, 1))
    library = spec_library(spec)
    settings = solver_settings(spec)
    u = _solve_draws(panel, library.powers, np.full(m, span), saves, settings, xi, u0, delta)
    return panel.centre + panel.scale * u


def measured_scores(
    mean: np.ndarray, n_items: np.ndarray | float, sigma: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    r"""Predictive draws of measured scores around latent scores ``mean``.

    :math:`y = \mathrm{clip}(B + \epsilon, 0, 1)`, :math:`\epsilon \sim N(0, B(1 - B)/n +
    \sigma^2)`: the model's measurement noise (binomial + extra, ``sigma`` broadcast against
    ``mean``), and a measured fraction cannot leave [0, 1]. The clip matters only for a new
    family whose drawn offset makes its trajectory blow up (the ODE has quadratic terms): such
    a draw is a score of 0 or 1, not :math:`10^{100}`, so that CRPS stays finite.
    """
    noise = score_sd(mean, n_items, sigma)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.clip(mean + noise * rng.standard_normal(np.shape(mean)), 0.0, 1.0)


class _StartPanel:
    """The three fields :func:`initial_state_sd` reads, for one starting model."""

    def __init__(self, scores: np.ndarray, items: np.ndarray, scale: np.ndarray) -> None:
        self.anchor_scores = scores[None, :]
        self.anchor_items = items[None, :]
        self.scale = scale


def prediction_errors(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per benchmark over the non-starting models with a measured score: ``n``, ``mape``
    (mean absolute percentage error of the posterior median), ``mae`` and ``coverage``."""
    known = predictions[~predictions["is_start"] & predictions["observed"].notna()]
    rows = []
    for bench, g in known.groupby("benchmark", sort=False):
        rows.append(
            {
                "benchmark": bench,
                "n": len(g),
                "mape": float(g["pct_error"].abs().mean()),
                "mae": float(g["error"].abs().mean()),
                "coverage": float(g["covered"].mean()),
            }
        )
    return pd.DataFrame(rows)
