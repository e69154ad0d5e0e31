"""Load and validate model panels (one row per model) from shipped names or user files."""

from __future__ import annotations

import difflib
import hashlib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from bayescape._resources import resource_dir
from bayescape.data._schema import (
    BENCHMARK_NAMES,
    BENCHMARKS,
    ITEM_COLUMN_PREFIX,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    item_column,
)
from bayescape.errors import DataValidationError

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
    "cape_bootstrap_points": "the 14 points of the paper's N_c bootstrap (Pythia, Llama-1, Llama-2)",
    "cape_pythia": "the 8-model Pythia table behind the paper's r = -0.989",
}
"""Shipped reference tables for the paper's own estimators (loadable with :func:`load_table`)."""


class DataWarning(UserWarning):
    """Something in a dataset is usable but worth knowing (e.g. a family with one model)."""


@dataclass
class ValidationReport:
    """What validation found: errors (fatal), warnings, and rows excluded with their reason."""

    source: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)

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
    return path, str(path)


def _read(path: Path, label: str) -> pd.DataFrame:
    """Read CSV (UTF-8) or Parquet with errors that say what to do."""
    if path.suffix.lower() in {".parquet", ".pq"}:
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - re-raised with a message for people
            raise DataValidationError([f"cannot read as Parquet: {exc}"], label) from exc
    raw = path.read_bytes()
    if not raw.strip():
        raise DataValidationError(["the file is empty; expected a header row and one row per "
                                   "model"], label)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            [f"line {line}: byte 0x{raw[exc.start]:02x} is not valid UTF-8; re-save the file "
             "as UTF-8 (e.g. in a spreadsheet: 'CSV UTF-8')"],
            label,
        ) from exc
    from io import StringIO

    try:
        df = pd.read_csv(StringIO(text))
    except pd.errors.ParserError as exc:
        raise DataValidationError([f"not a valid CSV file: {exc}"], label) from exc
    if df.empty:
        raise DataValidationError(["the file has a header but no rows"], label)
    return df


def _where(df: pd.DataFrame, i: int) -> str:
    """'row N (model X)', N being the line number in a CSV file (header is line 1)."""
    model = df["model"].iloc[i] if "model" in df.columns else "?"
    return f"row {i + 2} (model {model!r})"


