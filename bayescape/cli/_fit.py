"""``bayescape fit`` and ``bayescape summary``."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fit`` command (placeholder until the phase model lands: a data summary)."""
    p = sub.add_parser("fit", help="fit a model and print N_c per family",
                       description="Fit a model to a dataset.")
    p.add_argument("--data", default="leaderboard_v1", help="shipped name or CSV/Parquet path")
    p.add_argument("--out", default=None, help="where to write the result (netCDF)")
    p.set_defaults(func=_fit)


def _fit(args: argparse.Namespace) -> int:
    from bayescape.data import load_dataset

    df = load_dataset(args.data)
    print(df.groupby("family")["params"].agg(["size", "min", "max"]).to_string())
    return 0
