"""Predictions for new families and the phase diagnosis of one model (bayescape.analysis).

The "posterior" here is a set of prior draws of the phase model (no NUTS): every check is a
property that holds for any set of draws, compared with an independent computation.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bayescape.analysis import (
    NewFamily,
    Result,
    diagnose_model,
    family_curves,
    family_from_rows,
    predict_family,
    read_family,
    replicated_scores,
    weighted_quantile,
)
from bayescape.analysis._new_family import new_family_covariates
from bayescape.data import BENCHMARKS, DataWarning, load_dataset
from bayescape.errors import BayescapeError
from bayescape.models import build_model, load_spec

SCORE_COLUMNS = ["hellaswag", "truthfulqa"]


@pytest.fixture(scope="module")
def result() -> Result:
    """1,000 prior draws of the phase model on leaderboard_v1 standing in for a posterior."""
    import pymc as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1")
        spec = load_spec("phase")
        model, _ = build_model(df, spec)
    with model:
        tree = pm.sample_prior_predictive(draws=1000, random_seed=11)
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, 1000), dtype=bool))})
    idata = xr.DataTree.from_dict({"posterior": tree["prior"].ds, "sample_stats": stats})
    return Result(idata=idata, data=df, spec=spec, info={"data_source": "leaderboard_v1"})


def draws(result: Result, name: str) -> np.ndarray:
    return result.posterior[name].stack(s=("chain", "draw")).transpose("s", ...).to_numpy()


def family_rows(result: Result, family: str, scores: bool = False) -> pd.DataFrame:
    rows = result.data[result.data["family"] == family]
    return rows if scores else rows.drop(columns=SCORE_COLUMNS)


def complete_family(result: Result) -> tuple[str, int]:
    """A family with several models and every covariate known."""
    panel = result.panel
    for j, family in enumerate(panel.families):
        if not np.isnan(panel.z[j]).any() and (panel.family_index == j).sum() >= 5:
            return str(family), j
    raise AssertionError("no complete family")


# ---------------------------------------------------------------------------------------------
# math: checked against an independent computation


@pytest.mark.math
def test_weighted_quantile_with_equal_weights_is_numpy_quantile():
    rng = np.random.default_rng(0)
    values = rng.normal(size=501)
    q = [0.025, 0.25, 0.5, 0.9, 0.975]
    np.testing.assert_allclose(weighted_quantile(values, np.ones(501), q), np.quantile(values, q))


@pytest.mark.math
def test_weighted_quantile_of_integer_weights_is_the_quantile_of_repeated_draws():
    # weight k on a draw is the distribution with that draw listed k times
    rng = np.random.default_rng(1)
    values = rng.normal(size=2000)
    weights = rng.integers(1, 4, size=2000)
    q = [0.05, 0.5, 0.95]
    np.testing.assert_allclose(
        weighted_quantile(values, weights.astype(float), q),
        np.quantile(np.repeat(values, weights), q),
        atol=0.01,
    )


@pytest.mark.math
def test_fitted_family_covariates_reproduce_the_population_formula(result):
    """A 'new' family described by a fitted family's own rows gets that family's z, and its
    N_c draws follow c = mu_c + z_f . beta + tau_c eps, computed here independently."""
    family, j = complete_family(result)
    panel = result.panel
    new = family_from_rows(family_rows(result, family))
    values, _ = new_family_covariates(result, new)
    z_new = (np.array([values[k] for k in panel.covariates]) - panel.z_center) / panel.z_scale
    np.testing.assert_allclose(z_new, panel.z[j], atol=1e-12)

    pred = predict_family(result, new, [1e9], n_draws=40_000, seed=1)
    assert pred.n_measured == 0
    np.testing.assert_allclose(pred.weights, 1.0 / len(pred.weights))
    rng = np.random.default_rng(99)
    mu_c, tau_c, beta = draws(result, "mu_c"), draws(result, "tau_c"), draws(result, "beta")
    reps = 40
    reference = np.repeat(mu_c + beta @ panel.z[j], reps) + np.repeat(tau_c, reps) * (
        rng.standard_normal(len(mu_c) * reps)
    )
    q = [0.05, 0.25, 0.5, 0.75, 0.95]
    spread = np.subtract(*np.quantile(reference, [0.75, 0.25]))
    np.testing.assert_allclose(
        np.quantile(pred.c, q), np.quantile(reference, q), atol=0.05 * spread
    )
    assert pred.c.mean() == pytest.approx(reference.mean(), abs=0.03 * spread)

    # draw by draw: the new family's draws replicate each posterior draw `reps` times in order,
    # so (c - mu_c - z_f . beta) / tau_c must be standard normal, whatever beta is
    eps = (pred.c - np.repeat(mu_c + beta @ panel.z[j], reps)) / np.repeat(tau_c, reps)
    assert abs(eps.mean()) < 0.03 and abs(eps.std() - 1.0) < 0.03
    # ...a check that can fail: with another family's covariates the residuals are not N(0, 1)
    distance = np.abs(panel.z - panel.z[j]).sum(axis=1)
    other = int(np.argmax(np.where(np.isnan(distance), -1.0, distance)))
    wrong = (pred.c - np.repeat(mu_c + beta @ panel.z[other], reps)) / np.repeat(tau_c, reps)
    assert wrong.std() > 1.5


@pytest.mark.math
def test_unknown_covariates_are_drawn_as_a_random_family(result):
    """With no covariates, Var(c) = E[tau^2 + |beta|^2] + Var(mu_c) (z ~ N(0, I))."""
    pred = predict_family(result, None, [1e9], n_draws=100_000, seed=2)
    mu_c, tau_c, beta = draws(result, "mu_c"), draws(result, "tau_c"), draws(result, "beta")
    expected = np.mean(tau_c**2 + np.sum(beta**2, axis=1)) + np.var(mu_c)
    assert np.var(pred.c) == pytest.approx(expected, rel=0.05)
    assert np.mean(pred.c) == pytest.approx(np.mean(mu_c), abs=0.05)
    assert any("random family" in n for n in pred.notes)


@pytest.fixture(scope="module")
def narrow(result: Result) -> Result:
    """A posterior as concentrated as a real fit's: prior-draw shapes, narrow hyperparameters."""
    rng = np.random.default_rng(0)
    post = result.posterior.copy()
    shape = (post.sizes["chain"], post.sizes["draw"])
    for name, mean, sd in [
        ("a_mu", 0.5, 0.1),
        ("a_sigma", 0.8, 0.05),
        ("log_b_mu", 0.2, 0.05),
        ("log_b_sigma", 0.3, 0.03),
        ("t_mu", 0.4, 0.01),
        ("t_sigma", 0.05, 0.005),
        ("log_gamma_mu", -0.7, 0.1),
        ("log_gamma_sigma", 0.4, 0.05),
        ("mu_c", 9.5, 0.2),
        ("tau_c", 0.5, 0.05),
        ("sigma_reasoning", 0.02, 0.002),
        ("sigma_truthfulness", 0.02, 0.002),
    ]:
        post[name] = (("chain", "draw"), mean + sd * rng.standard_normal(shape))
    post["beta"] = 0.3 * post["beta"]
    tree = result.idata.copy()
    tree["posterior"] = xr.DataTree(post)
    return Result(idata=tree, data=result.data, spec=result.spec, info=result.info)


