"""Number formatting and macro names (bayescape.report._format)."""

from __future__ import annotations

import math

import pytest

from bayescape.report import macro_name, significant
from bayescape.report._format import latex_escape, unique_macro_names


@pytest.mark.math
@pytest.mark.parametrize(
    ("value", "sig", "expected"),
    [
        (3.456, 2, "3.5"),
        (1234.0, 2, "1200"),
        (0.5, 2, "0.50"),
        (3.0, 2, "3.0"),
        (0.0012345, 2, "0.0012"),
        (99.96, 2, "100"),
        (9.96, 2, "10"),
        (-1.58, 2, "-1.6"),
        (0.0, 3, "0.00"),
        (123456.0, 3, "123000"),
        (1.0e-7, 1, "0.0000001"),
    ],
)
def test_significant_figures(value, sig, expected):
    assert significant(value, sig) == expected


@pytest.mark.math
def test_significant_figures_keep_the_value_to_half_a_unit_of_the_last_digit():
    for value in (0.0123456, 7.654321, 4321.987, 0.99951):
        for sig in (1, 2, 3, 4):
            text = significant(value, sig)
            digits = text.replace("-", "").replace(".", "").lstrip("0")
            assert len(digits) >= sig  # never fewer significant digits than asked
            unit = 10.0 ** (math.floor(math.log10(abs(value))) - sig + 1)
            assert abs(float(text) - value) <= 0.5 * unit + 1e-12


@pytest.mark.behaviour
def test_significant_signs_and_missing_values():
    assert significant(0.25, 2, signed=True) == "+0.25"
    assert significant(-0.25, 2, signed=True) == "-0.25"
    assert significant(math.nan) == ""
    with pytest.raises(ValueError, match="sig must be at least 1"):
        significant(1.0, 0)


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Pythia", "Pythia"),
        ("GPT-Neo/J", "GPTNeoJ"),
        ("Llama-2", "LlamaTwo"),
        ("Llama-3.1", "LlamaThreePointOne"),
        ("Qwen1.5", "QwenOnePointFive"),
        ("Yi-200K", "YiTwoZeroZeroK"),
        ("RedPajama-INCITE-Base", "RedPajamaINCITEBase"),
        ("curation_curated", "CurationCurated"),
        ("log10_tokens_per_param", "LogOneZeroTokensPerParam"),
    ],
)
def test_macro_names_are_letters_only_and_stable(name, expected):
    assert macro_name(name) == expected
    assert macro_name(name).isalpha()


@pytest.mark.behaviour
def test_macro_name_clashes_get_a_letter():
    names = unique_macro_names(["Llama-2", "Llama 2", "Llama_2"])
    assert names == {"Llama-2": "LlamaTwo", "Llama 2": "LlamaTwoB", "Llama_2": "LlamaTwoC"}
    with pytest.raises(ValueError, match="no letters or digits"):
        macro_name("--")


@pytest.mark.behaviour
def test_latex_escape():
    assert latex_escape("a_b & 50% #1 {x} ~ ^ \\") == (
        r"a\_b \& 50\% \#1 \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
