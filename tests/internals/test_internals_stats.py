"""The coupling and steering statistics against direct numpy/scipy computations."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch not installed: make test-internals installs it")
pytest.importorskip("transformers", reason="transformers not installed")

from scipy import stats

from bayescape.internals import _stats

pytestmark = pytest.mark.math


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _direct(x, sizes, w, threshold):
    """Cosine of mean differences and weighted share of pairs below threshold, by loops."""
    n_r, n_t, n_b = sizes.reasoning, sizes.truthfulness, sizes.baseline
    xr, xt, xb = x[:n_r], x[n_r : n_r + n_t], x[n_r + n_t :]
    wr, wt, wb = w[:n_r], w[n_r : n_r + n_t], w[n_r + n_t :]
    b = (wb @ xb) / n_b if n_b else np.zeros(x.shape[1])
    cos = _cos((wr @ xr) / n_r - b, (wt @ xt) / n_t - b)
    share = 0.0
    for i in range(n_r):
        for j in range(n_t):
            if _cos(xr[i] - b, xt[j] - b) < threshold:
                share += wr[i] * wt[j]
    return cos, share / (n_r * n_t)


def _direct_defined(x, sizes) -> float:
    n_r, n_t = sizes.reasoning, sizes.truthfulness
    b = x[n_r + n_t :].mean(0)
    count = 0
    for i in range(n_r):
        for j in range(n_r, n_r + n_t):
            u, v = x[i] - b, x[j] - b
            if np.linalg.norm(u) > 0 and np.linalg.norm(v) > 0 and _cos(u, v) < -0.5:
                count += 1
    return count / (n_r * n_t)


@pytest.mark.parametrize("n_baseline", [0, 5])
@pytest.mark.parametrize("threshold", [-0.5, 0.0])
def test_cosine_and_pair_share_match_direct_numpy(n_baseline, threshold):
    rng = np.random.default_rng(1)
    sizes = _stats.GroupSizes(7, 6, n_baseline)
    x = rng.normal(size=(3, sizes.total, 5)) + np.array([0.5, 0, 0, 0, 0])
    weights = _stats.bootstrap_weights(sizes, n_boot=6, seed=2)
    grams = _stats.gram(x, centre=n_baseline > 0)
    cos, frac = _stats.coupling_from_grams(grams, sizes, weights, threshold)
    assert cos.shape == frac.shape == (3, 7)
    for u in range(3):
        for k in range(weights.shape[0]):
            want_cos, want_frac = _direct(x[u], sizes, weights[k], threshold)
            assert cos[u, k] == pytest.approx(want_cos, abs=1e-10)
            assert frac[u, k] == pytest.approx(want_frac, abs=1e-12)


def test_weights_are_the_same_as_resampling_rows():
    """A multiplicity vector gives the statistic of the explicitly resampled prompt sets."""
    rng = np.random.default_rng(3)
    sizes = _stats.GroupSizes(5, 4, 3)
    x = rng.normal(size=(sizes.total, 6))
    idx = [rng.integers(0, n, n) for n in (5, 4, 3)]
    w = np.concatenate([np.bincount(i, minlength=n) for i, n in zip(idx, (5, 4, 3), strict=True)])
    cos, frac = _stats.coupling_from_grams(_stats.gram(x, True)[None], sizes, w[None] * 1.0)
    xr, xt, xb = x[:5][idx[0]], x[5:9][idx[1]], x[9:][idx[2]]
    b = xb.mean(0)
    assert cos[0, 0] == pytest.approx(_cos(xr.mean(0) - b, xt.mean(0) - b), abs=1e-12)
    pairs = [_cos(r - b, t - b) < -0.5 for r in xr for t in xt]
    assert frac[0, 0] == pytest.approx(np.mean(pairs), abs=1e-12)


def test_bootstrap_weights_resample_within_each_set():
    sizes = _stats.GroupSizes(4, 3, 2)
    w = _stats.bootstrap_weights(sizes, n_boot=50, seed=0)
    assert w.shape == (51, 9)
    assert np.all(w[0] == 1)
    assert np.all(w[:, :4].sum(1) == 4)
    assert np.all(w[:, 4:7].sum(1) == 3)
    assert np.all(w[:, 7:].sum(1) == 2)


def test_competing_count_matches_direct_rule():
    """Anti-aligned units compete under the paper's rule; aligned and orthogonal ones do not."""
    rng = np.random.default_rng(4)
    n_r, n_t, n_b, d = 12, 10, 8, 6
    sizes = _stats.GroupSizes(n_r, n_t, n_b)
    e1, e2 = np.eye(d)[0], np.eye(d)[1]
    units = []
    for r_dir, t_dir in [(e1, -e1), (e1, e1), (e1, e2), (-e2, e2)]:
        noise = 0.2 * rng.normal(size=(sizes.total, d))
        x = np.vstack([np.tile(r_dir, (n_r, 1)), np.tile(t_dir, (n_t, 1)), np.zeros((n_b, d))])
        units.append(x + noise + 3.0)  # a shared offset: the baseline removes it
    x = np.stack(units)
    weights = np.ones((1, sizes.total))
    cos, frac = _stats.coupling_from_grams(_stats.gram(x, True), sizes, weights, -0.5)
    competing = frac[:, 0] > 0.5
    direct = [_direct(u, sizes, weights[0], -0.5)[1] > 0.5 for u in x]
    assert competing.tolist() == direct == [True, False, False, True]
    assert cos[0, 0] < -0.9 and cos[1, 0] > 0.9 and abs(cos[2, 0]) < 0.3
    # without the baseline the shared offset makes every cosine near +1: nothing competes
    raw = _stats.GroupSizes(n_r, n_t, 0)
    raw_cos, raw_frac = _stats.coupling_from_grams(
        _stats.gram(x[:, : n_r + n_t], False), raw, np.ones((1, n_r + n_t)), -0.5
    )
    assert np.all(raw_cos[:, 0] > 0.8) and np.all(raw_frac[:, 0] == 0)