@pytest.mark.math
def test_adaptive_importance_sampling_agrees_with_plain_importance_sampling(narrow):
    """The adapted proposal (weights population x likelihood / proposal) gives the posterior
    that 25 times more plain draws from the population (weights: the likelihood) give."""
    family, _ = complete_family(narrow)
    new = family_from_rows(family_rows(narrow, family, scores=True).iloc[:3])
    plain = predict_family(narrow, new, [1e9, 1e10], n_draws=1_000_000, min_ess=0, seed=3)
    adapted = predict_family(narrow, new, [1e9, 1e10], n_draws=40_000, seed=4)
    assert not plain.adapted and plain.ess > 1000
    assert adapted.adapted and adapted.ess > 5 * plain.ess * 40_000 / 1_000_000

    def moments(p):
        mean = p.weights @ p.c
        return mean, np.sqrt(p.weights @ (p.c - mean) ** 2)

    (m_plain, s_plain), (m_adapted, s_adapted) = moments(plain), moments(adapted)
    assert m_adapted == pytest.approx(m_plain, abs=0.03)
    assert s_adapted == pytest.approx(s_plain, rel=0.05)
    for key in ("truthfulness_low", "truthfulness_median", "truthfulness_high", "reasoning_median"):
        np.testing.assert_allclose(adapted.scores[key], plain.scores[key], atol=0.01)
    np.testing.assert_allclose(adapted.scores["p_tax"], plain.scores["p_tax"], atol=0.02)


