"""The build script: shipped files rebuild byte-identically from data/raw; its rules."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from bayescape._resources import resource_dir
from bayescape.cli import main
from bayescape.data._build import RAW_FILES, _level, _year, build_all
from bayescape.errors import BayescapeError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (
    "leaderboard_v1",
    "cape63",
    "cape63_clean",
    "frontier34",
    "cape_bootstrap_points",
    "cape_pythia",
)
DATASHEET = ROOT / "data" / "README.md"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def rebuilt(raw_dir, tmp_path_factory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("rebuilt")
    return out, build_all(raw_dir, out)


@pytest.mark.math
def test_the_documented_build_command_reproduces_every_shipped_csv(
    raw_dir, tmp_path, monkeypatch, capsys
):
    # Exactly the command of data/README.md ("Rebuilding"), run from the repository root.
    monkeypatch.chdir(ROOT)
    assert main(["data", "build", "--raw", "data/raw", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    shipped = sorted((ROOT / "data").glob("*.csv"))
    assert [p.name for p in shipped] == sorted(f"{name}.csv" for name in SHIPPED)
    differing = [p.name for p in shipped if sha256(tmp_path / p.name) != sha256(p)]
    assert not differing, (
        f"{', '.join(differing)} differ (SHA-256) from a rebuild: run "
        "'bayescape data build --raw data/raw --out data' and review the diff"
    )


@pytest.mark.behaviour
def test_build_writes_exactly_the_shipped_files(rebuilt):
    out, _ = rebuilt
    assert sorted(p.stem for p in out.iterdir()) == sorted(SHIPPED)
    assert sorted(p.stem for p in resource_dir("data").glob("*.csv")) == sorted(SHIPPED)


@pytest.mark.behaviour
def test_datasheet_quotes_the_whole_build_log(rebuilt):
    _, log = rebuilt
    text = DATASHEET.read_text(encoding="utf-8")
    block = re.search(r"<!-- build-log -->\n```text\n(.*?)```", text, re.S)
    assert block, "data/README.md lost its build-log block"
    assert block.group(1).splitlines() == log, (
        "data/README.md's build log is out of date: paste the output of 'bayescape data build'"
    )


@pytest.mark.behaviour
def test_build_refuses_a_folder_without_the_raw_files(tmp_path):
    with pytest.raises(BayescapeError) as info:
        build_all(tmp_path, tmp_path / "out")
    message = str(info.value)
    assert f"{tmp_path} is not the raw data folder" in message
    assert all(f in message for f in RAW_FILES)
    assert not (tmp_path / "out").exists()


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("text", "column", "level"),
    [
        ("yes (46 natural + 13 programming languages, ROOTS)", "multilingual", "yes"),
        ("no (English-dominant)", "multilingual", "no"),
        ("bilingual (en/zh)", "multilingual", "partial"),
        ("limited (mC4 subset)", "multilingual", "partial"),
        ("Mistral-7B: no; Nemo: yes (multilingual)", "multilingual", "partial"),
        ("stablelm-2: yes (2 epochs)", "multi_epoch", "partial"),
        ("low-moderate", "code_heavy", "low"),
        ("moderate (The Stack)", "code_heavy", "moderate"),
        ("web (alpha, alpha-v2); mixed (StableLM-2)", "data_curation", "web"),
        ("", "multi_epoch", "unknown"),
        (float("nan"), "data_curation", "undisclosed"),
    ],
)
def test_level_rule_maps_covariate_text_to_levels(text, column, level):
    assert _level(text, column) == level


@pytest.mark.behaviour
def test_level_rule_refuses_text_it_cannot_map():
    with pytest.raises(ValueError, match="cannot map 'sometimes' to"):
        _level("sometimes", "multilingual")


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("text", "year"),
    [("2023", 2023), ("2023 (70B: 2024)", 2023), ("2021-2022", 2021), ("2024 (v1.1)", 2024)],
)
def test_release_year_is_the_first_year_in_the_cell(text, year):
    assert _year(text) == year