def validate(
    df: pd.DataFrame,
    source: str = "<data>",
    *,
    require_benchmarks: Iterable[str] = (),
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

    Returns
    -------
    ValidationReport
        Errors name the row (its line in a CSV file), the column, the bad value and the fix.
    """
    report = ValidationReport(source)
    err = report.errors.append
    required = list(require_benchmarks)
    for name in required:
        if name not in BENCHMARKS:
            close = difflib.get_close_matches(name, BENCHMARK_NAMES, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            err(f"unknown benchmark {name!r}.{hint} Known benchmarks: {', '.join(BENCHMARK_NAMES)}")
    missing = [c for c in (*REQUIRED_COLUMNS, *(b for b in required if b in BENCHMARKS))
               if c not in df.columns]
    if missing:
        err(f"missing required column(s) {missing}; the file has {list(df.columns)}. Rename them, "
            "or pass columns={'your_name': 'model', ...} to load_dataset "
            "(--column your_name=model on the command line)")
    present = [b for b in BENCHMARK_NAMES if b in df.columns]
    if not present:
        err(f"no benchmark score column; expected at least one of {list(BENCHMARK_NAMES)}")
    for col in df.columns:
        if col.startswith(ITEM_COLUMN_PREFIX) and col[len(ITEM_COLUMN_PREFIX):] not in BENCHMARKS:
            err(f"column {col!r} names an unknown benchmark; known: {', '.join(BENCHMARK_NAMES)}")
    if report.errors:
        return report

    for col in ("model", "family"):
        for i in np.flatnonzero(df[col].isna().to_numpy() | (df[col].astype(str).str.strip() == "")):
            err(f"{_where(df, i)}, column {col!r}: empty; every model needs a {col} name")

    for col in [c for c in (*NUMERIC_COLUMNS, *present) if c in df.columns]:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna()
        for i in np.flatnonzero(bad.to_numpy()):
            err(f"{_where(df, i)}, column {col!r}: value {df[col].iloc[i]!r} is not a number")

    params = pd.to_numeric(df["params"], errors="coerce")
    for i in np.flatnonzero((params.isna() & df["params"].isna()).to_numpy()):
        err(f"{_where(df, i)}, column 'params': empty; give the parameter count (e.g. 7e9)")
    for i in np.flatnonzero((params <= 0).to_numpy()):
        err(f"{_where(df, i)}, column 'params': {params.iloc[i]!r} is not positive; give the "
            "parameter count (e.g. 7e9)")
    if params.notna().any() and params.max() < 1e5:
        err(f"column 'params': the largest value is {params.max():g}, which looks like billions; "
            "params is a raw count of parameters: multiply by 1e9 (7 -> 7e9)")

    for b in present:
        scores = pd.to_numeric(df[b], errors="coerce")
        outside = (scores < 0) | (scores > 1)
        if outside.any():
            looks_percent = scores.max() <= 100 and scores.max() > 1
            hint = (" The column looks like percentages: divide it by 100."
                    if looks_percent else " Scores are fractions in [0, 1].")
            for i in np.flatnonzero(outside.to_numpy()):
                err(f"{_where(df, i)}, column {b!r}: {scores.iloc[i]!r} is outside [0, 1].{hint}")
        if b in required:
            for i in np.flatnonzero((scores.isna() & df[b].isna()).to_numpy()):
                err(f"{_where(df, i)}, column {b!r}: missing score, which the model needs; fill "
                    "it, or exclude the model from the file")
        items = item_column(b)
        if items in df.columns:
            n = pd.to_numeric(df[items], errors="coerce")
            for i in np.flatnonzero(~(n > 0).to_numpy()):
                err(f"{_where(df, i)}, column {items!r}: {df[items].iloc[i]!r} is not a positive "
                    "item count")

    dup = df["model"].duplicated(keep=False)
    if dup.any():
        for model, rows in df[dup].groupby("model").groups.items():
            lines = ", ".join(str(r + 2) for r in rows)
            err(f"model {model!r} appears on rows {lines}; model ids must be unique: merge or "
                "rename the duplicates")

    sizes = df.groupby("family")["model"].size()
    for family, n in sizes[sizes == 1].items():
        report.warnings.append(
            f"family {family!r} has one model: its N_c is learned from the covariates alone"
        )
    return report


def _apply_column_mapping(df: pd.DataFrame, columns: Mapping[str, str] | None, label: str):
    if not columns:
        return df
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise DataValidationError(
            [f"columns={dict(columns)!r} maps column(s) {absent} that the file does not have; "
             f"the file has {list(df.columns)}"], label)
    return df.rename(columns=dict(columns))


def data_hash(df: pd.DataFrame) -> str:
    """SHA-256 (first 16 hex digits) of the table's CSV text: equal tables, equal hashes."""
    text = df.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_dataset(
    source: str | Path = DEFAULT_DATASET,
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
        A shipped name (see :data:`PANELS`) or a path to a CSV (UTF-8) or Parquet file.
    columns
        Maps the file's column names to ours, e.g. ``{"Model": "model", "HS": "hellaswag"}``.
    require_benchmarks
        Benchmarks that must be present and scored for every model.
    base_only
        Exclude rows with ``is_base == False`` (non-base checkpoints); they are reported.
    moe_params
        Which parameter count of mixture-of-experts models goes into ``params``: ``"total"``
        (default) or ``"active"``. Needs the ``params_total``/``params_active`` columns.
    exclude_families
        Families to leave out (e.g. to hold one out for prediction); they are reported.

    Returns
    -------
    pandas.DataFrame
        One validated row per model, sorted by family and size. ``df.attrs`` holds ``source``,
        ``data_hash``, ``excluded`` (list of ``(model, reason)``) and ``warnings``.

    Raises
    ------
    DataValidationError
        With every problem found, each naming row, column, value and fix.
    """
    path, label = _resolve(source)
    df = _apply_column_mapping(_read(path, label), columns, label)
    report = validate(df, label, require_benchmarks=require_benchmarks)
    report.raise_if_failed()

    for col in [c for c in (*NUMERIC_COLUMNS, *BENCHMARK_NAMES) if c in df.columns]:
        df[col] = pd.to_numeric(df[col])
    for b in BENCHMARK_NAMES:
        if b in df.columns and item_column(b) not in df.columns:
            df[item_column(b)] = BENCHMARKS[b].n_items

    if moe_params == "active":
        if "params_active" not in df.columns:
            raise DataValidationError(
                ["moe_params='active' needs a 'params_active' column"], label)
        df["params"] = df["params_active"].fillna(df["params"])
    elif moe_params != "total":
        raise DataValidationError([f"moe_params must be 'total' or 'active', not {moe_params!r}"],
                                  label)

    keep = np.ones(len(df), dtype=bool)
    if base_only and "is_base" in df.columns:
        not_base = ~df["is_base"].astype(str).str.lower().isin({"true", "1", "yes"})
        for i in np.flatnonzero(not_base.to_numpy()):
            report.excluded.append((df["model"].iloc[i], "not a base checkpoint (is_base=False)"))
        keep &= ~not_base.to_numpy()
    families = set(exclude_families)
    unknown = families - set(df["family"])
    if unknown:
        raise DataValidationError(
            [f"exclude_families names unknown families {sorted(unknown)}; known: "
             f"{sorted(df['family'].unique())}"], label)
    held = df["family"].isin(families).to_numpy()
    for i in np.flatnonzero(held & keep):
        report.excluded.append((df["model"].iloc[i], f"family {df['family'].iloc[i]!r} excluded"))
    keep &= ~held

    df = df[keep].sort_values(["family", "params", "model"], kind="stable").reset_index(drop=True)
    # validate what is left: exclusions can empty the table or leave a family with one model
    final = validate(df, label, require_benchmarks=require_benchmarks)
    final.raise_if_failed()
    for model, reason in report.excluded:
        warnings.warn(f"{label}: excluded {model!r}: {reason}", DataWarning, stacklevel=2)
    for message in final.warnings:
        warnings.warn(f"{label}: {message}", DataWarning, stacklevel=2)
    df.attrs.update(
        source=label,
        data_hash=data_hash(df),
        warnings=list(final.warnings),
        excluded=list(report.excluded),
    )
    return df


def load_table(name: str) -> pd.DataFrame:
    """Load a shipped reference table (see :data:`TABLES`), e.g. ``"frontier34"``."""
    if name not in TABLES:
        raise DataValidationError(
            [f"unknown reference table {name!r}; shipped tables: {', '.join(TABLES)}"], name)
    path, label = _resolve(name)
    return _read(path, label)
