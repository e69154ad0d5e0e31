r"""Scores of predictive draws against held-out scores, shared by the leave-family-out checks.

The phase model's refits (:mod:`bayescape.analysis._lofo`) and the dynamics model's importance
sampling and refits (:mod:`bayescape.analysis._dynamics_lofo`) score their predictions here:
the predictive median and 90% interval, hits of the central 50% and 90% intervals, absolute and
percentage error, and the CRPS in its energy form,
:math:`\mathrm{CRPS}(F, y) = E|X - y| - \tfrac12 E|X - X'|` (lower is better); and the paper's
pooled quadratic, the baseline both score on the same held-out models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayescape.analysis._importance import weighted_quantile
from bayescape.baselines import bootstrap_coefficients


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


def quadratic_rows(
    rest: pd.DataFrame,
    scored: pd.DataFrame,
    truthfulness: str,
    n_draws: int,
    seed: int,
    family: str,
) -> list[dict[str, Any]]:
    """Score the paper's pooled quadratic (fitted to ``rest``) on the ``scored`` models."""
    known = rest[rest[truthfulness].notna()]
    draws = _quadratic_predictive(
        np.log10(known["params"].to_numpy(dtype=float)),
        known[truthfulness].to_numpy(dtype=float),
        np.log10(scored["params"].to_numpy(dtype=float)),
        n_draws,
        seed,
    )
    uniform = np.full(n_draws, 1.0 / n_draws)
    out = []
    for i, (_, row) in enumerate(scored.iterrows()):
        if not np.isfinite(row[truthfulness]):
            continue
        out.append(
            {
                "method": "paper quadratic",
                "family": family,
                "model": row["model"],
                "benchmark": "truthfulness",
                "observed": float(row[truthfulness]),
                **score_draws(draws[:, i], uniform, float(row[truthfulness])),
            }
        )
    return out


def aggregate_scores(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return (
        frame.groupby(keys, sort=False)
        .agg(
            n=("observed", "size"),
            coverage_50=("in_50", "mean"),
            coverage_90=("in_90", "mean"),
            mae=("abs_error", "mean"),
            mape=("ape", "mean"),
            crps=("crps", "mean"),
        )
        .reset_index()
    )
