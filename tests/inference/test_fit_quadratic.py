"""Fitting end to end on the paper's 14 points: reproducibility and agreement with the paper."""

import warnings

import numpy as np
import pytest

import bayescape
from bayescape.data import DataWarning, load_table


@pytest.fixture(scope="module")
def paper_points():
    points = load_table("cape_bootstrap_points")
    points["model"] = points["family"] + "-" + points["model"]  # "7B" is in two families
    return points


def _fit(points, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return bayescape.fit(
            "quadratic", points, draws=300, tune=500, chains=2, random_seed=seed, progressbar=False
        )


@pytest.mark.behaviour
def test_same_seed_same_draws_and_other_seed_other_draws(paper_points):
    first, again, other = _fit(paper_points, 5), _fit(paper_points, 5), _fit(paper_points, 6)
    np.testing.assert_array_equal(
        first.posterior["c_pooled"].values, again.posterior["c_pooled"].values
    )
    assert not np.array_equal(
        first.posterior["c_pooled"].values, other.posterior["c_pooled"].values
    )
    # the pooled posterior sits inside the paper's 68% bootstrap interval [3.15B, 4.33B]:
    # same quadratic, same 14 points, flat-ish priors, so the centres must agree
    median = first.population_critical_scale()["median"]
    assert 3.15e9 < median < 4.33e9, median
    assert first.critical_scales()["family"].tolist() == ["(pooled)"]


@pytest.mark.behaviour
def test_fit_command_writes_a_result_and_prints_the_table(paper_points, tmp_path, capsys):
    from bayescape.cli import main

    csv = tmp_path / "points.csv"
    paper_points.to_csv(csv, index=False)
    out = tmp_path / "fit.nc"
    code = main(
        [
            "fit",
            "--model",
            "quadratic",
            "--data",
            str(csv),
            "--draws",
            "200",
            "--tune",
            "300",
            "--chains",
            "2",
            "--seed",
            "3",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0 and out.exists()
    assert "pooled N_c" in printed and "(pooled)" in printed
    assert bayescape.load(out).info["seed"] == 3


@pytest.mark.behaviour
def test_fit_command_reports_bad_input_in_one_line(tmp_path, capsys):
    from bayescape.cli import main

    assert main(["fit", "--model", "phaze"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'phaze'" in err and "Did you mean 'phase'" in err
    assert "Traceback" not in err
