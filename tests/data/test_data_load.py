"""load_dataset contracts: exclusions, column mapping, MoE sizes, Parquet, xarray, tables."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayescape.data import (
    BENCHMARKS,
    PANELS,
    TABLES,
    DataWarning,
    data_hash,
    item_column,
    load_dataset,
    load_table,
    to_xarray,
)
from bayescape.errors import DataValidationError

pytestmark = pytest.mark.behaviour

THEIRS = """\
Name,Fam,Size,HS,TQA
a-1b,A,1e9,0.50,0.40
a-7b,A,7e9,0.70,0.35
b-1b,B,1e9,0.45,0.42
b-3b,B,3e9,0.55,0.41
"""
MAPPING = {
    "Name": "model",
    "Fam": "family",
    "Size": "params",
    "HS": "hellaswag",
    "TQA": "truthfulqa",
}


def quiet_load(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return load_dataset(*args, **kwargs)


@pytest.fixture
def theirs(tmp_path) -> Path:
    path = tmp_path / "theirs.csv"
    path.write_text(THEIRS, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(PANELS))
def test_every_shipped_panel_loads_and_validates(name):
    df = quiet_load(name, base_only=False)
    assert df.attrs["source"] == name
    assert df["model"].is_unique
    assert df.attrs["data_hash"] == data_hash(df)


def test_default_dataset_is_leaderboard_v1_with_147_models_in_47_families():
    df = quiet_load()
    assert df.attrs["source"] == "leaderboard_v1"
    assert (len(df), df["family"].nunique()) == (147, 47)


def test_rows_are_sorted_by_family_then_size():
    df = quiet_load("leaderboard_v1")
    for _, group in df.groupby("family"):
        assert group["params"].is_monotonic_increasing
    assert df["family"].is_monotonic_increasing


def test_non_base_rows_are_excluded_and_reported():
    with pytest.warns(DataWarning) as caught:
        df = load_dataset("cape63_clean")
    excluded = dict(df.attrs["excluded"])
    assert excluded == {
        "Gemma-4-E4B": "not a base checkpoint (is_base=False)",
        "Phi-3-mini-4k": "not a base checkpoint (is_base=False)",
        "Qwen3-8B": "not a base checkpoint (is_base=False)",
    }
    assert len(df) == 58 and not set(excluded) & set(df["model"])
    messages = [str(w.message) for w in caught]
    assert (
        "cape63_clean: excluded 3 row(s) (not a base checkpoint (is_base=False): "
        "'Gemma-4-E4B', 'Phi-3-mini-4k', 'Qwen3-8B')" in messages
    )
    assert len(quiet_load("cape63_clean", base_only=False)) == 61


def test_excluded_families_are_reported_and_gone():
    df = quiet_load("leaderboard_v1", exclude_families=["Pythia", "OPT"])
    assert not df["family"].isin(["Pythia", "OPT"]).any()
    reasons = {reason for _, reason in df.attrs["excluded"]}
    assert reasons == {"family 'Pythia' excluded", "family 'OPT' excluded"}
    full = quiet_load("leaderboard_v1")
    assert len(df) + len(df.attrs["excluded"]) == len(full)


def test_a_single_family_name_is_not_split_into_letters():
    df = quiet_load("leaderboard_v1", exclude_families="Pythia")
    assert "Pythia" not in set(df["family"]) and len(df.attrs["excluded"]) > 1


def test_unknown_excluded_family_is_an_error():
    with pytest.raises(
        DataValidationError, match=r"exclude_families names unknown families \['Pythai'\]"
    ):
        quiet_load("leaderboard_v1", exclude_families=["Pythai"])


def test_excluding_everything_is_an_error_not_an_empty_table():
    with pytest.raises(DataValidationError, match="no models left: excluded 8 row"):
        quiet_load("cape_pythia", exclude_families=["Pythia"])


def test_exclusion_that_leaves_a_family_with_one_model_warns():
    # cape63_clean's Gemma-3 and Gemma-4 each have one model; base_only drops Gemma-4-E4B
    df = quiet_load("cape63_clean")
    assert "Gemma-4" not in df.attrs["warnings"][0]
    assert "Gemma-3" in df.attrs["warnings"][0]


def test_column_mapping_renames_their_columns_to_ours(theirs):
    df = quiet_load(theirs, columns=MAPPING)
    assert {"model", "family", "params", "hellaswag", "truthfulqa"} <= set(df.columns)
    assert df.set_index("model").loc["a-7b", "hellaswag"] == 0.70


def test_column_mapping_of_absent_column_is_an_error(theirs):
    with pytest.raises(DataValidationError) as info:
        load_dataset(theirs, columns={**MAPPING, "Nope": "arc"})
    assert "maps column(s) ['Nope'] that the file does not have" in info.value.problems[0]


def test_column_mapping_onto_an_existing_column_is_an_error(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("model,family,params,hellaswag,HS\na,A,1e9,0.5,0.5\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_dataset(path, columns={"HS": "hellaswag"})
    assert "but the file already has a column 'hellaswag'" in info.value.problems[0]


def test_two_columns_mapped_to_one_name_is_an_error(theirs):
    with pytest.raises(DataValidationError, match=r"maps \['HS', 'TQA'\] all to 'hellaswag'"):
        load_dataset(theirs, columns={**MAPPING, "TQA": "hellaswag"})


def test_item_counts_are_added_when_absent(theirs):
    df = quiet_load(theirs, columns=MAPPING)
    assert (df[item_column("hellaswag")] == 10_042).all()
    assert (df[item_column("truthfulqa")] == 817).all()
    assert item_column("arc") not in df.columns


def test_moe_params_total_is_the_default_and_active_swaps_in_active_counts():
    total = quiet_load("leaderboard_v1").set_index("model")
    active = quiet_load("leaderboard_v1", moe_params="active").set_index("model")
    assert total.loc["mistralai/Mixtral-8x22B-v0.1", "params"] == 141e9
    assert active.loc["mistralai/Mixtral-8x22B-v0.1", "params"] == 39e9
    assert active.loc["deepseek-ai/deepseek-moe-16b-base", "params"] == 2.8e9
    dense = ~total["is_moe"]
    assert (
        active.loc[dense.index[dense], "params"] == total.loc[dense.index[dense], "params"]
    ).all()
    moe = total.index[total["is_moe"]]
    assert (active.loc[moe, "params"] < total.loc[moe, "params"]).all()


def test_moe_params_active_needs_the_column(theirs):
    with pytest.raises(DataValidationError, match="needs a 'params_active' column"):
        quiet_load(theirs, columns=MAPPING, moe_params="active")


def test_moe_params_rejects_other_values():
    with pytest.raises(DataValidationError, match="moe_params must be 'total' or 'active'"):
        load_dataset("leaderboard_v1", moe_params="activ")


def test_parquet_input_loads_like_csv(tmp_path, theirs):
    csv_df = quiet_load(theirs, columns=MAPPING)
    path = tmp_path / "panel.parquet"
    pd.read_csv(theirs).to_parquet(path)
    parquet_df = quiet_load(path, columns=MAPPING)
    pd.testing.assert_frame_equal(parquet_df, csv_df, check_dtype=False)
    assert parquet_df.attrs["source"] == str(path)


def test_parquet_errors_name_the_row_counting_from_one(tmp_path):
    path = tmp_path / "bad.parquet"
    pd.DataFrame({"model": ["a", "b"], "family": "A", "params": [1e9, 0.0], "arc": 0.5}).to_parquet(
        path
    )
    with pytest.raises(DataValidationError) as info:
        load_dataset(path)
    assert info.value.problems == [
        "row 2 (model 'b'), column 'params': 0 is not positive; give the parameter count (e.g. 7e9)"
    ]


def test_empty_parquet_is_an_error(tmp_path):
    path = tmp_path / "empty.parquet"
    pd.DataFrame({"model": [], "family": [], "params": [], "arc": []}).to_parquet(path)
    with pytest.raises(DataValidationError, match="the Parquet table has no rows"):
        load_dataset(path)


def test_data_hash_changes_with_the_data_and_only_with_it():
    df = quiet_load("leaderboard_v1")
    again = quiet_load("leaderboard_v1")
    assert data_hash(df) == data_hash(again)
    again.loc[0, "hellaswag"] += 1e-9
    assert data_hash(df) != data_hash(again)


def test_to_xarray_has_model_and_family_coordinates_and_matching_values():
    df = quiet_load("leaderboard_v1")
    ds = to_xarray(df)
    assert ds.sizes == {"model": 147, "benchmark": 6}
    assert list(ds["benchmark"].values) == list(BENCHMARKS)
    assert list(ds["family"].values) == list(df["family"])
    np.testing.assert_array_equal(ds["score"].sel(benchmark="arc").values, df["arc"].to_numpy())
    np.testing.assert_array_equal(ds["items"].sel(benchmark="mmlu").values, 14_042)
    np.testing.assert_allclose(ds["log10_params"].values, np.log10(df["params"].to_numpy()))
    assert ds.attrs == {"source": "leaderboard_v1", "data_hash": df.attrs["data_hash"]}


@pytest.mark.parametrize(
    ("name", "rows"), [("frontier34", 34), ("cape_bootstrap_points", 14), ("cape_pythia", 8)]
)
def test_reference_tables_load(name, rows):
    assert name in TABLES
    assert len(load_table(name)) == rows


def test_load_table_refuses_panels_and_suggests_close_names():
    with pytest.raises(
        DataValidationError, match="'cape63' is a model panel, not a reference table"
    ):
        load_table("cape63")
    with pytest.raises(DataValidationError, match="Did you mean 'frontier34'"):
        load_table("frontier")


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataValidationError, match="is a folder"):
        load_dataset(tmp_path)
