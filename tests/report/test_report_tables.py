"""Tables for papers and programs (bayescape.report.render_table)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from bayescape.errors import BayescapeError
from bayescape.report import TABLES, render_table, significant, table_frame


def latex_rows(text: str) -> list[list[str]]:
    """Body rows of a booktabs tabular: the cells between \\midrule and \\bottomrule."""
    body = text.split("\\midrule", 1)[1].split("\\bottomrule")[0]
    rows = [line.strip().removesuffix("\\\\").strip() for line in body.splitlines()]
    return [[c.strip() for c in r.split(" & ")] for r in rows if r and not r.startswith("\\")]


@pytest.mark.behaviour
@pytest.mark.parametrize("what", TABLES)
def test_latex_table_structure(result, what):
    text = render_table(result, what, "latex", caption="N_c & friends: 95%", label="tab:x")
    assert text.count("\\begin{tabular}") == 1 and text.count("\\end{tabular}") == 1
    assert text.index("\\toprule") < text.index("\\midrule") < text.index("\\bottomrule")
    assert "\\caption{N\\_c \\& friends: 95\\%}" in text and "\\label{tab:x}" in text
    assert "\\begin{table}" in text and "\\end{table}" in text
    spec = re.search(r"\\begin\{tabular\}\{(.*)\}\n", text).group(1)
    columns = re.findall(r"S\[table-format=[+-]?\d+\.\d+\]|l", spec)
    assert " ".join(columns) == spec
    for row in latex_rows(text):
        assert len(row) == len(columns)
    # every header cell of an S column is braced, so siunitx does not parse it as a number
    header = text.split("\\midrule")[0].strip().splitlines()[-1]
    assert all(cell.strip().startswith("{") for cell in header.split(" & "))


@pytest.mark.behaviour
def test_latex_without_caption_is_a_bare_tabular(result):
    text = render_table(result, "covariates", "latex")
    assert "\\begin{table}" not in text and "\\caption" not in text
    assert text.lstrip().startswith("%")


@pytest.mark.math
def test_siunitx_table_format_fits_every_number(result):
    text = render_table(result, "critical-scales", "latex", sig=3)
    spec = re.search(r"\\begin\{tabular\}\{(.*)\}\n", text).group(1).split()
    for j, col in enumerate(spec):
        fmt = re.fullmatch(r"S\[table-format=([+-]?)(\d+)\.(\d+)\]", col)
        if not fmt:
            continue
        ints, decs = int(fmt.group(2)), int(fmt.group(3))
        for row in latex_rows(text):
            cell = row[j]
            if cell == "{---}":
                continue
            whole, _, frac = cell.lstrip("+-").partition(".")
            assert len(whole) <= ints and len(frac) <= decs, (col, cell)


@pytest.mark.math
def test_critical_scales_are_in_billions_with_the_equal_tailed_interval(result):
    frame, _ = table_frame(result, "critical-scales", prob=0.9)
    cs = result.critical_scales(0.9)
    fam = frame.iloc[: len(cs)]
    np.testing.assert_allclose(fam["nc_median_b"], cs["nc_median"] / 1e9)
    np.testing.assert_allclose(fam["nc_low_b"], cs["nc_eti_low"] / 1e9)
    np.testing.assert_allclose(fam["nc_high_b"], cs["nc_eti_high"] / 1e9)
    # the 5% and 95% quantiles of Pythia's log10 N_c draws, in billions
    c = result.posterior["c"].sel(family="Pythia").values.ravel()
    pythia = frame.set_index("family").loc["Pythia"]
    assert pythia["nc_low_b"] == pytest.approx(10 ** np.quantile(c, 0.05) / 1e9, rel=1e-12)
    assert pythia["nc_high_b"] == pytest.approx(10 ** np.quantile(c, 0.95) / 1e9, rel=1e-12)
    average = frame.iloc[-1]
    pop = result.population_critical_scale(0.9)
    assert average["family"] == "(average family)"
    assert average["nc_median_b"] == pytest.approx(pop["median"] / 1e9)
    assert average["nc_low_b"] == pytest.approx(pop["low"] / 1e9)
    assert average["nc_high_b"] == pytest.approx(pop["high"] / 1e9)


@pytest.mark.math
def test_latex_and_markdown_cells_are_rounded_to_sig_figures(result):
    cs = result.critical_scales()
    for sig in (2, 3):
        rows = latex_rows(render_table(result, "critical-scales", "latex", sig=sig))
        pythia = next(r for r in rows if r[0] == "Pythia")
        row = cs[cs["family"] == "Pythia"].iloc[0]
        assert pythia[4] == significant(row["nc_median"] / 1e9, sig)
        assert pythia[5] == significant(row["nc_eti_low"] / 1e9, sig)
        md = render_table(result, "critical-scales", "markdown", sig=sig)
        line = next(li for li in md.splitlines() if li.startswith("| Pythia |"))
        assert f"| {significant(row['nc_median'] / 1e9, sig)} |" in line


@pytest.mark.behaviour
def test_markdown_table_has_a_header_and_one_row_per_family(result):
    text = render_table(result, "critical-scales", "markdown")
    lines = text.strip().splitlines()
    assert lines[0].startswith("| Family | Models |")
    assert set(lines[1].replace("|", "")) <= {"-", ":"}
    assert len(lines) == 2 + result.panel.n_families + 1  # families and the average family
    assert all(li.count("|") == lines[0].count("|") for li in lines)


@pytest.mark.math
def test_csv_and_json_keep_full_precision_under_our_own_keys(result):
    frame, columns = table_frame(result, "covariates")
    csv = pd.read_csv(io.StringIO(render_table(result, "covariates", "csv")))
    assert list(csv.columns[: len(columns)]) == [c.key for c in columns]
    np.testing.assert_allclose(csv["effect_median"], frame["effect_median"], rtol=1e-12)
    doc = json.loads(render_table(result, "covariates", "json"))
    assert doc["table"] == "covariates" and doc["diagnostics"] == "ok"
    assert doc["spec_hash"] == result.spec.hash
    effects = result.covariate_effects()
    for row, (_, expected) in zip(doc["rows"], effects.iterrows(), strict=True):
        assert row["covariate"] == expected["covariate"]
        assert row["effect_low"] == pytest.approx(expected["effect_low"], rel=1e-12)
        assert row["p_lowers"] == pytest.approx(expected["p_lowers"])


@pytest.mark.behaviour
def test_json_has_nulls_not_nans(result):
    text = render_table(result, "critical-scales", "json")
    assert "NaN" not in text
    average = json.loads(text)["rows"][-1]
    assert average["n_models"] is None and average["nc_median_b"] > 0


@pytest.mark.behaviour
def test_phases_table_probabilities(result):
    frame, _ = table_frame(result, "phases")
    assert len(frame) == len(result.data)
    np.testing.assert_allclose(frame["p_tax"] + frame["p_bonus"], 1.0)


@pytest.mark.behaviour
def test_failed_diagnostics_are_loud_in_latex_and_json(failed_result):
    latex = render_table(failed_result, "critical-scales", "latex")
    assert "% DIAGNOSTICS FAILED" in latex and "divergent" in latex
    doc = json.loads(render_table(failed_result, "diagnostics", "json"))
    assert doc["diagnostics"] == "failed" and doc["diagnostics_reasons"]


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"what": "nc"}, "unknown table 'nc'"),
        ({"fmt": "xlsx"}, "unknown format 'xlsx'"),
        ({"prob": 1.5}, "between 0 and 1"),
        ({"sig": 0}, "significant figures"),
    ],
)
def test_bad_arguments_are_one_line_errors(result, kwargs, message):
    args = {"what": "critical-scales", "fmt": "latex"} | kwargs
    what, fmt = args.pop("what"), args.pop("fmt")
    with pytest.raises(BayescapeError) as info:
        render_table(result, what, fmt, **args)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.math
def test_latex_prints_observed_sizes_exactly(result):
    # BLOOM spans 0.56B to 176B, Pythia's models include 1.4B: estimates are rounded to
    # two figures, observed sizes never are (176 used to print as 180)
    cs = render_table(result, "critical-scales", "latex")
    bloom = next(line for line in cs.splitlines() if line.startswith("BLOOM &"))
    cells = [c.strip() for c in bloom.removesuffix("\\\\").split("&")]
    assert cells[2:4] == ["0.56", "176"], cells
    phases = render_table(result, "phases", "latex")
    pythia = next(line for line in phases.splitlines() if "pythia-1.4b-deduped &" in line)
    assert pythia.split("&")[2].strip() == "1.4"
    markdown = render_table(result, "phases", "markdown")
    assert any("| bigscience/bloom |" in r and "| 176 |" in r for r in markdown.splitlines())


@pytest.mark.behaviour
def test_headers_name_the_interval_kind_and_probability(result):
    latex = render_table(result, "critical-scales", "latex")
    assert "$N_c$ (B), 95\\% ETI" in latex
    assert "% intervals: 95% ETI (equal-tailed); observed sizes exact" in latex
    markdown = render_table(result, "critical-scales", "markdown", prob=0.9)
    assert "N_c 90% ETI low (B)" in markdown and "N_c 90% ETI high (B)" in markdown
    assert "HDI" not in markdown and "highest" not in latex
    covariates = render_table(result, "covariates", "markdown")
    assert "Effect 95% ETI low" in covariates
