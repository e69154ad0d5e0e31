"""Load and validate model panels (one row per model) from shipped names or user files."""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from bayescape._resources import resource_dir
from bayescape.data._checks import BILLIONS_BELOW, score_problem, size_problem
from bayescape.data._schema import (
    BENCHMARK_ALIASES,
    BENCHMARK_NAMES,
    BENCHMARKS,
    CATEGORICAL_COVARIATES,
    ITEM_COLUMN_PREFIX,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    item_column,
)
from bayescape.errors import DataValidationError, DataWarning, IgnoredInputWarning

DEFAULT_DATASET = "leaderboard_v1"

PANELS: dict[str, str] = {
    "leaderboard_v1": "147 ObsScaling base models, 47 families, six Open LLM Leaderboard v1 scores "
    "joined with architecture and family covariates (default)",
    "cape63": "the CAPE paper's 63-row base-model table exactly as published",
    "cape63_clean": "cape63 after documented fixes (duplicates merged, families corrected, "
    "non-base checkpoints and estimated scores flagged)",
}
"""Shipped model panels (loadable with :func:`load_dataset`)."""

TABLES: dict[str, str] = {
    "frontier34": "34 frontier models from 10 labs: SWE-bench Verified and GPQA Diamond",
    "cape_bootstrap_points": "the 14 points of the paper's N_c bootstrap "
    "(Pythia, Llama-1, Llama-2)",
    "cape_pythia": "the 8-model Pythia table behind the paper's r = -0.989",
}
"""Shipped reference tables for the paper's own estimators (loadable with :func:`load_table`)."""

_SIZE_COLUMNS = ("params", "params_total", "params_active")
_TRUE = {"true", "1", "1.0", "yes", "y", "t"}
_FALSE = {"false", "0", "0.0", "no", "n", "f"}


@dataclass
class ValidationReport:
    """What validation found: errors (fatal), warnings, and rows excluded with their reason.

    ``ignored`` repeats the warnings about input that is not used (a column that looks like a
    misspelt benchmark): those are said even where other warnings are silenced.
    """

    source: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors

    def raise_if_failed(self) -> None:
        """Raise :class:`DataValidationError` listing every error, if there is one."""
        if self.errors:
            raise DataValidationError(self.errors, self.source)


