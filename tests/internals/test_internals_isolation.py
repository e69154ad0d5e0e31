"""The core never imports torch or transformers, and a missing extra is one line, exit code 2.

These tests run with or without the extra installed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.behaviour

HEAVY = ("torch", "transformers", "tokenizers", "safetensors", "huggingface_hub")


def test_importing_bayescape_and_its_cli_does_not_import_torch():
    code = (
        "import sys, bayescape, bayescape.cli, bayescape.errors\n"
        "bayescape.cli.build_parser()\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "", f"the core imported {proc.stdout.strip()}"


@pytest.mark.parametrize("hidden", ["torch", "transformers"])
def test_missing_extra_is_one_line_and_exit_2(hidden, monkeypatch, capsys):
    from bayescape.cli import main

    # Simulate a machine without the extra: the import of `hidden` fails, and the internals
    # subpackage is imported afresh.
    monkeypatch.setitem(sys.modules, hidden, None)
    for name in list(sys.modules):
        if name == "bayescape.internals" or name.startswith("bayescape.internals."):
            monkeypatch.delitem(sys.modules, name)
    code = main(["internals", "coupling", "--model", "no/such-model", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(
        "error: bayescape internals needs the optional extra: pip install 'bayescape[internals]'"
    )
    assert "Traceback" not in err


def test_the_internals_commands_are_registered():
    from bayescape.cli import build_parser

    parser = build_parser()
    for argv in (
        ["internals", "coupling", "--model", "m"],
        ["internals", "steer", "--model", "m", "--prompt", "p", "--layer", "3"],
        ["internals", "steer-eval", "--model", "m", "--layer", "auto"],
    ):
        args = parser.parse_args(argv)
        assert callable(args.func)
    with pytest.raises(SystemExit):
        parser.parse_args(["internals", "steer", "--model", "m", "--prompt", "p", "--layer", "x"])
