"""Credible intervals against closed forms."""

import numpy as np
import pytest
from scipy import stats

from bayescape.analysis import eti, hdi


@pytest.mark.math
def test_eti_and_hdi_of_a_normal_match_its_quantiles():
    draws = stats.norm(2.0, 3.0).rvs(400_000, random_state=np.random.default_rng(1))
    q = stats.norm(2.0, 3.0).ppf([0.025, 0.975])
    # Monte Carlo error of a 2.5% quantile with n = 4e5: sd ~ 0.013 x sigma; 0.05 is ~4 sd
    assert eti(draws, 0.95) == pytest.approx(tuple(q), abs=0.05)
    assert hdi(draws, 0.95) == pytest.approx(tuple(q), abs=0.05)  # symmetric: HDI = ETI


@pytest.mark.math
def test_hdi_of_a_skewed_distribution_is_the_shortest_interval():
    dist = stats.expon()
    draws = dist.rvs(400_000, random_state=np.random.default_rng(2))
    low, high = hdi(draws, 0.9)
    # exponential: the HDI is [0, -log(0.1)]
    assert low == pytest.approx(0.0, abs=0.01)
    assert high == pytest.approx(-np.log(0.1), abs=0.03)
    e_low, e_high = eti(draws, 0.9)
    assert high - low < e_high - e_low


@pytest.mark.behaviour
def test_hdi_needs_draws():
    with pytest.raises(ValueError, match="at least one draw"):
        hdi(np.array([]), 0.9)
