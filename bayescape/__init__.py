"""bayescape: Bayesian analysis of how language-model capabilities couple as models scale.

Public API
----------
load_dataset
    Load and validate a shipped model panel or a user's file.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from bayescape.data import load_dataset

try:
    __version__ = version("bayescape")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "load_dataset"]
