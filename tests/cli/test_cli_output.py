"""What the commands print: 100 columns, the interval kind named, JSON equal to the tables."""

from __future__ import annotations

import json
import re
import warnings

import pytest

from bayescape.cli import main
from bayescape.cli._terminal import WIDTH, Column, footnote_marks, table
from bayescape.report import format_params


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_narrow(text: str) -> None:
    long = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not long, "\n".join(long)


@pytest.mark.behaviour
def test_summary_fits_100_columns_and_names_the_interval(capsys, result_file):
    code, out, err = run(capsys, "summary", result_file)
    assert code == 0 and err == ""
    _assert_narrow(out)
    assert "95% equal-tailed" in out and "HDI" not in out
    # notes are marks explained once, not a sentence repeated on every row
    assert out.count("N_c likely outside the observed sizes: prior-sensitive") <= 1
    assert out.count("one model: N_c from covariates and the prior alone") <= 1


@pytest.mark.behaviour
def test_summary_json_holds_the_numbers_of_the_table(capsys, result_file, prior_result):
    code, text, _ = run(capsys, "summary", result_file)
    code_json, doc_text, _ = run(capsys, "summary", result_file, "--json")
    assert code == code_json == 0
    doc = json.loads(doc_text)
    assert doc["interval"] == {"kind": "equal-tailed", "prob": 0.95}
    records = {r["family"]: r for r in doc["critical_scales"]}
    assert set(records) == set(prior_result.panel.families)
    rows = {}
    for line in text.splitlines():
        match = re.match(
            r"(\S+)\s+(\d+)\s+\S+\s+(\S+)\s+(\[[^\]]+\])\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line
        )
        if match and match.group(1) in records:
            rows[match.group(1)] = match.groups()
    assert set(rows) == set(records)  # every family printed, none cut
    for family, (_, n, median, interval, below, inside, above) in rows.items():
        r = records[family]
        assert int(n) == r["n_models"]
        assert median == format_params(r["nc_median"])
        assert interval == f"[{format_params(r['nc_eti_low'])}, {format_params(r['nc_eti_high'])}]"
        assert (below, inside, above) == tuple(
            f"{r[k]:.2f}" for k in ("p_below", "p_inside", "p_above")
        )
    effects = {e["covariate"]: e for e in doc["covariate_effects"]}
    for name, e in effects.items():
        cell = f"{e['effect_median']:+.2f} [{e['effect_low']:+.2f}, {e['effect_high']:+.2f}]"
        assert re.search(rf"^{name}\s+{re.escape(cell)}\s", text, flags=re.M), name


@pytest.mark.behaviour
def test_summary_wide_has_every_column_and_the_full_notes(capsys, result_file):
    code, out, _ = run(capsys, "summary", result_file, "--wide")
    assert code == 0
    for header in ("N_c mean", "95% equal-tailed low", "R-hat", "ESS bulk", "per SD"):
        assert header in out
    assert "N_c likely outside the observed sizes: prior-sensitive" in out


@pytest.mark.behaviour
def test_predict_and_diagnose_fit_100_columns(capsys, result_file, tmp_path):
    family = tmp_path / "mylm.toml"
    family.write_text(
        '[family]\nname = "MyLM"\ndata_curation = "curated"\n'
        "[[models]]\nparams = 1e9\nhellaswag = 0.55\ntruthfulqa = 0.40\n"
    )
    code, out, _ = run(capsys, "predict", result_file, "--covariates", family, "--draws", "1000")
    assert code == 0 and "95% equal-tailed" in out
    _assert_narrow(out)
    code, doc, _ = run(
        capsys, "predict", result_file, "--covariates", family, "--draws", "1000", "--json"
    )
    p = json.loads(doc)
    first = p["scores"][0]
    cell = f"{first['truthfulness_median']:.2f} [{first['truthfulness_low']:.2f}, "
    assert code == 0 and cell in out  # same numbers as the table
    code, out, _ = run(
        capsys, "diagnose", result_file, "--size", "4B", "--hellaswag", "0.6", "--truthfulqa", "0.4"
    )
    assert code == 0 and "95% equal-tailed" in out and "covariates that move N_c most" in out
    _assert_narrow(out)


@pytest.mark.behaviour
def test_warnings_are_one_line_without_source_and_only_inside_the_cli(capsys, result_file):
    before = warnings.showwarning
    code, _, err = run(capsys, "predict", result_file, "--family", "Pythia", "--draws", "500")
    assert code == 0
    assert "warning: family 'Pythia' was in the fit: these are not held-out predictions" in err
    assert ".py:" not in err and "warnings.warn" not in err
    assert warnings.showwarning is before  # library users keep Python's format


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit", "--draws", "0"], "--draws must be a positive integer, got 0"),
        (["fit", "--draws", "-5"], "--draws must be a positive integer, got -5"),
        (["fit", "--tune", "0"], "--tune must be a positive integer, got 0"),
        (["fit", "--chains", "1.5"], "--chains must be a whole number, got '1.5'"),
        (["fit", "--seed", "-1"], "--seed must be a whole number from 0 to 4294967295, got -1"),
        (["fit", "--wide", "--json"], "--json not allowed with argument --wide"),
        (["summary", "{f}", "--wide", "--json"], "--json not allowed with argument --wide"),
        (["table", "{f}", "--sig", "0"], "--sig must be a whole number from 1 to 15, got 0"),
        (
            ["predict", "{f}", "--prob", "95"],
            "--prob must be a probability between 0 and 1 (e.g. 0.95), got 95; for 95% write 0.95",
        ),
        (["plot", "{f}", "--kind", "forest", "--out", "x.png", "--dpi", "0"], "--dpi must be"),
        (["calibrate", "--n-sims", "0"], "--n-sims must be a positive integer, got 0"),
        (["lofo", "--workers", "0"], "--workers must be a positive integer, got 0"),
        (["dynamics", "terms", "{f}", "--prob", "0"], "--prob must be a probability"),
        (["replicate", "--frontier-draws", "0"], "--frontier-draws must be a positive integer"),
    ],
)
def test_every_numeric_option_is_checked_in_one_line(capsys, result_file, argv, message):
    code, out, err = run(capsys, *[a.replace("{f}", str(result_file)) for a in argv])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert "Traceback" not in err and "usage:" not in err


