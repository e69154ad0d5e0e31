"""Summaries of the dynamics model on posteriors with known draws (no sampling)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.integrate import solve_ivp

import bayescape._jax  # noqa: F401
from bayescape.analysis import (
    fitted_equations,
    jacobian_eigenvalues,
    predict_dynamics_family,
    prediction_errors,
    term_inclusion,
    trajectory_coupling,
)
from bayescape.data import DataWarning
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult
from bayescape.models import load_spec, parse_spec
from bayescape.models.dynamics import make_library, prepare_dynamics_panel, rhs

STATES = ["hellaswag", "truthfulqa"]
CENTRE, SCALE = np.array([0.65, 0.40]), np.array([0.15, 0.05])
LIB = make_library(STATES, 2)
# du_H/dx = 1 - 0.5 u_H,  du_T/dx = 0.3 + 0.6 u_H  (standard units per decade)
TRUE_XI = np.zeros((6, 2))
TRUE_XI[0] = [1.0, 0.3]
TRUE_XI[1] = [-0.5, 0.6]
ITEMS = 10**9  # binomial error negligible: predictions are the deterministic solution


def _solve(u0, xs):
    sol = solve_ivp(
        lambda _x, u: rhs(u, TRUE_XI, LIB.powers),
        (xs[0], xs[-1]),
        u0,
        t_eval=xs,
        rtol=1e-11,
        atol=1e-12,
    )
    return sol.y.T


def _panel_df() -> pd.DataFrame:
    rows = []
    starts = {"Alpha": (8.0, [-1.5, -1.0]), "Beta": (9.0, [0.5, 0.2]), "Gamma": (8.5, [-1.0, 0.0])}
    for family, (x0, u0) in starts.items():
        xs = x0 + np.array([0.0, 0.5, 1.2, 2.0])
        b = CENTRE + SCALE * _solve(np.array(u0), xs)
        for i, x in enumerate(xs):
            rows.append(
                {
                    "model": f"{family}-{i}",
                    "family": family,
                    "params": 10**x,
                    "hellaswag": b[i, 0],
                    "truthfulqa": b[i, 1],
                    "items_hellaswag": ITEMS,
                    "items_truthfulqa": ITEMS,
                }
            )
    return pd.DataFrame(rows)


def _fake_result(df: pd.DataFrame, xi_draws: np.ndarray, fit_families: list[str]) -> FitResult:
    """A posterior shaped like a dynamics fit, with the given Xi draws and exact u0."""
    # no harness noise on the starting model: predictions become deterministic
    spec = parse_spec(load_spec("dynamics").text.replace("init_noise = 0.02", "init_noise = 1e-9"))
    fit_df = df[df["family"].isin(fit_families)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        panel = prepare_dynamics_panel(fit_df, spec)
    n = len(xi_draws)
    shape = (1, n)
    dims = ("chain", "draw")
    post = xr.Dataset(
        {
            "Xi": ((*dims, "term", "state"), xi_draws.reshape(*shape, 6, 2)),
            "kappa": ((*dims, "shrunk_term", "state"), np.full((*shape, 5, 2), 0.5)),
            "tau": (dims, np.full(shape, 0.1)),
            "u0": (
                (*dims, "family", "state"),
                np.broadcast_to(panel.u0_observed, (*shape, *panel.u0_observed.shape)).copy(),
            ),
            "delta": ((*dims, "family", "state"), np.zeros((*shape, panel.n_families, 2))),
            "offset_sigma": ((*dims, "state"), np.full((*shape, 2), 1e-9)),
            "sigma_hellaswag": (dims, np.full(shape, 1e-7)),
            "sigma_truthfulqa": (dims, np.full(shape, 1e-7)),
        },
        coords={
            "term": list(LIB.terms),
            "shrunk_term": list(LIB.terms[1:]),
            "state": STATES,
            "family": panel.families,
            "chain": [0],
            "draw": np.arange(n),
        },
    )
    stats = xr.Dataset(
        {"diverging": (dims, np.zeros(shape, dtype=bool))},
        coords={"chain": [0], "draw": np.arange(n)},
    )
    tree = xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})
    return FitResult(idata=tree, data=fit_df, spec=spec, info={"data_source": "<test>"})


@pytest.fixture(scope="module")
def panel_df():
    return _panel_df()


@pytest.fixture(scope="module")
def exact(panel_df):
    """All draws at the true coefficients; Gamma left out of the fit."""
    return _fake_result(panel_df, np.repeat(TRUE_XI[None], 50, axis=0), ["Alpha", "Beta"])


@pytest.mark.math
def test_held_out_prediction_is_the_ode_solution_from_the_smallest_model(panel_df, exact):
    pred = predict_dynamics_family(exact, "Gamma", data=panel_df, sizes=[10**11])
    gamma = panel_df[panel_df["family"] == "Gamma"]
    xs = np.log10(np.r_[gamma["params"].to_numpy(), 1e11])
    u0 = (gamma[STATES].to_numpy()[0] - CENTRE) / SCALE
    expected = CENTRE + SCALE * _solve(u0, xs)
    for k, state in enumerate(STATES):
        got = pred[pred["benchmark"] == state]
        np.testing.assert_allclose(got["mean_median"], expected[:, k], atol=1e-5)
        # measured models (10^9 items): the predictive interval is as narrow as the latent one
        assert (got["high"] - got["low"]).iloc[:-1].max() < 2e-4
    errors = prediction_errors(pred)
    assert set(errors["benchmark"]) == set(STATES)
    assert (errors["n"] == 3).all() and (errors["mape"] < 1e-3).all()


@pytest.mark.behaviour
def test_prediction_from_initial_scores_and_its_errors(exact):
    start = {
        "params": 1e9,
        "hellaswag": 0.5,
        "truthfulqa": 0.35,
        "items_hellaswag": ITEMS,
        "items_truthfulqa": ITEMS,
    }
    pred = predict_dynamics_family(exact, initial=start, sizes=[1e9, 7e9])
    assert list(pred["params"].unique()) == [1e9, 7e9]
    first = pred[pred["params"] == 1e9].set_index("benchmark")["mean_median"]
    assert first["hellaswag"] == pytest.approx(0.5, abs=1e-5)
    with pytest.raises(BayescapeError, match="sizes must be >="):
        predict_dynamics_family(
            exact, initial={"params": 1e9, "hellaswag": 0.5, "truthfulqa": 0.35}, sizes=[1e8]
        )
    with pytest.raises(BayescapeError, match="initial scores need"):
        predict_dynamics_family(exact, initial={"params": 1e9, "hellaswag": 0.5}, sizes=[2e9])
    with pytest.raises(BayescapeError, match="either family"):
        predict_dynamics_family(exact)


@pytest.mark.math
def test_coupling_sign_change_matches_the_closed_form(exact):
    # Alpha: u_H(x) = 2 + (u_H0 - 2) exp(-(x - x0)/2); dT/dx = 0 where u_H = -0.5
    table = trajectory_coupling(exact, grid=401).set_index("family")
    dx = 2 * np.log((-1.5 - 2.0) / (-0.5 - 2.0))
    assert table.loc["Alpha", "p_sign_change"] == 1.0
    assert np.log10(table.loc["Alpha", "nc_median"]) == pytest.approx(8.0 + dx, abs=2e-3)
    assert table.loc["Alpha", "direction"] == "tax->bonus"
    # Beta starts above u_H = -0.5 and stays there: no sign change, positive coupling
    assert table.loc["Beta", "p_sign_change"] == 0.0 and np.isnan(table.loc["Beta", "nc_median"])
    u_h = 0.5
    expected = (SCALE[1] * (0.3 + 0.6 * u_h)) / (SCALE[0] * (1 - 0.5 * u_h))
    assert table.loc["Beta", "gamma_start_median"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.math
def test_eigenvalues_of_a_linear_system_are_those_of_its_matrix(exact):
    table = jacobian_eigenvalues(exact)
    # J = [[-0.5, 0], [0.6, 0]]: eigenvalues 0 and -0.5, everywhere
    np.testing.assert_allclose(table["re1_median"], 0.0, atol=1e-12)
    np.testing.assert_allclose(table["re2_median"], -0.5, atol=1e-12)
    assert (table["p_stable"] == 0.0).all()  # one zero eigenvalue: not strictly stable
    assert set(table["at"]) == {"smallest", "largest"}


@pytest.mark.math
def test_inclusion_is_the_fraction_of_draws_beyond_the_threshold(panel_df):
    rng = np.random.default_rng(0)
    draws = TRUE_XI[None] + rng.normal(0, 0.08, (400, 6, 2))
    result = _fake_result(panel_df, draws, ["Alpha", "Beta", "Gamma"])
    table = term_inclusion(result, prob=0.9, threshold=0.1).set_index(["state", "term"])
    expected = np.mean(np.abs(draws[:, 4, 1]) > 0.1)
    assert table.loc[("truthfulqa", "hellaswag*truthfulqa"), "p_included"] == expected
    assert table.loc[("truthfulqa", "hellaswag"), "p_included"] == 1.0
    assert np.isnan(table.loc[("hellaswag", "1"), "kappa_mean"])
    text = fitted_equations(result)
    assert "d truthfulqa/dx" in text and "* hellaswag" in text and "shrunk:" in text


@pytest.mark.behaviour
def test_summaries_refuse_a_model_without_dynamics(exact):
    other = FitResult(idata=exact.idata, data=exact.data, spec=load_spec("phase"))
    with pytest.raises(BayescapeError, match="not a dynamics model"):
        term_inclusion(other)


# ---------------------------------------------------------------------------------------------
# Leave-one-family-out by importance sampling, against closed forms
#
# With TRUE_XI, du_T/dx = theta + 0.6 u_H (+ delta): u_T is linear in theta and delta, and
# u_H does not depend on them, so a family's truthfulness scores are
# y = A + (theta + delta) G + noise, G_h = scale_T (x_h - x0): every density is Gaussian.


def _gamma_design(panel_df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gamma's held-out models: A (theta = 0 curve), G and their log10 sizes."""
    gamma = panel_df[panel_df["family"] == "Gamma"]
    xs = np.log10(gamma["params"].to_numpy())
    u0 = (gamma[STATES].to_numpy()[0] - CENTRE) / SCALE
    saved = TRUE_XI[0, 1]
    try:
        TRUE_XI[0, 1] = 0.0
        a = CENTRE[1] + SCALE[1] * _solve(u0, xs)[1:, 1]
    finally:
        TRUE_XI[0, 1] = saved
    return a, SCALE[1] * (xs[1:] - xs[0]), xs


