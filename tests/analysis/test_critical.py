"""N_c summaries, covariate effects and phase probabilities, checked against direct formulas."""

import numpy as np
import pytest

from bayescape.analysis import critical_draws
from bayescape.errors import BayescapeError


@pytest.mark.math
def test_critical_scales_are_the_posterior_of_ten_to_the_c(prior_result):
    cs = prior_result.critical_scales(prob=0.9)
    c = prior_result.posterior["c"]
    panel = prior_result.panel
    assert list(cs["family"]) == list(panel.families)
    assert not [k for k in cs.columns if "hdi" in k]  # one interval convention: equal-tailed
    for j, family in enumerate(panel.families):
        draws = c.sel(family=family).values.ravel()
        row = cs.iloc[j]
        assert row["nc_median"] == pytest.approx(10 ** np.median(draws), rel=1e-12)
        assert row["nc_mean"] == pytest.approx(np.mean(10.0**draws), rel=1e-12)
        lo, hi = np.quantile(draws, [0.05, 0.95])
        assert row["nc_eti_low"] == pytest.approx(10**lo, rel=1e-12)
        assert row["nc_eti_high"] == pytest.approx(10**hi, rel=1e-12)
        assert row["p_below"] == pytest.approx(np.mean(draws < panel.x_min[j]))
        assert row["p_above"] == pytest.approx(np.mean(draws > panel.x_max[j]))
        assert row["p_below"] + row["p_inside"] + row["p_above"] == pytest.approx(1.0)
        assert row["n_models"] == int((panel.family_index == j).sum())
    one = cs[cs["n_models"] == 1]
    assert len(one) == 8 and one["note"].str.contains("covariates").all()


@pytest.mark.math
def test_phase_probabilities_count_draws_with_c_above_the_model(prior_result):
    pp = prior_result.phase_probabilities(threshold=0.9)
    c, _ = critical_draws(prior_result)
    panel = prior_result.panel
    expected = (panel.x[None, :] < c[:, panel.family_index]).mean(axis=0)
    np.testing.assert_allclose(pp["p_tax"], expected)
    np.testing.assert_allclose(pp["p_tax"] + pp["p_bonus"], 1.0)
    assert set(pp["phase"]) <= {"tax", "bonus", "uncertain"}
    assert (pp.loc[pp["p_tax"] >= 0.9, "phase"] == "tax").all()


@pytest.mark.math
def test_covariate_effects_divide_by_the_covariate_scale(prior_result):
    ce = prior_result.covariate_effects()
    beta = prior_result.posterior["beta"].values.reshape(-1, len(ce))
    scale = prior_result.panel.z_scale
    np.testing.assert_allclose(ce["effect_median"], np.median(beta / scale, axis=0))
    np.testing.assert_allclose(ce["p_lowers"], (beta < 0).mean(axis=0))
    assert list(ce["covariate"]) == prior_result.panel.covariates
    # families with no token count get an imputed covariate, never dropped
    assert ce.set_index("covariate").loc["log10_tokens_per_param", "n_missing"] > 0


@pytest.mark.behaviour
def test_population_critical_scale_is_ten_to_mu_c(prior_result):
    pop = prior_result.population_critical_scale(prob=0.5)
    mu = prior_result.posterior["mu_c"].values.ravel()
    assert pop["median"] == pytest.approx(10 ** np.median(mu))
    assert pop["low"] < pop["median"] < pop["high"]


@pytest.mark.behaviour
def test_no_transition_model_has_no_critical_scale(make_prior_result):
    result = make_prior_result("phase_no_transition", draws=20)
    with pytest.raises(BayescapeError, match="no critical scale"):
        result.critical_scales()
    with pytest.raises(BayescapeError, match="no covariate effects"):
        result.covariate_effects()
