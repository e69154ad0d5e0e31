"""The partially pooled frontier model and its posterior summaries."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from bayescape.data import load_table
from bayescape.errors import BayescapeError, DataValidationError
from bayescape.models.frontier import (
    FrontierPriors,
    build_frontier_model,
    frontier_correlation,
    frontier_diagnostics,
    frontier_lab_slopes,
    frontier_population_line,
    frontier_residuals,
    predictive_correlation_draws,
)


@pytest.fixture(scope="module")
def frontier():
    return load_table("frontier34")


def fake_posterior(df: pd.DataFrame, n_draws: int = 400, seed: int = 0) -> xr.DataTree:
    """A posterior with known draws, shaped like sampling build_frontier_model(df)."""
    rng = np.random.default_rng(seed)
    labs = list(pd.unique(df["lab"]))
    lab_index = np.array([labs.index(v) for v in df["lab"]])
    swe = df["swe_bench_verified"].to_numpy()
    x = swe - swe.mean()
    y = df["gpqa_diamond"].to_numpy()
    shape = (2, n_draws)
    a_mu = rng.normal(0.78, 0.02, shape)
    b_mu = rng.normal(0.55, 0.1, shape)
    a = a_mu[..., None] + rng.normal(0, 0.04, (*shape, len(labs)))
    b = b_mu[..., None] + rng.normal(0, 0.2, (*shape, len(labs)))
    sigma = np.abs(rng.normal(0.05, 0.01, shape))
    mu = a[..., lab_index] + b[..., lab_index] * x
    dims = ("chain", "draw")
    posterior = xr.Dataset(
        {
            "intercept_mu": (dims, a_mu),
            "slope_mu": (dims, b_mu),
            "slope_tau": (dims, np.abs(rng.normal(0.2, 0.05, shape))),
            "intercept": ((*dims, "lab"), a),
            "slope": ((*dims, "lab"), b),
            "sigma": (dims, sigma),
            "intercept_at_zero": (dims, a_mu - b_mu * swe.mean()),
            "h": ((*dims, "model"), y - (a_mu[..., None] + b_mu[..., None] * x)),
            "lab_residual": ((*dims, "model"), y - mu),
        },
        coords={
            "chain": [0, 1],
            "draw": np.arange(n_draws),
            "lab": labs,
            "model": df["model"].tolist(),
        },
    )
    constant = xr.Dataset(
        {
            "swe_centred": ("model", x),
            "lab_index": ("model", lab_index),
            "swe_mean": ((), swe.mean()),
            "inverse_items": ((), 1 / 198),
        },
        coords={"model": df["model"].tolist()},
    )
    return xr.DataTree.from_dict({"posterior": posterior, "constant_data": constant})


# --- model structure and its log density -----------------------------------------------------


@pytest.mark.behaviour
def test_model_has_lab_and_model_coords(frontier):
    model = build_frontier_model(frontier)
    assert list(model.coords["lab"])[:3] == ["Anthropic", "Google", "OpenAI"]
    assert len(model.coords["lab"]) == 10
    assert len(model.coords["model"]) == 34
    free = {rv.name for rv in model.free_RVs}
    assert free == {
        "intercept_mu",
        "slope_mu",
        "intercept_tau",
        "slope_tau",
        "intercept_z",
        "slope_z",
        "sigma",
    }
    assert {"intercept", "slope", "h", "lab_residual", "intercept_at_zero"} <= {
        d.name for d in model.deterministics
    }


@pytest.mark.math
def test_log_density_matches_scipy(frontier):
    pr = FrontierPriors()
    model = build_frontier_model(frontier, priors=pr)
    rng = np.random.default_rng(4)
    point = {
        "intercept_mu": 0.8,
        "slope_mu": 0.5,
        "intercept_tau_log__": np.log(0.05),
        "slope_tau_log__": np.log(0.3),
        "intercept_z": rng.normal(size=10),
        "slope_z": rng.normal(size=10),
        "sigma_log__": np.log(0.06),
    }
    got = model.compile_logp(jacobian=False)(point)

    labs = list(pd.unique(frontier["lab"]))
    idx = np.array([labs.index(v) for v in frontier["lab"]])
    x = frontier["swe_bench_verified"].to_numpy()
    x = x - x.mean()
    y = frontier["gpqa_diamond"].to_numpy()
    a = 0.8 + 0.05 * point["intercept_z"]
    b = 0.5 + 0.3 * point["slope_z"]
    mu = a[idx] + b[idx] * x
    sd = np.sqrt(0.06**2 + mu * (1 - mu) / 198)
    expected = (
        stats.norm.logpdf(0.8, pr.intercept_mu, pr.intercept_sigma)
        + stats.norm.logpdf(0.5, pr.slope_mu, pr.slope_sigma)
        + stats.halfnorm.logpdf(0.05, scale=pr.intercept_tau)
        + stats.halfnorm.logpdf(0.3, scale=pr.slope_tau)
        + stats.norm.logpdf(point["intercept_z"]).sum()
        + stats.norm.logpdf(point["slope_z"]).sum()
        + stats.halfnorm.logpdf(0.06, scale=pr.noise_sigma)
        + stats.norm.logpdf(y, mu, sd).sum()
    )
    assert float(got) == pytest.approx(expected, abs=1e-8)


@pytest.mark.behaviour
def test_percent_scores_are_refused_with_the_fix(frontier):
    bad = frontier.assign(gpqa_diamond=100 * frontier["gpqa_diamond"])
    with pytest.raises(DataValidationError, match="divide percentages by 100"):
        build_frontier_model(bad)


@pytest.mark.behaviour
def test_missing_column_and_duplicates_are_named(frontier):
    with pytest.raises(DataValidationError, match="missing column 'lab'"):
        build_frontier_model(frontier.drop(columns="lab"))
    dup = pd.concat([frontier, frontier.iloc[:1]], ignore_index=True)
    with pytest.raises(DataValidationError, match="duplicate model names"):
        build_frontier_model(dup)


# --- pure summaries, checked against numpy on known draws ------------------------------------


@pytest.mark.math
def test_summaries_are_quantiles_of_the_draws(frontier):
    idata = fake_posterior(frontier)
    post = idata["posterior"].ds
    line = frontier_population_line(idata, prob=0.9)
    flat = post["slope_mu"].values.reshape(-1)
    np.testing.assert_allclose(
        [line["slope"].low, line["slope"].median, line["slope"].high],
        np.quantile(flat, [0.05, 0.5, 0.95]),
    )
    slopes = frontier_lab_slopes(idata, prob=0.9)
    google = post["slope"].sel(lab="Google").values.reshape(-1)
    row = slopes.set_index("lab").loc["Google"]
    assert row["slope_median"] == pytest.approx(np.median(google))
    assert row["slope_high"] == pytest.approx(np.quantile(google, 0.95))
    res = frontier_residuals(idata).set_index("model")
    h = post["h"].sel(model="o1").values.reshape(-1)
    assert res.loc["o1", "h_low"] == pytest.approx(np.quantile(h, 0.025))
    assert res.loc["o1", "lab"] == "OpenAI"


@pytest.mark.math
def test_predictive_r_without_noise_is_pearson_of_the_means():
    x = np.linspace(-0.3, 0.3, 7)
    lab = np.array([0, 0, 0, 1, 1, 1, 1])
    a = np.array([[0.7, 0.8], [0.75, 0.7]])
    b = np.array([[0.5, 1.0], [0.2, 0.9]])
    r = predictive_correlation_draws(x, lab, a, b, np.zeros(2), 0.0, np.random.default_rng(0))
    for s in range(2):
        mu = a[s, lab] + b[s, lab] * x
        assert r[s] == pytest.approx(stats.pearsonr(x, mu).statistic, abs=1e-12)


@pytest.mark.math
def test_predictive_r_matches_scipy_with_noise(frontier):
    idata = fake_posterior(frontier, n_draws=50)
    got = frontier_correlation(idata, seed=5)
    post, const = idata["posterior"].ds, idata["constant_data"].ds
    stack = lambda v: post[v].stack(sample=("chain", "draw")).transpose("sample", ...).values  # noqa: E731
    a, b, sigma = stack("intercept"), stack("slope"), stack("sigma")
    x, lab = const["swe_centred"].values, const["lab_index"].values
    rng = np.random.default_rng(5)
    mu = a[:, lab] + b[:, lab] * x
    p = np.clip(mu, 1e-3, 1 - 1e-3)  # the variance term is clipped as in the likelihood
    y = mu + np.sqrt(sigma[:, None] ** 2 + p * (1 - p) / 198) * rng.standard_normal(mu.shape)
    ref = [stats.pearsonr(x, y[s]).statistic for s in range(len(y))]
    np.testing.assert_allclose(got.draws, ref, atol=1e-12)


@pytest.mark.behaviour
def test_summaries_say_what_result_they_need(frontier):
    idata = fake_posterior(frontier)
    broken = xr.DataTree.from_dict({"posterior": idata["posterior"].ds.drop_vars("slope")})
    with pytest.raises(BayescapeError, match="build_frontier_model"):
        frontier_lab_slopes(broken)
    with pytest.raises(ValueError, match="prob"):
        frontier_population_line(idata, prob=95)


@pytest.mark.behaviour
def test_diagnostics_flag_chains_that_disagree(frontier):
    idata = fake_posterior(frontier, n_draws=500)
    good = frontier_diagnostics(idata)
    assert good.ok and good.n_draws == 1000 and good.divergences == 0
    post = idata["posterior"].ds.copy()
    post["slope_mu"] = post["slope_mu"] + xr.DataArray([0.0, 1.0], dims="chain")  # split chains
    bad = frontier_diagnostics(xr.DataTree.from_dict({"posterior": post}))
    assert not bad.ok and bad.max_rhat > 1.5


# --- recovery of known lab slopes from simulated data ----------------------------------------


def simulate_panel(seed: int = 11) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    true_slopes = np.array([0.2, 0.45, 0.7, 0.95, 0.55, 0.3])
    true_intercepts = np.array([0.78, 0.72, 0.82, 0.75, 0.80, 0.70])
    rows = []
    for lab, (a, b) in enumerate(zip(true_intercepts, true_slopes, strict=True)):
        x = rng.uniform(0.2, 0.85, 12)
        mu = a + b * (x - 0.5)
        p = np.clip(mu + rng.normal(0, 0.02, x.size), 0.01, 0.99)
        y = rng.binomial(198, p) / 198  # GPQA-sized sampling error
        rows += [
            {
                "model": f"m{lab}_{i}",
                "lab": f"lab{lab}",
                "swe_bench_verified": xi,
                "gpqa_diamond": yi,
            }
            for i, (xi, yi) in enumerate(zip(x, y, strict=True))
        ]
    return pd.DataFrame(rows), true_slopes


@pytest.mark.math
def test_recovers_known_lab_slopes():
    from bayescape.inference import sample

    df, true_slopes = simulate_panel()
    model = build_frontier_model(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        idata, _ = sample(
            model,
            sampler="numpyro",
            draws=300,
            tune=300,
            chains=2,
            random_seed=3,
            progressbar=False,
        )
    est = frontier_lab_slopes(idata)
    # Each lab has 12 models over a SWE range of ~0.65 and residual SD ~0.035 (0.02 scatter plus
    # binomial error of 198 items), so a separate OLS slope has SE ~0.035 / (sqrt(12) * 0.19)
    # ~ 0.05. Partial pooling pulls the extremes (0.2, 0.95) towards the mean by well under one
    # SE here because the slopes' spread (~0.27) dwarfs the SE. A tolerance of 0.15 is ~3 SE:
    # a wrong model (e.g. one common slope) misses the extreme labs by ~0.4 and fails.
    np.testing.assert_allclose(est["slope_median"], true_slopes, atol=0.15)
    assert stats.pearsonr(est["slope_median"], true_slopes).statistic > 0.95
    # 95% intervals should cover nearly every truth (all 6 with high probability)
    covered = (est["slope_low"] <= true_slopes) & (true_slopes <= est["slope_high"])
    assert covered.sum() >= 5
    assert frontier_diagnostics(idata).divergences == 0