@pytest.mark.math
def test_family_curve_passes_through_its_anchor(result):
    """T_f(m_f) = t_f: the truthfulness curve equals the intercept at the family's anchor."""
    family, j = complete_family(result)
    curves = family_curves(result, family, np.array([result.panel.anchor[j]]), max_draws=None)
    np.testing.assert_allclose(curves.truthfulness[:, 0], draws(result, "t")[:, j], atol=1e-12)
    np.testing.assert_allclose(
        curves.coupling[:, 0],
        draws(result, "gamma")[:, j] * (result.panel.anchor[j] - draws(result, "c")[:, j]),
    )


@pytest.mark.math
def test_diagnose_in_a_fitted_family_is_the_fraction_of_draws_above(result):
    family, j = complete_family(result)
    for size in (3e8, 4e9, 5e10):
        d = diagnose_model(result, size, 0.6, 0.4, family=family)
        expected = np.mean(draws(result, "c")[:, j] > math.log10(size))
        assert d.p_tax == pytest.approx(expected, abs=1e-12)
        assert d.p_tax + d.p_bonus == pytest.approx(1.0)
        assert d.basis == "family posterior"


@pytest.mark.math
def test_diagnose_a_new_family_is_the_weighted_fraction_of_draws_above(result):
    d = diagnose_model(result, 4e9, 0.6, 0.4, covariates={"curation_curated": 1.0})
    assert d.weights.sum() == pytest.approx(1.0)
    assert d.p_tax == pytest.approx(float(d.weights @ (d.c > math.log10(4e9))), abs=1e-12)
    assert d.p_tax + d.p_bonus == pytest.approx(1.0)
    assert d.basis == "new family"
    # one known curation class fixes the others at 0 (the classes exclude each other)
    current = dict(zip(d.levers["covariate"], d.levers["current"], strict=True))
    assert current["curation_curated"] == 1.0 and current["curation_code"] == 0.0


@pytest.mark.math
def test_levers_are_ranked_by_the_posterior_effect_per_unit(result):
    family, _ = complete_family(result)
    d = diagnose_model(result, 4e9, 0.6, 0.4, family=family)
    per_unit = np.median(draws(result, "beta_per_unit"), axis=0)
    expected = [result.panel.covariates[k] for k in np.argsort(-np.abs(per_unit), kind="stable")]
    assert list(d.levers["covariate"]) == expected
    np.testing.assert_allclose(d.levers["effect_median"].abs(), np.sort(np.abs(per_unit))[::-1])


# ---------------------------------------------------------------------------------------------
# behaviour: contracts, edge cases and error messages


@pytest.mark.behaviour
def test_a_measured_model_pulls_the_prediction_toward_it(result):
    family, _ = complete_family(result)
    rows = family_rows(result, family)
    size = float(rows["params"].median())
    base = family_from_rows(rows)
    before = predict_family(result, base, [size], seed=5).scores.iloc[0]
    target = float(before["truthfulness_low"])  # a low but plausible score
    measured = pd.DataFrame(
        {"params": [size], "hellaswag": [before["reasoning_median"]], "truthfulqa": [target]}
    )
    conditioned = NewFamily(name=base.name, attributes=base.attributes, models=measured)
    pred = predict_family(result, conditioned, [size], seed=5)
    after = pred.scores.iloc[0]
    assert pred.n_measured == 1
    assert abs(after["truthfulness_median"] - target) < 0.5 * abs(
        before["truthfulness_median"] - target
    )
    width = after["truthfulness_high"] - after["truthfulness_low"]
    assert width < 0.7 * (before["truthfulness_high"] - before["truthfulness_low"])


@pytest.mark.behaviour
def test_prediction_table_shape_and_probabilities(result):
    pred = predict_family(result, {"curation_mixed": 1.0}, [1e9, 7e9, 7e10])
    assert list(pred.scores["params"]) == [1e9, 7e9, 7e10]
    assert np.allclose(pred.scores["p_tax"] + pred.scores["p_bonus"], 1.0)
    assert (np.diff(pred.scores["p_tax"]) <= 0).all()  # P(N > N_c) grows with size
    for key in ("reasoning", "truthfulness", "coupling"):
        assert (pred.scores[f"{key}_low"] <= pred.scores[f"{key}_median"]).all()
        assert (pred.scores[f"{key}_median"] <= pred.scores[f"{key}_high"]).all()
    assert pred.critical_scale["low"] < pred.critical_scale["median"] < pred.critical_scale["high"]
    doc = pred.to_dict()
    assert doc["n_measured"] == 0 and len(doc["scores"]) == 3


