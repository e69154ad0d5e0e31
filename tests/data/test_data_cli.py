"""``bayescape data list|show|validate|build``: exit codes and what they print."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from bayescape.cli import main

pytestmark = pytest.mark.behaviour

GOOD = """\
model,family,params,hellaswag,truthfulqa
a-1b,A,1e9,0.50,0.40
a-7b,A,7e9,0.70,
b-1b,B,1e9,0.45,0.42
"""


@pytest.fixture
def good(tmp_path) -> Path:
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_list_names_every_shipped_dataset(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in (
        "leaderboard_v1",
        "cape63",
        "cape63_clean",
        "frontier34",
        "cape_bootstrap_points",
        "cape_pythia",
    ):
        assert f"  {name} " in out


def test_show_panel_prints_counts_families_and_corrections(capsys):
    assert main(["data", "show", "leaderboard_v1"]) == 0
    out = capsys.readouterr().out
    assert "147 models, 47 families, data hash " in out
    assert "23 rows carry corrections:" in out
    assert "cerebras/btlm-3b-8k-base: tokens 627T->0.627T" in out


def test_show_reference_table_prints_it(capsys):
    assert main(["data", "show", "frontier34"]) == 0
    out = capsys.readouterr().out
    assert "Claude 3.5 Sonnet" in out and len(out.splitlines()) == 35


def test_show_unknown_name_is_a_usage_error_with_suggestion(capsys):
    assert main(["data", "show", "cape36"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cape36: 1 problem(s) found")
    assert "Did you mean 'cape63'?" in err


def test_validate_good_file_reports_coverage_and_warnings(capsys, good):
    assert main(["data", "validate", str(good)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"OK {good}: 3 models, 2 families"
    assert out[1] == "  benchmarks: hellaswag (3 scored), truthfulqa (2 scored, 1 missing)"
    assert out[2] == (
        f"  warning: {good}: family 'B' has one model (a phase model learns its N_c from the "
        "family covariates alone; the dynamics model leaves it out)"
    )


def test_validate_bad_file_exits_1_and_prints_the_problem(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("model,family,params,hellaswag\na,A,1e9,0.5\nb,A,2e9,abc\n", encoding="utf-8")
    assert main(["data", "validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"INVALID {path}: 1 problem(s) found\n")
    assert "  - line 3 (model 'b'), column 'hellaswag': value 'abc' is not a number" in captured.err


def test_validate_required_benchmark(capsys, good):
    assert main(["data", "validate", str(good), "--require", "truthfulqa"]) == 1
    assert "line 3 (model 'a-7b'), column 'truthfulqa': missing score" in capsys.readouterr().err
    assert main(["data", "validate", str(good), "--require", "truthfulq"]) == 1
    assert "Did you mean 'truthfulqa'?" in capsys.readouterr().err


def test_validate_with_column_mapping(capsys, tmp_path):
    path = tmp_path / "theirs.csv"
    path.write_text("Name,Fam,Size,HS\na,A,1e9,0.5\nb,A,2e9,0.6\n", encoding="utf-8")
    assert main(["data", "validate", str(path)]) == 1
    assert "--column HS=hellaswag" in capsys.readouterr().err
    args = [
        "--column",
        "Name=model",
        "--column",
        "Fam=family",
        "--column",
        "Size=params",
        "--column",
        "HS=hellaswag",
    ]
    assert main(["data", "validate", str(path), *args]) == 0
    assert capsys.readouterr().out.startswith(f"OK {path}: 2 models, 1 family")


def test_validate_malformed_column_option_is_a_usage_error(capsys, good):
    assert main(["data", "validate", str(good), "--column", "HS"]) == 2
    assert "--column 'HS' must look like THEIRS=OURS" in capsys.readouterr().err


def test_validate_shipped_dataset_by_name(capsys):
    assert main(["data", "validate", "leaderboard_v1"]) == 0
    out = capsys.readouterr().out
    assert "OK leaderboard_v1: 147 models, 47 families" in out
    assert "arc (146 scored, 1 missing)" in out
    assert out.count("warning:") == 1 and "8 families have one model each" in out


def test_build_refuses_a_wrong_raw_folder(capsys, tmp_path):
    assert main(["data", "build", "--raw", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "is not the raw data folder" in capsys.readouterr().err


def test_build_prints_the_log(capsys, tmp_path, raw_dir):
    assert main(["data", "build", "--raw", str(raw_dir), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "dropped RWKV/rwkv-raven-14b: instruction-tuned (Raven), not a base model" in out
    assert out.rstrip().endswith(f"wrote {tmp_path}/")


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["validate"], ["build"]])
def test_every_data_command_has_help(capsys, command):
    assert main(["data", *command, "--help"]) == 0
    assert "usage: bayescape data" in capsys.readouterr().out


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_closed_output_pipe_exits_quietly(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["data", "show", "leaderboard_v1"]) == 141
    assert capsys.readouterr().err == ""


def test_writing_into_a_pipe_whose_reader_is_gone(monkeypatch, capsys):
    # `bayescape data show X | head`: head exits, the next flush fails with EPIPE
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = io.TextIOWrapper(io.FileIO(write_end, "w"), write_through=False)
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        assert main(["data", "show", "leaderboard_v1"]) == 141
        stdout.flush()  # what the interpreter does at exit: must not raise again
    finally:
        monkeypatch.undo()
        stdout.close()
    assert capsys.readouterr().err == ""
