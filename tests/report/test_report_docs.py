"""docs/reporting.md stays true: its commands parse, its TOML example reads, its macros exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bayescape.analysis import read_family
from bayescape.analysis._new_family import new_family_covariates
from bayescape.cli import build_parser
from bayescape.report import render_macros

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "reporting.md").read_text(encoding="utf-8")
BLOCKS = {
    lang: re.findall(rf"```{lang}\n(.*?)```", PAGE, re.S) for lang in ("bash", "toml", "latex")
}
COMMANDS = [
    line.split("#")[0].split(" > ")[0].strip()
    for block in BLOCKS["bash"]
    for line in block.splitlines()
    if line.startswith("bayescape ")
]

pytestmark = pytest.mark.behaviour


def test_the_page_shows_every_command():
    shown = {shlex.split(c)[1] for c in COMMANDS}
    assert shown == {"table", "macros", "plot", "report", "predict", "diagnose"}


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_commands_parse(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert callable(args.func)


def test_documented_family_file_reads(tmp_path, result):
    (toml,) = BLOCKS["toml"]
    path = tmp_path / "new_family.toml"
    path.write_text(toml, encoding="utf-8")
    family = read_family(path)
    values, _ = new_family_covariates(result, family)
    assert family.name == "MyLM" and values["curation_curated"] == 1.0
    assert values["log10_tokens_per_param"] == pytest.approx(2.3)  # [covariates] overrides
    assert len(family.measured("hellaswag", "truthfulqa")) == 1


def test_documented_macros_exist(result):
    defined = set(re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", render_macros(result)))
    used = set(re.findall(r"\\([A-Z][A-Za-z]+)", "".join(BLOCKS["latex"])))
    assert used <= defined, used - defined
    named = set(re.findall(r"`\\([A-Z][A-Za-z]+)`", PAGE)) | set(
        re.findall(r"-> \\([A-Z][A-Za-z]+)`", PAGE)
    )
    assert {n for n in named if "<" not in n} <= defined | {"NcPooled"}, named - defined
