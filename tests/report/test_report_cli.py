"""``bayescape table|macros|plot|report|predict|diagnose`` (thin wrappers of the library)."""

from __future__ import annotations

import json

import pytest

from bayescape.cli import main
from bayescape.cli._report import parse_size
from bayescape.errors import BayescapeError


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.behaviour
def test_table_command(capsys, result_file, tmp_path):
    code, out, err = run(
        capsys,
        "table",
        result_file,
        "--what",
        "critical-scales",
        "--format",
        "latex",
        "--caption",
        "N_c",
        "--label",
        "tab:nc",
    )
    assert code == 0 and "\\toprule" in out and "\\label{tab:nc}" in out and err == ""
    code, out, _ = run(capsys, "table", result_file, "--what", "covariates", "--format", "json")
    assert code == 0 and json.loads(out)["table"] == "covariates"
    code, out, err = run(
        capsys,
        "table",
        result_file,
        "--what",
        "phases",
        "--format",
        "csv",
        "--out",
        tmp_path / "phases.csv",
    )
    assert code == 0 and out == "" and "wrote" in err
    assert (tmp_path / "phases.csv").read_text().startswith("family,model,params_b,p_tax")


@pytest.mark.behaviour
def test_macros_command(capsys, result_file):
    code, out, _ = run(capsys, "macros", result_file, "--sig", "3")
    assert code == 0 and "\\newcommand{\\NcPythia}" in out


@pytest.mark.behaviour
def test_failed_results_warn_and_strict_exits_1(capsys, failed_file):
    code, out, err = run(capsys, "table", failed_file, "--format", "markdown")
    assert code == 0 and "FAILED its diagnostics" in err and "| Family |" in out
    code, _, err = run(capsys, "macros", failed_file, "--strict")
    assert code == 1 and "do not report these numbers" in err


@pytest.mark.behaviour
def test_plot_command(capsys, result_file, tmp_path):
    out_file = tmp_path / "coupling.svg"
    code, _, err = run(
        capsys,
        "plot",
        result_file,
        "--kind",
        "coupling",
        "--family",
        "Pythia",
        "--family",
        "OPT",
        "--out",
        out_file,
    )
    assert code == 0 and "wrote" in err
    assert out_file.read_text().lstrip().startswith("<?xml")


@pytest.mark.behaviour
def test_plot_ppc_shows_the_stored_group_unless_given_a_seed(capsys, result, tmp_path, monkeypatch):
    import numpy as np
    import xarray as xr

    from bayescape.analysis import Result
    from bayescape.report import _figures

    # a stored posterior_predictive group that no fresh draw looks like: every replicate is
    # 0.999, so no observed score lies inside its interval
    panel = result.panel
    shape = (result.posterior.sizes["chain"], result.posterior.sizes["draw"], len(panel.models))
    stored = {
        key: (("chain", "draw", "model"), np.full(shape, 0.999))
        for key in ("reasoning", "truthfulness")
    }
    tree = result.idata.copy()
    tree["posterior_predictive"] = xr.DataTree(xr.Dataset(stored))
    path = Result(idata=tree, data=result.data, spec=result.spec, info=result.info).save(
        tmp_path / "stored.nc"
    )
    titles: list[str] = []

    def recording(res, **options):
        fig, axes = _figures.posterior_predictive_plot(res, **options)
        titles.extend(ax.get_title() for ax in axes)
        return fig, axes

    monkeypatch.setitem(_figures.FIGURES, "ppc", recording)
    n = len(panel.truthfulness)
    code, _, _ = run(capsys, "plot", path, "--kind", "ppc", "--out", tmp_path / "a.svg")
    assert code == 0 and titles and all(f": 0 of {n} inside" in t for t in titles), titles
    titles.clear()
    code, _, _ = run(
        capsys, "plot", path, "--kind", "ppc", "--seed", "0", "--out", tmp_path / "b.svg"
    )
    assert code == 0 and titles and not any(f": 0 of {n} inside" in t for t in titles), titles


@pytest.mark.behaviour
def test_report_command(capsys, result_file, tmp_path):
    out_file = tmp_path / "report.html"
    code, _, err = run(
        capsys,
        "report",
        result_file,
        "--out",
        out_file,
        "--figure",
        "ppc",
        "--figure",
        "prior",
        "--no-prior",
        "--no-replication",
    )
    assert code == 0 and "wrote" in err
    page = out_file.read_text()
    assert page.count("data:image/png;base64,") == 1 and 'id="figure-ppc"' in page


