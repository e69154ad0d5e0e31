"""The datasheet documents every shipped column, and docs/data.md's examples run as shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from bayescape._resources import resource_dir
from bayescape.cli import main

pytestmark = pytest.mark.behaviour

ROOT = Path(__file__).resolve().parents[2]
DATASHEET = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
USER_PAGE = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
SHIPPED = sorted(p.stem for p in resource_dir("data").glob("*.csv"))


def section(name: str) -> str:
    match = re.search(rf"^## `{name}\.csv`\n(.*?)(?=^## |\Z)", DATASHEET, re.M | re.S)
    assert match, f"data/README.md has no section '## `{name}.csv`'"
    return match.group(1)


@pytest.mark.parametrize("name", SHIPPED)
def test_datasheet_documents_every_column_of_every_file(name):
    columns = list(pd.read_csv(resource_dir("data") / f"{name}.csv", nrows=0).columns)
    table = re.search(
        r"^\| column \| unit \| meaning \| source.*?\n((?:\|.*\n)+)", section(name), re.M
    )
    assert table, f"data/README.md's section on {name}.csv has no column table"
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", table.group(1), re.M)
    assert documented == columns, f"data/README.md's table for {name}.csv is out of date"


@pytest.mark.parametrize("name", SHIPPED)
def test_datasheet_row_counts_are_right(name):
    rows = len(pd.read_csv(resource_dir("data") / f"{name}.csv"))
    line = re.search(rf"^\| `{name}\.csv` \| (\d+)", DATASHEET, re.M)
    assert line and int(line.group(1)) == rows


def example_files() -> dict[str, str]:
    return dict(re.findall(r"`(\w+\.csv)`[^`]*?\n\n```csv\n(.*?)```", USER_PAGE, re.S))


def console_sessions() -> list[tuple[list[str], str]]:
    sessions = []
    for block in re.findall(r"```console\n(.*?)```", USER_PAGE, re.S):
        for command in re.split(r"^\$ ", block, flags=re.M)[1:]:
            lines = command.replace("\\\n", " ").splitlines()
            sessions.append((shlex.split(lines[0]), "\n".join(lines[1:])))
    return sessions


def test_user_page_has_its_examples():
    assert set(example_files()) == {"my_family.csv", "their_names.csv", "percent.csv"}
    assert len(console_sessions()) == 4


@pytest.mark.parametrize("session", console_sessions(), ids=lambda s: " ".join(s[0][3:]))
def test_user_page_console_output_is_real(tmp_path, monkeypatch, capsys, session):
    argv, shown = session
    for name, text in example_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert argv[0] == "bayescape"
    code = main(argv[1:])
    captured = capsys.readouterr()
    assert (captured.out + captured.err).rstrip("\n") == shown
    assert code == (1 if shown.startswith("INVALID") else 0)


def test_user_page_python_examples_run(tmp_path, monkeypatch):
    for name, text in example_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with pytest.warns(Warning):  # the shipped panel's one-model families
        for block in re.findall(r"```python\n(.*?)```", USER_PAGE, re.S):
            exec(block, namespace)
    assert len(namespace["panel"]) == 150 and namespace["panel"]["family"].nunique() == 48
    assert namespace["ds"].sizes == {"model": 3, "benchmark": 3}
