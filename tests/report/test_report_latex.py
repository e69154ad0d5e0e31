"""LaTeX macros for a paper's text, and a compile of the macros and every table."""

from __future__ import annotations

import re
import subprocess

import pytest

from bayescape.errors import BayescapeError
from bayescape.report import macro_name, render_macros, render_table, significant

NEWCOMMAND = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{([^{}]*)\}", re.MULTILINE)


def macros(text: str) -> dict[str, str]:
    return dict(NEWCOMMAND.findall(text))


@pytest.mark.behaviour
def test_one_newcommand_per_number_with_stable_names(result):
    text = render_macros(result)
    defined = NEWCOMMAND.findall(text)
    names = [n for n, _ in defined]
    assert len(names) == len(set(names))
    assert len(defined) == text.count("\\newcommand")
    found = dict(defined)
    for base in (
        "NcAverage",
        "NcAverageLow",
        "NcAverageHigh",
        "NcPythia",
        "NcPythiaLow",
        "NcPythiaHigh",
        "PBelowPythia",
        "PAbovePythia",
        "NcGPTNeoJ",
        "NcLlamaTwo",
        "NcLlamaThreePointOne",
        "NcQwenOnePointFive",
        "EffectCurationCurated",
        "EffectCurationCuratedLow",
        "PLowersCurationCurated",
        "EffectLogOneZeroTokensPerParam",
        "NModels",
        "NFamilies",
        "DiagnosticsStatus",
    ):
        assert base in found, base
    assert len([n for n in names if n.startswith("PBelow")]) == result.panel.n_families
    assert found["NModels"] == str(len(result.data))
    assert found["DiagnosticsStatus"] == "ok"


@pytest.mark.math
def test_macro_values_are_the_table_numbers(result):
    found = macros(render_macros(result, sig=3))
    cs = result.critical_scales().set_index("family")
    for family in ("Pythia", "GPT-Neo/J", "Qwen1.5"):
        key = macro_name(family)
        assert found[f"Nc{key}"] == significant(cs.loc[family, "nc_median"] / 1e9, 3)
        assert found[f"Nc{key}Low"] == significant(cs.loc[family, "nc_eti_low"] / 1e9, 3)
        assert found[f"Nc{key}High"] == significant(cs.loc[family, "nc_eti_high"] / 1e9, 3)
        assert found[f"PBelow{key}"] == f"{cs.loc[family, 'p_below']:.2f}"
    pop = result.population_critical_scale()
    assert found["NcAverage"] == significant(pop["median"] / 1e9, 3)
    effects = result.covariate_effects().set_index("covariate")
    assert found["EffectDistillation"] == significant(
        effects.loc["distillation", "effect_median"], 3
    )
    assert found["NcAverageLow"] == significant(pop["low"] / 1e9, 3)
    assert found["NcIntervalKind"] == "equal-tailed"
    assert found["NcIntervalProb"] == "95"


@pytest.mark.behaviour
def test_failed_fit_macros_say_so(failed_result):
    text = render_macros(failed_result)
    assert "% DIAGNOSTICS FAILED" in text
    assert macros(text)["DiagnosticsStatus"] == "FAILED"


@pytest.mark.behaviour
def test_macro_arguments_are_checked(result):
    with pytest.raises(BayescapeError, match="between 0 and 1"):
        render_macros(result, prob=95)
    with pytest.raises(BayescapeError, match="significant figures"):
        render_macros(result, sig=0)


@pytest.mark.behaviour
def test_latex_compiles(result, tmp_path, latex_engine):
    """The macros and every table compile with pdflatex (booktabs + siunitx), and the numbers
    typeset are the macros' values."""
    engine = latex_engine
    if engine is None:
        pytest.skip(
            "pdflatex with booktabs and siunitx is not installed (Debian: "
            "texlive-latex-base texlive-latex-recommended texlive-science)"
        )
    (tmp_path / "macros.tex").write_text(render_macros(result), encoding="utf-8")
    inputs = []
    for what in ("critical-scales", "covariates", "diagnostics"):
        (tmp_path / f"{what}.tex").write_text(
            render_table(result, what, "latex", caption=f"{what} & 95% _test_", label=what),
            encoding="utf-8",
        )
        inputs.append(f"\\input{{{what}.tex}}\\clearpage")
    doc = "\n".join(
        [
            "\\documentclass{article}",
            "\\usepackage{booktabs}",
            "\\usepackage{siunitx}",
            "\\input{macros.tex}",
            "\\begin{document}",
            "MARK1 \\NcPythia{} MARK2 $\\EffectCurationCurated$ MARK3 \\num{\\NcAverageHigh} "
            "MARK4 \\NcGPTNeoJ{} \\PLowersLogOneZeroTokensPerParam{} \\DiagnosticsStatus{}",
            *inputs,
            "\\end{document}",
        ]
    )
    (tmp_path / "paper.tex").write_text(doc, encoding="utf-8")
    run = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000
    log = (tmp_path / "paper.log").read_text(errors="replace")
    assert "Undefined control sequence" not in log
    assert "siunitx error" not in log.lower()
