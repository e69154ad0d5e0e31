r"""Scores of predictive draws against held-out scores, shared by the leave-family-out checks.

The phase model's refits (:mod:`bayescape.analysis._lofo`) and the dynamics model's importance
sampling and refits (:mod:`bayescape.analysis._dynamics_lofo`) score their predictions here:
the predictive median and 90% interval, hits of the central 50% and 90% intervals, absolute and
percentage error, and the CRPS in its energy form,
:math:`\mathrm{CRPS}(F, y) = E|X - y| - \tfrac12 E|X - X'|` (lower is better); and the simple
baselines every model must beat, scored on the same held-out models (:func:`baseline_rows`):

- **paper quadratic**: the pooled quadratic in :math:`x = \log_{10} N` fitted to the other
  families (the paper's estimator; case-bootstrap coefficients plus a resampled residual);
- **within-family slope**: :math:`y = y_0 + b\,(x - x_0)` with :math:`b` the pooled
  within-family (fixed-effects) slope of the other families, anchored at the held-out family's
  given smallest model :math:`(x_0, y_0)`, or, with no model given, at the other families'
  pooled means; families are resampled for :math:`b`, residuals of the same procedure on the
  other families for the noise;
- **smallest carried forward** (only when the smallest model is given): :math:`y = y_0` plus
  the other families' centred increments over their own smallest model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayescape.analysis._importance import weighted_quantile
from bayescape.baselines import bootstrap_coefficients
from bayescape.errors import BayescapeError


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


def score_draws(draws: np.ndarray, weights: np.ndarray, observed: float) -> dict[str, float]:
    q = weighted_quantile(draws, weights, [0.05, 0.25, 0.5, 0.75, 0.95])
    return {
        "median": float(q[2]),
        "low_90": float(q[0]),
        "high_90": float(q[4]),
        "width_90": float(q[4] - q[0]),
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


def _scored_rows(
    method: str,
    draws: np.ndarray,
    scored: pd.DataFrame,
    column: str,
    role: str,
    family: str,
) -> list[dict[str, Any]]:
    """One row per ``scored`` model with a score in ``column``: its equally weighted
    predictive ``draws`` (draws x models) scored against it."""
    uniform = np.full(draws.shape[0], 1.0 / draws.shape[0])
    out = []
    for i, (_, row) in enumerate(scored.iterrows()):
        if not np.isfinite(row[column]):
            continue
        out.append(
            {
                "method": method,
                "family": family,
                "model": row["model"],
                "benchmark": role,
                "observed": float(row[column]),
                **score_draws(draws[:, i], uniform, float(row[column])),
            }
        )
    return out


def _family_sums(x: np.ndarray, y: np.ndarray, fam: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per family: count, mean x, mean y, centred cross-product and square sums."""
    codes, index = np.unique(fam, return_inverse=True)
    k = codes.size
    n = np.bincount(index, minlength=k).astype(float)
    mx = np.bincount(index, x, k) / n
    my = np.bincount(index, y, k) / n
    dx, dy = x - mx[index], y - my[index]
    return n, mx, my, np.bincount(index, dx * dy, k), np.bincount(index, dx * dx, k)


def within_family_slope(x: np.ndarray, y: np.ndarray, fam: np.ndarray) -> float:
    r"""Pooled within-family slope :math:`b = \sum_f S_{xy,f} / \sum_f S_{xx,f}`."""
    _, _, _, sxy, sxx = _family_sums(x, y, fam)
    return float(sxy.sum() / sxx.sum())


def _anchored_residuals(x: np.ndarray, y: np.ndarray, fam: np.ndarray, slope: float) -> np.ndarray:
    """Errors of :math:`y_0 + b (x - x_0)` on each family's larger models, anchored at its
    smallest (the procedure applied to a held-out family, replayed on the others)."""
    out = []
    for f in np.unique(fam):
        xf, yf = x[fam == f], y[fam == f]
        first = np.argmin(xf)
        rest = np.arange(xf.size) != first
        out.append(yf[rest] - yf[first] - slope * (xf[rest] - xf[first]))
    return np.concatenate(out) if out else np.zeros(0)


