"""Credible intervals against closed forms."""

import numpy as np
import pytest
from scipy import stats

from bayescape.analysis import eti


@pytest.mark.math
def test_eti_of_a_normal_matches_its_quantiles():
    draws = stats.norm(2.0, 3.0).rvs(400_000, random_state=np.random.default_rng(1))
    q = stats.norm(2.0, 3.0).ppf([0.025, 0.975])
    # Monte Carlo error of a 2.5% quantile with n = 4e5: sd ~ 0.013 x sigma; 0.05 is ~4 sd
    assert eti(draws, 0.95) == pytest.approx(tuple(q), abs=0.05)


@pytest.mark.math
def test_eti_of_a_skewed_distribution_has_equal_tails():
    dist = stats.expon()
    draws = dist.rvs(400_000, random_state=np.random.default_rng(2))
    low, high = eti(draws, 0.9)
    # exponential: the 5% and 95% quantiles are -log(0.95) and -log(0.05), not [0, -log(0.1)]
    assert low == pytest.approx(-np.log(0.95), abs=0.003)
    assert high == pytest.approx(-np.log(0.05), abs=0.03)