@pytest.mark.math
def test_integrated_family_likelihood_matches_the_gaussian_marginal(panel_df):
    from scipy.stats import multivariate_normal

    from bayescape.analysis._dynamics_lofo import _integrated_log_lik

    a, g, _ = _gamma_design(panel_df)
    thetas = np.array([0.25, 0.3, 0.4])
    offset_sd = np.column_stack([np.zeros(3), np.array([0.05, 0.2, 0.6])])
    noise = 0.01
    y = np.column_stack([np.full(3, np.nan), a + 0.35 * g])  # HellaSwag missing: T only
    rng = np.random.default_rng(1)

    def solve_family(u0, delta):  # closed form, (S, M, H, D); u0 enters nothing (T's start fixed)
        b_t = a + (thetas[:, None, None] + delta[..., 1:2]) * g
        return np.stack([np.full_like(b_t, 0.5), b_t], axis=-1)

    # posterior-like draws of (u0, delta) around what the data say, as a fit would give
    phi_post = np.column_stack(
        [rng.normal(0, 1e-3, (500, 2)), rng.normal(0, 1e-3, 500), rng.normal(0.05, 0.05, 500)]
    )
    log_p, inner_ess = _integrated_log_lik(
        solve_family,
        phi_post,
        prior_mean=np.zeros(2),
        prior_u0_sd=np.array([1e-3, 1e-3]),
        offset_sd=offset_sd,
        y=y,
        n_items=np.full((3, 2), 1e12),
        sigma=np.full((3, 2), noise),
        n_inner=4000,
        rng=rng,
    )
    for s, theta in enumerate(thetas):
        cov = noise**2 * np.eye(3) + offset_sd[s, 1] ** 2 * np.outer(g, g)
        exact = multivariate_normal(a + theta * g, cov).logpdf(y[:, 1])
        # 4000 importance draws with >= 100 effective: Monte Carlo error of log p well
        # below 0.05 (relative error of p ~ 1/sqrt(ESS))
        assert log_p[s] == pytest.approx(exact, abs=0.05)
    assert inner_ess > 100


