"""A saved result for the command-line tests: prior draws of the phase model (no NUTS)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def result_file(prior_result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root ``prior_result`` (phase model on leaderboard_v1) saved to netCDF."""
    return prior_result.save(tmp_path_factory.mktemp("cli") / "prior_phase.nc")
