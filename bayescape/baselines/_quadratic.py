r"""The paper's headline critical scale: the vertex of a pooled quadratic, and its bootstrap.

Maths
-----
With :math:`x = \log_{10} N`, the paper fits :math:`T = a x^2 + b x + c` by least squares to the
pooled points (family ignored) and reads the critical scale off the vertex,

.. math:: \log_{10} N_c = x_v = -\frac{b}{2a}, \qquad a > 0 \text{ (a minimum: a U-shape)}.

If :math:`dT/dx = \gamma_0 (x - x_c)\, dR/dx` with :math:`dR/dx` constant, :math:`T` is exactly
this quadratic with vertex :math:`x_c`, so the vertex is the zero of a linearly running
coupling: a changepoint in disguise.

Its interval is a plain case-resampling bootstrap: draw :math:`n` indices with replacement,
refit, keep the vertex only when :math:`a > 0` and :math:`7 < x_v < 12`. Dropping the
resamples that fail the rule (47 of 10,000 on the paper's data) cuts off the long upper tail, so
the reported interval is conditional on the very shape it is meant to test.

The "Llama-2 cross-prediction" is the same quadratic fitted to Pythia + Llama-1 and evaluated at
the Llama-2 sizes; its error is the mean absolute percentage error
:math:`100\,\overline{|\hat T - T| / T}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

PAPER_SEED = 42
"""The paper's seed for ``numpy.random.seed`` (legacy Mersenne-Twister ``RandomState``)."""

PAPER_RESAMPLES = 10_000
PAPER_WINDOW = (7.0, 12.0)
"""Kept vertices: :math:`10^7 < N_c < 10^{12}` (open interval, in :math:`\\log_{10} N`)."""