def baseline_predictive(
    method: str,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    x_new: np.ndarray,
    given: tuple[float, float] | None,
    n_draws: int,
    seed: int,
) -> np.ndarray:
    """Predictive draws (``n_draws`` x models) of a simple baseline at log sizes ``x_new``.

    Parameters
    ----------
    method
        ``"within-family slope"`` or ``"smallest carried forward"`` (see the module).
    train
        ``(x, y, family)`` of the other families' models with a score.
    given
        ``(x_0, y_0)`` of the held-out family's smallest model, or None (covariates-only mode;
        not allowed for carrying forward).
    """
    x, y, fam = train
    rng = np.random.default_rng(seed)
    n, mx, my, sxy, sxx = _family_sums(x, y, fam)
    # families resampled with replacement: the slope's (and the pooled means') uncertainty
    counts = rng.multinomial(n.size, np.full(n.size, 1.0 / n.size), size=n_draws).astype(float)
    slopes = (counts @ sxy) / np.maximum(counts @ sxx, 1e-12)
    b = float(sxy.sum() / sxx.sum())
    if method == "smallest carried forward":
        if given is None:
            raise BayescapeError("carrying the smallest model forward needs that model's score")
        steps = _anchored_residuals(x, y, fam, 0.0)
        mean = np.full((n_draws, x_new.size), given[1])
        noise = steps - np.median(steps)
    elif method == "within-family slope":
        if given is None:
            w = counts * n
            x0 = (w @ mx) / w.sum(axis=1)
            y0 = (w @ my) / w.sum(axis=1)
            noise = y - (my.mean() + b * (x - mx.mean()))
        else:
            x0, y0 = np.full(n_draws, given[0]), np.full(n_draws, given[1])
            noise = _anchored_residuals(x, y, fam, b)
        mean = y0[:, None] + slopes[:, None] * (x_new[None, :] - x0[:, None])
    else:
        raise BayescapeError(f"unknown baseline {method!r}")
    if noise.size == 0:
        raise BayescapeError("the other families have too few models to score a baseline")
    return mean + rng.choice(noise, size=mean.shape)


BASELINES: tuple[str, ...] = ("paper quadratic", "within-family slope", "smallest carried forward")
"""The simple baselines of the leave-family-out table, in the order they are reported."""


def baseline_rows(
    rest: pd.DataFrame,
    given: pd.DataFrame,
    scored: pd.DataFrame,
    benchmarks: dict[str, str],
    n_draws: int,
    seed: int,
    family: str,
) -> list[dict[str, Any]]:
    """Score every simple baseline on the held-out ``scored`` models, for each benchmark.

    ``benchmarks`` maps the role (``"reasoning"``, ``"truthfulness"``) to its data column;
    ``given`` holds the held-out family's given smallest model (or no row). The paper's
    quadratic is scored for each benchmark; carrying forward only when a model is given.
    """
    out: list[dict[str, Any]] = []
    x_new = np.log10(scored["params"].to_numpy(dtype=float))
    for role, column in benchmarks.items():
        known = rest[rest[column].notna()]
        train = (
            np.log10(known["params"].to_numpy(dtype=float)),
            known[column].to_numpy(dtype=float),
            known["family"].to_numpy(),
        )
        anchor = None
        if len(given) and np.isfinite(given[column].iloc[0]):
            anchor = (float(np.log10(given["params"].iloc[0])), float(given[column].iloc[0]))
        draws = {"paper quadratic": _quadratic_predictive(*train[:2], x_new, n_draws, seed)}
        draws["within-family slope"] = baseline_predictive(
            "within-family slope", train, x_new, anchor, n_draws, seed
        )
        if anchor is not None:
            draws["smallest carried forward"] = baseline_predictive(
                "smallest carried forward", train, x_new, anchor, n_draws, seed
            )
        for method, d in draws.items():
            out += _scored_rows(method, d, scored, column, role, family)
    return out


def versus_baselines(overall: pd.DataFrame) -> pd.DataFrame:
    """Each method's scores next to the best simple baseline's, per benchmark.

    ``overall`` is :func:`aggregate_scores` by method and benchmark. Adds ``best_baseline``
    (the baseline with the lowest CRPS on that benchmark) and ``crps_vs_best_baseline``: the
    method's CRPS relative to it, in percent (negative: better than every baseline).
    """
    rows = []
    for _, group in overall.groupby("benchmark", sort=False):
        base = group[group["method"].isin(BASELINES)]
        if base.empty:
            continue
        best = base.loc[base["crps"].idxmin()]
        for _, row in group.iterrows():
            rows.append(
                {
                    **row.to_dict(),
                    "best_baseline": best["method"],
                    "crps_vs_best_baseline": 100.0 * (row["crps"] / best["crps"] - 1.0),
                }
            )
    return pd.DataFrame(rows)


def aggregate_scores(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return (
        frame.groupby(keys, sort=False)
        .agg(
            n=("observed", "size"),
            coverage_50=("in_50", "mean"),
            coverage_90=("in_90", "mean"),
            width_90=("width_90", "mean"),
            mae=("abs_error", "mean"),
            mape=("ape", "mean"),
            crps=("crps", "mean"),
        )
        .reset_index()
    )
