"""Centred or non-centred family effects: the same prior, a different geometry; spec checks."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
from scipy import stats

from bayescape.errors import SpecError
from bayescape.models import load_spec, parse_spec
from bayescape.models.phase import _family_effect, centred_effects


@pytest.mark.math
def test_centred_and_non_centred_effects_have_the_same_prior():
    draws = {}
    for centred in (False, True):
        with pm.Model(coords={"family": list("abc")}):
            mu = pm.Normal("mu", 0.3, 1.0)
            sigma = pm.HalfNormal("sigma", 0.7)
            _family_effect("theta", mu, sigma, centred)
            prior = pm.sample_prior_predictive(draws=4000, random_seed=11)
        draws[centred] = prior["prior"]["theta"].values.ravel()
    # two-sample KS on 12,000 draws each (dependent within a draw, so p is approximate):
    # a different scale or location gives p < 1e-12; 1e-3 keeps false alarms rare
    assert stats.ks_2samp(draws[False], draws[True]).pvalue > 1e-3


@pytest.mark.behaviour
def test_centred_effects_are_validated_with_the_allowed_names():
    text = load_spec("phase").text.replace(
        'pooling = "family"', 'pooling = "family"\ncentred = ["a", "cc"]'
    )
    with pytest.raises(SpecError, match=r"centred must be a list drawn from \['a', 'log_b'"):
        centred_effects(parse_spec(text, "bad.toml"))
    ok = load_spec("phase").text.replace(
        'pooling = "family"', 'pooling = "family"\ncentred = ["t"]'
    )
    assert centred_effects(parse_spec(ok)) == frozenset({"t"})


@pytest.mark.behaviour
def test_gamma_prior_is_parsed_and_checked():
    text = load_spec("phase").text.replace(
        'tau_c = { dist = "halfnormal", sigma = 0.5 }',
        'tau_c = { dist = "gamma", alpha = 2.0, beta = 4.0 }',
    )
    spec = parse_spec(text)
    assert spec.priors["tau_c"].params == {"alpha": 2.0, "beta": 4.0}
    with pytest.raises(SpecError, match="must be a number > 0"):
        parse_spec(text.replace("alpha = 2.0", "alpha = -1.0"))
    from bayescape.data import load_dataset
    from bayescape.models import build_model

    model, _ = build_model(load_dataset("leaderboard_v1"), spec)
    # the log density of tau_c is the Gamma(2, rate 4) density (plus the log-transform Jacobian)
    point = model.initial_point()
    logp = model.compile_logp(vars=[model["tau_c"]], jacobian=False)(point)
    tau = np.exp(point["tau_c_log__"])
    assert logp == pytest.approx(stats.gamma.logpdf(tau, 2.0, scale=0.25), abs=1e-7)


@pytest.mark.math
def test_family_levels_follow_size_and_covariates():
    """a_f ~ N(a_mu + a_trend (m_f - 9) + Z_f a_beta, a_sigma) and t_f likewise.

    m_f is the family's anchor and Z_f its covariates, with the missing entries the same latent
    ``z_missing`` values as N_c uses. Standardised by that mean and SD, the prior draws of every
    family are N(0, 1); standardised without the trend and covariate terms they are not (the
    anchors of the shipped panel span 7.8-10.9 and a_trend ~ N(0, 1)).
    """
    from bayescape.data import load_dataset
    from bayescape.models import build_model
    from bayescape.models.phase import X_REF

    model, panel = build_model(load_dataset("leaderboard_v1"), load_spec("phase"))
    with model:
        prior = pm.sample_prior_predictive(draws=1000, random_seed=3).prior
    m = panel.anchor[None, :] - X_REF
    z = np.repeat(np.where(panel.missing, 0.0, panel.z)[None], 1000, axis=0)
    rows, cols = np.nonzero(panel.missing)
    z[:, rows, cols] = prior["z_missing"].values[0]
    for level in ("a", "t"):
        mu, trend, sigma = (
            prior[f"{level}{s}"].values[0][:, None] for s in ("_mu", "_trend", "_sigma")
        )
        effects = prior[f"{level}_beta"].values[0]
        mean = mu + trend * m + np.einsum("dfk,dk->df", z, effects)
        draws = prior[level].values[0]
        # 47,000 draws, dependent within a draw: KS p is approximate; 1e-3 keeps false alarms
        # rare while a missing term gives p < 1e-50
        assert stats.kstest(((draws - mean) / sigma).ravel(), "norm").pvalue > 1e-3
        assert stats.kstest(((draws - mu) / sigma).ravel(), "norm").pvalue < 1e-6
