"""Posterior draws as plain arrays: every layer flattens chains the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr


def flatten_chains(da: xr.DataArray) -> np.ndarray:
    """Draws with chain and draw stacked into one leading axis, chain by chain.

    Shape (chains x draws, ...): the first ``draws`` rows are chain 0, and so on.
    """
    return da.stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()
