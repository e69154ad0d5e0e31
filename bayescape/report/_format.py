"""Number and text formatting shared by tables, macros and the HTML report."""

from __future__ import annotations

import math
import re

import numpy as np

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "±": r"$\pm$",
    "—": "---",
}

_DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


def latex_escape(text: object) -> str:
    r"""Escape LaTeX's special characters (``\ & % $ # _ { } ~ ^ < >``, plus ``±`` and ``—``)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def significant(value: float, sig: int = 2, *, signed: bool = False) -> str:
    """``value`` rounded to ``sig`` significant figures, never in exponent notation.

    Trailing zeros that are significant are kept (``3.0`` at 2 figures), so every number of a
    column carries the same precision: ``significant(3.456) == '3.5'``,
    ``significant(1234) == '1200'``, ``significant(0.5) == '0.50'``,
    ``significant(0.25, signed=True) == '+0.25'``. ``nan`` gives ``''``.
    """
    if sig < 1:
        raise ValueError("sig must be at least 1")
    if value is None or not math.isfinite(value):
        return ""
    if value == 0:
        text = f"{0:.{sig - 1}f}"
    else:
        rounded = float(f"{value:.{sig - 1}e}")
        exponent = math.floor(math.log10(abs(rounded)))
        decimals = max(sig - 1 - exponent, 0)
        text = f"{rounded:.{decimals}f}"
    if signed and not text.startswith("-"):
        text = "+" + text
    return text


def exact(value: float) -> str:
    """An observed number as it is, never in exponent notation.

    The shortest decimal of ``value`` at 12 significant figures: more than any parameter count
    carries, and fewer than float arithmetic disturbs (:math:`10^{\\log_{10} N}` is
    176.00000000000023 for :math:`N = 176`): ``exact(176.00000000000023) == '176'``,
    ``exact(1.4) == '1.4'``,
    ``exact(0.07) == '0.07'``, ``exact(6.738415616) == '6.738415616'``. ``nan`` gives ``''``.
    """
    if value is None or not math.isfinite(value):
        return ""
    return np.format_float_positional(float(f"{value:.12g}"), trim="-")


def fixed(value: float, decimals: int = 2) -> str:
    """``value`` with a fixed number of decimals; ``nan`` gives ``''``."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{decimals}f}"


def macro_name(text: str) -> str:
    """A LaTeX command name (letters only) from any name, stable and readable.

    Letters are kept, the letter after a separator is upper-cased, digits are spelled out one
    by one (``2 -> Two``, ``10 -> OneZero``) and a ``.`` between digits becomes ``Point``;
    everything else is dropped: ``"Pythia" -> "Pythia"``, ``"GPT-Neo/J" -> "GPTNeoJ"``,
    ``"Llama-3.1" -> "LlamaThreePointOne"``, ``"Yi-200K" -> "YiTwoZeroZeroK"``,
    ``"log10_tokens_per_param" -> "LogOneZeroTokensPerParam"``.
    """
    out: list[str] = []
    upper_next = True
    for i, ch in enumerate(text):
        if ch.isascii() and ch.isalpha():
            out.append(ch.upper() if upper_next else ch)
            upper_next = False
        elif ch.isdigit():
            out.append(_DIGITS[int(ch)])
            upper_next = True
        elif (
            ch == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        ):
            out.append("Point")
            upper_next = True
        else:
            upper_next = True
    name = "".join(out)
    if not re.fullmatch(r"[A-Za-z]+", name or "-"):
        raise ValueError(f"{text!r} has no letters or digits to name a macro after")
    return name


def unique_macro_names(names: list[str]) -> dict[str, str]:
    """:func:`macro_name` of each name; clashes get ``B``, ``C``, ... in the order given."""
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for name in names:
        base = macro_name(name)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out[name] = base if count == 0 else base + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[count % 26]
    return out
