"""The build script: shipped files rebuild byte-identically from the raw sources; its rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bayescape._resources import resource_dir
from bayescape.data._build import RAW_FILES, _level, _year, build_all
from bayescape.errors import BayescapeError

RAW = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "raw"
needs_raw = pytest.mark.skipif(
    not RAW.is_dir(),
    reason=f"raw sources not present at {RAW}: the shipped files cannot be rebuilt here "
    "(they live in the project's steering repository, not in the package)",
)
SHIPPED = (
    "leaderboard_v1",
    "cape63",
    "cape63_clean",
    "frontier34",
    "cape_bootstrap_points",
    "cape_pythia",
)
DATASHEET = Path(__file__).resolve().parents[2] / "data" / "README.md"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> tuple[Path, list[str]]:
    if not RAW.is_dir():
        pytest.skip(f"raw sources not present at {RAW}")
    out = tmp_path_factory.mktemp("rebuilt")
    return out, build_all(RAW, out)


@pytest.mark.math
@needs_raw
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_rebuilds_byte_identically(rebuilt, name):
    out, _ = rebuilt
    shipped = (resource_dir("data") / f"{name}.csv").read_bytes()
    assert (out / f"{name}.csv").read_bytes() == shipped, (
        f"data/{name}.csv differs from a rebuild: run "
        f"'bayescape data build --raw {RAW} --out data' and review the diff"
    )


@pytest.mark.behaviour
@needs_raw
def test_build_writes_exactly_the_shipped_files(rebuilt):
    out, _ = rebuilt
    assert sorted(p.stem for p in out.iterdir()) == sorted(SHIPPED)
    assert sorted(p.stem for p in resource_dir("data").glob("*.csv")) == sorted(SHIPPED)


@pytest.mark.behaviour
@needs_raw
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
