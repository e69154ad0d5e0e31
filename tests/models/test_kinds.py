"""The model-kind protocol: every spec names one kind, and each kind keeps its promises."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from positive_coupling import SPEC, PositiveCoupling
from scipy import stats

from bayescape.analysis import family_curves, replicated_scores
from bayescape.analysis._checks import predictive_groups
from bayescape.data import DataWarning, load_dataset
from bayescape.errors import BayescapeError, SpecError
from bayescape.models import (
    KINDS,
    ConstantCoupling,
    Dynamics,
    PooledQuadratic,
    RunningCoupling,
    available_models,
    build_model,
    headline_variables,
    load_spec,
    model_kind,
    parse_spec,
    register_kind,
    required_benchmarks,
)
from bayescape.models.phase import (
    constant_coupling_curve,
    new_family_draws,
    new_family_log_density,
    new_family_moments,
    pooled_quadratic_mean,
    reasoning_curve,
)

SHIPPED = {
    "phase": RunningCoupling,
    "phase_no_transition": ConstantCoupling,
    "quadratic": PooledQuadratic,
    "dynamics": Dynamics,
}


@pytest.mark.behaviour
def test_every_shipped_spec_maps_to_its_kind():
    assert set(available_models()) == set(SHIPPED)
    for name, kind in SHIPPED.items():
        assert type(model_kind(load_spec(name))) is kind, name


@pytest.mark.behaviour
def test_kinds_answer_what_the_spec_switches_used_to():
    phase, none, quad, dyn = (model_kind(load_spec(n)) for n in SHIPPED)
    assert required_benchmarks(load_spec("phase")) == ["hellaswag", "truthfulqa"]
    assert required_benchmarks(load_spec("quadratic")) == ["truthfulqa"]
    assert headline_variables(load_spec("phase")) == ["c", "mu_c", "beta", "tau_c"]
    assert headline_variables(load_spec("phase_no_transition")) == [
        "gamma",
        "gamma_mu",
        "gamma_sigma",
    ]
    assert headline_variables(load_spec("quadratic")) == ["c_pooled", "curvature", "t_vertex"]
    assert (phase.critical_scale, quad.critical_scale, none.critical_scale) == (
        "c",
        "c_pooled",
        None,
    )
    assert phase.family_critical_scales and not quad.family_critical_scales
    assert quad.pooled and not phase.pooled
    assert phase.family_curves and none.family_curves and not quad.family_curves
    assert (phase.spec_kind, dyn.spec_kind) == ("phase", "dynamics")


@pytest.mark.behaviour
def test_kinds_declare_what_the_layers_above_dispatch_on():
    """Figures, predictive groups, dynamics summaries and new-family predictions: each a
    declared attribute (a kind added later inherits them; no switch elsewhere to edit)."""
    declared = {
        name: (k.figure_set, k.score_curves, k.trajectories, k.new_family_from)
        for name, k in ((n, model_kind(load_spec(n))) for n in SHIPPED)
    }
    assert declared == {
        "phase": ("phase", True, False, "covariates"),
        "phase_no_transition": ("phase", True, False, "covariates"),
        "quadratic": ("phase", True, False, "covariates"),
        "dynamics": ("dynamics", False, True, "initial_state"),
    }


@pytest.mark.behaviour
def test_every_declared_value_has_its_implementation(positive):
    """Each registered kind's figure set, fold, and predictor exist in the layers above."""
    from bayescape.analysis._lofo import FOLDS
    from bayescape.analysis._result import _PREDICTORS
    from bayescape.cli._report import _PREDICTORS as CLI_PREDICTORS
    from bayescape.report._html import FIGURES_BY_KIND

    for kind in KINDS.values():
        assert kind.figure_set in FIGURES_BY_KIND, kind
        assert kind.new_family_from in FOLDS, kind
        assert kind.new_family_from in _PREDICTORS, kind
        assert kind.new_family_from in CLI_PREDICTORS, kind
    assert FOLDS["initial_state"] is not FOLDS["covariates"]


@pytest.mark.behaviour
@pytest.mark.parametrize("name", ["phase", "phase_no_transition", "quadratic", "dynamics"])
def test_headline_variables_exist_in_the_built_model(name):
    spec = load_spec(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1", require_benchmarks=required_benchmarks(spec))
        model, panel = build_model(df, spec)
    kind = model_kind(spec)
    assert set(kind.headline_variables(spec)) <= set(model.named_vars)
    if kind.critical_scale is not None:
        assert kind.critical_scale in model.named_vars
        assert kind.population_scale in model.named_vars
    assert set(kind.new_family_population) <= set(model.named_vars)
    assert kind.has_covariate_effects(panel) == ("beta" in model.named_vars)


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("line", "value"),
    [('kind = "phase"', 'kind = "sde"'), ('coupling = "running"', 'coupling = "linear"')],
)
def test_an_unknown_kind_is_a_clear_spec_error(line, value):
    text = load_spec("phase").text.replace(line, value, 1)
    spec = parse_spec(text, "odd.toml")
    with pytest.raises(SpecError, match=r"odd\.toml: \[model\] .* is no model kind; use one of"):
        model_kind(spec)
    with pytest.raises(SpecError, match="is no model kind"):
        required_benchmarks(spec)


@pytest.mark.behaviour
def test_a_kind_is_registered_once():
    with pytest.raises(SpecError, match="exists"):
        register_kind(RunningCoupling())


# ---------------------------------------------------------------------------------------------
# The maths each kind owns, against independent references