@pytest.mark.behaviour
def test_predictions_are_reproducible_with_a_seed(result):
    a = predict_family(result, None, [1e9], seed=7)
    b = predict_family(result, None, [1e9], seed=7)
    pd.testing.assert_frame_equal(a.scores, b.scores)


@pytest.mark.behaviour
def test_replicated_scores_have_one_column_per_model(result):
    reps = replicated_scores(result)
    n = len(result.data)
    assert reps["reasoning"].shape == (1000, n) and reps["truthfulness"].shape == (1000, n)


@pytest.mark.behaviour
def test_read_family_from_toml(tmp_path, result):
    path = tmp_path / "mylm.toml"
    path.write_text(
        '[family]\nname = "MyLM"\ndata_curation = "curated"\ndistillation = "yes"\n'
        "tokens_per_param = 100\nwidth_per_layer = 128\n\n"
        "[[models]]\nparams = 1.0e9\nhellaswag = 0.61\ntruthfulqa = 0.39\n\n"
        "[[models]]\nparams = 7.0e9\n",
        encoding="utf-8",
    )
    family = read_family(path)
    assert family.name == "MyLM" and len(family.models) == 2
    assert len(family.measured("hellaswag", "truthfulqa")) == 1
    values, _ = new_family_covariates(result, family)
    assert values["curation_curated"] == 1.0 and values["curation_mixed"] == 0.0
    assert values["log10_tokens_per_param"] == pytest.approx(2.0)
    assert values["log2_width_per_layer"] == pytest.approx(7.0)
    assert values["distillation"] == 1.0


