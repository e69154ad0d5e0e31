"""Command-line interface: ``bayescape COMMAND ...`` (also ``python -m bayescape``).

The CLI is thin: each command parses its arguments and calls the library. Commands live in
one module each and register themselves through ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bayescape.errors import BayescapeError

from . import _data, _fit

_COMMAND_MODULES = (_fit, _data)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every command registered."""
    from bayescape import __version__

    parser = argparse.ArgumentParser(
        prog="bayescape",
        description="Bayesian analysis of how reasoning and truthfulness couple as language "
        "models scale: posterior critical scale N_c per model family.",
    )
    parser.add_argument("--version", action="version", version=f"bayescape {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 failed check, 2 usage or input error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BayescapeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
