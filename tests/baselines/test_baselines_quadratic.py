"""Quadratic vertex N_c, the paper's bootstrap and the Llama-2 cross-prediction."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bayescape.baselines import (
    bootstrap_coefficients,
    cross_prediction,
    fit_quadratic,
    vertex_bootstrap,
)
from bayescape.data import load_table


@pytest.fixture(scope="module")
def points():
    pts = load_table("cape_bootstrap_points")
    return np.log10(pts["params"].to_numpy()), pts["truthfulqa"].to_numpy()


@pytest.fixture(scope="module")
def paper_bootstrap(points):
    return vertex_bootstrap(*points)


# --- paper numbers (issue 5) -----------------------------------------------------------------


@pytest.mark.math
def test_bootstrap_valid_count(paper_bootstrap):
    assert (paper_bootstrap.n_valid, paper_bootstrap.n_resamples) == (9953, 10_000)


@pytest.mark.math
def test_bootstrap_median_and_mean(paper_bootstrap):
    assert round(paper_bootstrap.median / 1e9, 2) == 3.49
    assert round(paper_bootstrap.mean / 1e9, 2) == 5.88


@pytest.mark.math
def test_bootstrap_intervals(paper_bootstrap):
    lo95, hi95 = paper_bootstrap.interval(0.95)
    lo68, hi68 = paper_bootstrap.interval(0.68)
    assert (round(lo95 / 1e9, 2), round(hi95 / 1e9, 2)) == (2.92, 13.40)
    assert (round(lo68 / 1e9, 2), round(hi68 / 1e9, 2)) == (3.15, 4.33)


@pytest.mark.math
def test_vertex_does_not_depend_on_percent_or_fraction(points):
    x, y = points
    frac = vertex_bootstrap(x, y, n_resamples=500)
    pct = vertex_bootstrap(x, 100 * y, n_resamples=500)
    assert frac.n_valid == pct.n_valid
    np.testing.assert_allclose(frac.vertices, pct.vertices, rtol=1e-9)


@pytest.mark.math
def test_untruncated_interval_is_wider_and_keeps_every_resample(points, paper_bootstrap):
    free = vertex_bootstrap(*points, require_convex=False, window=None)
    assert free.n_valid == 10_000
    assert free.interval(0.95)[1] > paper_bootstrap.interval(0.95)[1]
    assert free.vertices.max() > 1e12  # vertices the window rule threw away


@pytest.mark.math
def test_llama2_cross_prediction_matches_paper():
    pts = load_table("cape_bootstrap_points")
    train = pts[pts["family"].isin(["Pythia", "Llama-1"])]
    test = pts[pts["family"] == "Llama-2"]
    assert len(train) == 11
    pred = cross_prediction(
        train["params"], train["truthfulqa"], test["params"], test["truthfulqa"], test["model"]
    )
    assert round(pred.mape, 2) == 5.65
    errors = dict(zip(pred.table["model"], pred.table["percent_error"].round(1), strict=True))
    assert errors == {"7B": -8.5, "13B": -2.3, "70B": -6.1}


# --- independent references ------------------------------------------------------------------


@pytest.mark.math
def test_vertex_is_minus_b_over_2a_of_an_exact_quadratic():
    x = np.linspace(8, 11, 9)
    y = 0.02 * (x - 9.5) ** 2 + 0.35
    fit = fit_quadratic(x, y)
    assert fit.a == pytest.approx(0.02, rel=1e-9)
    assert fit.vertex_log10 == pytest.approx(-fit.b / (2 * fit.a))
    assert fit.vertex_log10 == pytest.approx(9.5, abs=1e-9)
    assert fit.vertex == pytest.approx(10**9.5, rel=1e-8)


@pytest.mark.math
def test_bootstrap_equals_the_papers_loop_with_polyfit(points):
    # The paper ran np.random.seed(42) and np.random.choice(n, n, replace=True) + np.polyfit in
    # a loop; the package draws all indices at once and fits in batch. Same resamples, same
    # fits, for all 10,000 resamples (including rank-deficient ones).
    x, y = points
    n = x.size
    np.random.seed(42)  # noqa: NPY002 (the paper's legacy global stream, on purpose)
    coef = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        for _ in range(10_000):
            idx = np.random.choice(n, n, replace=True)  # noqa: NPY002
            coef.append(np.polyfit(x[idx], y[idx], 2))
    coef = np.array(coef)
    got = bootstrap_coefficients(x, y)
    np.testing.assert_allclose(got, coef, rtol=1e-8, atol=1e-10)
    a, b = coef[:, 0], coef[:, 1]
    v = -b / (2 * a)
    expected = 10 ** v[(a > 0) & (v > 7) & (v < 12)]
    np.testing.assert_allclose(vertex_bootstrap(x, y).vertices, expected, rtol=1e-9)


@pytest.mark.math
def test_interval_is_numpy_percentile_of_n():
    boot = vertex_bootstrap(
        np.log10([1e8, 1e9, 3e9, 1e10, 1e11]),
        [0.45, 0.40, 0.38, 0.40, 0.45],
        n_resamples=300,
        seed=1,
    )
    lo, hi = boot.interval(0.9)
    np.testing.assert_allclose([lo, hi], np.percentile(boot.vertices, [5, 95]))


# --- behaviour -------------------------------------------------------------------------------


@pytest.mark.behaviour
def test_too_few_sizes_is_refused():
    with pytest.raises(ValueError, match="3 distinct sizes"):
        fit_quadratic([9.0, 9.0, 10.0], [0.3, 0.31, 0.4])


@pytest.mark.behaviour
def test_empty_bootstrap_says_what_to_do():
    x = np.log10([1e8, 1e9, 1e10, 1e11])
    y = [0.45, 0.40, 0.40, 0.45]  # vertex near 1e9.5, far from the window
    with pytest.raises(ValueError, match="widen the window"):
        vertex_bootstrap(x, y, n_resamples=50, window=(20.0, 21.0))


@pytest.mark.behaviour
def test_interval_rejects_bad_prob(paper_bootstrap):
    with pytest.raises(ValueError, match="prob"):
        paper_bootstrap.interval(95)