@pytest.mark.behaviour
def test_read_family_from_csv_matches_the_dataset_rows(tmp_path, result):
    family, j = complete_family(result)
    path = tmp_path / "family.csv"
    family_rows(result, family).to_csv(path, index=False)
    values, _ = new_family_covariates(result, read_family(path))
    panel = result.panel
    z = (np.array([values[k] for k in panel.covariates]) - panel.z_center) / panel.z_scale
    np.testing.assert_allclose(z, panel.z[j], atol=1e-12)


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[family]\nsize = 3\n", "bad.toml: [family]: unknown key 'size'; known keys: name,"),
        (
            '[family]\ndata_curaton = "web"\n',
            "[family]: unknown key 'data_curaton' (did you mean 'data_curation'?)",
        ),
        ('[familly]\nname = "x"\n', "unknown section(s) familly"),
        (
            "[covariates]\nlog10_token_per_param = 2.3\n",
            "bad.toml: [covariates]: unknown covariate 'log10_token_per_param' (did you mean "
            "'log10_tokens_per_param'?)",
        ),
        (
            "[[models]]\nparams = 1e9\nhellaswag = 0.6\ntruthfulq = 0.4\n",
            "[[models]] entry 1: unknown key 'truthfulq' (did you mean 'truthfulqa'?)",
        ),
        (
            "[[models]]\nparams = 1e9\nhellaswag = 61.0\n",
            "model 1, hellaswag: 61 is outside [0, 1]. It looks like a percentage: divide it by "
            "100 (0.61).",
        ),
        ("[[models]]\nparams = 7\n", "model 1, params: 7 parameters looks like billions"),
        ("[[models]]\nhellaswag = 0.61\n", "needs its size"),
        ('[covariates]\nlog10_tokens_per_param = "many"\n', "must be a number"),
        ("[family\n", "not valid TOML"),
    ],
)
def test_read_family_errors_say_what_to_fix(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BayescapeError, match=None) as info:
        read_family(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.behaviour
def test_a_family_with_one_of_the_two_scores_is_said_to_be_unmeasured(result, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("family,params,hellaswag\nNew,1e9,0.5\nNew,7e9,0.7\n", encoding="utf-8")
    prediction = predict_family(result, read_family(path), [1e9], n_draws=500)
    assert prediction.n_measured == 0
    note = (
        "2 of 2 listed model(s) have one of hellaswag and truthfulqa only (there is no "
        "truthfulqa column): they are treated as unmeasured"
    )
    assert any(n.startswith(note) for n in prediction.notes), prediction.notes
    both = tmp_path / "both.csv"
    both.write_text("family,params,hellaswag,truthfulqa\nNew,1e9,0.5,0.4\n", encoding="utf-8")
    prediction = predict_family(result, read_family(both), [1e9], n_draws=500)
    assert prediction.n_measured == 1
    assert not any("treated as unmeasured" in n for n in prediction.notes)


@pytest.mark.behaviour
def test_unknown_curation_class_is_refused(result):
    with pytest.raises(BayescapeError, match="data_curation = 'synthetic' is not a class"):
        predict_family(result, NewFamily(attributes={"data_curation": "synthetic"}))


@pytest.mark.behaviour
def test_diagnose_errors(result):
    with pytest.raises(BayescapeError, match="did you mean Pythia"):
        diagnose_model(result, 4e9, 0.6, 0.4, family="Pythai")
    with pytest.raises(
        BayescapeError, match=r"looks like a percentage: divide it by 100 \(0\.842\)"
    ):
        diagnose_model(result, 4e9, 84.2, 0.4)
    with pytest.raises(BayescapeError, match="either a fitted family or covariates"):
        diagnose_model(result, 4e9, 0.6, 0.4, family="Pythia", covariates={})
    with pytest.raises(BayescapeError, match="-1 is not positive; give the parameter count"):
        diagnose_model(result, -1.0, 0.6, 0.4)
    with pytest.raises(BayescapeError, match="4 parameters looks like billions; write 4e9"):
        diagnose_model(result, 4.0, 0.6, 0.4)


@pytest.mark.behaviour
def test_models_without_a_population_are_refused(result):
    tree = result.idata.copy()
    tree["posterior"] = xr.DataTree(result.posterior.drop_vars(["mu_c", "tau_c"]))
    pooled = Result(idata=tree, data=result.data, spec=result.spec, info=result.info)
    with pytest.raises(BayescapeError, match="needs the hierarchical phase model"):
        predict_family(pooled, None, [1e9])


@pytest.mark.behaviour
def test_scores_are_named_after_the_fit_benchmarks(result):
    d = diagnose_model(result, 4e9, 0.6, 0.4)
    assert d.benchmarks == ("hellaswag", "truthfulqa")
    assert set(d.expected) == {"hellaswag", "truthfulqa"}
    assert all(b in BENCHMARKS for b in d.benchmarks)


@pytest.mark.slow
def test_a_fitted_family_predicted_from_its_own_models_matches_its_posterior():
    """On a real (short) NUTS fit, Pythia and OPT described by their own rows and scores, as if
    new, get back the N_c the hierarchical fit gave them (the importance-weighted posterior of a
    new family is the joint posterior of that family)."""
    import bayescape

    fit = bayescape.fit(
        "phase", "leaderboard_v1", draws=300, tune=300, chains=2, random_seed=1, progressbar=False
    )
    for family in ("Pythia", "OPT"):
        j = list(fit.panel.families).index(family)
        rows = fit.data[fit.data["family"] == family]
        pred = predict_family(fit, family_from_rows(rows), [1e9], seed=0)
        c = draws(fit, "c")[:, j]
        assert pred.ess > 200
        assert math.log10(pred.critical_scale["median"]) == pytest.approx(np.median(c), abs=0.3)
        low, high = np.quantile(c, [0.025, 0.975])
        assert math.log10(pred.critical_scale["low"]) == pytest.approx(low, abs=0.4)
        assert math.log10(pred.critical_scale["high"]) == pytest.approx(high, abs=0.4)


@pytest.mark.behaviour
def test_a_named_family_is_predicted_from_its_smallest_model_only(result):
    """Result.predict_family("NAME"): covariates + smallest model; the others are predicted.

    The held-out description keeps the smallest model's scores and blanks the rest, so the
    prediction equals predict_family on that hand-built description at the other sizes.
    """
    family, _ = complete_family(result)
    rows = result.data[result.data["family"] == family].sort_values("params")
    given = rows.copy()
    given.loc[given.index[1:], SCORE_COLUMNS] = np.nan
    by_hand = predict_family(
        result, family_from_rows(given), rows["params"].iloc[1:].tolist(), seed=4, n_draws=2000
    )
    with pytest.warns(UserWarning, match="was in the fit: these are not held-out"):
        named = result.predict_family(family, seed=4, n_draws=2000)
    assert named.n_measured == 1
    np.testing.assert_allclose(named.scores["params"], rows["params"].iloc[1:])
    pd.testing.assert_frame_equal(named.scores, by_hand.scores)
    with pytest.raises(BayescapeError, match="initial= is for the dynamics model"):
        result.predict_family(initial={"params": 1e9})
