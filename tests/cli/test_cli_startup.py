"""The command line starts without the heavy numerical stack (fast ``--help``/``--version``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("arviz", "jax", "pymc", "pytensor", "dask", "matplotlib", "pandas", "xarray")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return {m.split(".")[0] for m in json.loads(out.splitlines()[-1])}


@pytest.mark.behaviour
def test_importing_the_cli_loads_no_heavy_module():
    loaded = _modules_after("import bayescape.cli")
    assert "bayescape" in loaded  # the probe ran this checkout's package
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.behaviour
def test_building_the_parser_loads_no_heavy_module():
    # every command registers its options: none of that may pull in the numerical stack
    loaded = _modules_after("import bayescape.cli as c\nc.build_parser()")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.behaviour
def test_version_and_help_run_without_heavy_modules():
    probe = (
        "import sys\nfrom bayescape.cli import main\n"
        "for argv in (['--version'], ['--help'], ['fit', '--help'], ['predict', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
    )
    loaded = _modules_after(probe)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.behaviour
def test_the_phase_fit_path_compiles_no_jax():
    # the default fit (nutpie, Numba) needs neither JAX nor diffrax nor dask: importing them
    # cost ~1.2 s of every `bayescape fit`; ArviZ registers jax as a lazy module, so look for
    # JAX's implementation package rather than the name
    probe = (
        "from bayescape.analysis import fit\nimport bayescape.inference\nimport bayescape.models"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{probe}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded = set(json.loads(out.splitlines()[-1]))
    assert not loaded & {"jax._src", "diffrax", "equinox", "dask", "jinja2"}, sorted(
        loaded & {"jax._src", "diffrax", "equinox", "dask", "jinja2"}
    )
