"""``bayescape replicate``: the paper's numbers by its own methods, beside the posteriors."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bayescape.cli import _options as opt
from bayescape.errors import BayescapeError

if TYPE_CHECKING:
    import pandas as pd


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``replicate`` command."""
    p = sub.add_parser(
        "replicate",
        help="the CAPE paper's numbers, reproduced by its methods, beside the posteriors",
        description="Recompute every checkable number of the CAPE paper with the paper's own "
        "method on the shipped copy of its data, and show the Bayesian answer beside it. "
        "The frontier rows come from a small partially pooled model fitted here; the N_c rows "
        "need a phase-model result (--result).",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON records (one per row)")
    fmt.add_argument("--latex", action="store_true", help="print a booktabs LaTeX tabular")
    p.add_argument(
        "--frontier-draws",
        type=opt.positive_int,
        default=1000,
        metavar="N",
        help="posterior draws per chain for the frontier model (default 1000; 2 chains, "
        "as many tuning steps)",
    )
    p.add_argument("--no-bayes", action="store_true", help="skip the frontier model fit")
    p.add_argument("--seed", type=opt.seed, default=0, help="random seed of the frontier fit")
    p.add_argument(
        "--result",
        type=Path,
        default=None,
        metavar="FILE.nc",
        help="a saved phase-model result (bayescape fit --out FILE.nc) for the N_c rows",
    )
    p.set_defaults(func=_replicate)


def _result_loader() -> Callable[[Path], object]:
    """``bayescape.load``, or a clear error where this version lacks it."""
    try:
        from bayescape import load
    except ImportError:
        raise BayescapeError(
            "--result needs bayescape.load, which this version does not have yet; "
            "run `bayescape replicate` without --result for now"
        ) from None
    return load


def _load_result(path: Path) -> tuple[pd.DataFrame | None, dict[str, float] | None]:
    """Per-family and pooled N_c summaries from a saved phase-model result."""
    if not path.exists():
        raise BayescapeError(
            f"--result {path}: no such file; write one with `bayescape fit --out FILE.nc`"
        )
    from bayescape.analysis.replication import (
        critical_scales_from_posterior,
        critical_scales_from_result,
    )

    result = _result_loader()(path)
    diagnostics = getattr(result, "diagnostics", None)
    if diagnostics is not None and not getattr(diagnostics, "ok", True):
        print(
            f"warning: {path} did not pass its sampling diagnostics; read its N_c with care",
            file=sys.stderr,
        )
    if callable(getattr(result, "critical_scales", None)):
        return critical_scales_from_result(result)  # type: ignore[arg-type]
    try:
        return critical_scales_from_posterior(getattr(result, "idata", result))
    except ValueError as exc:
        raise BayescapeError(f"--result {path}: {exc}; is it a phase-model result?") from None


def _replicate(args: argparse.Namespace) -> int:
    from bayescape.analysis.replication import fit_frontier, replication_table
    from bayescape.report import format_replication_latex as format_latex
    from bayescape.report import format_replication_markdown as format_markdown

    critical_scales = pooled = None
    if args.result is not None:
        critical_scales, pooled = _load_result(args.result)
    idata = None
    if not args.no_bayes:
        print(
            f"fitting the frontier model ({args.frontier_draws} draws x 2 chains)...",
            file=sys.stderr,
        )
        idata = fit_frontier(
            draws=args.frontier_draws, tune=args.frontier_draws, random_seed=args.seed
        )
    table = replication_table(critical_scales=critical_scales, pooled=pooled, frontier_idata=idata)
    if args.json:
        print(
            json.dumps(table.reset_index().to_dict(orient="records"), indent=2, ensure_ascii=False)
        )
    elif args.latex:
        print(format_latex(table), end="")
    else:
        print(format_markdown(table), end="")
    return 0
