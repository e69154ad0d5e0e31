"""The priors of the shipped specs give plausible scores before seeing data."""

import pytest

from bayescape.analysis import prior_predictive_check


@pytest.mark.behaviour
@pytest.mark.parametrize("model", ["phase", "phase_no_transition"])
def test_phase_priors_give_plausible_scores(model):
    check = prior_predictive_check(model, draws=300).set_index("quantity")
    # Scores are fractions: the bounded likelihood puts every prior draw in [0, 1] (exactly,
    # not nearly), and most must land within 0.25 of what was observed (the priors are weakly
    # informative, not vague).
    assert (check["in_unit_interval"] == 1.0).all(), check
    assert check.loc["truthfulness", "near_observed"] > 0.6, check
    assert check.loc["reasoning", "near_observed"] > 0.4, check
    if "nc_prior_low" in check:
        # prior 90% range of N_c spans small to frontier models, nothing absurd
        assert 1e6 < check["nc_prior_low"].iloc[0] < 1e8
        assert 1e11 < check["nc_prior_high"].iloc[0] < 1e13


@pytest.mark.behaviour
def test_dynamics_prior_predictive_has_one_row_per_state():
    """The dynamics model simulates its scores (it once failed: it read the phase panel)."""
    check = prior_predictive_check("dynamics", "cape_pythia", draws=100).set_index("quantity")
    assert list(check.index) == ["hellaswag", "truthfulqa"]
    assert "nc_prior_low" not in check  # no changepoint, no prior N_c
    # the untruncated normal and blown-up prior trajectories leave some draws outside [0, 1],
    # but the priors must still put most draws on plausible scores near the data
    assert (check["in_unit_interval"] > 0.5).all(), check
    assert (check["near_observed"] > 0.3).all(), check
    assert (check["q05"] < check["q50"]).all() and (check["q50"] < check["q95"]).all()