@pytest.mark.math
def test_importance_lofo_predictive_matches_the_closed_form_leave_out_posterior(panel_df):
    from bayescape.analysis import leave_family_out_is

    a, g, _ = _gamma_design(panel_df)
    noise, theta_hat = 0.01, 0.45
    df = panel_df.copy()
    held = df.index[df["family"] == "Gamma"][1:]
    df.loc[held, "truthfulqa"] = a + theta_hat * g  # Gamma's scores say theta = 0.45
    # full posterior of theta ~ N(mu_f, v_f); Gamma's likelihood has precision p_lik in theta,
    # so the leave-out posterior is N(mu_o, v_o) with 1/v_o = 1/v_f - p_lik (v_o = 1.25 v_f)
    p_lik = np.sum(g**2) / noise**2
    v_f = 0.2 / p_lik
    v_o = 1.0 / (1.0 / v_f - p_lik)
    mu_f = 0.3
    mu_o = v_o * (mu_f / v_f - p_lik * theta_hat)
    rng = np.random.default_rng(2)
    draws = np.repeat(TRUE_XI[None], 4000, axis=0)
    draws[:, 0, 1] = rng.normal(mu_f, np.sqrt(v_f), 4000)
    result = _fake_result(df, draws, ["Alpha", "Beta", "Gamma"])
    for name in ("sigma_hellaswag", "sigma_truthfulqa"):
        result.idata["posterior"][name] = result.idata["posterior"][name] * 0 + noise
    out = leave_family_out_is(result, families=["Gamma"], max_draws=None, n_inner=64)
    rows = out.models[(out.models["method"] == "dynamics")]
    rows = rows[rows["benchmark"] == "truthfulness"]
    sd = np.sqrt(v_o * g**2 + noise**2)
    ess = float(out.families["ess"].iloc[0])
    assert out.families["pareto_k"].iloc[0] < 0.7 and ess > 500
    # Monte Carlo sd of a weighted median ~ 1.25 s / sqrt(ESS), s the spread it averages over:
    # theta's part (v_o g^2) over ESS draws, the noise over 16 noise draws each; allow 4 of them
    tol = 4 * 1.25 * np.sqrt(v_o * g**2 + noise**2 / 16) / np.sqrt(ess)
    centre = a + mu_o * g
    assert np.all(np.abs(rows["median"].to_numpy() - centre) <= tol)
    assert np.all(np.abs(rows["low_90"].to_numpy() - (centre - 1.6449 * sd)) <= 2 * tol)
    assert np.all(np.abs(rows["high_90"].to_numpy() - (centre + 1.6449 * sd)) <= 2 * tol)
    # without the reweighting the median would sit at mu_f: the check can tell them apart
    assert np.abs(a + mu_f * g - (a + mu_o * g))[-1] > 3 * tol[-1]
    _assert_baselines_scored(out.models, n_models=3)
    assert set(out.families["family"]) == {"Gamma"}


