"""Saving and loading results: identical draws, provenance, and refusal of altered files."""

import json

import h5py
import numpy as np
import pytest

import bayescape
from bayescape.cli import main
from bayescape.errors import BayescapeError, ResultMismatchError
from bayescape.inference import diagnose


@pytest.mark.behaviour
def test_save_load_round_trip_is_identical(prior_result, tmp_path):
    path = prior_result.save(tmp_path / "sub" / "fit.nc")
    assert not list(path.parent.glob(".*tmp"))  # the temporary file was renamed away
    loaded = bayescape.load(path)
    for name in ("c", "beta", "gamma", "mu_c"):
        np.testing.assert_array_equal(
            loaded.posterior[name].values, prior_result.posterior[name].values
        )
    assert loaded.spec.text == prior_result.spec.text
    assert loaded.info["spec_hash"] == prior_result.spec.hash
    assert loaded.info["data_hash"] == prior_result.data.attrs["data_hash"]
    assert list(loaded.posterior["c"].coords["family"].values) == list(prior_result.panel.families)
    assert loaded.critical_scales().equals(prior_result.critical_scales())


@pytest.mark.behaviour
def test_altered_spec_is_refused(prior_result, tmp_path):
    path = prior_result.save(tmp_path / "fit.nc")
    with h5py.File(path, "r+") as f:
        f.attrs["spec_hash"] = "0" * 16
    with pytest.raises(ResultMismatchError, match="altered"):
        bayescape.load(path)


@pytest.mark.behaviour
def test_missing_and_foreign_files_give_clear_errors(tmp_path):
    with pytest.raises(BayescapeError, match="bayescape fit --out"):
        bayescape.load(tmp_path / "nope.nc")
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    with pytest.raises(BayescapeError, match="not a bayescape result"):
        bayescape.load(bad)


@pytest.mark.behaviour
def test_diagnostics_gate_fails_on_one_chain_of_prior_draws(prior_result):
    d = diagnose(prior_result.idata, ["c", "mu_c"])
    assert not d.ok and d.status == "failed"
    assert any("not finite" in r for r in d.reasons)


@pytest.mark.behaviour
def test_summary_cli_prints_table_json_and_strict_exit(prior_result, tmp_path, capsys):
    path = prior_result.save(tmp_path / "fit.nc")
    assert main(["summary", str(path)]) == 0
    text = capsys.readouterr().out
    assert "FAILED" in text and "Pythia" in text and "P(below)" in text
    assert main(["summary", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["diagnostics"]["status"] == "failed"
    assert {r["family"] for r in out["critical_scales"]} == set(prior_result.panel.families)
    assert main(["summary", str(path), "--strict"]) == 1