@pytest.mark.behaviour
def test_a_misspelt_covariate_in_a_model_spec_is_an_error(capsys, tmp_path):
    from bayescape.models import load_spec

    spec = tmp_path / "mine.toml"
    spec.write_text(load_spec("phase").text.replace('"curation_code"', '"curation_cod"'))
    code, out, err = run(capsys, "fit", "--model", spec, "--quiet")
    assert code == 2 and out == ""
    assert err.startswith(f"error: {spec}: [covariates] names: unknown covariate 'curation_cod'")
    assert "(did you mean 'curation_code'?)" in err


@pytest.mark.behaviour
def test_a_misspelt_key_in_a_family_file_is_an_error(capsys, result_file, tmp_path):
    family = tmp_path / "mylm.toml"
    family.write_text("[covariates]\nlog10_tokens_per_parm = 2.3\n")
    code, out, err = run(capsys, "predict", result_file, "--covariates", family)
    assert code == 2 and out == ""
    assert f"{family}: [covariates]: unknown covariate 'log10_tokens_per_parm'" in err
    assert "(did you mean 'log10_tokens_per_param'?)" in err


@pytest.mark.behaviour
def test_a_predict_csv_without_truthfulqa_says_what_it_drops(capsys, result_file, tmp_path):
    family = tmp_path / "new.csv"
    family.write_text("family,params,hellaswag\nNew,1e9,0.5\nNew,7e9,0.7\nNew,70e9,0.8\n")
    code, out, _ = run(capsys, "predict", result_file, "--covariates", family, "--draws", "500")
    assert code == 0
    text = " ".join(out.split())
    assert "from its covariates alone" in text
    assert (
        "note: 3 of 3 listed model(s) have one of hellaswag and truthfulqa only (there is no "
        "truthfulqa column): they are treated as unmeasured" in text
    )


@pytest.mark.behaviour
def test_table_cuts_shrinkable_columns_to_the_width_and_marks_notes_once():
    lines = table(
        [Column("name", ["x" * 80, "short"], "<", shrink=True), Column("value", ["1", "22"])],
        width=40,
    )
    assert max(len(line) for line in lines) == 40
    assert lines[1].startswith("x" * 32 + "…")
    marks, legend = footnote_marks(["a note; other", "", "other"])
    assert marks == ["a b", "", "b"]
    assert legend == ["a  a note", "b  other"]


@pytest.mark.behaviour
def test_entry_point_exit_codes_output_and_a_closed_pipe(capsys):
    """``python -m bayescape`` runs ``cli.run``, which ends the process with ``os._exit``
    after flushing: output must be complete, codes kept, and a reader that went away (``|
    head``) must give 141 and no traceback."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "bayescape"]
    ok = subprocess.run([*cmd, "data", "show", "leaderboard_v1"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stderr == ""
    assert main(["data", "show", "leaderboard_v1"]) == 0
    assert ok.stdout == capsys.readouterr().out  # all of it arrived before the exit
    bad = subprocess.run([*cmd, "fit", "--draws", "-5"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: --draws must be a positive integer")
    reader = subprocess.Popen(
        [*cmd, "data", "show", "leaderboard_v1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None
    reader.stdout.readline()
    reader.stdout.close()  # the reader goes away after one line
    _, err = reader.communicate(timeout=60)
    assert reader.returncode == 141 and "Traceback" not in err


@pytest.mark.behaviour
def test_summary_says_which_chain_method_and_device_ran(capsys, prior_result, tmp_path):
    from bayescape.analysis import Result

    info = {**prior_result.info, "sampler": "numpyro", "chain_method": "vectorized"}
    info["device"] = "gpu: NVIDIA H100 80GB HBM3 x 1"
    saved = Result(prior_result.idata, prior_result.data, prior_result.spec, info)
    path = saved.save(tmp_path / "gpu.nc")
    code, out, _ = run(capsys, "summary", path)
    assert code == 0
    assert "sampler numpyro (vectorized chains on gpu: NVIDIA H100 80GB HBM3 x 1)" in " ".join(
        out.split()
    )
    _assert_narrow(out)
    # a result saved before devices were recorded prints as before
    code, out, _ = run(capsys, "summary", prior_result.save(tmp_path / "old.nc"))
    assert "chains on" not in out


@pytest.mark.behaviour
def test_fit_refuses_an_unknown_device_before_any_work(capsys):
    assert main(["fit", "--device", "quantum"]) == 2
    assert "invalid choice: 'quantum'" in capsys.readouterr().err
