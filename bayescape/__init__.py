"""bayescape: Bayesian analysis of how language-model capabilities couple as models scale.

Public API
----------
fit
    Fit a model (``"phase"`` by default) to a dataset; returns a :class:`Result`.
load
    Read a result saved with ``Result.save`` (netCDF).
load_dataset
    Load and validate a shipped model panel or a user's file.
Result
    Posterior, data, spec, diagnostics, and the summaries (``critical_scales`` ...).

The names are imported on first use, so ``import bayescape`` (and the CLI) start fast.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("bayescape")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

_LAZY = {
    "fit": "bayescape.analysis",
    "load": "bayescape.analysis",
    "Result": "bayescape.analysis",
    "load_dataset": "bayescape.data",
}

if TYPE_CHECKING:
    from bayescape.analysis import Result, fit, load
    from bayescape.data import load_dataset


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bayescape' has no attribute {name!r}")


__all__ = ["Result", "__version__", "fit", "load", "load_dataset"]


def __dir__() -> list[str]:
    """The public names (imported on first use, so ``dir`` would otherwise hide them)."""
    return sorted(__all__)