def _check_xy(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError("x and y must be 1-D arrays of equal length")
    if np.unique(xa).size < 3:
        raise ValueError("a quadratic needs at least 3 distinct sizes")
    return xa, ya


@dataclass(frozen=True)
class QuadraticFit:
    r"""Least-squares quadratic :math:`T = a x^2 + b x + c` in :math:`x = \log_{10} N`.

    Attributes
    ----------
    a, b, c
        Coefficients (highest power first, as ``numpy.polyfit``).
    """

    a: float
    b: float
    c: float

    @property
    def vertex_log10(self) -> float:
        r""":math:`x_v = -b / (2a)` (a minimum when :math:`a > 0`, a maximum when :math:`a < 0`)."""
        return -self.b / (2.0 * self.a)

    @property
    def vertex(self) -> float:
        r""":math:`N_c = 10^{x_v}` in parameters."""
        return float(10.0**self.vertex_log10)

    def predict(self, log10_params: ArrayLike) -> np.ndarray:
        r""":math:`\hat T(x) = a x^2 + b x + c`."""
        return np.polyval([self.a, self.b, self.c], np.asarray(log10_params, dtype=float))


def fit_quadratic(log10_params: ArrayLike, scores: ArrayLike) -> QuadraticFit:
    r"""Fit :math:`T = a x^2 + b x + c` by least squares (``numpy.polyfit``, degree 2).

    Parameters
    ----------
    log10_params
        :math:`x = \log_{10} N`.
    scores
        :math:`T`, e.g. TruthfulQA as a fraction. The vertex does not depend on the score's
        units (percent or fraction): rescaling :math:`T` rescales :math:`a` and :math:`b` alike.

    Returns
    -------
    QuadraticFit
    """
    x, y = _check_xy(log10_params, scores)
    a, b, c = np.polyfit(x, y, 2)
    return QuadraticFit(float(a), float(b), float(c))


@dataclass(frozen=True, eq=False)
class VertexBootstrap:
    r"""Bootstrap distribution of the quadratic vertex.

    Attributes
    ----------
    vertices
        Kept vertices :math:`N_c` in parameters (not log), in resample order.
    n_resamples
        Resamples drawn (kept or not).
    require_convex, window
        The truncation rule applied: :math:`a > 0` and :math:`x_v` inside ``window`` (open), or
        ``None`` for no window.
    """

    vertices: np.ndarray
    n_resamples: int
    require_convex: bool
    window: tuple[float, float] | None
    _sorted: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.vertices.size == 0:
            raise ValueError("no resample passed the truncation rule; widen the window")
        object.__setattr__(self, "_sorted", np.sort(self.vertices))

    @property
    def n_valid(self) -> int:
        """Number of kept resamples."""
        return int(self.vertices.size)

    @property
    def median(self) -> float:
        """Median of the kept :math:`N_c` (parameters)."""
        return float(np.median(self._sorted))

    @property
    def mean(self) -> float:
        """Mean of the kept :math:`N_c` (parameters): pulled up by the skew in :math:`N`."""
        return float(np.mean(self._sorted))

    def interval(self, prob: float = 0.95) -> tuple[float, float]:
        r"""Equal-tailed percentile interval of :math:`N_c` (``numpy.percentile``, linear).

        The paper takes percentiles of :math:`N` itself, not of :math:`\log_{10} N`; with linear
        interpolation the two differ in the fourth digit.

        Parameters
        ----------
        prob
            Coverage, e.g. 0.95 gives the 2.5th and 97.5th percentiles.
        """
        if not 0 < prob < 1:
            raise ValueError(f"prob must be in (0, 1), not {prob}")
        lo, hi = np.percentile(self._sorted, [50 * (1 - prob), 50 * (1 + prob)])
        return float(lo), float(hi)


def _polyfit2_batch(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""``numpy.polyfit(x[k], y[k], 2)`` for every row ``k`` at once.

    Same algorithm as ``polyfit``: columns of the Vandermonde matrix scaled to unit norm, then
    the minimum-norm least-squares solution with singular values below
    :math:`n \varepsilon\, s_\max` treated as zero (``pinv`` applies the cutoff ``lstsq`` uses),
    so rank-deficient resamples get the same answer. Agrees with the loop to ~1e-12.

    Parameters
    ----------
    x, y
        Shape (B, n).

    Returns
    -------
    numpy.ndarray
        Shape (B, 3): :math:`a, b, c` per row.
    """
    lhs = x[..., None] ** np.arange(2, -1, -1)
    scale = np.sqrt((lhs * lhs).sum(axis=1, keepdims=True))
    scale[scale == 0] = 1.0
    lhs = lhs / scale
    coef = np.linalg.pinv(lhs, rcond=x.shape[1] * np.finfo(float).eps) @ y[..., None]
    return coef[..., 0] / scale[:, 0, :]


def bootstrap_coefficients(
    log10_params: ArrayLike,
    scores: ArrayLike,
    *,
    n_resamples: int = PAPER_RESAMPLES,
    seed: int = PAPER_SEED,
) -> np.ndarray:
    r"""Quadratic coefficients of every case-resampled refit (no truncation applied).

    Indices come from ``RandomState(seed).choice(n, size=(B, n), replace=True)``: the same
    stream as the paper's ``np.random.seed(42)`` followed by ``np.random.choice(n, n,
    replace=True)`` in a loop (legacy ``choice`` draws ``randint(0, n)`` values in order).

    Parameters
    ----------
    log10_params, scores
        The pooled points.
    n_resamples
        :math:`B`.
    seed
        Seed of the legacy ``numpy.random.RandomState``.

    Returns
    -------
    numpy.ndarray
        Shape (B, 3): :math:`a, b, c` of each resample, in resample order.
    """
    x, y = _check_xy(log10_params, scores)
    n = x.size
    idx = np.random.RandomState(seed).choice(n, size=(n_resamples, n), replace=True)
    return _polyfit2_batch(x[idx], y[idx])


def truncate_vertices(
    coefficients: np.ndarray,
    *,
    require_convex: bool = True,
    window: tuple[float, float] | None = PAPER_WINDOW,
) -> VertexBootstrap:
    r"""Apply a truncation rule to bootstrap coefficients and keep the vertices.

    Parameters
    ----------
    coefficients
        Output of :func:`bootstrap_coefficients`.
    require_convex
        Keep only :math:`a > 0`.
    window
        Keep only :math:`x_v = -b/(2a)` strictly inside ``(low, high)``; ``None`` for any.

    Returns
    -------
    VertexBootstrap
    """
    a, b = coefficients[:, 0], coefficients[:, 1]
    keep = a != 0  # a vertex needs curvature
    if require_convex:
        keep &= a > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        v = -b / (2 * a)
    if window is not None:
        keep &= (v > window[0]) & (v < window[1])
    return VertexBootstrap(10.0 ** v[keep], int(a.size), require_convex, window)


def vertex_bootstrap(
    log10_params: ArrayLike,
    scores: ArrayLike,
    *,
    n_resamples: int = PAPER_RESAMPLES,
    seed: int = PAPER_SEED,
    require_convex: bool = True,
    window: tuple[float, float] | None = PAPER_WINDOW,
) -> VertexBootstrap:
    r"""Case-resampling bootstrap of the quadratic vertex, exactly as the paper ran it.

    For :math:`k = 1..B`: draw :math:`n` indices with replacement (the stream of
    ``np.random.seed(seed)`` + ``np.random.choice(n, n, replace=True)``), refit the quadratic as
    ``numpy.polyfit`` does, and keep :math:`10^{x_v}` when the rule holds. Resamples with fewer
    than three distinct sizes are rank deficient; like ``polyfit`` (and the paper) they get the
    minimum-norm solution and the rule decides.

    Parameters
    ----------
    log10_params, scores
        The pooled points.
    n_resamples
        :math:`B` (paper: 10,000).
    seed
        Seed of the legacy ``numpy.random.RandomState`` (paper: 42).
    require_convex
        Keep only :math:`a > 0` (paper: yes).
    window
        Keep only :math:`x_v` strictly inside ``(low, high)`` (paper: (7, 12)); ``None`` keeps
        every vertex.

    Returns
    -------
    VertexBootstrap
    """
    coef = bootstrap_coefficients(log10_params, scores, n_resamples=n_resamples, seed=seed)
    return truncate_vertices(coef, require_convex=require_convex, window=window)


@dataclass(frozen=True, eq=False)
class CrossPrediction:
    r"""Held-out predictions of a quadratic in :math:`\log_{10} N`.

    Attributes
    ----------
    fit
        The quadratic fitted on the training points.
    table
        One row per held-out model: ``model``, ``params``, ``observed``, ``predicted``,
        ``percent_error`` (:math:`100 (\hat T - T) / T`, signed).
    """

    fit: QuadraticFit
    table: pd.DataFrame

    @property
    def mape(self) -> float:
        r"""Mean absolute percentage error :math:`100\,\overline{|\hat T - T| / T}`."""
        return float(self.table["percent_error"].abs().mean())


def cross_prediction(
    train_params: ArrayLike,
    train_scores: ArrayLike,
    test_params: ArrayLike,
    test_scores: ArrayLike,
    test_models: ArrayLike | None = None,
) -> CrossPrediction:
    r"""Fit the quadratic on one set of models and predict another (the paper's Llama-2 test).

    Parameters
    ----------
    train_params, train_scores
        Parameter counts and scores used for the fit (paper: Pythia + Llama-1, 11 points).
    test_params, test_scores
        Held-out models (paper: the 3 Llama-2 models).
    test_models
        Names for the held-out rows (defaults to their position).

    Returns
    -------
    CrossPrediction
    """
    fit = fit_quadratic(np.log10(np.asarray(train_params, dtype=float)), train_scores)
    n_test = np.asarray(test_params, dtype=float)
    observed = np.asarray(test_scores, dtype=float)
    predicted = fit.predict(np.log10(n_test))
    names = np.arange(n_test.size) if test_models is None else np.asarray(test_models)
    table = pd.DataFrame(
        {
            "model": names,
            "params": n_test,
            "observed": observed,
            "predicted": predicted,
            "percent_error": 100.0 * (predicted - observed) / observed,
        }
    )
    return CrossPrediction(fit, table)
