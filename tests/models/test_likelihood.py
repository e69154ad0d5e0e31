"""The score likelihood: a normal truncated to [0, 1], checked against scipy."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import integrate, stats

from bayescape.models._likelihood import (
    _pytensor_logp,
    sample_scores,
    score_likelihood,
    score_logpdf,
    score_sd,
)

MU = np.array([-0.4, -0.05, 0.0, 0.02, 0.3, 0.5, 0.97, 1.0, 1.08, 1.5])
Y = np.array([0.001, 0.05, 0.3, 0.62, 0.999])


def _scipy_logpdf(y, mu, n, sigma):
    s = np.sqrt(np.clip(mu, 1e-3, 1 - 1e-3) * (1 - np.clip(mu, 1e-3, 1 - 1e-3)) / n + sigma**2)
    return stats.truncnorm.logpdf(y, (0 - mu) / s, (1 - mu) / s, loc=mu, scale=s)


@pytest.mark.math
@pytest.mark.parametrize(("n", "sigma"), [(817, 0.05), (10042, 0.01), (817, 0.2)])
def test_logpdf_equals_scipy_truncnorm(n, sigma):
    mu, y = np.meshgrid(MU, Y)
    # 1e-8 absolute: both are double-precision evaluations of the same closed form
    np.testing.assert_allclose(
        score_logpdf(y, mu, n, sigma), _scipy_logpdf(y, mu, n, sigma), rtol=0, atol=1e-8
    )


@pytest.mark.math
def test_pymc_graph_density_equals_scipy_including_far_tails():
    value, mu, s = pt.dvectors("value", "mu", "s")
    f = pytensor.function([value, mu, s], _pytensor_logp(value, mu, s))
    m, y = np.meshgrid(MU, Y)
    m, y = m.ravel(), y.ravel()
    sd = score_sd(m, 817, 0.05)
    # 1e-8 absolute: double-precision evaluations of the same closed form
    np.testing.assert_allclose(f(y, m, sd), _scipy_logpdf(y, m, 817, 0.05), rtol=0, atol=1e-8)
    # curves 20 to 1,000 SDs outside [0, 1] (prior draws of the default model reach 800): the
    # erfc form holds to about 37 SDs, the tail series takes over at 30 (relative error of the
    # log mass < 2e-10); reference: scipy's log_ndtr. The earlier graph floored the erfc
    # difference at 1e-300 and was off by 4.9e5 nats at 1,000 SDs.
    k = np.array([20.0, 29.0, 31.0, 36.0, 40.0, 100.0, 1000.0])
    s = float(score_sd(0.0, 817, 0.01))  # the same s on both sides: p is clipped to 1e-3
    far_mu = np.concatenate([-k * s, 1 + k * s])
    far_y = np.tile([0.001, 0.2, 0.5, 0.9, 0.999, 0.05, 0.6], 2)
    sd = score_sd(far_mu, 817, 0.01)
    exact = score_logpdf(far_y, far_mu, 817, 0.01)
    np.testing.assert_allclose(f(far_y, far_mu, sd), exact, rtol=1e-9)


@pytest.mark.math
@pytest.mark.parametrize("mu", [-0.2, 0.02, 0.5, 1.1])
def test_density_integrates_to_one_on_the_unit_interval(mu):
    total, err = integrate.quad(lambda y: np.exp(score_logpdf(y, mu, 817, 0.05)), 0, 1, limit=200)
    assert abs(total - 1) < 1e-7, (total, err)


@pytest.mark.math
@pytest.mark.parametrize("mu", [-0.1, 0.02, 0.45, 1.05, 1.3])
def test_draws_follow_the_truncated_normal(mu):
    rng = np.random.default_rng(3)
    draws = sample_scores(np.full(20_000, mu), 817, 0.05, rng)
    s = float(score_sd(mu, 817, 0.05))
    cdf = stats.truncnorm(-mu / s, (1 - mu) / s, loc=mu, scale=s).cdf
    # Kolmogorov-Smirnov at 20,000 draws: a wrong scale or truncation gives p < 1e-10;
    # 1e-3 keeps the false-alarm rate of this fixed-seed test negligible
    assert stats.kstest(draws, cdf).pvalue > 1e-3


@pytest.mark.behaviour
def test_draws_are_scores_even_for_absurd_curves():
    rng = np.random.default_rng(0)
    mu = np.array([-5.0, -0.3, 0.0, 1.0, 1.4, 7.0])
    draws = sample_scores(np.tile(mu, (500, 1)), np.array([817.0]), np.full((500, 1), 0.05), rng)
    assert draws.shape == (500, 6)
    assert np.all((draws >= 0) & (draws <= 1))


@pytest.mark.math
def test_pymc_observed_node_logp_and_prior_draws():
    y = np.array([0.31, 0.52, 0.97])
    mu_val = np.array([0.3, 0.5, 1.02])
    with pm.Model(coords={"model": ["a", "b", "c"]}) as model:
        mu = pm.Data("mu", mu_val)
        score_likelihood("score", mu, y, np.array([817.0, 817.0, 817.0]), 0.03)
    logp = model.compile_logp()({})
    np.testing.assert_allclose(logp, _scipy_logpdf(y, mu_val, 817, 0.03).sum(), atol=1e-8)
    with model:
        prior = pm.sample_prior_predictive(draws=2000, random_seed=1)
    draws = prior["prior_predictive"]["score"].values
    assert np.all((draws >= 0) & (draws <= 1))
    # a curve above 1 gives draws below 1 with the truncated normal's mean; 2000 draws of SD
    # ~0.02 give a Monte Carlo SE of ~0.0005, so 0.002 is 4 SEs
    s = float(score_sd(1.02, 817, 0.03))
    expected = stats.truncnorm.mean(-1.02 / s, (1 - 1.02) / s, loc=1.02, scale=s)
    assert abs(np.mean(draws[..., 2]) - expected) < 0.002
