"""Convert a model panel to an xarray Dataset with ``model`` and ``family`` coordinates."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from bayescape.data._schema import BENCHMARK_NAMES, item_column


def to_xarray(df: pd.DataFrame) -> xr.Dataset:
    """Return the panel as a Dataset on dimension ``model``.

    Scores become one variable ``score`` with dims ``(model, benchmark)`` and item counts
    ``items`` likewise; ``family``, ``params`` and ``log10_params`` are coordinates on ``model``.
    Every other column is kept as a variable on ``model``.
    """
    import numpy as np

    benchmarks = [b for b in BENCHMARK_NAMES if b in df.columns]
    items = [item_column(b) for b in benchmarks]
    other = [c for c in df.columns if c not in {*benchmarks, *items, "model", "family", "params"}]
    ds = xr.Dataset(
        {
            "score": (("model", "benchmark"), df[benchmarks].to_numpy(dtype=float)),
            "items": (("model", "benchmark"), df[items].to_numpy(dtype=float)),
            **{c: ("model", df[c].to_numpy()) for c in other},
        },
        coords={
            "model": df["model"].to_numpy(dtype=str),
            "benchmark": benchmarks,
            "family": ("model", df["family"].to_numpy(dtype=str)),
            "params": ("model", df["params"].to_numpy(dtype=float)),
            "log10_params": ("model", np.log10(df["params"].to_numpy(dtype=float))),
        },
        attrs={k: str(v) for k, v in df.attrs.items() if k in {"source", "data_hash"}},
    )
    return ds