@pytest.mark.math
def test_constant_coupling_curve_is_gamma_times_the_reasoning_gain():
    x = np.linspace(8.0, 11.0, 7)
    curve = constant_coupling_curve(x, 0.25, 0.3, 1.2, 9.5, 0.4, -0.3)
    r = reasoning_curve(x, 0.25, 0.3, 1.2, 9.5)
    np.testing.assert_allclose(curve, 0.4 - 0.3 * (r - reasoning_curve(9.5, 0.25, 0.3, 1.2, 9.5)))
    assert constant_coupling_curve(9.5, 0.25, 0.3, 1.2, 9.5, 0.4, -0.3) == pytest.approx(0.4)


@pytest.mark.math
def test_pooled_quadratic_mean_has_its_vertex_at_c():
    x = np.linspace(7.0, 12.0, 501)
    mean = pooled_quadratic_mean(x, 9.53, 0.02, 0.31)
    assert x[np.argmin(mean)] == pytest.approx(9.53, abs=0.01)
    assert mean.min() == pytest.approx(0.31, abs=1e-6)
    np.testing.assert_allclose(
        np.polyfit(x, mean, 2), [0.02, -2 * 0.02 * 9.53, 0.31 + 0.02 * 9.53**2]
    )


@pytest.mark.math
def test_new_family_moments_integrate_out_unknown_covariates():
    """The moments of theta = (a, log b, t, log gamma, c) with one covariate unknown are those
    of the generative model, simulated: the unknown z ~ N(0, 1) moves a, t and c together."""
    pop = {
        "a_mu": np.array([0.1]),
        "a_trend": np.array([0.6]),
        "a_beta": np.array([[0.4, 0.7]]),
        "a_sigma": np.array([0.5]),
        "log_b_mu": np.array([0.2]),
        "log_b_sigma": np.array([0.3]),
        "t_mu": np.array([0.4]),
        "t_trend": np.array([0.02]),
        "t_beta": np.array([[0.01, -0.03]]),
        "t_sigma": np.array([0.05]),
        "log_gamma_mu": np.array([-0.7]),
        "log_gamma_sigma": np.array([0.4]),
        "mu_c": np.array([9.5]),
        "tau_c": np.array([0.5]),
        "beta": np.array([[0.3, -0.8]]),
    }
    z = np.array([1.5, np.nan])
    means, cov = new_family_moments(pop, z, anchor=10.5)
    # the levels are read at the family's anchor, 1.5 decades above X_REF = 9
    assert means[0] == pytest.approx(
        [0.1 + 0.6 * 1.5 + 0.4 * 1.5, 0.2, 0.4 + 0.02 * 1.5 + 0.01 * 1.5, -0.7, 9.5 + 0.3 * 1.5]
    )
    rng = np.random.default_rng(1)
    n = 400_000
    u, e = rng.standard_normal(n), rng.standard_normal((5, n))
    simulated = np.stack(
        [
            means[0, 0] + 0.7 * u + 0.5 * e[0],
            0.2 + 0.3 * e[1],
            means[0, 2] - 0.03 * u + 0.05 * e[2],
            -0.7 + 0.4 * e[3],
            means[0, 4] - 0.8 * u + 0.5 * e[4],
        ]
    )
    # 400,000 draws: sample covariances within ~0.5% of the scale of each entry
    scale = np.sqrt(np.outer(np.diag(cov[0]), np.diag(cov[0])))
    assert np.abs(np.cov(simulated) - cov[0]).max() / scale.max() < 5e-3
    assert cov[0, 0, 4] == pytest.approx(0.7 * -0.8) and cov[0, 1, 4] == 0.0
    many = {k: np.repeat(v, 200_000, axis=0) for k, v in pop.items()}
    theta, m, c = new_family_draws(many, z, 10.5, np.random.default_rng(2))
    assert np.abs(np.cov(theta.T) - cov[0]).max() / scale.max() < 5e-3
    # the density the importance sampler uses is the multivariate normal's (up to a constant)
    rows = theta[:50]
    exact = stats.multivariate_normal(means[0], cov[0]).logpdf(rows)
    ours = new_family_log_density(rows, m[:50], c[:50])
    assert ours - exact == pytest.approx(np.full(50, 2.5 * np.log(2 * np.pi)), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# A new variant (docs/architecture.md): register, fit the shipped analyses around it


@pytest.fixture
def positive():
    kind = register_kind(PositiveCoupling())
    yield kind
    del KINDS[kind.name]


@pytest.mark.behaviour
def test_a_registered_variant_builds_and_reuses_the_analyses(positive, make_prior_result):
    spec = load_spec(SPEC)
    assert model_kind(spec) is positive
    result = make_prior_result(str(SPEC), draws=30)
    assert result.kind is positive
    assert set(positive.headline_variables(spec)) <= set(result.posterior.data_vars)
    assert (result.posterior["gamma"] > 0).all()
    curves = family_curves(result, str(result.panel.families[0]), max_draws=None)
    assert curves.c is None and curves.truthfulness.shape == (30, 60)
    replicates = replicated_scores(result)
    assert set(replicates) == {"reasoning", "truthfulness"}
    groups = predictive_groups(result, 0)  # inherited score_curves: the groups are written
    assert set(groups["posterior_predictive"].data_vars) == {"reasoning", "truthfulness"}
    assert all(((r >= 0) & (r <= 1)).all() for r in replicates.values())
    with pytest.raises(BayescapeError, match="does not predict new families"):
        positive.new_family_truthfulness(
            result.draws, result.panel, np.array([9.0]), np.zeros(0), 10, np.random.default_rng(0)
        )
