"""Same seed, same draws: across processes, compile-cache states, CLI and API, quiet or not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SMALL = ["--draws", "60", "--tune", "60", "--seed", "3"]

_API = """
import sys, warnings
warnings.simplefilter("ignore")
import bayescape
r = bayescape.fit("phase", "leaderboard_v1", random_seed=3, draws=60, tune=60, progressbar=True)
r.save(sys.argv[1])
"""


def _env(compiledir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # a private PyTensor compile directory (and Numba cache): empty on the first run = cold
    env["PYTENSOR_FLAGS"] = f"base_compiledir={compiledir}"
    env["NUMBA_CACHE_DIR"] = str(compiledir / "numba")
    return env


@pytest.mark.behaviour
def test_cold_and_warm_cache_cli_and_api_give_bit_identical_draws(tmp_path):
    import bayescape

    compiledir = tmp_path / "compiledir"
    cold, warm = tmp_path / "cold.nc", tmp_path / "warm.nc"
    cli = [sys.executable, "-m", "bayescape", "fit", *SMALL, "--quiet", "--out", str(cold)]
    subprocess.run(cli, env=_env(compiledir), check=True, capture_output=True, timeout=900)
    assert any(compiledir.iterdir()), "the first run should have filled the compile cache"
    subprocess.run(
        [sys.executable, "-c", _API, str(warm)],
        env=_env(compiledir),
        check=True,
        capture_output=True,
        timeout=900,
    )
    first, second = bayescape.load(cold).idata, bayescape.load(warm).idata
    # the replicates are seeded from the fit's seed, so they repeat as the draws do
    for group in ("posterior", "log_likelihood", "posterior_predictive"):
        a, b = first[group].ds, second[group].ds
        assert sorted(a.data_vars) == sorted(b.data_vars)
        for name in a.data_vars:
            # exact equality, not closeness: the same seed must give the same numbers
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
