r"""The statistics of internal coupling and steering (numpy and scipy only, no torch).

Coupling statistics are computed from Gram matrices: for one unit with representations
:math:`X \in \mathbb{R}^{N \times d}` of all prompts (reasoning, then truthfulness, then
baseline), every mean and every pairwise inner product is a quadratic form in
:math:`G = X X^\top`. A bootstrap resample is a vector of multiplicities :math:`w` (how often
each prompt is drawn, resampling within each set), so the resampled mean difference is
:math:`d_R = X^\top a` with :math:`a = (w_R / n_R,\ 0,\ -w_B / n_B)` and

.. math:: \cos(d_R, d_T) = \frac{a^\top G c}{\sqrt{a^\top G a\; c^\top G c}},

which costs :math:`O(N^2)` per resample whatever the width :math:`d` of the unit (a head, a
layer, or the vocabulary).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._errors import InternalsError

_MAX_BLOCK = 20_000_000  # elements of the largest temporary array (160 MB of float64)


@dataclass(frozen=True)
class GroupSizes:
    """Sizes of the prompt sets, in the order their rows are stacked."""

    reasoning: int
    truthfulness: int
    baseline: int = 0

    @property
    def total(self) -> int:
        return self.reasoning + self.truthfulness + self.baseline


def bootstrap_weights(sizes: GroupSizes, n_boot: int, seed: int) -> np.ndarray:
    """Multiplicities of each prompt: row 0 is the sample itself, rows 1.. are resamples.

    Each set is resampled with replacement on its own (``n`` draws from its ``n`` prompts), so a
    resample keeps the set sizes. Shared by every unit, so differences between units (hidden
    state vs logits) get paired intervals.

    Returns
    -------
    numpy.ndarray
        ``(1 + n_boot, N)`` float array.
    """
    rng = np.random.default_rng(seed)
    blocks = []
    for n in (sizes.reasoning, sizes.truthfulness, sizes.baseline):
        if n == 0:
            continue
        sample = np.ones((1, n))
        resamples = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
        blocks.append(np.vstack([sample, resamples]))
    return np.hstack(blocks)


def gram(x: np.ndarray, centre: bool) -> np.ndarray:
    """Gram matrices ``X X^T`` in float64 of ``(N, d)`` or ``(U, N, d)`` representations.

    ``centre=True`` subtracts the mean over all prompts first; the statistics relative to a
    baseline do not change (they are translation invariant) but the subtraction in float64
    then works on small numbers.
    """
    x = np.asarray(x, dtype=np.float64)
    if centre:
        x = x - x.mean(axis=-2, keepdims=True)
    return x @ np.swapaxes(x, -1, -2)


def _coefficients(
    weights: np.ndarray, sizes: GroupSizes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean coefficients: reasoning - baseline, truthfulness - baseline, baseline."""
    n_r, n_t, n_b = sizes.reasoning, sizes.truthfulness, sizes.baseline
    a = np.zeros_like(weights)
    c = np.zeros_like(weights)
    beta = np.zeros_like(weights)
    a[:, :n_r] = weights[:, :n_r] / n_r
    c[:, n_r : n_r + n_t] = weights[:, n_r : n_r + n_t] / n_t
    if n_b:
        beta[:, n_r + n_t :] = weights[:, n_r + n_t :] / n_b
        a -= beta
        c -= beta
    return a, c, beta


