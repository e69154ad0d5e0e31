"""Simulation-based calibration: a small seeded run passes, a mis-specified one is flagged.

The model is the paper's pooled quadratic on the Pythia design (8 models): one compiled model
serves every fit, so 2 x 30 simulations take well under a minute. With 30 simulations and 5
rank bins (expected 6 per bin), a calibrated fit is rejected at 1% with probability 0.01 per
group; the seed is fixed, so the outcome is deterministic. The mis-specified run simulates with
3x the extra noise the fitted prior allows: the noise ranks pile up at the top.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayescape.analysis import calibrate, misspecified, rank_uniformity, summarise_calibration
from bayescape.models import load_spec

SETTINGS = dict(
    n_sims=30, seed=3, draws=150, tune=200, chains=2, n_ranks=19, n_bins=5, bootstrap_resamples=300
)


@pytest.fixture(scope="module")
def spec():
    return load_spec("quadratic")


@pytest.fixture(scope="module")
def calibrated(spec, tmp_path_factory):
    return calibrate(spec, "cape_pythia", out_dir=tmp_path_factory.mktemp("sbc"), **SETTINGS)


@pytest.mark.math
def test_rank_uniformity_is_pearson_chi_square():
    rng = np.random.default_rng(0)
    ranks = rng.integers(0, 20, 200)  # 20 rank values, 5 bins of 4
    chi2, p = rank_uniformity(ranks, n_ranks=19, n_bins=5)
    counts = np.bincount(ranks // 4, minlength=5)
    ref = stats.chisquare(counts)
    assert chi2 == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue)


@pytest.mark.math
def test_seeded_calibration_of_the_quadratic_model_passes(calibrated):
    assert len(calibrated.records) == 30
    assert calibrated.flagged() == [], calibrated.describe()
    cover = calibrated.coverage.set_index("parameter")
    # Binomial(30, 0.9): P(fewer than 20 covered) = 0.002. Seed 3 covers c_pooled 21 of 30
    # times (P(<= 21) = 0.026 if calibrated): noted, not hidden by choosing another seed.
    assert (cover["cover_90"] >= 20 / 30).all(), calibrated.describe()
    # every rank is in 0..L and every simulation gives one per checked parameter
    ranks = calibrated.ranks
    assert ranks["rank"].between(0, 19).all()
    assert set(ranks["group"]) == {"c_pooled", "curvature", "t_vertex", "sigma_truthfulness"}
    boot = calibrated.bootstrap.set_index("method")["coverage_95"]
    assert 0.0 <= boot.iloc[1] <= 1.0


@pytest.mark.math
def test_misspecified_noise_is_flagged(spec, calibrated):
    bad = calibrate(spec, "cape_pythia", simulation_spec=misspecified(spec), **SETTINGS)
    assert "sigma_truthfulness" in bad.flagged(), bad.describe()
    cover = bad.coverage.set_index("parameter")
    assert cover.loc["sigma_truthfulness", "cover_90"] < 0.8
    ranks = bad.ranks[bad.ranks["group"] == "sigma_truthfulness"]["rank"]
    assert ranks.mean() > 12  # calibrated: 9.5; the truth sits above most draws


@pytest.mark.behaviour
def test_summary_recomputed_from_stored_results(calibrated, tmp_path):
    again = summarise_calibration(calibrated.records, n_bins=5)
    assert again.uniformity.equals(calibrated.uniformity)
    with pytest.raises(Exception, match="no calibration results"):
        summarise_calibration([])


@pytest.mark.math
def test_ranks_of_vector_parameters_use_each_components_own_draws():
    """Component k's rank is taken among k's draws (an earlier version mixed components).

    Posterior: component k ~ N(10 k, 1) in 4 chains x 500 draws. A truth at the component's
    mean has rank L/2 within the thinning's sampling error (L = 99 thinned draws: sd of the
    rank 5; tolerance 20, 4 sd); a truth 4 sd above has rank L and no interval covers it.
    """
    import xarray as xr

    from bayescape.analysis._calibration import LEVELS, posterior_ranks

    rng = np.random.default_rng(1)
    names = ["fam_a", "fam_b", "fam_c"]
    centres = 10.0 * np.arange(3)
    draws = centres + rng.standard_normal((4, 500, 3))
    post = xr.Dataset(
        {"c": (("chain", "draw", "family"), draws), "mu": (("chain", "draw"), draws[..., 0])},
        coords={"family": names},
    )
    truth = {"c[fam_a]": 0.0, "c[fam_b]": 10.0, "c[fam_c]": 24.0, "mu": 0.0}
    ranks, covered = posterior_ranks(post, truth, ["c", "mu"], n_ranks=99)
    assert abs(ranks["c[fam_a]"] - 49.5) < 20
    assert abs(ranks["c[fam_b]"] - 49.5) < 20
    assert abs(ranks["mu"] - 49.5) < 20
    assert ranks["c[fam_c]"] == 99
    assert all(covered["c[fam_b]"][q] for q in LEVELS)
    assert not any(covered["c[fam_c]"][q] for q in LEVELS)


@pytest.mark.math
def test_dependent_components_are_tested_one_by_one_not_pooled():
    """20 components sharing each simulation's rank are each uniform: the group passes.

    Pooling their ranks would multiply the chi-square by 20 (the pooled test rejected a
    calibrated model before). A component whose ranks all sit in the top bin is rejected by
    the Bonferroni group test (its own p-value is ~1e-40).
    """
    from bayescape.analysis._calibration import _uniformity_table

    rng = np.random.default_rng(5)
    shared = rng.integers(0, 20, 200)
    rows = [
        {"simulation": s, "parameter": f"c[{k}]", "group": "c", "rank": shared[s]}
        for s in range(200)
        for k in range(20)
    ]
    rows += [
        {"simulation": s, "parameter": "beta[x]", "group": "beta", "rank": 19} for s in range(200)
    ]
    table = _uniformity_table(pd.DataFrame(rows), n_ranks=19, n_bins=5, alpha=0.01)
    groups = table[table["level"] == "group"].set_index("parameter")
    single_p = rank_uniformity(shared, 19, 5)[1]
    assert groups.loc["c", "p_value"] == pytest.approx(min(1.0, 20 * single_p))
    assert not groups.loc["c", "rejected"]
    assert groups.loc["c", "components"] == 20
    assert groups.loc["beta", "rejected"]
    pooled_chi2 = rank_uniformity(np.tile(shared, 20), 19, 5)[0]
    assert pooled_chi2 == pytest.approx(20 * rank_uniformity(shared, 19, 5)[0])
