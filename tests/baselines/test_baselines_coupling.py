"""Local coupling, the sign-change rule, Pearson r and the permutation test."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from bayescape.baselines import (
    coupling_phase,
    local_coupling,
    pearson_r,
    permutation_test,
    sign_change_scale,
)
from bayescape.data import load_table


@pytest.fixture(scope="module")
def pythia():
    return load_table("cape_pythia")


# --- paper numbers ---------------------------------------------------------------------------


@pytest.mark.math
def test_pythia_r_matches_paper(pythia):
    # Issue 5: r = -0.9886 on the 8 Pythia models of ai_free_energy_data.json.
    assert round(pearson_r(pythia["hellaswag"], pythia["truthfulqa"]), 4) == -0.9886


@pytest.mark.math
def test_pythia_exact_permutation_p_is_2_of_40320(pythia):
    test = permutation_test(pythia["hellaswag"], pythia["truthfulqa"], alternative="less")
    assert test.exact
    assert (test.n_extreme, test.n_orderings) == (2, 40320)
    assert test.p_value == pytest.approx(2 / 40320, rel=1e-12)


# --- against independent references ----------------------------------------------------------


@pytest.mark.math
def test_pearson_r_matches_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=20), rng.normal(size=20)
    assert pearson_r(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-14)


def _brute_force_p(x, y, alternative):
    r_obs = stats.pearsonr(x, y).statistic
    rs = np.array(
        [
            stats.pearsonr(x, np.asarray(y)[list(p)]).statistic
            for p in itertools.permutations(range(len(x)))
        ]
    )
    tol = 1e-12
    if alternative == "less":
        hits = rs <= r_obs + tol
    elif alternative == "greater":
        hits = rs >= r_obs - tol
    else:
        hits = np.abs(rs) >= abs(r_obs) - tol
    return hits.mean()


@pytest.mark.math
@pytest.mark.parametrize("alternative", ["less", "greater", "two-sided"])
def test_exact_permutation_p_matches_brute_force(alternative):
    rng = np.random.default_rng(7)
    x = rng.normal(size=6)
    y = -0.5 * x + rng.normal(size=6)
    got = permutation_test(x, y, alternative=alternative).p_value
    assert got == pytest.approx(_brute_force_p(x, y, alternative), abs=1e-12)


@pytest.mark.math
def test_monte_carlo_permutation_agrees_with_exact_within_noise():
    rng = np.random.default_rng(3)
    x = rng.normal(size=8)
    y = 0.4 * x + rng.normal(size=8)
    exact = permutation_test(x, y, alternative="greater")
    mc = permutation_test(x, y, alternative="greater", max_exact_n=5, n_resamples=40_000, seed=1)
    assert not mc.exact
    # Binomial standard error of a proportion near p with 40,000 draws; 5 SE is a safe bound.
    se = np.sqrt(exact.p_value * (1 - exact.p_value) / 40_000)
    assert abs(mc.p_value - exact.p_value) < 5 * se + 1 / 40_000


@pytest.mark.math
def test_monte_carlo_p_is_never_zero():
    x = np.arange(12.0)
    test = permutation_test(x, x, alternative="greater", n_resamples=1000, seed=0)
    assert test.p_value == pytest.approx(1 / 1001)  # (k + 1) / (B + 1) with k = 0


@pytest.mark.math
def test_local_coupling_is_ratio_of_differences_on_sorted_sizes():
    params = [7e9, 1e9, 3e9]
    hs = [0.7, 0.5, 0.6]
    tqa = [0.40, 0.40, 0.38]
    pairs = local_coupling(params, hs, tqa)
    np.testing.assert_allclose(pairs["params_from"], [1e9, 3e9])
    np.testing.assert_allclose(pairs["gamma12"], [(0.38 - 0.40) / 0.1, (0.40 - 0.38) / 0.1])
    assert pairs["phase"].tolist() == ["tax", "bonus"]


# --- behaviour -------------------------------------------------------------------------------


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("gamma", "phase"),
    [
        (-0.5, "tax"),
        (-0.1, "transition"),
        (0.0, "transition"),
        (0.1, "transition"),
        (0.11, "bonus"),
        (np.nan, "undefined"),
        (np.inf, "undefined"),
    ],
)
def test_phase_rule_boundaries(gamma, phase):
    assert coupling_phase(gamma) == phase


@pytest.mark.behaviour
def test_equal_reasoning_scores_give_undefined_coupling_not_an_error():
    pairs = local_coupling([1e9, 2e9], [0.5, 0.5], [0.4, 0.3])
    assert np.isnan(pairs["gamma12"].iloc[0])
    assert pairs["phase"].iloc[0] == "undefined"


@pytest.mark.behaviour
def test_tied_sizes_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="merge or drop duplicates"):
        local_coupling([1e9, 1e9, 2e9], [0.4, 0.5, 0.6], [0.4, 0.4, 0.4])


@pytest.mark.behaviour
def test_sign_change_rule_cases():
    sizes = [1e9, 2e9, 4e9, 8e9]
    hs = [0.3, 0.4, 0.5, 0.6]
    # tax, tax, bonus: N_c is the last size before the first positive gamma12
    change = sign_change_scale(sizes, hs, [0.40, 0.39, 0.38, 0.40])
    assert change.status == "sign change"
    assert change.critical_scale == 4e9
    assert change.interval == (4e9, 8e9)
    assert sign_change_scale(sizes, hs, [0.40, 0.41, 0.42, 0.43]).status == "no tax in range"
    assert sign_change_scale(sizes, hs, [0.40, 0.39, 0.38, 0.37]).status == "no bonus in range"
    assert sign_change_scale([1e9], [0.3], [0.4]).status == "too few models"
    # gamma12 = 0 exactly is neither tax nor bonus
    assert sign_change_scale(sizes, hs, [0.40, 0.39, 0.39, 0.38]).critical_scale is None


@pytest.mark.behaviour
def test_constant_input_is_refused():
    with pytest.raises(ValueError, match="constant"):
        pearson_r([1, 2, 3], [1, 1, 1])
    with pytest.raises(ValueError, match="alternative"):
        permutation_test([1, 2, 3], [3, 1, 2], alternative="smaller")
