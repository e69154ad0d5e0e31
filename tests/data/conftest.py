"""Fixtures of the data tests: the raw public sources the shipped datasets are built from."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """``data/raw``: the raw sources, part of the repository (``bayescape data build --raw``)."""
    raw = ROOT / "data" / "raw"
    assert (raw / "SOURCES.md").is_file(), (
        f"{raw} is missing or incomplete: the raw sources are part of the repository; "
        "restore them with 'git checkout -- data/raw'"
    )
    return raw
