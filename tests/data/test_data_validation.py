"""Every validation rule: each bad input gets its own message (file, row, column, value, fix)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from bayescape.data import DataWarning, load_dataset, validate
from bayescape.errors import BayescapeError, DataValidationError

pytestmark = pytest.mark.behaviour

GOOD = """\
model,family,params,hellaswag,truthfulqa
a-1b,A,1e9,0.50,0.40
a-7b,A,7e9,0.70,0.35
b-1b,B,1e9,0.45,0.42
b-3b,B,3e9,0.55,0.41
"""


def write(tmp_path: Path, text: str | bytes, name: str = "panel.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path | str, **kwargs) -> list[str]:
    """The problems load_dataset reports for ``path`` (fails the test if it loads)."""
    with pytest.raises(DataValidationError) as info:
        load_dataset(path, **kwargs)
    assert str(path) in str(info.value)  # the message names the file
    return info.value.problems


def test_a_good_file_loads_without_problems(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = load_dataset(write(tmp_path, GOOD))
    assert list(df["model"]) == ["a-1b", "a-7b", "b-1b", "b-3b"]
    assert df.attrs["excluded"] == [] and df.attrs["warnings"] == []


def test_error_type_is_the_package_error_and_a_value_error(tmp_path):
    with pytest.raises(BayescapeError):
        load_dataset(write(tmp_path, ""))
    with pytest.raises(ValueError):
        load_dataset(write(tmp_path, ""))


def test_missing_required_columns_name_them_and_suggest_the_mapping(tmp_path):
    path = write(tmp_path, "Model,fam,size,hellaswag\na,A,1e9,0.5\n")
    (message,) = problems(path)
    assert "missing required column(s) ['model', 'family', 'params']" in message
    assert "the file has ['Model', 'fam', 'size', 'hellaswag']" in message
    assert "--column your_name=model" in message and "columns={'your_name': 'model'" in message
    assert "--column Model=model" in message  # a case-only difference is spotted


def test_semicolon_separated_file_gets_a_separator_hint(tmp_path):
    path = write(tmp_path, "model;family;params;hellaswag\na;A;1e9;0.5\n")
    assert any("save the file with commas between columns" in p for p in problems(path))


def test_no_benchmark_column_suggests_the_one_it_looks_like(tmp_path):
    path = write(tmp_path, "model,family,params,HS\na,A,1e9,0.5\nb,A,2e9,0.6\n")
    (message,) = problems(path)
    assert "no benchmark score column" in message
    assert "Column 'HS' looks like 'hellaswag': --column HS=hellaswag" in message


def test_non_numeric_score_names_line_column_and_value(tmp_path):
    path = write(tmp_path, GOOD + "c-1b,C,1e9,abc,0.4\n")
    (message,) = problems(path)
    assert message.startswith("line 6 (model 'c-1b'), column 'hellaswag': value 'abc'")
    assert "is not a number" in message and "write a plain number" in message


def test_line_numbers_count_blank_lines_and_multi_line_fields(tmp_path):
    text = 'model,family,params,hellaswag\na,A,1e9,0.5\n\n"b\nsecond line",A,2e9,x\n'
    (message,) = problems(write(tmp_path, text))
    assert message.startswith("line 4 (model 'b\\nsecond line'), column 'hellaswag'")


def test_nan_in_a_required_benchmark_is_an_error_naming_the_row(tmp_path):
    path = write(tmp_path, GOOD.replace("a-7b,A,7e9,0.70,0.35", "a-7b,A,7e9,0.70,"))
    load_dataset(path)  # allowed when the benchmark is not required
    (message,) = problems(path, require_benchmarks=["truthfulqa"])
    assert message.startswith("line 3 (model 'a-7b'), column 'truthfulqa': missing score")
    assert "leave the model out of the file" in message


def test_required_benchmark_absent_from_the_file_is_a_missing_column(tmp_path):
    (message,) = problems(write(tmp_path, GOOD), require_benchmarks="arc")
    assert "missing required column(s) ['arc']" in message


def test_percentage_column_gets_one_message_with_the_percent_hint(tmp_path):
    text = "model,family,params,hellaswag\na,A,1e9,50\nb,A,2e9,60\nc,A,3e9,0.5\n"
    (message,) = problems(write(tmp_path, text))
    assert message.startswith("column 'hellaswag': 2 of 3 scores lie between 1 and 100")
    assert "(e.g. line 2 (model 'a'): 50)" in message
    assert "looks like percentages" in message and "divide the column by 100" in message


def test_single_percentage_among_fractions_is_reported_on_its_row(tmp_path):
    text = "model,family,params,hellaswag\na,A,1e9,0.5\nb,A,2e9,55\nc,A,3e9,0.6\nd,A,4e9,-0.1\n"
    first, second = problems(write(tmp_path, text))
    assert first == (
        "line 3 (model 'b'), column 'hellaswag': 55 is outside [0, 1]. It looks like a "
        "percentage while other rows are fractions: divide it by 100 (0.55)."
    )
    assert second.startswith("line 5 (model 'd'), column 'hellaswag': -0.1 is outside [0, 1].")
    assert "Scores are fractions in [0, 1]." in second


@pytest.mark.parametrize("column", ["params", "params_total", "params_active"])
def test_non_positive_sizes_are_errors(tmp_path, column):
    df = pd.read_csv(write(tmp_path, GOOD))
    df["params_total"] = df["params"]
    df["params_active"] = df["params"]
    df.loc[1, column] = 0
    df.loc[2, column] = -7e9
    report = validate(df, "frame")
    assert report.errors == [
        f"row 2 (model 'a-7b'), column '{column}': 0 is not positive; give the parameter count "
        "(e.g. 7e9)",
        f"row 3 (model 'b-1b'), column '{column}': -7e+09 is not positive; give the parameter "
        "count (e.g. 7e9)",
    ]


def test_empty_size_is_an_error(tmp_path):
    (message,) = problems(write(tmp_path, GOOD.replace("a-7b,A,7e9", "a-7b,A,")))
    assert (
        message
        == "line 3 (model 'a-7b'), column 'params': empty; give the parameter count (e.g. 7e9)"
    )


def test_sizes_in_billions_are_detected_for_the_whole_column(tmp_path):
    text = "model,family,params,hellaswag\na,A,1,0.5\nb,A,7,0.6\n"
    (message,) = problems(write(tmp_path, text))
    assert "column 'params': the largest value is 7, which looks like billions" in message
    assert "multiply the column by 1e9" in message


def test_one_size_in_billions_among_raw_counts_is_reported_on_its_row(tmp_path):
    text = "model,family,params,hellaswag\na,A,7,0.5\nb,A,7e9,0.6\n"
    (message,) = problems(write(tmp_path, text))
    assert message.startswith(
        "line 2 (model 'a'), column 'params': 7 parameters looks like billions"
    )


def test_duplicated_model_ids_name_both_lines(tmp_path):
    (message,) = problems(write(tmp_path, GOOD + "a-1b,A,1.1e9,0.5,0.4\n"))
    assert message == (
        "model 'a-1b' appears on lines 2 and 6; model ids must be unique: merge the rows or "
        "rename one of them"
    )


def test_duplicated_model_ids_in_a_frame_name_rows(tmp_path):
    df = pd.read_csv(write(tmp_path, GOOD + "a-1b,A,1.1e9,0.5,0.4\n"))
    assert "model 'a-1b' appears on rows 1 and 5" in validate(df).errors[0]


def test_empty_model_or_family_name_is_an_error(tmp_path):
    (message,) = problems(write(tmp_path, GOOD.replace("b-3b,B,", "b-3b,,")))
    assert (
        message == "line 5 (model 'b-3b'), column 'family': empty; every model needs a family name"
    )


def test_single_model_families_give_one_warning_listing_them_all(tmp_path):
    path = write(tmp_path, GOOD + "c,C,1e9,0.5,0.4\nd,D,1e9,0.5,0.4\n")
    with pytest.warns(DataWarning) as caught:
        df = load_dataset(path)
    assert len(caught) == 1
    assert str(caught[0].message) == (
        f"{path}: 2 families have one model each: C, D (a phase model learns their N_c from "
        "the family covariates alone; the dynamics model leaves them out)"
    )
    assert df.attrs["warnings"] == [str(caught[0].message).removeprefix(f"{path}: ")]
    assert len(df) == 6  # a warning, not an error: the models stay


def test_one_single_model_family_is_named_in_the_singular(tmp_path):
    expected = r"family 'C' has one model \(a phase model learns its N_c"
    with pytest.warns(DataWarning, match=expected):
        load_dataset(write(tmp_path, GOOD + "c,C,1e9,0.5,0.4\n"))


def test_unknown_benchmark_name_suggests_the_close_one(tmp_path):
    (message,) = problems(write(tmp_path, GOOD), require_benchmarks=["hellaswg"])
    assert message.startswith("unknown benchmark 'hellaswg'. Did you mean 'hellaswag'?")
    assert "Known benchmarks: hellaswag, truthfulqa, arc, winogrande, mmlu, gsm8k" in message


def test_misspelt_benchmark_column_is_a_warning_with_the_mapping(tmp_path):
    path = write(tmp_path, GOOD.replace("truthfulqa", "TruthfulQA"))
    with pytest.warns(DataWarning) as caught:
        df = load_dataset(path)
    assert "truthfulqa" not in df.columns
    assert any(
        "column 'TruthfulQA' is not read as a score: did you mean 'truthfulqa'? Rename it or "
        "map it (--column TruthfulQA=truthfulqa)" in str(w.message)
        for w in caught
    )


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [("ARC-C", "arc"), ("Winograd", "winogrande"), ("HS", "hellaswag"), ("TQA", "truthfulqa")],
)
def test_source_table_column_names_are_recognised(tmp_path, theirs, ours):
    report = validate(pd.read_csv(write(tmp_path, GOOD)).assign(**{theirs: 0.5}))
    assert f"did you mean {ours!r}" in report.warnings[0]


def test_unknown_items_column_is_an_error_with_a_suggestion(tmp_path):
    text = "model,family,params,hellaswag,items_hellaswagg\na,A,1e9,0.5,100\nb,A,2e9,0.6,100\n"
    (message,) = problems(write(tmp_path, text))
    assert message.startswith(
        "column 'items_hellaswagg' names an unknown benchmark. Did you mean 'items_hellaswag'?"
    )


@pytest.mark.parametrize("count", ["0", "-5", "100.5"])
def test_item_count_must_be_a_positive_whole_number(tmp_path, count):
    text = f"model,family,params,hellaswag,items_hellaswag\na,A,1e9,0.5,{count}\nb,A,2e9,0.6,100\n"
    (message,) = problems(write(tmp_path, text))
    assert message.startswith(
        f"line 2 (model 'a'), column 'items_hellaswag': {float(count):g} is not a positive whole "
        "number of items"
    )
    assert "hellaswag has 10042 items" in message and "leave the cell empty" in message


def test_empty_item_count_takes_the_standard_count(tmp_path):
    text = "model,family,params,hellaswag,items_hellaswag\na,A,1e9,0.5,\nb,A,2e9,0.6,100\n"
    df = load_dataset(write(tmp_path, text))
    assert df["items_hellaswag"].tolist() == [10_042, 100]
    assert df["items_hellaswag"].dtype == "int64"


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [("maybe", "'maybe' is not true or false"), ("", "empty")],
)
def test_is_base_must_be_true_or_false(tmp_path, cell, fragment):
    text = f"model,family,params,hellaswag,is_base\na,A,1e9,0.5,True\nb,A,2e9,0.6,{cell}\n"
    (message,) = problems(write(tmp_path, text))
    assert message == (
        f"line 3 (model 'b'), column 'is_base': {fragment}; write True for a base (pretrained) "
        "checkpoint, False otherwise"
    )


def test_covariate_levels_are_checked_with_a_suggestion(tmp_path):
    text = "model,family,params,hellaswag,data_curation\na,A,1e9,0.5,web\nb,A,2e9,0.6,Web\n"
    (message,) = problems(write(tmp_path, text))
    assert message == (
        "line 3 (model 'b'), column 'data_curation': 'Web' is not one of ['web', 'mixed', "
        "'curated', 'code', 'undisclosed']. Did you mean 'web'?"
    )


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file(tmp_path, content):
    (message,) = problems(write(tmp_path, content))
    assert message.startswith("the file is empty; expected a header row")


def test_header_only_file(tmp_path):
    (message,) = problems(write(tmp_path, "model,family,params,hellaswag\n"))
    assert message == "the file has a header but no rows; add one row per model"


def test_repeated_header_names_are_an_error(tmp_path):
    text = "model,family,params,hellaswag,hellaswag\na,A,1e9,0.5,0.4\n"
    (message,) = problems(write(tmp_path, text))
    assert message.startswith(
        "line 1: the header repeats column names ('hellaswag' is column 4 and 5)"
    )


def test_non_utf8_file_names_the_line_and_byte(tmp_path):
    text = "model,family,params,hellaswag\na,A,1e9,0.5\nb\xe9,A,2e9,0.6\n".encode("latin-1")
    (message,) = problems(write(tmp_path, text))
    assert message == (
        "line 3: byte 0xe9 is not valid UTF-8; re-save the file as UTF-8 (e.g. in a "
        "spreadsheet: 'CSV UTF-8')"
    )


def test_utf16_file_is_named_as_such(tmp_path):
    (message,) = problems(write(tmp_path, GOOD.encode("utf-16")))
    assert message.startswith("the file is UTF-16")


def test_utf8_with_byte_order_mark_loads(tmp_path):
    df = load_dataset(write(tmp_path, GOOD.encode("utf-8-sig")))
    assert "model" in df.columns


def test_spreadsheet_file_is_refused_with_the_export_hint(tmp_path):
    (message,) = problems(write(tmp_path, b"PK\x03\x04", name="panel.xlsx"))
    assert "export the sheet as 'CSV UTF-8'" in message


def test_malformed_csv_is_reported_with_a_quoting_hint(tmp_path):
    (message,) = problems(write(tmp_path, 'model,family\n"a,A\n'))
    assert message.startswith("not a valid CSV file:") and "quote that field" in message


def test_unknown_dataset_name_suggests_the_close_one():
    (message,) = problems("leaderboard_v2")
    assert message.startswith(
        "no such file, and not a shipped dataset name. Did you mean 'leaderboard_v1'?"
    )
    assert "Shipped datasets: leaderboard_v1, cape63, cape63_clean" in message


def test_reference_table_loaded_as_panel_points_to_load_table():
    first, *_ = problems("frontier34")
    assert first.startswith("'frontier34' is a reference table, not a model panel")
    assert "load_table('frontier34')" in first


def test_every_problem_is_reported_at_once(tmp_path):
    text = "model,family,params,hellaswag\na,A,0,1.5\na,A,7e9,x\nb,A,8e9,0.5\nc,A,9e9,0.6\n"
    messages = problems(write(tmp_path, text))
    assert len(messages) == 4
    assert [m.split(":")[0] for m in messages] == [
        "line 3 (model 'a'), column 'hellaswag'",
        "line 2 (model 'a'), column 'params'",
        "line 2 (model 'a'), column 'hellaswag'",
        "model 'a' appears on lines 2 and 3; model ids must be unique",
    ]