@pytest.mark.behaviour
def test_predict_command(capsys, result_file, tmp_path):
    family = tmp_path / "mylm.toml"
    family.write_text(
        '[family]\nname = "MyLM"\ndata_curation = "curated"\n'
        "[[models]]\nparams = 1e9\nhellaswag = 0.55\ntruthfulqa = 0.40\n"
    )
    code, out, _ = run(
        capsys,
        "predict",
        result_file,
        "--sizes",
        "1e9,7B,70e9",
        "--covariates",
        family,
        "--json",
        "--draws",
        "2000",
    )
    doc = json.loads(out)
    assert code == 0 and doc["family"] == "MyLM" and doc["n_measured"] == 1
    assert [r["params"] for r in doc["scores"]] == [1e9, 7e9, 70e9]
    assert doc["covariates"]["curation_curated"] == 1.0
    code, out, _ = run(capsys, "predict", result_file, "--sizes", "7B", "--draws", "2000")
    assert code == 0 and "N_c: median" in out and "P(tax)" in out and "7B" in out


@pytest.mark.behaviour
def test_diagnose_command(capsys, result_file):
    code, out, _ = run(
        capsys,
        "diagnose",
        result_file,
        "--size",
        "4e9",
        "--hellaswag",
        "0.842",
        "--truthfulqa",
        "0.483",
        "--family",
        "Pythia",
        "--json",
    )
    doc = json.loads(out)
    assert code == 0 and doc["family"] == "Pythia"
    assert doc["p_tax"] + doc["p_bonus"] == pytest.approx(1.0)
    assert doc["levers"][0]["covariate"]
    code, out, _ = run(
        capsys, "diagnose", result_file, "--size", "4B", "--hellaswag", "0.6", "--truthfulqa", "0.4"
    )
    assert code == 0 and "phase:" in out and "covariates that move N_c most" in out


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["table", "{f}", "--what", "nc"], "--what 'nc' is not one of"),
        (["table", "{f}", "--format", "docx"], "--format 'docx' is not one of"),
        (["table", "{f}", "--prob", "95"], "between 0 and 1"),
        (["plot", "{f}", "--kind", "pie", "--out", "x.png"], "--kind 'pie' is not one of"),
        (["plot", "{f}", "--kind", "forest", "--out", "x.gif"], "end the name in .png"),
        (
            ["plot", "{f}", "--kind", "forest", "--out", "x.png", "--family", "OPT"],
            "--family applies to",
        ),
        (
            ["plot", "{f}", "--kind", "coupling", "--out", "x.png", "--family", "Pythai"],
            "unknown family Pythai",
        ),
        (["report", "{f}", "--out", "report.txt"], "end the name in .html"),
        (["report", "{f}", "--out", "r.html", "--figure", "pie"], "--figure 'pie' is not one"),
        (["predict", "{f}", "--sizes", "7 billion"], "is not a parameter count"),
        (["predict", "{f}", "--sizes", "7"], "looks like billions; write 7e9"),
        (["predict", "{f}", "--covariates", "missing.toml"], "no such file"),
        (
            ["diagnose", "{f}", "--size", "4e9", "--hellaswag", "84.2", "--truthfulqa", "0.4"],
            "looks like a percentage: divide it by 100 (0.842)",
        ),
        (["diagnose", "{f}", "--size", "4e9", "--hellaswag", "0.8"], "--truthfulqa SCORE"),
        (
            ["diagnose", "{f}", "--size", "4e9", "--hellaswag", "high", "--truthfulqa", "0.4"],
            "is not a number",
        ),
        (
            [
                "diagnose",
                "{f}",
                "--size",
                "4e9",
                "--hellaswag",
                "0.8",
                "--truthfulqa",
                "0.4",
                "--family",
                "Pythai",
            ],
            "did you mean Pythia",
        ),
        (["table", "nowhere.nc"], "no such result file"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    capsys, result_file, tmp_path, monkeypatch, argv, message
):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *[a.replace("{f}", str(result_file)) for a in argv])
    assert code == 2 and out == ""
    lines = [li for li in err.splitlines() if not li.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert "Traceback" not in err


@pytest.mark.behaviour
def test_parse_size():
    assert parse_size("4e9") == 4e9 and parse_size("4B") == 4e9 and parse_size("70m") == 7e7
    assert parse_size("1.5T") == 1.5e12 and parse_size(" 2000000000 ") == 2e9
    with pytest.raises(BayescapeError):
        parse_size("-4B")
