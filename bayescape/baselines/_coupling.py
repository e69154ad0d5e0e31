r"""The paper's coupling statistics: local :math:`\gamma_{12}`, its phase rule, Pearson r.

Maths
-----
Inside one family, sorted by size :math:`N_1 < N_2 < \dots`, the paper's *local coupling* between
consecutive sizes is a ratio of differences,

.. math:: \gamma_{12}(i \to i+1) = \frac{T_{i+1} - T_i}{R_{i+1} - R_i},

with :math:`R` = HellaSwag and :math:`T` = TruthfulQA. Its phase rule labels a pair *tax* when
:math:`\gamma_{12} < -0.1`, *transition* when :math:`|\gamma_{12}| \le 0.1` and *bonus* when
:math:`\gamma_{12} > 0.1`. Where :math:`R_{i+1} - R_i` is small the ratio explodes (values of
25, -5.4 and -4.2 occur in the paper's table): the statistic has no noise model at all.

The *population coupling* is the Pearson correlation :math:`r(R, T)` across the models of a
set. Its exact permutation test enumerates all :math:`n!` re-orderings of :math:`T` against
:math:`R` (Monte Carlo beyond :math:`n = 10`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

TRANSITION_BAND = 0.1
"""Half-width of the paper's "transition" band: :math:`|\\gamma_{12}| \\le 0.1`."""

EXACT_PERMUTATION_MAX_N = 10
"""Largest sample enumerated exactly (10! = 3,628,800 orderings); Monte Carlo above."""

Alternative = Literal["less", "greater", "two-sided"]


def coupling_phase(gamma12: float, band: float = TRANSITION_BAND) -> str:
    r"""Label one local coupling with the paper's rule.

    Parameters
    ----------
    gamma12
        Local coupling :math:`\gamma_{12}`.
    band
        Half-width of the transition band (the paper uses 0.1).

    Returns
    -------
    str
        ``"tax"`` if :math:`\gamma_{12} < -b`, ``"bonus"`` if :math:`\gamma_{12} > b`,
        ``"transition"`` if :math:`|\gamma_{12}| \le b`, ``"undefined"`` if it is not finite
        (equal reasoning scores).
    """
    if not np.isfinite(gamma12):
        return "undefined"
    if gamma12 < -band:
        return "tax"
    if gamma12 > band:
        return "bonus"
    return "transition"


