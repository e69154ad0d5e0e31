"""The log_likelihood and posterior_predictive groups of a result, and what ArviZ does with them."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytest
from scipy import stats

import bayescape
from bayescape.analysis import add_predictive_groups, predictive_groups, psis_loo, replicated_scores
from bayescape.data import BENCHMARKS
from bayescape.models.phase import reasoning_curve, truthfulness_curve


def _fit(model: str, data: str, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bayescape.fit(model, data, chains=2, progressbar=False, **kwargs)


@pytest.fixture(scope="module")
def phase_fit():
    """A short real fit of the phase model (2 chains x 150 draws): finite, posterior-like draws."""
    return _fit("phase", "leaderboard_v1", draws=150, tune=200, random_seed=4)


@pytest.fixture(scope="module")
def quadratic_fit():
    """The pooled quadratic on the paper's Pythia table: one observed variable."""
    return _fit("quadratic", "cape_pythia", draws=300, tune=300, random_seed=2)


@pytest.mark.math
def test_az_loo_of_the_stored_groups_equals_the_package_psis_loo(phase_fit):
    # psis_loo rebuilds the PyMC model and evaluates its PyTensor log density; the groups come
    # from the numpy density. PSIS-LOO is pointwise, so the two variables' elpd add up.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_variable = [az.loo(phase_fit.idata, var_name=v) for v in ("reasoning", "truthfulness")]
        own = psis_loo(phase_fit)
    assert np.isfinite(own["elpd_loo"])
    assert sum(loo.elpd for loo in per_variable) == pytest.approx(own["elpd_loo"], abs=1e-8)


@pytest.mark.math
def test_az_loo_runs_on_the_quadratic_result_as_it_is(quadratic_fit):
    assert list(quadratic_fit.idata["log_likelihood"].ds.data_vars) == ["truthfulness"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = az.loo(quadratic_fit.idata)
        own = psis_loo(quadratic_fit)
    assert loo.elpd == pytest.approx(own["elpd_loo"], abs=1e-8)


def _scipy_logpdf(y, mu, n, sigma):
    p = np.clip(mu, 1e-3, 1 - 1e-3)
    s = np.sqrt(p * (1 - p) / n + sigma**2)
    return stats.truncnorm.logpdf(y, -mu / s, (1 - mu) / s, loc=mu, scale=s)


@pytest.mark.math
@pytest.mark.parametrize("model", ["phase", "phase_no_transition", "quadratic"])
def test_pointwise_log_likelihood_equals_scipy_truncnorm(make_prior_result, model):
    result = add_predictive_groups(make_prior_result(model, draws=50, seed=1), seed=0)
    panel, post = result.panel, result.posterior
    ll = result.idata["log_likelihood"].ds
    f, x = panel.family_index, panel.x
    floor = BENCHMARKS[panel.reasoning_benchmark].floor
    for draw in (0, 17, 49):
        p = {v: post[v].values[0, draw] for v in post.data_vars}
        if model == "quadratic":
            expected = {"truthfulness": p["t_vertex"] + p["curvature"] * (x - p["c_pooled"]) ** 2}
        else:
            a, b, t, g, m = p["a"][f], p["b"][f], p["t"][f], p["gamma"][f], panel.anchor[f]
            r = reasoning_curve(x, floor, a, b, m)
            if model == "phase":
                t_mu = truthfulness_curve(x, floor, a, b, m, t, g, p["c"][f])
            else:
                t_mu = t + g * (r - reasoning_curve(m, floor, a, b, m))
            expected = {"reasoning": r, "truthfulness": t_mu}
        assert sorted(ll.data_vars) == sorted(expected)
        for name, mu in expected.items():
            y = getattr(panel, name)
            n = getattr(panel, f"n_{name}")
            want = _scipy_logpdf(y, mu, n, p[f"sigma_{name}"])
            ok = np.isfinite(want)  # scipy underflows where a prior draw is far off
            assert ok.mean() > 0.5
            np.testing.assert_allclose(ll[name].values[0, draw][ok], want[ok], rtol=1e-9)


@pytest.mark.behaviour
def test_groups_follow_arviz_names_and_the_replicates_are_bounded_and_seeded(phase_fit):
    tree = phase_fit.idata
    for group in ("log_likelihood", "posterior_predictive", "observed_data"):
        assert group in tree.children
    observed = tree["observed_data"].ds
    for group in ("log_likelihood", "posterior_predictive"):
        ds = tree[group].ds
        assert sorted(ds.data_vars) == sorted(observed.data_vars) == ["reasoning", "truthfulness"]
        assert ds["truthfulness"].dims == ("chain", "draw", "model")
        assert ds.sizes["chain"] == 2 and ds.sizes["draw"] == 150
        assert list(ds["model"].values) == list(observed["model"].values)
    pp = tree["posterior_predictive"].ds
    for name in ("reasoning", "truthfulness"):
        values = pp[name].values
        assert values.min() >= 0.0 and values.max() <= 1.0
    # seeded from the fit's seed: the same numbers as replicated_scores(fit, seed)
    again = replicated_scores(phase_fit, seed=4)
    np.testing.assert_array_equal(pp["truthfulness"].values.reshape(300, -1), again["truthfulness"])
    other = predictive_groups(phase_fit, seed=5)["posterior_predictive"]
    assert not np.array_equal(other["truthfulness"].values, pp["truthfulness"].values)


@pytest.mark.behaviour
def test_save_and_load_keep_the_groups(phase_fit, tmp_path):
    loaded = bayescape.load(phase_fit.save(tmp_path / "fit.nc"))
    for group in ("log_likelihood", "posterior_predictive"):
        for name in ("reasoning", "truthfulness"):
            np.testing.assert_array_equal(
                loaded.idata[group].ds[name].values, phase_fit.idata[group].ds[name].values
            )
    assert loaded.idata["posterior_predictive"].ds.attrs["seed"] == 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = az.loo(loaded.idata, var_name="truthfulness")
    assert np.isfinite(loo.elpd)


@pytest.mark.behaviour
def test_bare_az_loo_on_two_benchmarks_asks_for_a_variable(phase_fit):
    # ArviZ's own rule (documented in the README): two observed variables need var_name
    with pytest.raises(TypeError, match="var_name"):
        az.loo(phase_fit.idata)