def coupling_from_grams(
    grams: np.ndarray,
    sizes: GroupSizes,
    weights: np.ndarray,
    threshold: float = -0.5,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Cosine of the mean differences and the fraction of competing pairs, per unit and weight.

    Parameters
    ----------
    grams
        ``(U, N, N)`` Gram matrices of ``U`` units (rows: reasoning, truthfulness, baseline).
    sizes
        Sizes of the three sets (``baseline=0`` for none: raw means, the paper's definition).
    weights
        ``(K, N)`` multiplicities (:func:`bootstrap_weights`; a row of ones is the sample).
    threshold
        A (reasoning, truthfulness) pair counts when its cosine is below this.

    Returns
    -------
    cosine : numpy.ndarray
        ``(U, K)``: :math:`\cos(\bar x_R - \bar x_B, \bar x_T - \bar x_B)`, NaN where a mean
        difference is zero.
    fraction : numpy.ndarray
        ``(U, K)``: weighted share of pairs :math:`(i, j)` with
        :math:`\cos(x_i - \bar x_B, x_j - \bar x_B) < \text{threshold}` (a pair whose cosine is
        undefined does not count).
    """
    grams = np.asarray(grams, dtype=np.float64)
    if grams.ndim != 3 or grams.shape[1] != grams.shape[2] or grams.shape[1] != sizes.total:
        raise InternalsError(f"grams must be (U, {sizes.total}, {sizes.total}), got {grams.shape}")
    weights = np.asarray(weights, dtype=np.float64)
    a, c, beta = _coefficients(weights, sizes)
    n_r, n_t = sizes.reasoning, sizes.truthfulness
    ga = grams @ a.T  # (U, N, K)
    gc = grams @ c.T
    aga = np.einsum("kn,unk->uk", a, ga)
    agc = np.einsum("kn,unk->uk", c, ga)
    cgc = np.einsum("kn,unk->uk", c, gc)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = agc / np.sqrt(aga * cgc)
    cosine[~np.isfinite(cosine)] = np.nan
    cosine = np.clip(cosine, -1.0, 1.0)

    w_r = weights[:, :n_r]
    w_t = weights[:, n_r : n_r + n_t]
    g_rt = grams[:, :n_r, n_r : n_r + n_t]
    diag = np.einsum("unn->un", grams)
    if sizes.baseline == 0:  # pairwise cosines do not depend on the resample
        with np.errstate(invalid="ignore", divide="ignore"):
            pair = g_rt / np.sqrt(diag[:, :n_r, None] * diag[:, None, n_r : n_r + n_t])
        below = (pair < threshold).astype(np.float64)
        fraction = np.einsum("uij,ki,kj->uk", below, w_r, w_t, optimize=True) / (n_r * n_t)
        return cosine, fraction

    # With a baseline every pairwise cosine moves with the resampled baseline mean b = X^T beta:
    # <x_i - b, x_j - b> = G_ij - (G beta)_i - (G beta)_j + beta^T G beta.
    gb = grams @ beta.T  # (U, N, K)
    s = np.einsum("kn,unk->uk", beta, gb)  # (U, K)
    centred_diag = np.clip(diag[:, :, None] - 2 * gb + s[:, None, :], 0, None)  # (U, N, K)
    # cos_ij < t  <=>  G_ij - (a_i + b_j) < t |x_i - b| |x_j - b|, with a = G beta - s / 2
    a_r = gb[:, :n_r] - s[:, None, :] / 2
    a_t = gb[:, n_r : n_r + n_t] - s[:, None, :] / 2
    norm_r = threshold * np.sqrt(centred_diag[:, :n_r])
    norm_t = np.sqrt(centred_diag[:, n_r : n_r + n_t])
    tiny = 1e-12 * np.maximum(diag.max(axis=1), np.finfo(float).tiny)[:, None, None]
    valid_r = centred_diag[:, :n_r] > tiny
    valid_t = centred_diag[:, n_r : n_r + n_t] > tiny
    valid_all = bool(valid_r.all() and valid_t.all())
    units, n_weights = grams.shape[0], weights.shape[0]
    fraction = np.empty((units, n_weights))
    step = max(1, _MAX_BLOCK // max(1, units * n_r * n_t))
    for start in range(0, n_weights, step):
        k = slice(start, min(n_weights, start + step))
        inner = np.add(a_r[:, :, None, k], a_t[:, None, :, k])  # (U, n_r, n_t, k)
        np.subtract(g_rt[..., None], inner, out=inner)
        bound = np.multiply(norm_r[:, :, None, k], norm_t[:, None, :, k])
        below = np.less(inner, bound, out=np.empty(inner.shape, dtype=bool))
        if not valid_all:  # an undefined cosine (a zero vector) does not count
            below &= valid_r[:, :, None, k] & valid_t[:, None, :, k]
        per_row = np.einsum("uijk,kj->uik", below, w_t[k])
        fraction[:, k] = np.einsum("uik,ki->uk", per_row, w_r[k]) / (n_r * n_t)
    return cosine, fraction


def percentile_interval(boot: np.ndarray, prob: float, axis: int = -1) -> np.ndarray:
    """Central percentile interval of bootstrap replicates (NaN replicates are ignored).

    Returns
    -------
    numpy.ndarray
        ``[..., 2]``: lower and upper ends (NaN where every replicate is NaN).
    """
    boot = np.asarray(boot, dtype=np.float64)
    boot = np.where(np.isfinite(boot), boot, np.nan)
    with warnings.catch_warnings():  # all-NaN slices give NaN, as documented
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(boot, [(1 - prob) / 2, (1 + prob) / 2], axis=axis)
    return np.moveaxis(q, 0, -1)


# ---------------------------------------------------------------------------------------------
# Steering


def mean_difference(true_acts: np.ndarray, false_acts: np.ndarray) -> np.ndarray:
    """Truth direction: mean of the true statements' activations minus mean of the false ones.

    Parameters
    ----------
    true_acts, false_acts
        ``(n, ..., d)`` activations; the means are over the first axis.
    """
    true_mean = np.asarray(true_acts, np.float64).mean(axis=0)
    return true_mean - np.asarray(false_acts, np.float64).mean(axis=0)


@dataclass(frozen=True)
class LayerScore:
    """How well the true-minus-false direction of one layer separates held-out pairs.

    ``accuracy``: share of held-out pairs whose true statement projects higher than its false
    one on the direction built from the other fold; ``effect``: mean over sd of those held-out
    projection differences (a paired standardized mean difference).
    """

    layer: int
    accuracy: float
    effect: float


def layer_scores(deltas: np.ndarray, folds: int = 2) -> list[LayerScore]:
    r"""Cross-validated separation of true and false statements at every layer.

    Parameters
    ----------
    deltas
        ``(n_pairs, n_layers, d)``: :math:`\delta_{i\ell} = h_\ell(\text{true}_i) -
        h_\ell(\text{false}_i)`.
    folds
        Pairs are dealt to folds in turn (pair ``i`` to fold ``i % folds``); the direction for
        a fold is the mean of the deltas of the other folds.

    Returns
    -------
    list of LayerScore
        One per layer, in layer order.
    """
    deltas = np.asarray(deltas, dtype=np.float64)
    n = deltas.shape[0]
    if n < 2 * folds:
        raise InternalsError(
            f"choosing a layer needs at least {2 * folds} statement pairs, got {n}"
        )
    fold = np.arange(n) % folds
    margins = np.empty(deltas.shape[:2])
    for f in range(folds):
        held = fold == f
        v = deltas[~held].mean(axis=0)  # (L, d)
        norm = np.linalg.norm(v, axis=-1, keepdims=True)
        unit = np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)
        margins[held] = np.einsum("nld,ld->nl", deltas[held], unit)
    accuracy = (margins > 0).mean(axis=0)
    sd = margins.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        effect = np.where(sd > 0, margins.mean(axis=0) / sd, 0.0)
    return [
        LayerScore(layer=i, accuracy=float(accuracy[i]), effect=float(effect[i]))
        for i in range(deltas.shape[1])
    ]


def best_layer(scores: list[LayerScore]) -> int:
    """The layer with the highest held-out accuracy; ties go to the larger effect, then the
    earlier layer."""
    return max(scores, key=lambda s: (s.accuracy, s.effect, -s.layer)).layer


def exact_binomial_interval(k: int, n: int, prob: float) -> tuple[float, float]:
    """Clopper-Pearson (exact) interval of a proportion ``k / n``."""
    if n == 0:
        return (float("nan"), float("nan"))
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=prob, method="exact")
    return (float(ci.low), float(ci.high))


def mcnemar_exact(base: np.ndarray, steered: np.ndarray) -> tuple[int, int, float]:
    """Exact McNemar test of paired correctness (two-sided).

    Returns
    -------
    gained : int
        Pairs wrong without steering and right with it.
    lost : int
        Pairs right without steering and wrong with it.
    p_value : float
        ``binomtest(gained, gained + lost, 0.5)``; 1 when no pair changed.
    """
    base = np.asarray(base, dtype=bool)
    steered = np.asarray(steered, dtype=bool)
    gained = int(np.sum(~base & steered))
    lost = int(np.sum(base & ~steered))
    if gained + lost == 0:
        return gained, lost, 1.0
    return gained, lost, float(stats.binomtest(gained, gained + lost, 0.5).pvalue)


def paired_bootstrap_mean(
    values: np.ndarray, n_boot: int, prob: float, seed: int
) -> tuple[float, tuple[float, float]]:
    """Mean of paired per-item values and its percentile bootstrap interval (items resampled)."""
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    boot = values[idx].mean(axis=1)
    lo, hi = percentile_interval(boot, prob)
    return float(values.mean()), (float(lo), float(hi))
