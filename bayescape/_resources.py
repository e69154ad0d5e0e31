"""Locate the files shipped with the package (curated datasets and model specifications).

In a source checkout (and an editable install) they are the top-level ``data/`` and ``models/``
folders; a built wheel carries copies under ``bayescape/_shipped/``.
"""

from __future__ import annotations

from pathlib import Path

from bayescape.errors import BayescapeError

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(kind: str) -> Path:
    """Return the folder holding shipped resources of one kind (``"data"`` or ``"models"``)."""
    for candidate in (_PACKAGE_DIR / "_shipped" / kind, _PACKAGE_DIR.parent / kind):
        if candidate.is_dir():
            return candidate
    raise BayescapeError(
        f"cannot find the shipped '{kind}/' folder next to the package ({_PACKAGE_DIR}); "
        "reinstall bayescape (pip install bayescape, or pip install -e . from a checkout)."
    )
