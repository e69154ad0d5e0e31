"""The shipped files hold the corrected values the datasheet (data/README.md) documents.

These read the committed CSV files directly (no validation layer in between), so they check
what users get. Tests marked ``math`` compare against the raw public files, an independent
reference (``data/raw``, the ``raw_dir`` fixture).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bayescape._resources import resource_dir
from bayescape.data import BENCHMARKS


def shipped(name: str) -> pd.DataFrame:
    return pd.read_csv(resource_dir("data") / f"{name}.csv")


@pytest.fixture(scope="module")
def leaderboard() -> pd.DataFrame:
    return shipped("leaderboard_v1").set_index("model")


@pytest.fixture(scope="module")
def cape63() -> pd.DataFrame:
    return shipped("cape63")


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return shipped("cape63_clean").set_index("model")


# --- leaderboard_v1 ---------------------------------------------------------------------------


@pytest.mark.behaviour
def test_leaderboard_has_147_base_models_in_47_families(leaderboard):
    assert len(leaderboard) == 147 and leaderboard.index.is_unique
    assert leaderboard["family"].nunique() == 47
    assert leaderboard["is_base"].all()


@pytest.mark.behaviour
def test_instruction_tuned_rwkv_raven_is_dropped(leaderboard):
    assert "RWKV/rwkv-raven-14b" not in leaderboard.index
    assert (leaderboard["family"] == "RWKV").sum() == 6


@pytest.mark.behaviour
def test_btlm_tokens_are_0_627_trillion_and_flagged_corrected(leaderboard):
    btlm = leaderboard.loc["cerebras/btlm-3b-8k-base"]
    assert btlm["tokens"] == 0.627e12
    assert btlm["tokens_flag"] == "corrected"
    assert btlm["corrections"].startswith("tokens 627T->0.627T")


@pytest.mark.behaviour
def test_open_llama_7b_v2_has_7b_parameters(leaderboard):
    row = leaderboard.loc["openlm-research/open_llama_7b_v2"]
    assert row["params"] == row["params_total"] == row["params_active"] == 7e9
    assert row["corrections"] == "size 13B->7B (SOURCES.md)"


@pytest.mark.behaviour
def test_llama3_arc_is_filled_from_the_v1_snapshot(leaderboard):
    assert leaderboard.loc["meta-llama/Meta-Llama-3-8B", "arc"] == 0.6024
    assert leaderboard.loc["meta-llama/Meta-Llama-3-70B", "arc"] == 0.6877
    # no v1 value exists for 405B: it stays missing rather than invented
    assert np.isnan(leaderboard.loc["meta-llama/Meta-Llama-3.1-405B-FP8", "arc"])
    assert leaderboard["arc"].isna().sum() == 1


MOE = {  # model: (total, active) in billions, from architecture/architecture.csv
    "mistralai/Mixtral-8x7B-v0.1": (46.7, 12.9),
    "mistralai/Mixtral-8x22B-v0.1": (141, 39),
    "Qwen/Qwen2-57B-A14B": (57, 14),
    "deepseek-ai/DeepSeek-V2": (236, 21),
    "deepseek-ai/DeepSeek-Coder-V2-Base": (236, 21),
    "deepseek-ai/deepseek-moe-16b-base": (16.4, 2.8),
    "ai21labs/Jamba-v0.1": (52, 12),
}


@pytest.mark.behaviour
def test_moe_models_carry_total_and_active_and_use_total_by_default(leaderboard):
    moe = leaderboard[leaderboard["is_moe"]]
    assert set(moe.index) == set(MOE)
    for model, (total, active) in MOE.items():
        row = leaderboard.loc[model]
        assert row["params_total"] == pytest.approx(total * 1e9, rel=1e-12)
        assert row["params_active"] == pytest.approx(active * 1e9, rel=1e-12)
        assert row["params"] == row["params_total"]
        assert "MoE: listed size" in row["corrections"]
    dense = leaderboard[~leaderboard["is_moe"]]
    assert (dense["params"] == dense["params_total"]).all()
    assert (dense["params"] == dense["params_active"]).all()


@pytest.mark.behaviour
def test_tokens_flag_values_and_counts(leaderboard):
    counts = leaderboard["tokens_flag"].value_counts().to_dict()
    assert counts == {"reported": 119, "missing": 14, "filled": 10, "corrected": 4}
    flags = leaderboard["tokens_flag"]
    assert leaderboard.loc[flags == "missing", "tokens"].isna().all()
    assert leaderboard.loc[flags != "missing", "tokens"].notna().all()
    corrected = {
        "cerebras/btlm-3b-8k-base": 0.627e12,
        "google/gemma-2b": 3e12,
        "stabilityai/stablelm-base-alpha-3b": 0.8e12,
        "stabilityai/stablelm-base-alpha-7b": 0.8e12,
    }
    assert leaderboard.loc[flags == "corrected", "tokens"].to_dict() == corrected
    filled = leaderboard[flags == "filled"]
    assert sorted(filled["family"].unique()) == ["Qwen2", "RWKV"]
    assert leaderboard.loc["Qwen/Qwen2-0.5B", "tokens"] == 12e12


@pytest.mark.behaviour
@pytest.mark.parametrize("name", ["leaderboard_v1", "cape63", "cape63_clean", "cape_pythia"])
def test_item_counts_are_the_benchmark_sizes(name):
    df = shipped(name)
    expected = {
        "hellaswag": 10_042,
        "truthfulqa": 817,
        "arc": 1_172,
        "winogrande": 1_267,
        "mmlu": 14_042,
        "gsm8k": 1_319,
    }
    for bench, n in expected.items():
        assert BENCHMARKS[bench].n_items == n
        if bench in df.columns:
            assert (df[f"items_{bench}"] == n).all(), bench


@pytest.mark.math
def test_binomial_sampling_error_follows_from_the_item_counts(leaderboard):
    # sd of a score p over n items is sqrt(p (1 - p) / n); at p = 0.5 on TruthfulQA, 1.75 points
    n = leaderboard["items_truthfulqa"].iloc[0]
    assert np.sqrt(0.25 / n) == pytest.approx(0.017493, abs=1e-6)


@pytest.mark.behaviour
def test_scores_are_fractions(leaderboard):
    scores = leaderboard[list(BENCHMARKS)]
    assert ((scores >= 0) & (scores <= 1) | scores.isna()).all().all()


@pytest.mark.behaviour
def test_rows_with_corrections_are_exactly_the_documented_ones(leaderboard):
    fixed = leaderboard.index[leaderboard["corrections"].notna()]
    # 2 ARC fills + 1 size fix + 7 MoE + 10 token fills + 4 token fixes on 23 rows: Qwen2-57B-A14B
    # has two (MoE and tokens)
    assert len(fixed) == 23
    kinds = leaderboard["corrections"].dropna()
    assert kinds.str.contains("arc filled").sum() == 2
    assert kinds.str.contains("size 13B->7B").sum() == 1
    assert kinds.str.contains("MoE: listed size").sum() == 7
    assert kinds.str.contains("tokens filled").sum() == 10
    assert kinds.str.contains(r"tokens [\d.]+T->").sum() == 4


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("family", "column", "level"),
    [
        ("DeepSeek-LLM", "multilingual", "partial"),  # "bilingual (en/zh)"
        ("Falcon", "multilingual", "partial"),  # "limited (...)"
        ("Mistral", "multilingual", "partial"),  # "Mistral-7B: no; Nemo: yes ..."
        ("StableLM", "multi_epoch", "partial"),  # "stablelm-2: yes (2 epochs)"
        ("OLMo", "multi_epoch", "partial"),  # "OLMo-7B-0424: config max_duration 2ep"
        ("BLOOM", "code_heavy", "low"),  # "low-moderate"
        ("BLOOM", "multilingual", "yes"),
        ("Gemma-2", "distillation", "partial"),
        ("StableLM", "data_curation", "web"),  # first word of "web (alpha...); mixed (...)"
        ("Jamba", "data_curation", "undisclosed"),
    ],
)
def test_family_covariate_levels(leaderboard, family, column, level):
    assert set(leaderboard.loc[leaderboard["family"] == family, column]) == {level}


@pytest.mark.behaviour
def test_model_release_year_overrides_the_family_year(leaderboard):
    assert leaderboard.loc["codellama/CodeLlama-70b-hf", "release_year"] == 2024
    assert leaderboard.loc["codellama/CodeLlama-7b-hf", "release_year"] == 2023
    assert leaderboard.loc["mistralai/Mistral-Nemo-Base-2407", "release_year"] == 2024


@pytest.mark.math
def test_leaderboard_scores_equal_the_raw_obsscaling_values(leaderboard, raw_dir):
    raw = pd.read_csv(raw_dir / "obsscaling" / "base_llm_benchmark_eval.csv").set_index("Model")
    raw = raw.drop(index="RWKV/rwkv-raven-14b")
    names = {
        "HellaSwag": "hellaswag",
        "TruthfulQA": "truthfulqa",
        "ARC-C": "arc",
        "Winograd": "winogrande",
        "MMLU": "mmlu",
        "GSM8K": "gsm8k",
    }
    ours = leaderboard.loc[raw.index, list(names.values())]
    theirs = raw[list(names)].rename(columns=names)
    filled = theirs["arc"].isna() & ours["arc"].notna()
    assert set(theirs.index[filled]) == {
        "meta-llama/Meta-Llama-3-8B",
        "meta-llama/Meta-Llama-3-70B",
    }
    theirs.loc[filled, "arc"] = ours.loc[filled, "arc"]
    pd.testing.assert_frame_equal(ours, theirs, check_names=False)
    assert list(leaderboard.index) == list(raw.index)  # raw row order kept


@pytest.mark.math
def test_uncorrected_sizes_equal_the_raw_nominal_sizes(leaderboard, raw_dir):
    raw = pd.read_csv(raw_dir / "obsscaling" / "base_llm_benchmark_eval.csv").set_index("Model")
    plain = leaderboard[~leaderboard["corrections"].fillna("").str.contains("size|MoE")]
    np.testing.assert_array_equal(plain["params"], raw.loc[plain.index, "Model Size (B)"] * 1e9)


# --- cape63 and cape63_clean ------------------------------------------------------------------


@pytest.mark.behaviour
def test_cape63_is_the_published_table(cape63):
    assert len(cape63) == 63 and cape63["family"].nunique() == 16
    assert (cape63["family"] == "Pythia").sum() == 10  # GPT-J and GPT-NeoX filed under Pythia
    assert cape63["model"].str.fullmatch(r"Llama-?3-(8|70)B").sum() == 4  # duplicates kept
    assert "corrections" not in cape63.columns


@pytest.mark.math
def test_cape63_values_equal_the_raw_json_divided_by_100(cape63, raw_dir):
    models = json.loads((raw_dir / "cape_scaling" / "base_models_consolidated.json").read_text())
    models = models["models"]
    assert list(cape63["model"]) == [m["name"] for m in models]
    assert list(cape63["family"]) == [m["family"] for m in models]
    for key, column in {
        "HS": "hellaswag",
        "TQA": "truthfulqa",
        "ARC": "arc",
        "WG": "winogrande",
        "MMLU": "mmlu",
    }.items():
        raw = np.array([np.nan if m.get(key) is None else m[key] / 100 for m in models])
        np.testing.assert_allclose(cape63[column], raw, rtol=0, atol=5e-7)
    np.testing.assert_allclose(cape63["params"], [m["N_B"] * 1e9 for m in models])


@pytest.mark.math
def test_cape63_gamma12_is_the_consecutive_slope_within_a_family(cape63):
    # the paper's gamma12 = delta TruthfulQA / delta HellaSwag against the previous row of the
    # same family (verified for every row but Llama3-70B, which the paper sets to 0)
    for _, group in cape63.groupby("family", sort=False):
        slope = group["truthfulqa"].diff() / group["hellaswag"].diff()
        assert np.isnan(group["paper_gamma12"].iloc[0])
        check = group.iloc[1:][group["model"].iloc[1:] != "Llama3-70B"]
        np.testing.assert_allclose(check["paper_gamma12"], slope.loc[check.index], rtol=1e-3)


@pytest.mark.behaviour
def test_cape63_clean_drops_the_two_llama3_duplicates(clean):
    assert len(clean) == 61
    assert "Llama3-8B" not in clean.index and "Llama3-70B" not in clean.index
    assert clean.loc["Llama-3-8B", "source"] == "leaderboard"
    assert clean.loc["Llama-3-70B", "arc"] == 0.6877


@pytest.mark.behaviour
def test_cape63_clean_moves_gpt_j_and_neox_out_of_pythia(clean):
    assert clean.loc["GPT-J-6B", "family"] == "GPT-Neo/J"
    assert clean.loc["GPT-NeoX-20B", "family"] == "GPT-Neo/J"
    assert (clean["family"] == "Pythia").sum() == 8
    assert clean.loc["GPT-J-6B", "corrections"] == "family Pythia->GPT-Neo/J (architecture.csv)"


@pytest.mark.behaviour
def test_cape63_clean_flags_non_base_and_estimated_rows(clean):
    assert set(clean.index[~clean["is_base"]]) == {"Gemma-4-E4B", "Phi-3-mini-4k", "Qwen3-8B"}
    assert set(clean.index[clean["estimated"]]) == {"Pythia-6.9B", "Pythia-12B"}
    assert clean.loc["Gemma-4-E4B", "hf_id"] == "google/gemma-4-E4B-it"


@pytest.mark.behaviour
def test_cape63_clean_family_renames(clean):
    assert clean["family"].nunique() == 18
    assert set(clean.loc[["Llama1-7B", "Llama1-13B", "Llama1-65B"], "family"]) == {"Llama"}
    assert clean.loc["Gemma-3-4B", "family"] == "Gemma-3"
    assert clean.loc["Gemma-4-E4B", "family"] == "Gemma-4"
    assert clean.loc["Phi-3-mini-4k", "family"] == "Phi-3"


@pytest.mark.behaviour
def test_cape63_clean_keeps_the_published_scores(cape63, clean):
    published = cape63.set_index("model").loc[clean.index]
    for column in BENCHMARKS:
        if column in clean.columns:
            pd.testing.assert_series_equal(clean[column], published[column])


# --- reference tables -------------------------------------------------------------------------


@pytest.mark.behaviour
def test_frontier34():
    df = shipped("frontier34")
    assert len(df) == 34 and df["lab"].nunique() == 10
    assert df["subset"].value_counts().to_dict() == {"Core": 23, "Extended": 11}
    assert df["swe_bench_verified"].between(0, 1).all() and df["gpqa_diamond"].between(0, 1).all()


@pytest.mark.math
def test_frontier34_paper_h_is_the_residual_in_points_of_the_published_fit():
    df = shipped("frontier34")
    # the paper's regression, GPQA = 0.513 * SWE + 46.4 (points), leaves h as the residual
    residual = 100 * df["gpqa_diamond"] - (0.5131 * 100 * df["swe_bench_verified"] + 46.4)
    np.testing.assert_allclose(df["paper_h"], residual, atol=0.15)


@pytest.mark.behaviour
def test_cape_bootstrap_points_and_pythia_tables():
    points = shipped("cape_bootstrap_points")
    assert len(points) == 14
    assert points["family"].value_counts().to_dict() == {"Pythia": 8, "Llama-1": 3, "Llama-2": 3}
    assert points.loc[points["model"] == "70m", "truthfulqa"].item() == 0.4764
    pythia = shipped("cape_pythia")
    assert len(pythia) == 8
    assert pythia.loc[pythia["model"] == "Pythia-70M", "truthfulqa"].item() == 0.471
    assert pythia["gsm8k"].isna().sum() == 2