@pytest.mark.math
def test_exact_lofo_fold_predicts_the_ode_solution_of_the_refit(panel_df, exact, monkeypatch):
    """The refit path (a batch task): with the refit's draws at the truth, the held-out
    family's predictions are its ODE solution from its smallest model, and it is scored."""
    import bayescape.analysis._result as result_module
    from bayescape.analysis._dynamics_lofo import dynamics_lofo_fold

    seen = {}

    def fake_fit(spec, data, exclude_families, **kwargs):
        seen["excluded"] = exclude_families
        return exact  # fitted to Alpha and Beta only

    monkeypatch.setattr(result_module, "fit", fake_fit)
    rows = pd.DataFrame(
        dynamics_lofo_fold(exact.spec, panel_df, "Gamma", fit_kwargs={}, seed=0, per_draw=4)
    )
    assert seen["excluded"] == ["Gamma"]
    gamma = panel_df[panel_df["family"] == "Gamma"]
    xs = np.log10(gamma["params"].to_numpy())
    u0 = (gamma[STATES].to_numpy()[0] - CENTRE) / SCALE
    expected = CENTRE + SCALE * _solve(u0, xs)
    dyn = rows[rows["method"] == "dynamics"]
    for k, bench in enumerate(["reasoning", "truthfulness"]):
        got = dyn[dyn["benchmark"] == bench]
        assert list(got["model"]) == list(gamma["model"].iloc[1:])
        np.testing.assert_allclose(got["median"], expected[1:, k], atol=1e-5)
        assert got["in_90"].all() and (got["abs_error"] < 1e-5).all()
    _assert_baselines_scored(rows, n_models=3)


