"""Leave-one-family-out scoring, CRPS, and PSIS-LOO comparison."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayescape
from bayescape.analysis import compare, crps_from_draws, leave_one_family_out


@pytest.mark.math
def test_crps_from_draws_matches_the_normal_closed_form():
    # CRPS(N(0, 1), y) = y (2 Phi(y) - 1) + 2 phi(y) - 1 / sqrt(pi)
    draws = stats.norm.ppf((np.arange(20000) + 0.5) / 20000)
    for y in (-1.3, 0.0, 0.4, 2.5):
        exact = y * (2 * stats.norm.cdf(y) - 1) + 2 * stats.norm.pdf(y) - 1 / np.sqrt(np.pi)
        assert crps_from_draws(draws, y) == pytest.approx(exact, abs=2e-4)


@pytest.mark.math
def test_crps_weights_equal_repeated_draws():
    x = np.array([0.1, 0.5, 0.9])
    weighted = crps_from_draws(x, 0.3, weights=np.array([1.0, 2.0, 1.0]))
    assert weighted == pytest.approx(crps_from_draws(np.array([0.1, 0.5, 0.5, 0.9]), 0.3))


@pytest.mark.behaviour
def test_lofo_of_the_paper_quadratic_scores_every_model_of_eligible_families(tmp_path):
    out = leave_one_family_out("quadratic", "cape63", out_dir=tmp_path, n_draws=500)
    models = out.models
    # the quadratic spec observes TruthfulQA only: its baselines, no model rows, no HellaSwag
    assert set(models["method"]) == {"paper quadratic", "within-family slope"}
    assert set(models["benchmark"]) == {"truthfulness"}
    counts = bayescape.data.load_dataset("cape63")["family"].value_counts()
    eligible = set(counts[counts >= 3].index)
    assert set(models["family"]) == eligible
    assert len(models) == 2 * int(counts[counts >= 3].sum())
    overall = out.overall.set_index("method").loc["paper quadratic"]
    assert 0 <= overall["coverage_50"] <= overall["coverage_90"] <= 1
    assert overall["mae"] > 0 and overall["crps"] > 0
    # a resumed run reads the stored folds back
    again = leave_one_family_out("quadratic", "cape63", out_dir=tmp_path, n_draws=500)
    assert again.models.equals(models)


@pytest.mark.behaviour
def test_compare_reports_psis_loo_with_pareto_k():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = bayescape.fit(
            "quadratic", "cape_pythia", draws=300, tune=300, chains=2, progressbar=False
        )
        table = compare([result], leave_family_out=False)
    row = table.iloc[0]
    assert row["model"] == "quadratic" and row["n_obs"] == len(result.data)
    assert np.isfinite(row["elpd_loo"]) and row["p_loo"] > 0
    assert 0 <= row["n_high_k"] <= row["n_obs"]


@pytest.mark.behaviour
def test_new_family_elpd_never_sees_the_families_scores_of_the_specs_benchmarks(
    make_prior_result, tmp_path
):
    """A spec on other benchmarks (Winogrande, MMLU): the held-out family's own scores of those
    benchmarks must not condition its predictive (they are what the elpd scores)."""
    from bayescape.analysis._compare import _truthfulness_draws
    from bayescape.models import load_spec

    text = load_spec("phase").text
    text = text.replace('reasoning = "hellaswag"', 'reasoning = "winogrande"')
    text = text.replace('truthfulness = "truthfulqa"', 'truthfulness = "mmlu"')
    path = tmp_path / "phase_other.toml"
    path.write_text(text.replace('name = "phase"', 'name = "phase_other"'))
    fit = make_prior_result(str(path))
    family = fit.data["family"].value_counts().index[0]
    rows = fit.data[fit.data["family"] == family].reset_index(drop=True)
    blanked = rows.assign(winogrande=np.nan, mmlu=np.nan)
    mu, sigma = _truthfulness_draws(fit, rows, 2000, seed=0)
    mu_blind, sigma_blind = _truthfulness_draws(fit, blanked, 2000, seed=0)
    np.testing.assert_array_equal(mu, mu_blind)
    np.testing.assert_array_equal(sigma, sigma_blind)


@pytest.mark.behaviour
def test_psis_loo_warns_of_high_pareto_k(prior_result):
    """Prior draws as a posterior: far from every leave-one-out posterior, so many k are high;
    the warning must reach the caller (it was once swallowed with every other warning)."""
    from bayescape.analysis._compare import HighParetoKWarning, psis_loo

    with pytest.warns(HighParetoKWarning, match=r"of \d+ Pareto k > 0.7") as caught:
        loo = psis_loo(prior_result)
    assert loo["n_high_k"] > 0
    assert f"{loo['n_high_k']} of {loo['n_obs']}" in str(caught[0].message)


@pytest.mark.behaviour
def test_failed_refits_warn_with_their_families():
    import pandas as pd

    from bayescape.analysis._lofo import RefitDiagnosticsWarning, _warn_failed_refits

    models = pd.DataFrame(
        {
            "family": ["A", "A", "B", "C"],
            "method": ["phase", "paper quadratic", "phase", "phase"],
            "fit_ok": [True, np.nan, False, False],
        }
    )
    with pytest.warns(RefitDiagnosticsWarning, match=r"refits without B, C failed"):
        _warn_failed_refits(models)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_failed_refits(models.assign(fit_ok=True))
        _warn_failed_refits(models.drop(columns="fit_ok"))


def _linear_panel(slope: float = 0.05) -> pd.DataFrame:
    """Families whose scores are exactly a_f + slope * log10(N): one common within-family slope."""
    rows = []
    for f, (a, sizes) in enumerate(
        [(0.1, [1e8, 1e9, 1e10]), (-0.2, [3e8, 3e9]), (0.0, [1e9, 1e11])]
    ):
        for n in sizes:
            rows.append(
                {
                    "family": f"F{f}",
                    "model": f"F{f}-{n:.0e}",
                    "params": n,
                    "hellaswag": a + slope * np.log10(n),
                    "truthfulqa": a + 0.5 + slope * np.log10(n),
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.math
def test_within_family_slope_and_carry_forward_baselines_in_closed_form():
    from bayescape.analysis._scoring import (
        baseline_predictive,
        baseline_rows,
        within_family_slope,
    )

    panel = _linear_panel(0.05)
    x = np.log10(panel["params"].to_numpy())
    assert within_family_slope(x, panel["hellaswag"].to_numpy(), panel["family"].to_numpy()) == (
        pytest.approx(0.05, abs=1e-12)
    )
    # a held-out family on the same law with its own level: anchored at its smallest model,
    # the within-family slope predicts it exactly (every resampled slope is 0.05, every
    # residual of the other families 0), so CRPS and error vanish; carrying the smallest
    # forward misses by slope x (decades above the smallest)
    held = pd.DataFrame({"family": "H", "model": ["H1", "H2", "H3"], "params": [1e9, 1e10, 1e12]})
    held["hellaswag"] = 0.3 + 0.05 * np.log10(held["params"])
    held["truthfulqa"] = held["hellaswag"] + 0.1
    rows = pd.DataFrame(
        baseline_rows(panel, held.iloc[:1], held.iloc[1:], {"reasoning": "hellaswag"}, 400, 0, "H")
    ).set_index(["method", "model"])
    slope = rows.loc["within-family slope"]
    np.testing.assert_allclose(slope["abs_error"], 0.0, atol=1e-12)
    np.testing.assert_allclose(slope["crps"], 0.0, atol=1e-12)
    # carried forward: y0 plus the other families' increments over their smallest model
    # (0.05, 0.10, 0.05, 0.10 here), centred on their median
    x_train = np.log10(panel["params"].to_numpy())
    train = (x_train, panel["hellaswag"].to_numpy(), panel["family"].to_numpy())
    y0 = float(held["hellaswag"].iloc[0])
    draws = baseline_predictive(
        "smallest carried forward", train, np.array([10.0, 12.0]), (9.0, y0), 400, 0
    )
    np.testing.assert_allclose(np.unique(np.round(draws - y0, 12)), [-0.025, 0.025])
    assert "smallest carried forward" in rows.index.get_level_values("method")
    # with no model given (covariates-only mode) nothing is carried forward
    blind = pd.DataFrame(
        baseline_rows(panel, held.iloc[:0], held, {"reasoning": "hellaswag"}, 400, 0, "H")
    )
    assert set(blind["method"]) == {"paper quadratic", "within-family slope"}


@pytest.mark.math
def test_versus_baselines_relative_crps():
    from bayescape.analysis._scoring import versus_baselines

    overall = pd.DataFrame(
        {
            "method": ["phase", "paper quadratic", "within-family slope", "phase"],
            "benchmark": ["truthfulness", "truthfulness", "truthfulness", "reasoning"],
            "crps": [0.027, 0.030, 0.036, 0.05],
        }
    )
    table = versus_baselines(overall)
    phase = table[(table["method"] == "phase")].iloc[0]
    assert phase["best_baseline"] == "paper quadratic"
    assert phase["crps_vs_best_baseline"] == pytest.approx(-10.0)
    assert set(table["benchmark"]) == {"truthfulness"}  # no baseline scored on reasoning
