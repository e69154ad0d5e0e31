"""Checks of single values shared by every input: dataset cells, new families, CLI options.

One function per kind of value, each returning the problem and its fix (or None), so that a
score of 55 gets the same diagnosis in a CSV file, a family TOML and ``--truthfulqa 55``.
Pure Python: the command line uses these before importing the numerical stack.
"""

from __future__ import annotations

import math

BILLIONS_BELOW = 1e5
"""No language model has fewer parameters: a smaller size is a count in billions."""


def parameter_count(value: float) -> str:
    """A parameter count as people write it: ``7e9``, ``1.5e12``, ``125e6`` -> ``1.25e8``."""
    mantissa, _, exponent = f"{value:.3g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def size_problem(value: float, *, context: str = "") -> str | None:
    """Why ``value`` is not a parameter count, with the fix; None when it is one.

    ``context`` is added to the billions diagnosis (``" while other rows are raw counts"``).
    """
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return f"{value!r} is not a number; give the parameter count (e.g. 7e9)"
    if math.isinf(value):
        return f"{value:g} is not a parameter count; give a finite count (e.g. 7e9)"
    if value <= 0:
        return f"{value:g} is not positive; give the parameter count (e.g. 7e9)"
    if value < BILLIONS_BELOW:
        return (
            f"{value:g} parameters looks like billions{context}; write "
            f"{parameter_count(value * 1e9)} (or {value:g}B on the command line)"
        )
    return None


def score_problem(value: float, *, context: str = "", open_interval: bool = False) -> str | None:
    """Why ``value`` is not a benchmark score (a fraction in [0, 1]), with the fix; or None.

    ``open_interval`` also refuses 0 and 1 (one model's observed score, which the phase of a
    model is read from). ``context`` is added to the percentage diagnosis
    (``" while other rows are fractions"``).
    """
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return f"{value!r} is not a number; give a fraction such as 0.52"
    if 0 < value < 1 or (not open_interval and value in (0, 1)):
        return None
    if 0 <= value <= 1:
        return f"{value:g} must lie strictly between 0 and 1"
    if 1 < value <= 100:
        return (
            f"{value:g} is outside [0, 1]. It looks like a percentage{context}: divide it by "
            f"100 ({value / 100:g})."
        )
    return f"{value:g} is outside [0, 1]. Scores are fractions in [0, 1]."
