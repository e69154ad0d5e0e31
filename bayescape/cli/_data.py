"""``bayescape data ...``: list, show, validate and rebuild the datasets."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from bayescape.data import BENCHMARK_NAMES
from bayescape.errors import DataValidationError, DataWarning


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``data`` command group."""
    parser = sub.add_parser(
        "data",
        help="list, show, validate and rebuild datasets",
        description="Work with the shipped datasets and your own files.",
    )
    dsub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    p = dsub.add_parser(
        "list",
        help="list the shipped datasets",
        description="List the shipped model panels and reference tables.",
    )
    p.set_defaults(func=_list)

    p = dsub.add_parser(
        "show",
        help="describe one shipped dataset",
        description="Print a summary of a shipped dataset: families, sizes, "
        "scores and the corrections applied.",
    )
    p.add_argument("name", help="shipped dataset name (see 'bayescape data list')")
    p.set_defaults(func=_show)

    p = dsub.add_parser(
        "validate",
        help="check a CSV/Parquet file against the schema",
        description="Validate a model panel; exits 1 when it has errors.",
    )
    p.add_argument("file", help="path to a CSV (UTF-8) or Parquet file, or a shipped name")
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="THEIRS=OURS",
        help="map a column name, e.g. --column HS=hellaswag (repeatable)",
    )
    p.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="BENCHMARK",
        help="benchmark that every model must have (repeatable)",
    )
    p.set_defaults(func=_validate)

    p = dsub.add_parser(
        "build",
        help="rebuild the shipped datasets from the raw files",
        description="Rebuild data/*.csv from the raw public files in data/raw "
        "(bayescape data build --raw data/raw).",
    )
    p.add_argument("--raw", required=True, type=Path, help="folder with SOURCES.md (data/raw)")
    p.add_argument("--out", type=Path, default=Path("data"), help="output folder (default data)")
    p.set_defaults(func=_build)


def parse_column_mapping(items: list[str]) -> dict[str, str]:
    """Turn ``["HS=hellaswag", ...]`` into ``{"HS": "hellaswag"}``."""
    mapping = {}
    for item in items:
        theirs, sep, ours = item.partition("=")
        if not sep or not theirs or not ours:
            raise DataValidationError([f"--column {item!r} must look like THEIRS=OURS"], "--column")
        mapping[theirs] = ours
    return mapping


def _list(args: argparse.Namespace) -> int:
    from bayescape.data import PANELS, TABLES

    print("Model panels (load_dataset / --data):")
    for name, text in PANELS.items():
        print(f"  {name:<24} {text}")
    print("Reference tables (load_table):")
    for name, text in TABLES.items():
        print(f"  {name:<24} {text}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from bayescape.data import PANELS, TABLES, load_dataset, load_table

    if args.name in TABLES:
        print(load_table(args.name).to_string(index=False))
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(args.name, base_only=False)
    print(f"{args.name}: {PANELS.get(args.name, '')}")
    print(f"{len(df)} models, {df['family'].nunique()} families, data hash {df.attrs['data_hash']}")
    sizes = df.groupby("family")["params"].agg(["size", "min", "max"])
    sizes.columns = ["models", "smallest (B)", "largest (B)"]
    sizes[["smallest (B)", "largest (B)"]] /= 1e9
    print(sizes.to_string(float_format=lambda v: f"{v:.3g}"))
    if "corrections" in df.columns:
        fixed = df[df["corrections"].fillna("") != ""]
        print(f"\n{len(fixed)} rows carry corrections:")
        for _, row in fixed.iterrows():
            print(f"  {row['model']}: {row['corrections']}")
    return 0


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _validate(args: argparse.Namespace) -> int:
    from bayescape.data import load_dataset

    mapping = parse_column_mapping(args.column)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        try:
            df = load_dataset(
                args.file, columns=mapping, require_benchmarks=args.require, base_only=False
            )
        except DataValidationError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            return 1
    print(
        f"OK {args.file}: {_plural(len(df), 'model')}, "
        f"{_plural(df['family'].nunique(), 'family', 'families')}"
    )
    coverage = []
    for b in BENCHMARK_NAMES:
        if b in df.columns:
            missing = int(df[b].isna().sum())
            gaps = f", {missing} missing" if missing else ""
            coverage.append(f"{b} ({len(df) - missing} scored{gaps})")
    print(f"  benchmarks: {', '.join(coverage)}")
    for w in caught:
        print(f"  warning: {w.message}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from bayescape.data._build import build_all

    for line in build_all(args.raw, args.out):
        print(line)
    print(f"wrote {args.out}/")
    return 0
