"""Frontier OLS, h-field and leave-one-lab-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayescape.baselines import (
    frontier_ols,
    h_field,
    leave_one_lab_out,
    per_lab_slopes,
    summarise_leave_one_lab_out,
)
from bayescape.data import load_table


@pytest.fixture(scope="module")
def frontier():
    return load_table("frontier34")


@pytest.mark.math
def test_ols_matches_paper(frontier):
    fit = frontier_ols(frontier["swe_bench_verified"], frontier["gpqa_diamond"])
    assert fit.n_models == 34
    assert round(fit.slope, 3) == 0.513
    assert round(100 * fit.intercept, 1) == 46.4  # paper's intercept is in points
    assert round(fit.r, 4) == 0.7235
    assert f"{fit.p_value:.1e}" == "1.3e-06"


@pytest.mark.math
def test_h_field_matches_paper_column(frontier):
    h = h_field(frontier["swe_bench_verified"], frontier["gpqa_diamond"])
    # paper_h is printed to 0.1 points, so rounding error is at most 0.05 (plus float noise)
    np.testing.assert_allclose(100 * h, frontier["paper_h"], atol=0.05 + 1e-9)


@pytest.mark.math
def test_leave_one_lab_out_matches_paper(frontier):
    per_lab = leave_one_lab_out(frontier)
    summary = summarise_leave_one_lab_out(per_lab)
    assert summary.n_labs == 4
    assert round(100 * summary.mean_mae, 1) == 9.2
    assert round(100 * summary.sd_mae, 1) == 2.4


@pytest.mark.math
def test_per_lab_slopes_vary_fivefold(frontier):
    slopes = per_lab_slopes(frontier)
    assert set(slopes["lab"]) == {"Anthropic", "Google", "OpenAI", "DeepSeek"}
    assert round(slopes["slope"].max() / slopes["slope"].min()) == 5


@pytest.mark.math
def test_ols_and_p_match_closed_form():
    rng = np.random.default_rng(2)
    x = rng.uniform(0.2, 0.8, 15)
    y = 0.4 + 0.5 * x + rng.normal(0, 0.05, 15)
    fit = frontier_ols(x, y)
    xc, yc = x - x.mean(), y - y.mean()
    slope = (xc @ yc) / (xc @ xc)
    assert fit.slope == pytest.approx(slope, rel=1e-12)
    assert fit.intercept == pytest.approx(y.mean() - slope * x.mean(), rel=1e-12)
    r = fit.r
    t = r * np.sqrt((15 - 2) / (1 - r**2))
    assert fit.p_value == pytest.approx(2 * stats.t.sf(abs(t), 13), rel=1e-9)
    # residuals of the fitted line are orthogonal to x and sum to zero
    h = h_field(x, y)
    assert abs(h.sum()) < 1e-12 and abs(h @ xc) < 1e-12


@pytest.mark.math
def test_leave_one_lab_out_matches_manual_refit():
    df = pd.DataFrame(
        {
            "lab": ["a", "a", "b", "b", "c", "c"],
            "swe_bench_verified": [0.2, 0.4, 0.3, 0.6, 0.5, 0.7],
            "gpqa_diamond": [0.5, 0.6, 0.55, 0.8, 0.6, 0.75],
        }
    )
    out = leave_one_lab_out(df).set_index("lab")
    rest = df[df["lab"] != "b"]
    slope, intercept = np.polyfit(rest["swe_bench_verified"], rest["gpqa_diamond"], 1)
    held = df[df["lab"] == "b"]
    err = held["gpqa_diamond"] - (intercept + slope * held["swe_bench_verified"])
    assert out.loc["b", "mae"] == pytest.approx(err.abs().mean(), rel=1e-10)
    assert out.loc["b", "n_models"] == 2


@pytest.mark.behaviour
def test_summary_needs_big_enough_labs():
    per_lab = pd.DataFrame({"lab": ["a", "b"], "n_models": [1, 2], "mae": [0.1, 0.2]})
    with pytest.raises(ValueError, match="at least 3 models"):
        summarise_leave_one_lab_out(per_lab)
    assert summarise_leave_one_lab_out(per_lab, min_models=1).sd_mae == pytest.approx(0.05)


@pytest.mark.behaviour
def test_single_lab_cannot_be_left_out():
    df = pd.DataFrame(
        {"lab": ["a"] * 3, "swe_bench_verified": [0.1, 0.2, 0.3], "gpqa_diamond": [0.5, 0.6, 0.7]}
    )
    with pytest.raises(ValueError, match="two labs"):
        leave_one_lab_out(df)
