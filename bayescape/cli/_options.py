"""Checked option types and the parser whose errors are one line.

Every numeric option goes through one of these types, so that ``--draws 0`` or
``--prob 95`` stops before any work with ``error: --draws must be a positive integer, got 0``
instead of running a default or ending in a traceback.
"""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

MAX_SEED = 2**32 - 1  # what every sampler backend accepts


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line: ``error: --draws must be ...``."""

    def error(self, message: str) -> NoReturn:
        """Print the problem in one line, with where to read more, and exit with status 2."""
        match = re.fullmatch(r"argument ([^:]+): (.*)", message, flags=re.DOTALL)
        if match:
            option = match.group(1).split("/")[-1]
            message = f"{option} {match.group(2)}"
        message = " ".join(message.split())
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def _integer(text: str) -> int:
    try:
        return int(text.strip().replace("_", ""))
    except ValueError:
        try:  # 1e3 is a fine way to write 1000
            value = float(text)
        except ValueError:
            value = float("nan")
        if value.is_integer():
            return int(value)
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """A count that must be at least 1 (draws, tune, chains, workers, simulations ...)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to 2**32 - 1."""
    value = _integer(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 0 to {MAX_SEED}, got {value}"
        )
    return value


def probability(text: str) -> float:
    """An interval probability strictly between 0 and 1 (0.95, not 95)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a probability between 0 and 1 (e.g. 0.95), got {text!r}"
        ) from None
    if not 0 < value < 1:
        hint = f"; for {value:g}% write {value / 100:g}" if 1 < value < 100 else ""
        raise argparse.ArgumentTypeError(
            f"must be a probability between 0 and 1 (e.g. 0.95), got {text}{hint}"
        )
    return value


def significant_figures(text: str) -> int:
    """Significant figures of printed estimates: 1 to 15."""
    value = _integer(text)
    if not 1 <= value <= 15:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 15, got {value}")
    return value


def real(text: str) -> float:
    """Any finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def positive_real(text: str) -> float:
    """A finite number above 0."""
    value = real(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def output_options(p: argparse.ArgumentParser) -> None:
    """``--wide`` and ``--json``, shared by the commands that print a result."""
    form = p.add_mutually_exclusive_group()
    form.add_argument("--wide", action="store_true", help="every column and note, no width limit")
    form.add_argument("--json", action="store_true", help="machine-readable output (stdout)")


def model_and_data(p: argparse.ArgumentParser) -> None:
    """``--model`` and ``--data``, shared by the commands that fit (``fit`` and the studies)."""
    p.add_argument(
        "--model",
        default="phase",
        help="shipped model (phase, phase_no_transition, quadratic, dynamics) or a spec .toml",
    )
    p.add_argument("--data", default="leaderboard_v1", help="shipped dataset name or CSV/Parquet")


def seed_and_prob(p: argparse.ArgumentParser, prob: float = 0.9) -> None:
    """``--prob`` (interval width, default ``prob``) and ``--seed`` (default 0)."""
    p.add_argument(
        "--prob", type=probability, default=prob, help=f"interval width (default {prob:g})"
    )
    p.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
