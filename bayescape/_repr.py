"""Short ``repr`` for the package's dataclasses: arrays and tables by their shape, not content.

A dataclass's default ``repr`` prints every field in full, so an object holding posterior
draws or a DataFrame prints thousands of characters. :func:`compact_repr` keeps the class name
and the field names, and writes a NumPy array, pandas object or xarray object as its kind and
shape (``c=<array 20000>``, ``levers=<DataFrame 7x7>``), and long text by its length.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

_MAX_TEXT = 100
"""Longest text (or plain repr) of one field written as it is."""


def field_summary(value: Any) -> str:
    """One short description of a value: its shape when it holds many numbers."""
    if isinstance(value, np.ndarray):
        return f"<array {'x'.join(map(str, value.shape)) or 'scalar'}>"
    if isinstance(value, pd.DataFrame):
        return f"<DataFrame {value.shape[0]}x{value.shape[1]}>"
    if isinstance(value, pd.Series):
        return f"<Series {len(value)}>"
    if isinstance(value, xr.DataTree):
        return f"<DataTree {', '.join(value.children) or 'root'}>"
    if isinstance(value, xr.Dataset | xr.DataArray):
        sizes = ", ".join(f"{k}: {v}" for k, v in value.sizes.items())
        return f"<{type(value).__name__} {sizes}>"
    if isinstance(value, dict) and len(repr(value)) > _MAX_TEXT:
        return f"<dict of {len(value)}>"
    if isinstance(value, list | tuple) and len(repr(value)) > _MAX_TEXT:
        return f"<{type(value).__name__} of {len(value)}>"
    text = repr(value)
    if len(text) > _MAX_TEXT:
        return f"<{type(value).__name__} of {len(text)} characters>"
    return text


def compact_repr(obj: Any) -> str:
    """``Name(field=value, ...)`` of a dataclass with :func:`field_summary` of each field.

    Use as ``__repr__ = compact_repr`` in a dataclass declared with ``repr=False``.
    """
    fields = (f for f in dataclasses.fields(obj) if f.repr)
    parts = ", ".join(f"{f.name}={field_summary(getattr(obj, f.name))}" for f in fields)
    return f"{type(obj).__name__}({parts})"