def local_coupling(
    params: ArrayLike,
    reasoning: ArrayLike,
    truthfulness: ArrayLike,
    *,
    band: float = TRANSITION_BAND,
) -> pd.DataFrame:
    r"""Local coupling :math:`\gamma_{12} = \Delta T / \Delta R` between consecutive sizes.

    Parameters
    ----------
    params
        Parameter counts of one family's models (any order; sorted here).
    reasoning, truthfulness
        Scores :math:`R` (HellaSwag) and :math:`T` (TruthfulQA), fractions.
    band
        Half-width of the transition band of :func:`coupling_phase`.

    Returns
    -------
    pandas.DataFrame
        One row per consecutive pair: ``params_from``, ``params_to``, ``delta_reasoning``,
        ``delta_truthfulness``, ``gamma12`` (NaN when :math:`\Delta R = 0`) and ``phase``.

    Raises
    ------
    ValueError
        If the inputs differ in length or two models have the same size (the order of a
        tied pair, hence the ratio, would be arbitrary).
    """
    n = np.asarray(params, dtype=float)
    r = np.asarray(reasoning, dtype=float)
    t = np.asarray(truthfulness, dtype=float)
    if not (n.shape == r.shape == t.shape) or n.ndim != 1:
        raise ValueError("params, reasoning and truthfulness must be 1-D and of equal length")
    order = np.argsort(n, kind="stable")
    n, r, t = n[order], r[order], t[order]
    if np.any(np.diff(n) == 0):
        raise ValueError(
            "two models share a size: merge or drop duplicates before computing gamma12"
        )
    d_r, d_t = np.diff(r), np.diff(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(d_r != 0, d_t / np.where(d_r != 0, d_r, 1.0), np.nan)
    return pd.DataFrame(
        {
            "params_from": n[:-1],
            "params_to": n[1:],
            "delta_reasoning": d_r,
            "delta_truthfulness": d_t,
            "gamma12": gamma,
            "phase": [coupling_phase(g, band) for g in gamma],
        }
    )


@dataclass(frozen=True)
class SignChange:
    r"""Where a family's local coupling first turns from negative to positive.

    Attributes
    ----------
    critical_scale
        :math:`N_i`, the smaller size of the first consecutive pair with
        :math:`\gamma_{12} > 0` that follows a pair with :math:`\gamma_{12} < 0` (the last size
        still in the tax regime); ``None`` when there is no such pair.
    interval
        :math:`(N_i, N_{i+1})`, the pair that brackets the sign change, or ``None``.
    status
        ``"sign change"``, ``"no tax in range"`` (no negative pair), ``"no bonus in range"``
        (no positive pair after a negative one) or ``"too few models"`` (fewer than 2).
    """

    critical_scale: float | None
    interval: tuple[float, float] | None
    status: str


def sign_change_scale(
    params: ArrayLike, reasoning: ArrayLike, truthfulness: ArrayLike
) -> SignChange:
    r"""Read a critical scale off a family's local couplings (the sign-change rule).

    Walking up in size, :math:`N_c` is the smaller size :math:`N_i` of the first pair with
    :math:`\gamma_{12} > 0` after at least one pair with :math:`\gamma_{12} < 0`. The rule uses
    the sign only (not the :math:`\pm 0.1` band), so a pair with :math:`\gamma_{12} = 0` exactly
    is neither tax nor bonus.

    Parameters
    ----------
    params, reasoning, truthfulness
        One family's sizes and scores, as in :func:`local_coupling`.

    Returns
    -------
    SignChange
    """
    if np.size(params) < 2:
        return SignChange(None, None, "too few models")
    pairs = local_coupling(params, reasoning, truthfulness)
    seen_tax = False
    for row in pairs.itertuples():
        if row.gamma12 < 0:
            seen_tax = True
        elif row.gamma12 > 0 and seen_tax:
            return SignChange(
                float(row.params_from),
                (float(row.params_from), float(row.params_to)),
                "sign change",
            )
    return SignChange(None, None, "no bonus in range" if seen_tax else "no tax in range")


def pearson_r(x: ArrayLike, y: ArrayLike) -> float:
    r"""Pearson correlation :math:`r = \sum \tilde x \tilde y / \sqrt{\sum \tilde x^2 \sum \tilde
    y^2}` with :math:`\tilde x = x - \bar x`.

    Parameters
    ----------
    x, y
        Paired samples of equal length (at least 2, neither constant).

    Returns
    -------
    float
    """
    xc = np.asarray(x, dtype=float)
    yc = np.asarray(y, dtype=float)
    if xc.shape != yc.shape or xc.ndim != 1 or xc.size < 2:
        raise ValueError("x and y must be 1-D, of equal length and have at least 2 values")
    xc, yc = xc - xc.mean(), yc - yc.mean()
    denom = math.sqrt(float(xc @ xc) * float(yc @ yc))
    if denom == 0:
        raise ValueError("correlation undefined: x or y is constant")
    return float(xc @ yc) / denom


@dataclass(frozen=True)
class PermutationTest:
    r"""Result of :func:`permutation_test`.

    Attributes
    ----------
    r
        Observed Pearson correlation.
    p_value
        Exact: :math:`k / n!`; Monte Carlo: :math:`(k + 1) / (B + 1)`.
    n_extreme
        :math:`k`, orderings at least as extreme as the observed one (the identity included
        when exact).
    n_orderings
        :math:`n!` (exact) or :math:`B` (Monte Carlo draws).
    exact
        Whether every ordering was enumerated.
    alternative
        ``"less"``, ``"greater"`` or ``"two-sided"``.
    """

    r: float
    p_value: float
    n_extreme: int
    n_orderings: int
    exact: bool
    alternative: str


def _extreme(stat: np.ndarray, observed: float, alternative: Alternative, tol: float):
    if alternative == "less":
        return stat <= observed + tol
    if alternative == "greater":
        return stat >= observed - tol
    return np.abs(stat) >= abs(observed) - tol


def permutation_test(
    x: ArrayLike,
    y: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
    max_exact_n: int = EXACT_PERMUTATION_MAX_N,
    n_resamples: int = 100_000,
    seed: int = 0,
) -> PermutationTest:
    r"""Permutation test of Pearson r: exact over all :math:`n!` orderings when :math:`n \le 10`.

    Under the null of exchangeability, every re-ordering :math:`\pi` of :math:`y` against
    :math:`x` is equally likely. Since :math:`\bar y` and :math:`\sum \tilde y^2` do not depend on
    :math:`\pi`, :math:`r_\pi \propto \sum_i \tilde x_i \tilde y_{\pi(i)}`, so the statistic is
    computed as one matrix product per block of orderings. Ties in :math:`y` make distinct
    orderings give equal :math:`r` (two Pythia models share TruthfulQA 0.389, so the observed
    ordering and its swap both count: :math:`p = 2/8!`). Values equal to the observed one up
    to :math:`10^{-12}` count as extreme.

    Parameters
    ----------
    x, y
        Paired samples.
    alternative
        ``"less"`` (:math:`r_\pi \le r`), ``"greater"`` (:math:`r_\pi \ge r`) or
        ``"two-sided"`` (:math:`|r_\pi| \ge |r|`).
    max_exact_n
        Enumerate exactly up to this sample size.
    n_resamples, seed
        Monte Carlo draws :math:`B` and the seed of ``numpy.random.default_rng`` beyond
        ``max_exact_n``.

    Returns
    -------
    PermutationTest
    """
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(
            f"alternative must be 'less', 'greater' or 'two-sided', not {alternative!r}"
        )
    r_obs = pearson_r(x, y)
    xc = np.asarray(x, dtype=float)
    yc = np.asarray(y, dtype=float)
    xc, yc = xc - xc.mean(), yc - yc.mean()
    scale = math.sqrt(float(xc @ xc) * float(yc @ yc))
    n = xc.size
    tol = 1e-12
    if n <= max_exact_n:
        count, total = 0, 0
        orderings = itertools.permutations(range(n))
        while block := list(itertools.islice(orderings, 200_000)):
            stat = yc[np.asarray(block)] @ xc / scale
            count += int(_extreme(stat, r_obs, alternative, tol).sum())
            total += len(block)
        return PermutationTest(r_obs, count / total, count, total, True, alternative)
    rng = np.random.default_rng(seed)
    count, done = 0, 0
    while done < n_resamples:
        size = min(50_000, n_resamples - done)
        perms = rng.permuted(np.broadcast_to(np.arange(n), (size, n)), axis=1)
        stat = yc[perms] @ xc / scale
        count += int(_extreme(stat, r_obs, alternative, tol).sum())
        done += size
    return PermutationTest(
        r_obs, (count + 1) / (n_resamples + 1), count, n_resamples, False, alternative
    )
