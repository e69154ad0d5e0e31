"""Data layer: shipped datasets, loading, validation, tidy and xarray forms.

>>> from bayescape.data import load_dataset
>>> df = load_dataset("leaderboard_v1")
>>> len(df), df["family"].nunique()
(147, 47)
"""

from bayescape.data._load import (
    DEFAULT_DATASET,
    PANELS,
    TABLES,
    DataWarning,
    ValidationReport,
    data_hash,
    load_dataset,
    load_table,
    validate,
)
from bayescape.data._schema import BENCHMARK_NAMES, BENCHMARKS, Benchmark, item_column
from bayescape.data._xarray import to_xarray

__all__ = [
    "BENCHMARKS",
    "BENCHMARK_NAMES",
    "DEFAULT_DATASET",
    "PANELS",
    "TABLES",
    "Benchmark",
    "DataWarning",
    "ValidationReport",
    "data_hash",
    "item_column",
    "load_dataset",
    "load_table",
    "to_xarray",
    "validate",
]
