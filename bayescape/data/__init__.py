"""Data layer: shipped datasets, loading, validation, tidy and xarray forms.

>>> from bayescape.data import load_dataset
>>> df = load_dataset("leaderboard_v1")
>>> len(df), df["family"].nunique()
(147, 47)

The names are imported on first use: the schema (:data:`BENCHMARKS`, ...) needs neither pandas
nor xarray, so the command line can build its parser without them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from bayescape.data._schema import (
    BENCHMARK_NAMES,
    BENCHMARKS,
    FAMILY_COVARIATES,
    Benchmark,
    item_column,
)
from bayescape.errors import DataWarning, IgnoredInputWarning

_LAZY = {
    "DEFAULT_DATASET": "bayescape.data._load",
    "PANELS": "bayescape.data._load",
    "TABLES": "bayescape.data._load",
    "ValidationReport": "bayescape.data._load",
    "data_hash": "bayescape.data._load",
    "load_dataset": "bayescape.data._load",
    "load_table": "bayescape.data._load",
    "validate": "bayescape.data._load",
    "to_xarray": "bayescape.data._xarray",
}

if TYPE_CHECKING:
    from bayescape.data._load import (
        DEFAULT_DATASET,
        PANELS,
        TABLES,
        ValidationReport,
        data_hash,
        load_dataset,
        load_table,
        validate,
    )
    from bayescape.data._xarray import to_xarray


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bayescape.data' has no attribute {name!r}")


__all__ = [
    "BENCHMARKS",
    "BENCHMARK_NAMES",
    "DEFAULT_DATASET",
    "FAMILY_COVARIATES",
    "PANELS",
    "TABLES",
    "Benchmark",
    "DataWarning",
    "IgnoredInputWarning",
    "ValidationReport",
    "data_hash",
    "item_column",
    "load_dataset",
    "load_table",
    "to_xarray",
    "validate",
]
