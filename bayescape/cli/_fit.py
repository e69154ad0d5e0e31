"""``bayescape fit`` and ``bayescape summary``: fit a model, print N_c per family."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from bayescape._config import SAMPLERS
from bayescape.errors import DataWarning


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fit`` and ``summary`` commands."""
    p = sub.add_parser(
        "fit",
        help="fit a model and print the posterior N_c per family",
        description="Fit a model (default: the hierarchical phase model) to a dataset "
        "(default: leaderboard_v1), print the posterior critical scale N_c of every family and "
        "the diagnostics, and optionally save the result to netCDF.",
    )
    p.add_argument(
        "--model",
        default="phase",
        help="shipped model (phase, phase_no_transition, quadratic) or a spec .toml",
    )
    p.add_argument("--data", default="leaderboard_v1", help="shipped dataset name or CSV/Parquet")
    p.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default=None,
        help="NUTS backend (default: the spec's [sampler] name)",
    )
    p.add_argument("--draws", type=int, default=None, help="draws per chain (default: spec)")
    p.add_argument("--tune", type=int, default=None, help="tuning steps per chain (default: spec)")
    p.add_argument("--chains", type=int, default=None, help="number of chains (default: spec)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--exclude-family",
        action="append",
        default=[],
        metavar="NAME",
        help="leave a family out of the fit (repeatable)",
    )
    p.add_argument("--out", default=None, help="write the result to this netCDF file")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no data warnings")
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the diagnostics fail"
    )
    p.set_defaults(func=_fit)

    p = sub.add_parser(
        "summary",
        help="print the N_c table of a saved result",
        description="Summarise a result written by 'bayescape fit --out'.",
    )
    p.add_argument("result", help="netCDF file written by 'bayescape fit --out'")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the diagnostics fail"
    )
    p.set_defaults(func=_summary)


def _fit(args: argparse.Namespace) -> int:
    from bayescape.analysis import fit

    with warnings.catch_warnings():
        if args.quiet:
            warnings.simplefilter("ignore", DataWarning)
        print(f"fitting model {args.model!r} to {args.data!r} ...", file=sys.stderr)
        result = fit(
            args.model,
            args.data,
            sampler=args.sampler,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
            exclude_families=args.exclude_family,
            progressbar=not args.quiet,
        )
    if args.out:
        path = result.save(args.out)
        print(f"saved {path}", file=sys.stderr)
    return _print_summary(result, as_json=False, strict=args.strict)


def _summary(args: argparse.Namespace) -> int:
    from bayescape.analysis import load

    return _print_summary(load(args.result), as_json=args.json, strict=args.strict)


def _print_summary(result, *, as_json: bool, strict: bool) -> int:
    from bayescape.report import summary_json, summary_text

    diagnostics = result.diagnostics
    if as_json:
        print(json.dumps(summary_json(result), indent=2))
    else:
        print(summary_text(result))
    return 1 if strict and not diagnostics.ok else 0