def test_zero_mean_difference_gives_nan_not_an_error():
    sizes = _stats.GroupSizes(3, 3, 0)
    x = np.zeros((1, 6, 4))
    cos, frac = _stats.coupling_from_grams(_stats.gram(x, False), sizes, np.ones((1, 6)))
    assert np.isnan(cos[0, 0]) and frac[0, 0] == 0
    # with a baseline: a prompt equal to the baseline mean has no direction; its pairs do not count
    sizes = _stats.GroupSizes(2, 2, 2)
    x = np.array([[[1.0, 1.0], [3.0, 1.0], [-1.0, -1.0], [-2.0, -1.0], [1.0, 1.0], [1.0, 1.0]]])
    cos, frac = _stats.coupling_from_grams(_stats.gram(x, True), sizes, np.ones((1, 6)), -0.5)
    assert frac[0, 0] == pytest.approx(2 / 4)  # (x1, x3) and (x1, x4) are opposite; x0 = b
    assert frac[0, 0] == pytest.approx(_direct_defined(x[0], sizes))


def _cos_interval(n: int, seed: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    d = 8
    a, b = rng.normal(size=d), rng.normal(size=d)
    x = np.vstack(
        [a + rng.normal(size=(n, d)), b + rng.normal(size=(n, d)), rng.normal(size=(n, d))]
    )
    sizes = _stats.GroupSizes(n, n, n)
    w = _stats.bootstrap_weights(sizes, 400, seed)
    cos, _ = _stats.coupling_from_grams(_stats.gram(x, True)[None], sizes, w)
    lo, hi = _stats.percentile_interval(cos[0, 1:], 0.9)
    return float(cos[0, 0]), float(lo), float(hi)


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_more_prompts():
    small = _cos_interval(15, 0)
    large = _cos_interval(120, 0)
    for point, lo, hi in (small, large):
        assert lo <= point <= hi
    assert (large[2] - large[1]) < 0.5 * (small[2] - small[1])


def test_percentile_interval_ignores_nan_and_matches_numpy():
    values = np.array([np.nan, 1.0, 2.0, 3.0, 4.0, np.inf])
    lo, hi = _stats.percentile_interval(values, 0.5)
    assert (lo, hi) == tuple(np.quantile([1.0, 2.0, 3.0, 4.0], [0.25, 0.75]))
    assert np.all(np.isnan(_stats.percentile_interval(np.full(4, np.nan), 0.9)))


def test_mean_difference_recovers_a_planted_direction():
    rng = np.random.default_rng(5)
    v = rng.normal(size=64)
    base = rng.normal(size=(200, 64)) * 3
    true = base + v + 0.5 * rng.normal(size=base.shape)
    false = base + 0.5 * rng.normal(size=base.shape)
    assert _cos(_stats.mean_difference(true, false), v) > 0.99


def test_layer_scores_pick_the_layer_with_the_planted_direction():
    rng = np.random.default_rng(6)
    n, layers, d = 40, 4, 16
    deltas = rng.normal(size=(n, layers, d))
    deltas[:, 2] += 3 * rng.normal(size=d)  # only layer 2 separates true from false
    scores = _stats.layer_scores(deltas)
    assert [s.layer for s in scores] == [0, 1, 2, 3]
    assert scores[2].accuracy == 1.0
    assert _stats.best_layer(scores) == 2
    with pytest.raises(_stats.InternalsError, match="at least 4"):
        _stats.layer_scores(deltas[:3])


def test_mcnemar_exact_against_the_binomial_by_hand():
    base = np.array([False] * 8 + [True] * 1 + [True] * 5 + [False] * 6)
    steered = np.array([True] * 8 + [False] * 1 + [True] * 5 + [False] * 6)
    gained, lost, p = _stats.mcnemar_exact(base, steered)
    assert (gained, lost) == (8, 1)
    assert p == pytest.approx(2 * (1 + 9) / 2**9)  # two-sided, P(X <= 1 | 9, 1/2) doubled
    assert _stats.mcnemar_exact(base, base) == (0, 0, 1.0)


def test_exact_binomial_interval_is_clopper_pearson():
    lo, hi = _stats.exact_binomial_interval(14, 40, 0.95)
    assert lo == pytest.approx(stats.beta.ppf(0.025, 14, 27))
    assert hi == pytest.approx(stats.beta.ppf(0.975, 15, 26))
    assert lo < 14 / 40 < hi


def test_paired_bootstrap_mean():
    values = np.array([1.0, 0.0, 0.0, 1.0, -1.0, 1.0, 0.0, 1.0])
    mean, (lo, hi) = _stats.paired_bootstrap_mean(values, 2000, 0.9, 0)
    assert mean == pytest.approx(values.mean())
    assert lo <= mean <= hi