def _assert_baselines_scored(rows: pd.DataFrame, n_models: int) -> None:
    """Each simple baseline scored on every held-out model, for both benchmarks."""
    base = rows[rows["method"] != "dynamics"]
    counts = base.groupby(["method", "benchmark"]).size()
    methods = {"paper quadratic", "within-family slope", "smallest carried forward"}
    assert set(counts.index) == {(m, b) for m in methods for b in ("reasoning", "truthfulness")}
    assert (counts == n_models).all()


def _rotation_df(span: float) -> pd.DataFrame:
    """One family on du_H/dx = -u_T, du_T/dx = u_H from u = (1, -1): a rotation, in closed form
    u_H = cos s + sin s, u_T = sin s - cos s (s = x - x0)."""
    s = np.linspace(0.0, span, 4)
    u = np.stack([np.cos(s) + np.sin(s), np.sin(s) - np.cos(s)], axis=1)
    b = CENTRE + SCALE * u
    return pd.DataFrame(
        {
            "model": [f"Rot-{i}" for i in range(4)],
            "family": "Rot",
            "params": 10 ** (8.0 + s),
            "hellaswag": b[:, 0],
            "truthfulqa": b[:, 1],
            "items_hellaswag": ITEMS,
            "items_truthfulqa": ITEMS,
        }
    )


ROTATION_XI = np.zeros((6, 2))
ROTATION_XI[2, 0] = -1.0  # du_H/dx = -u_T
ROTATION_XI[1, 1] = 1.0  # du_T/dx = u_H


@pytest.mark.math
def test_a_pole_of_dr_dx_is_not_a_critical_scale():
    # gamma = u_H / (-u_T): dR/dx = -u_T passes through 0 at s = pi/4 (a pole where gamma jumps
    # from -inf to +inf); dT/dx = u_H stays positive until s = 3 pi/4 > 2: no real crossing
    df = _rotation_df(2.0)
    table = trajectory_coupling(_fake_result(df, ROTATION_XI[None], ["Rot"]), grid=401)
    row = table.set_index("family").loc["Rot"]
    assert row["p_sign_change"] == 0.0
    assert np.isnan(row["nc_median"]) and row["direction"] == ""


@pytest.mark.math
def test_the_critical_scale_is_the_zero_of_dt_dx_past_a_pole():
    # over 3 decades: the pole at s = pi/4 first, then the real zero of dT/dx at s = 3 pi/4
    df = _rotation_df(3.0)
    table = trajectory_coupling(_fake_result(df, ROTATION_XI[None], ["Rot"]), grid=401)
    row = table.set_index("family").loc["Rot"]
    assert row["p_sign_change"] == 1.0
    assert np.log10(row["nc_median"]) == pytest.approx(8.0 + 3 * np.pi / 4, abs=2e-3)
    # just before 3 pi/4: u_H > 0 and dR/dx = -u_T < 0, so gamma < 0; after it gamma > 0
    assert row["direction"] == "tax->bonus"
