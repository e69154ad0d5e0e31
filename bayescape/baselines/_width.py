r"""The paper's width normalisation and the ratio-artifact null that explains most of it.

Maths
-----
The paper divides every score by the relative width :math:`w_i = d_{\mathrm{model},i} / 512` and
correlates the ratios: :math:`r(R/w, T/w)`. For a family whose widths grow with size, both ratios
inherit the common factor :math:`1/w`, and

.. math:: r\!\left(\frac{R}{w}, \frac{T}{w}\right) \to +1
    \quad\text{as}\quad
    \frac{\operatorname{CV}(1/w)}{\max\{\operatorname{CV}(R), \operatorname{CV}(T)\}} \to \infty,

whatever the relation between :math:`R` and :math:`T` (Pearson's 1897 spurious correlation of
ratios). The *ratio-artifact null* measures this: draw scores that are independent of each
other and of width, divide by the same widths and record :math:`r`. If the null already sits
near +1, the flip from negative to positive says little about width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from bayescape.baselines._coupling import pearson_r

REFERENCE_WIDTH = 512
"""The paper's reference width (Pythia-70M's :math:`d_{\\mathrm{model}}`)."""

NullKind = Literal["normal", "permutation"]


@dataclass(frozen=True)
class WidthFlip:
    r"""Correlation before and after width normalisation.

    Attributes
    ----------
    r_raw
        :math:`r(R, T)`.
    r_normalised
        :math:`r(R/w, T/w)` with :math:`w = d_{\mathrm{model}}/512`.
    n_models
        Number of models.
    """

    r_raw: float
    r_normalised: float
    n_models: int


def width_normalised_correlation(
    reasoning: ArrayLike,
    truthfulness: ArrayLike,
    d_model: ArrayLike,
    *,
    reference_width: float = REFERENCE_WIDTH,
) -> WidthFlip:
    r"""Pearson r of the scores and of the scores divided by :math:`d_{\mathrm{model}} / 512`.

    Parameters
    ----------
    reasoning, truthfulness
        Scores (fractions); the result does not depend on the unit.
    d_model
        Hidden widths of the same models.
    reference_width
        Divisor of the width (paper: 512). :math:`r` is invariant to it; it is kept so the
        normalised scores match the paper's.

    Returns
    -------
    WidthFlip
    """
    r = np.asarray(reasoning, dtype=float)
    t = np.asarray(truthfulness, dtype=float)
    w = np.asarray(d_model, dtype=float) / reference_width
    if not (r.shape == t.shape == w.shape):
        raise ValueError("reasoning, truthfulness and d_model must have equal length")
    if np.any(w <= 0):
        raise ValueError("d_model must be positive")
    return WidthFlip(pearson_r(r, t), pearson_r(r / w, t / w), int(r.size))


@dataclass(frozen=True, eq=False)
class RatioArtifactNull:
    r"""Null distribution of :math:`r(R^*/w, T^*/w)` for scores unrelated to each other.

    Attributes
    ----------
    r
        One correlation per draw.
    kind
        How the unrelated scores were drawn (see :func:`ratio_artifact_null`).
    """

    r: np.ndarray
    kind: str

    @property
    def median(self) -> float:
        """Median null correlation."""
        return float(np.median(self.r))

    def interval(self, prob: float = 0.95) -> tuple[float, float]:
        """Equal-tailed interval of the null correlation."""
        lo, hi = np.quantile(self.r, [(1 - prob) / 2, (1 + prob) / 2])
        return float(lo), float(hi)

    def probability_at_least(self, r_observed: float) -> float:
        r""":math:`P_0(r^* \ge r_\mathrm{obs})`: how often the ratio alone reaches the observed
        normalised correlation."""
        return float(np.mean(self.r >= r_observed))


def ratio_artifact_null(
    reasoning: ArrayLike,
    truthfulness: ArrayLike,
    d_model: ArrayLike,
    *,
    kind: NullKind = "normal",
    n_draws: int = 10_000,
    seed: int = 0,
    reference_width: float = REFERENCE_WIDTH,
) -> RatioArtifactNull:
    r"""Correlations that width division alone produces from unrelated scores.

    Each draw makes two score vectors :math:`R^*, T^*` independent of each other and of width,
    then records :math:`r(R^*/w, T^*/w)` with the observed widths.

    - ``kind="normal"``: :math:`R^*_i \sim N(\bar R, s_R^2)`, :math:`T^*_i \sim N(\bar T, s_T^2)`
      independently, with the observed means and standard deviations (``ddof=1``);
    - ``kind="permutation"``: :math:`R^*` and :math:`T^*` are independent random re-orderings of
      the observed scores (same values, no link to width or to each other).

    The paper does not say how its random scores were drawn; see the replication notes.

    Parameters
    ----------
    reasoning, truthfulness
        Observed scores, used only for their location and spread (or values).
    d_model
        Observed widths, in the observed order.
    kind
        ``"normal"`` or ``"permutation"``.
    n_draws
        Number of null draws.
    seed
        Seed of ``numpy.random.default_rng``.
    reference_width
        Divisor of the width (no effect on :math:`r`).

    Returns
    -------
    RatioArtifactNull
    """
    r = np.asarray(reasoning, dtype=float)
    t = np.asarray(truthfulness, dtype=float)
    w = np.asarray(d_model, dtype=float) / reference_width
    if not (r.shape == t.shape == w.shape):
        raise ValueError("reasoning, truthfulness and d_model must have equal length")
    rng = np.random.default_rng(seed)
    n = r.size
    if kind == "normal":
        r_star = rng.normal(r.mean(), r.std(ddof=1), size=(n_draws, n))
        t_star = rng.normal(t.mean(), t.std(ddof=1), size=(n_draws, n))
    elif kind == "permutation":
        r_star = rng.permuted(np.tile(r, (n_draws, 1)), axis=1)
        t_star = rng.permuted(np.tile(t, (n_draws, 1)), axis=1)
    else:
        raise ValueError(f"kind must be 'normal' or 'permutation', not {kind!r}")
    a = r_star / w
    b = t_star / w
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    corr = (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return RatioArtifactNull(corr, kind)