def _resolve(source: str | Path) -> tuple[Path, str]:
    """Map a shipped name or a path to (path, label used in messages)."""
    text = str(source)
    if text in PANELS or text in TABLES:
        return resource_dir("data") / f"{text}.csv", text
    path = Path(source).expanduser()
    if not path.exists():
        names = ", ".join([*PANELS, *TABLES])
        close = difflib.get_close_matches(text, [*PANELS, *TABLES], n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise DataValidationError(
            [f"no such file, and not a shipped dataset name.{hint} Shipped datasets: {names}."],
            text,
        )
    if path.is_dir():
        raise DataValidationError(["is a folder; give the path of a CSV or Parquet file"], text)
    return path, str(path)


def _record_lines(text: str) -> tuple[list[str], list[int]]:
    """Header fields and the line on which each data record starts, as pandas reads them.

    Blank lines are skipped like ``pandas.read_csv`` skips them; a quoted field may span
    lines, so the line of a record is not simply its index + 2.
    """
    reader = csv.reader(io.StringIO(text))
    header: list[str] = []
    starts: list[int] = []
    previous = 0
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if not header:
            header = record
        else:
            starts.append(start)
    return header, starts


def _read(path: Path, label: str) -> tuple[pd.DataFrame, list[int] | None]:
    """Read CSV (UTF-8) or Parquet with errors that say what to do.

    Returns the table and, for CSV, the line of the file each row starts on (None for Parquet).
    """
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xls", ".ods"}:
        raise DataValidationError(
            ["spreadsheet files are not read; export the sheet as 'CSV UTF-8' and validate that"],
            label,
        )
    if suffix in {".parquet", ".pq"}:
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # re-raised with a message for people
            raise DataValidationError([f"cannot read as Parquet: {exc}"], label) from exc
        if df.empty:
            raise DataValidationError(["the Parquet table has no rows"], label)
        return df, None
    raw = path.read_bytes()
    if not raw.strip():
        raise DataValidationError(
            [
                "the file is empty; expected a header row (model,family,params,<benchmarks>) and "
                "one row per model"
            ],
            label,
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataValidationError(
            ["the file is UTF-16 (a spreadsheet's 'Unicode text'); re-save it as 'CSV UTF-8'"],
            label,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            [
                f"line {line}: byte 0x{raw[exc.start]:02x} is not valid UTF-8; re-save the file "
                "as UTF-8 (e.g. in a spreadsheet: 'CSV UTF-8')"
            ],
            label,
        ) from exc
    header, starts = _record_lines(text)
    stripped = [name.strip() for name in header]
    repeated = sorted({name for name in stripped if name and stripped.count(name) > 1})
    if repeated:
        places = {
            name: " and ".join(str(i + 1) for i, n in enumerate(stripped) if n == name)
            for name in repeated
        }
        where = "; ".join(f"{name!r} is column {place}" for name, place in places.items())
        raise DataValidationError(
            [
                f"line 1: the header repeats column names ({where}); every column needs its own "
                "name: rename or delete the copies"
            ],
            label,
        )
    try:
        df = pd.read_csv(io.StringIO(text))
    except pd.errors.ParserError as exc:
        raise DataValidationError(
            [
                f"not a valid CSV file: {exc}. A row with more fields than the header usually "
                'holds an unquoted comma: quote that field ("a, b")'
            ],
            label,
        ) from exc
    if df.empty:
        raise DataValidationError(
            ["the file has a header but no rows; add one row per model"], label
        )
    df.columns = [str(c).strip() for c in df.columns]
    return df, (starts if len(starts) == len(df) else None)


def _value(value: object) -> str:
    """A cell value for messages: numbers without numpy's repr, text quoted."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _as_bool(values: pd.Series) -> pd.Series:
    """Parse a yes/no column (True/False, 1/0, yes/no); unparseable cells become NA."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
    parsed[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
    parsed[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    return parsed


def _benchmark_guess(column: str) -> str | None:
    """The benchmark a column that is not ours probably means (``HellaSwag``, ``ARC-C``, ``HS``)."""
    key = column.strip().lower()
    if key in BENCHMARK_ALIASES:
        return BENCHMARK_ALIASES[key]
    close = difflib.get_close_matches(key, BENCHMARK_NAMES, n=1, cutoff=0.85)
    return close[0] if close else None


def validate(
    df: pd.DataFrame,
    source: str = "<data>",
    *,
    require_benchmarks: Iterable[str] = (),
    line_numbers: Sequence[int] | None = None,
) -> ValidationReport:
    """Check a model panel against the tidy schema.

    Parameters
    ----------
    df
        One row per model, with at least ``model``, ``family``, ``params`` and one benchmark.
    source
        Name used in messages (file path or dataset name).
    require_benchmarks
        Benchmarks that must be present with a score for every model.
    line_numbers
        The line of the source file on which each row starts (CSV). Without it, rows are
        numbered 1, 2, ... from the first data row.

    Returns
    -------
    ValidationReport
        Errors name the row (its line in a CSV file), the column, the bad value and the fix.
        Warnings are things the models can live with (families of one model, columns that
        look like a misspelt benchmark).
    """
    report = ValidationReport(source)
    err = report.errors.append

    def where(i: int) -> str:
        model = _value(df["model"].iloc[i]) if "model" in df.columns else "?"
        if line_numbers is not None:
            return f"line {line_numbers[i]} (model {model})"
        return f"row {i + 1} (model {model})"

    if isinstance(require_benchmarks, str):
        require_benchmarks = [require_benchmarks]
    required = list(require_benchmarks)
    for name in required:
        if name not in BENCHMARKS:
            close = difflib.get_close_matches(name, BENCHMARK_NAMES, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            err(f"unknown benchmark {name!r}.{hint} Known benchmarks: {', '.join(BENCHMARK_NAMES)}")

    columns = [str(c) for c in df.columns]
    guesses = {
        c: _benchmark_guess(c)
        for c in columns
        if c not in BENCHMARKS and not c.startswith(ITEM_COLUMN_PREFIX) and _benchmark_guess(c)
    }
    missing = [
        c
        for c in (*REQUIRED_COLUMNS, *(b for b in required if b in BENCHMARKS))
        if c not in columns
    ]
    if missing:
        lower = {c.strip().lower(): c for c in columns}
        maps = [f"--column {lower[m]}={m}" for m in missing if m in lower]
        maps += [f"--column {c}={b}" for c, b in guesses.items() if b in missing]
        hint = f" Here that is probably {' '.join(maps)}." if maps else ""
        if len(columns) == 1 and any(sep in columns[0] for sep in ";\t|"):
            hint += (
                " The header is one column containing separators: save the file with "
                "commas between columns."
            )
        err(
            f"missing required column(s) {missing}; the file has {columns}. Rename them, or map "
            "your names to ours: columns={'your_name': 'model', ...} in load_dataset, "
            f"--column your_name=model on the command line.{hint}"
        )
    present = [b for b in BENCHMARK_NAMES if b in columns]
    if not present:
        hint = "".join(
            f" Column {c!r} looks like {b!r}: --column {c}={b}." for c, b in guesses.items()
        )
        err(f"no benchmark score column; expected at least one of {list(BENCHMARK_NAMES)}.{hint}")
    else:
        for c, b in guesses.items():
            message = (
                f"column {c!r} is not read as a score: did you mean {b!r}? Rename it or map it "
                f"(--column {c}={b}); otherwise it is ignored"
            )
            report.warnings.append(message)
            report.ignored.append(message)
    for col in columns:
        if col.startswith(ITEM_COLUMN_PREFIX) and col[len(ITEM_COLUMN_PREFIX) :] not in BENCHMARKS:
            known = [item_column(b) for b in BENCHMARK_NAMES]
            close = difflib.get_close_matches(col, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            err(
                f"column {col!r} names an unknown benchmark.{hint} Item-count columns are "
                f"{', '.join(known)}"
            )
    if report.errors:
        return report
    if df.empty:
        err("the table has no rows; add one row per model")
        return report

    for col in ("model", "family"):
        empty = df[col].isna() | (df[col].astype("string").str.strip() == "").fillna(False)
        for i in np.flatnonzero(empty.to_numpy(dtype=bool)):
            err(f"{where(i)}, column {col!r}: empty; every model needs a {col} name")

    for col in [c for c in (*NUMERIC_COLUMNS, *present) if c in columns]:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = (values.isna() & df[col].notna()).to_numpy(dtype=bool)
        for i in np.flatnonzero(bad):
            err(
                f"{where(i)}, column {col!r}: value {_value(df[col].iloc[i])} is not a number; "
                "write a plain number such as 0.52 or 7e9 (no units, no percent sign), or leave "
                "the cell empty if the value is unknown"
            )

    params = pd.to_numeric(df["params"], errors="coerce")
    for i in np.flatnonzero((params.isna() & df["params"].isna()).to_numpy(dtype=bool)):
        err(f"{where(i)}, column 'params': empty; give the parameter count (e.g. 7e9)")
    for col in [c for c in _SIZE_COLUMNS if c in columns]:
        sizes = pd.to_numeric(df[col], errors="coerce")
        for i in np.flatnonzero((sizes <= 0).to_numpy(dtype=bool)):
            err(f"{where(i)}, column {col!r}: {size_problem(float(sizes.iloc[i]))}")
        positive = sizes[sizes > 0]
        if positive.empty:
            continue
        if positive.max() < BILLIONS_BELOW:
            err(
                f"column {col!r}: the largest value is {positive.max():g}, which looks like "
                "billions; sizes are raw parameter counts: multiply the column by 1e9 (7 -> 7e9)"
            )
        else:
            small = ((sizes > 0) & (sizes < BILLIONS_BELOW)).to_numpy(dtype=bool)
            for i in np.flatnonzero(small):
                problem = size_problem(
                    float(sizes.iloc[i]), context=" while other rows are raw counts"
                )
                err(f"{where(i)}, column {col!r}: {problem}")

    for b in present:
        scores = pd.to_numeric(df[b], errors="coerce")
        outside = ((scores < 0) | (scores > 1)).to_numpy(dtype=bool)
        percent = ((scores > 1) & (scores <= 100)).to_numpy(dtype=bool)
        n_scored = int(scores.notna().sum())
        # a whole column in percent gets one message, not one per row
        column_in_percent = (
            outside.any()
            and scores.between(0, 100).sum() == n_scored
            and 2 * percent.sum() >= n_scored
        )
        if column_in_percent:
            i = int(np.flatnonzero(outside)[0])
            err(
                f"column {b!r}: {int(percent.sum())} of {n_scored} scores lie between 1 and 100 "
                f"(e.g. {where(i)}: {_value(scores.iloc[i])}), so the column looks like "
                "percentages; scores are fractions in [0, 1]: divide the column by 100"
            )
        else:
            for i in np.flatnonzero(outside):
                problem = score_problem(
                    float(scores.iloc[i]), context=" while other rows are fractions"
                )
                err(f"{where(i)}, column {b!r}: {problem}")
        if b in required:
            for i in np.flatnonzero((scores.isna() & df[b].isna()).to_numpy(dtype=bool)):
                err(
                    f"{where(i)}, column {b!r}: missing score, which is required; fill it, or "
                    "leave the model out of the file"
                )
        items = item_column(b)
        if items in columns:
            n = pd.to_numeric(df[items], errors="coerce")
            # an empty cell means the standard count (filled by load_dataset)
            bad = (~((n > 0) & (n % 1 == 0)) & df[items].notna()).to_numpy(dtype=bool)
            for i in np.flatnonzero(bad):
                err(
                    f"{where(i)}, column {items!r}: {_value(df[items].iloc[i])} is not a positive "
                    f"whole number of items; {b} has {BENCHMARKS[b].n_items} items in the Open "
                    "LLM Leaderboard v1 setting (leave the cell empty for that count)"
                )

    if "is_base" in columns:
        parsed = _as_bool(df["is_base"])
        for i in np.flatnonzero(parsed.isna().to_numpy(dtype=bool)):
            cell = df["is_base"].iloc[i]
            what = "empty" if pd.isna(cell) else f"{_value(cell)} is not true or false"
            err(
                f"{where(i)}, column 'is_base': {what}; write True for a base (pretrained) "
                "checkpoint, False otherwise"
            )

    for col, levels in CATEGORICAL_COVARIATES.items():
        if col not in columns:
            continue
        text = df[col].astype("string").str.strip()
        for i in np.flatnonzero((~text.isin(levels) & text.notna()).to_numpy(dtype=bool)):
            value = text.iloc[i]
            close = difflib.get_close_matches(value.lower(), levels, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            err(f"{where(i)}, column {col!r}: {value!r} is not one of {list(levels)}.{hint}")

    duplicated = df["model"].duplicated(keep=False).to_numpy(dtype=bool)
    if duplicated.any():
        rows: dict[object, list[int]] = {}
        for i in np.flatnonzero(duplicated):
            rows.setdefault(df["model"].iloc[i], []).append(int(i))
        for model, positions in rows.items():
            if line_numbers is not None:
                places = "lines " + " and ".join(str(line_numbers[i]) for i in positions)
            else:
                places = "rows " + " and ".join(str(i + 1) for i in positions)
            err(
                f"model {_value(model)} appears on {places}; model ids must be unique: merge the "
                "rows or rename one of them"
            )

    sizes = df.groupby("family")["model"].size()
    singles = [str(f) for f in sizes[sizes == 1].index]
    if len(singles) == 1:
        report.warnings.append(
            f"family {singles[0]!r} has one model (a phase model learns its N_c from the family "
            "covariates alone; the dynamics model leaves it out)"
        )
    elif singles:
        report.warnings.append(
            f"{len(singles)} families have one model each: {', '.join(singles)} (a phase model "
            "learns their N_c from the family covariates alone; the dynamics model leaves them "
            "out)"
        )
    return report


def _apply_column_mapping(
    df: pd.DataFrame, columns: Mapping[str, str] | None, label: str
) -> pd.DataFrame:
    if not columns:
        return df
    mapping = dict(columns)
    problems = []
    absent = [c for c in mapping if c not in df.columns]
    if absent:
        problems.append(
            f"columns={mapping!r} maps column(s) {absent} that the file does not "
            f"have; the file has {list(df.columns)}"
        )
    targets = list(mapping.values())
    for target in sorted({t for t in targets if targets.count(t) > 1}):
        sources = [c for c, t in mapping.items() if t == target]
        problems.append(
            f"columns={mapping!r} maps {sources} all to {target!r}; map one column to each name"
        )
    kept = set(df.columns) - set(mapping)
    for theirs, ours in mapping.items():
        if ours in kept:
            problems.append(
                f"columns={mapping!r} maps {theirs!r} to {ours!r}, but the file "
                f"already has a column {ours!r}; rename or drop one of them"
            )
    if problems:
        raise DataValidationError(problems, label)
    return df.rename(columns=mapping)


def data_hash(df: pd.DataFrame) -> str:
    """SHA-256 (first 16 hex digits) of the table's CSV text: equal tables, equal hashes."""
    text = df.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _describe_exclusions(excluded: list[tuple[str, str]]) -> str:
    by_reason: dict[str, list[str]] = {}
    for model, reason in excluded:
        by_reason.setdefault(reason, []).append(repr(model))
    parts = [f"{reason}: {', '.join(models)}" for reason, models in by_reason.items()]
    return f"excluded {len(excluded)} row(s) ({'; '.join(parts)})"


def load_dataset(
    source: str | Path | pd.DataFrame = DEFAULT_DATASET,
    *,
    columns: Mapping[str, str] | None = None,
    require_benchmarks: Iterable[str] = (),
    base_only: bool = True,
    moe_params: Literal["total", "active"] = "total",
    exclude_families: Iterable[str] = (),
) -> pd.DataFrame:
    """Load a shipped panel by name, or a user's CSV/Parquet file, and validate it.

    Parameters
    ----------
    source
        A shipped name (see :data:`PANELS`), a path to a CSV (UTF-8) or Parquet file, or a
        DataFrame (validated the same way; messages count its rows from 1).
    columns
        Maps the file's column names to ours, e.g. ``{"Model": "model", "HS": "hellaswag"}``.
    require_benchmarks
        Benchmarks that must be present and scored for every model.
    base_only
        Exclude rows with ``is_base`` false (non-base checkpoints); they are reported.
    moe_params
        Which parameter count of mixture-of-experts models goes into ``params``: ``"total"``
        (default) or ``"active"``. ``"active"`` needs a ``params_active`` column; rows where
        it is empty (dense models) keep ``params``.
    exclude_families
        Families to leave out (e.g. to hold one out for prediction); they are reported.

    Returns
    -------
    pandas.DataFrame
        One validated row per model, sorted by family and size, with an ``items_<benchmark>``
        column for every benchmark (absent columns and empty cells take the benchmark's
        standard count, :data:`BENCHMARKS`). ``df.attrs`` holds ``source``,
        ``data_hash``, ``excluded`` (list of ``(model, reason)``) and ``warnings``. Exclusions
        and warnings are also issued as one :class:`DataWarning` each.

    Raises
    ------
    DataValidationError
        With every problem found, each naming row, column, value and fix.
    """
    if moe_params not in ("total", "active"):
        raise DataValidationError(
            [f"moe_params must be 'total' or 'active', not {moe_params!r}"], str(source)
        )
    if isinstance(require_benchmarks, str):
        require_benchmarks = [require_benchmarks]
    if isinstance(exclude_families, str):
        exclude_families = [exclude_families]
    required = list(require_benchmarks)

    if isinstance(source, pd.DataFrame):
        label = str(source.attrs.get("source", "<DataFrame>"))
        df, lines = source.copy(), None
    else:
        path, label = _resolve(source)
        df, lines = _read(path, label)
    df = _apply_column_mapping(df, columns, label)
    report = validate(df, label, require_benchmarks=required, line_numbers=lines)
    if not report.ok and label in TABLES:
        report.errors.insert(
            0,
            f"{label!r} is a reference table, not a model panel: read it with "
            f"load_table({label!r}) or 'bayescape data show {label}'",
        )
    report.raise_if_failed()

    for col in [c for c in (*NUMERIC_COLUMNS, *BENCHMARK_NAMES) if c in df.columns]:
        df[col] = pd.to_numeric(df[col])
    for b in BENCHMARK_NAMES:
        if b not in df.columns:
            continue
        items = item_column(b)
        if items in df.columns:  # empty cells take the benchmark's standard count
            df[items] = pd.to_numeric(df[items]).fillna(BENCHMARKS[b].n_items).astype("int64")
        else:
            df[items] = BENCHMARKS[b].n_items

    if moe_params == "active":
        if "params_active" not in df.columns:
            raise DataValidationError(
                [
                    "moe_params='active' needs a 'params_active' column (the parameters active per "
                    "token; empty for dense models); add it, or use moe_params='total'"
                ],
                label,
            )
        df["params"] = df["params_active"].fillna(df["params"])

    keep = np.ones(len(df), dtype=bool)
    if base_only and "is_base" in df.columns:
        df["is_base"] = _as_bool(df["is_base"]).astype(bool)
        not_base = ~df["is_base"].to_numpy(dtype=bool)
        for i in np.flatnonzero(not_base):
            report.excluded.append((df["model"].iloc[i], "not a base checkpoint (is_base=False)"))
        keep &= ~not_base
    families = set(exclude_families)
    unknown = families - set(df["family"])
    if unknown:
        raise DataValidationError(
            [
                f"exclude_families names unknown families {sorted(unknown)}; known: "
                f"{sorted(df['family'].unique())}"
            ],
            label,
        )
    held = df["family"].isin(families).to_numpy(dtype=bool)
    for i in np.flatnonzero(held & keep):
        report.excluded.append((df["model"].iloc[i], f"family {df['family'].iloc[i]!r} excluded"))
    keep &= ~held
    if not keep.any():
        raise DataValidationError(
            [
                f"no models left: {_describe_exclusions(report.excluded)}; exclude fewer families "
                "or pass base_only=False"
            ],
            label,
        )

    df = df[keep].sort_values(["family", "params", "model"], kind="stable")
    kept_lines = None if lines is None else [lines[i] for i in df.index]
    df = df.reset_index(drop=True)
    # validate what is left: exclusions can leave a family with one model
    final = validate(df, label, require_benchmarks=required, line_numbers=kept_lines)
    final.raise_if_failed()
    if report.excluded:
        warnings.warn(
            f"{label}: {_describe_exclusions(report.excluded)}", DataWarning, stacklevel=2
        )
    for message in final.warnings:
        category = IgnoredInputWarning if message in final.ignored else DataWarning
        warnings.warn(f"{label}: {message}", category, stacklevel=2)
    df.attrs.update(
        source=label,
        data_hash=data_hash(df),
        warnings=list(final.warnings),
        excluded=list(report.excluded),
    )
    return df


def load_table(name: str) -> pd.DataFrame:
    """Load a shipped reference table (see :data:`TABLES`), e.g. ``"frontier34"``."""
    if name in PANELS:
        raise DataValidationError(
            [
                f"{name!r} is a model panel, not a reference table: load it with "
                f"load_dataset({name!r})"
            ],
            name,
        )
    if name not in TABLES:
        close = difflib.get_close_matches(name, TABLES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataValidationError(
            [f"unknown reference table {name!r}.{hint} Shipped tables: {', '.join(TABLES)}"], name
        )
    path, label = _resolve(name)
    return _read(path, label)[0]
