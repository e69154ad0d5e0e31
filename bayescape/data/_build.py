"""Rebuild the curated datasets in ``data/`` from the raw public files.

The raw files live in ``data/raw`` of the repository (see its ``SOURCES.md``; the source
distribution carries them too); they are not needed at run time. Every correction applied here
is listed in ``data/README.md`` and recorded per row in the ``corrections`` column, so each
curated value traces back to a raw value or to a documented fix.

Run ``bayescape data build --raw data/raw --out data`` from the repository root.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from bayescape.data._schema import BENCHMARKS, CATEGORICAL_COVARIATES, item_column
from bayescape.errors import BayescapeError

# ObsScaling column -> our benchmark name
_OBS_SCORES = {
    "HellaSwag": "hellaswag",
    "TruthfulQA": "truthfulqa",
    "ARC-C": "arc",
    "Winograd": "winogrande",
    "MMLU": "mmlu",
    "GSM8K": "gsm8k",
}
_CAPE_SCORES = {
    "HS": "hellaswag",
    "TQA": "truthfulqa",
    "ARC": "arc",
    "WG": "winogrande",
    "MMLU": "mmlu",
}

# Documented corrections (SOURCES.md and architecture/README.md).
_DROP_NOT_BASE = {"RWKV/rwkv-raven-14b": "instruction-tuned (Raven), not a base model"}
_SIZE_FIX_B = {"openlm-research/open_llama_7b_v2": (13.0, 7.0)}
# Open LLM Leaderboard v1 snapshot values quoted in SOURCES.md (percent -> fraction).
_ARC_FILL = {"meta-llama/Meta-Llama-3-8B": 0.6024, "meta-llama/Meta-Llama-3-70B": 0.6877}

# Family-level covariate text -> level. First word of the text, with these synonyms.
_SYNONYMS = {"bilingual": "partial", "limited": "partial", "low-moderate": "low"}

_ARCH_COLUMNS = [
    "n_layers",
    "d_model",
    "n_heads",
    "n_kv_heads",
    "d_ffn",
    "vocab_size",
    "context_length",
    "pos_encoding",
]
_COVARIATE_COLUMNS = [*CATEGORICAL_COVARIATES, "release_year"]

# cape63_clean fixes
_CAPE_DUPLICATES = {
    "Llama3-8B": "duplicate of Llama-3-8B (second source, cape_26); the leaderboard row is kept",
    "Llama3-70B": "duplicate of Llama-3-70B (second source, cape_26); the leaderboard row is kept",
}
_CAPE_NOT_BASE = {
    "Gemma-4-E4B": "instruct checkpoint google/gemma-4-E4B-it (gemma4_results.json)",
    "Phi-3-mini-4k": "instruct checkpoint microsoft/Phi-3-mini-4k-instruct",
    "Qwen3-8B": "post-trained Qwen/Qwen3-8B",
}
_CAPE_ESTIMATED = {
    "Pythia-6.9B": "scores partly estimated (ai_free_energy_data.json metadata)",
    "Pythia-12B": "scores partly estimated (ai_free_energy_data.json metadata)",
}


def _level(text: object, column: str) -> str:
    """Map a free-text family covariate to one of its allowed levels.

    The level is the first word of the text (``"yes (46 languages)"`` -> ``"yes"``), with the
    synonyms in ``_SYNONYMS``. Texts that state different levels for different members of the
    family (``"alpha: no; stablelm-2: yes"``) become ``"partial"``; empty cells become
    ``"unknown"`` (``"undisclosed"`` for data curation).
    """
    missing = "undisclosed" if column == "data_curation" else "unknown"
    if not isinstance(text, str) or not text.strip():
        return missing
    word = text.strip().split()[0].split("(")[0].rstrip(";,").lower()
    word = _SYNONYMS.get(word, word)
    levels = CATEGORICAL_COVARIATES[column]
    if word in levels:
        return word
    if word.endswith(":"):  # per-member statement
        return "partial"
    raise ValueError(f"family_covariates.csv column {column!r}: cannot map {text!r} to {levels}")


def _year(text: object) -> float:
    """First four-digit year in a release-year cell (``"2023 (70B: 2024)"`` -> 2023)."""
    match = re.search(r"(19|20)\d\d", str(text))
    return float(match.group(0)) if match else np.nan


def _family_covariates(raw: Path) -> pd.DataFrame:
    fam = pd.read_csv(raw / "architecture" / "family_covariates.csv")
    out = pd.DataFrame({"family": fam["family"]})
    for column in CATEGORICAL_COVARIATES:
        out[column] = [_level(v, column) for v in fam[column]]
    out["release_year"] = [_year(v) for v in fam["release_year"]]
    return out.set_index("family")


def _architecture(raw: Path) -> pd.DataFrame:
    return pd.read_csv(raw / "architecture" / "architecture.csv")


_INTEGER_COLUMNS = [
    "n_layers",
    "d_model",
    "n_heads",
    "n_kv_heads",
    "d_ffn",
    "vocab_size",
    "context_length",
    "release_year",
]


def _add_items(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``items_<benchmark>`` columns and store whole-number columns as integers."""
    for col in _INTEGER_COLUMNS:
        if col in df.columns:
            df[col] = pd.to_numeric(df[col]).astype("Int64")
    for name, bench in BENCHMARKS.items():
        if name in df.columns:
            df[item_column(name)] = bench.n_items
    return df


def _join_family(df: pd.DataFrame, covariates: pd.DataFrame, family_col: str) -> pd.DataFrame:
    missing = sorted(set(df[family_col]) - set(covariates.index))
    if missing:
        raise ValueError(f"families without covariates in family_covariates.csv: {missing}")
    joined = covariates.loc[df[family_col], _COVARIATE_COLUMNS].reset_index(drop=True)
    # the model's own release year when architecture.csv has it, else the family's
    if "release_year_model" in df.columns:
        joined["release_year"] = df["release_year_model"].fillna(joined["release_year"]).values
    return pd.concat([df.reset_index(drop=True), joined], axis=1)


def build_leaderboard_v1(raw: Path) -> tuple[pd.DataFrame, list[str]]:
    """Build ``leaderboard_v1``: ObsScaling base models x v1 scores x architecture x covariates.

    Returns
    -------
    (table, log)
        The tidy table and one line per dropped row or applied correction.
    """
    obs = pd.read_csv(raw / "obsscaling" / "base_llm_benchmark_eval.csv")
    arch = _architecture(raw).set_index("model")
    log: list[str] = []
    rows = []
    for _, r in obs.iterrows():
        model = r["Model"]
        if model in _DROP_NOT_BASE:
            log.append(f"dropped {model}: {_DROP_NOT_BASE[model]}")
            continue
        a = arch.loc[model]
        fixes: list[str] = []
        size_b = float(r["Model Size (B)"])
        if model in _SIZE_FIX_B:
            old, new = _SIZE_FIX_B[model]
            if size_b != old:
                raise ValueError(
                    f"{model}: raw size is {size_b:g}B, the documented fix expects "
                    f"{old:g}B; the raw file changed, review the correction"
                )
            size_b = new
            fixes.append(f"size {old:g}B->{new:g}B (SOURCES.md)")
        is_moe = a["is_moe"] == "yes"
        total = float(a["params_total_B"]) if is_moe else size_b
        active = float(a["params_active_B"]) if is_moe else size_b
        if is_moe:
            fixes.append(
                f"MoE: listed size {size_b:g}B replaced by total {total:g}B "
                f"(active {active:g}B) from architecture.csv"
            )
        tok_obs, tok_fill = r["Pretraining Data Size (T)"], a["tokens_T_filled"]
        if pd.notna(tok_fill) and pd.notna(tok_obs):
            tokens_t, tokens_flag = float(tok_fill), "corrected"
            fixes.append(f"tokens {tok_obs:g}T->{tok_fill:g}T ({a['tokens_source']})")
        elif pd.notna(tok_fill):
            tokens_t, tokens_flag = float(tok_fill), "filled"
            fixes.append(f"tokens filled {tok_fill:g}T ({a['tokens_source']})")
        elif pd.notna(tok_obs):
            tokens_t, tokens_flag = float(tok_obs), "reported"
        else:
            tokens_t, tokens_flag = np.nan, "missing"
        row = {
            "model": model,
            "family": r["Model Family"],
            "params": total * 1e9,
            "params_total": total * 1e9,
            "params_active": active * 1e9,
            "is_moe": bool(is_moe),
            "tokens": tokens_t * 1e12,
            "tokens_flag": tokens_flag,
        }
        for col in _ARCH_COLUMNS:
            row[col] = a[col]
        for src, dst in _OBS_SCORES.items():
            row[dst] = float(r[src])
        if model in _ARC_FILL and pd.isna(r["ARC-C"]):
            row["arc"] = _ARC_FILL[model]
            fixes.append(f"arc filled {_ARC_FILL[model]} from the v1 snapshot (SOURCES.md)")
        row["is_base"] = True
        row["release_year_model"] = a["release_year"]
        row["source"] = "ObsScaling base_llm_benchmark_eval.csv; architecture.csv"
        row["corrections"] = "; ".join(fixes)
        rows.append(row)
        log.extend(f"{model}: {f}" for f in fixes)
    df = pd.DataFrame(rows)
    df = _join_family(df, _family_covariates(raw), "family").drop(columns="release_year_model")
    return _add_items(df), log


def build_cape63(raw: Path) -> pd.DataFrame:
    """Build ``cape63``: the paper's 63-row table exactly as published (scores as fractions)."""
    doc = json.loads((raw / "cape_scaling" / "base_models_consolidated.json").read_text())
    rows = []
    for m in doc["models"]:
        row = {"model": m["name"], "family": m["family"], "params": float(m["N_B"]) * 1e9}
        for src, dst in _CAPE_SCORES.items():
            value = m.get(src)
            row[dst] = np.nan if value is None else round(float(value) / 100.0, 6)
        row["paper_gamma12"] = np.nan if m.get("gamma12") is None else float(m["gamma12"])
        row["source"] = m["source"]
        rows.append(row)
    return _add_items(pd.DataFrame(rows))


def build_cape63_clean(raw: Path, cape63: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Build ``cape63_clean``: ``cape63`` after the fixes listed in the datasheet.

    Duplicates are dropped (the leaderboard copy is kept), families follow ``architecture.csv``
    (GPT-J-6B and GPT-NeoX-20B leave Pythia for GPT-Neo/J; Gemma splits into Gemma-3 and
    Gemma-4; Llama-1 is called Llama), and non-base checkpoints and estimated scores are flagged
    (``is_base``, ``estimated``) rather than removed.
    """
    arch = _architecture(raw)
    by_cape: dict[str, pd.Series] = {}
    for _, a in arch[arch["cape_name"].notna()].iterrows():
        for name in str(a["cape_name"]).split(";"):
            by_cape[name] = a
    log: list[str] = []
    rows = []
    for _, r in cape63.iterrows():
        name = r["model"]
        if name in _CAPE_DUPLICATES:
            log.append(f"dropped {name}: {_CAPE_DUPLICATES[name]}")
            continue
        a = by_cape[name]
        fixes = []
        row = r.to_dict()
        row["hf_id"] = a["model"]
        if a["family"] != r["family"]:
            fixes.append(f"family {r['family']}->{a['family']} (architecture.csv)")
            row["family"] = a["family"]
        row["is_base"] = name not in _CAPE_NOT_BASE
        if name in _CAPE_NOT_BASE:
            fixes.append(f"not a base checkpoint: {_CAPE_NOT_BASE[name]}")
        row["estimated"] = name in _CAPE_ESTIMATED
        if name in _CAPE_ESTIMATED:
            fixes.append(_CAPE_ESTIMATED[name])
        for col in _ARCH_COLUMNS:
            row[col] = a[col]
        row["release_year_model"] = a["release_year"]
        row["corrections"] = "; ".join(fixes)
        log.extend(f"{name}: {f}" for f in fixes)
        rows.append(row)
    df = pd.DataFrame(rows)
    df = _join_family(df, _family_covariates(raw), "family").drop(columns="release_year_model")
    return _add_items(df), log


def build_frontier34(raw: Path) -> pd.DataFrame:
    """Build ``frontier34``: lab, SWE-bench Verified and GPQA Diamond (fractions) per model."""
    doc = json.loads((raw / "cape_scaling" / "frontier_34models.json").read_text())
    return pd.DataFrame(
        {
            "model": m["name"],
            "lab": m["lab"],
            "swe_bench_verified": round(m["swe"] / 100.0, 6),
            "gpqa_diamond": round(m["gpqa"] / 100.0, 6),
            "subset": m["subset"],
            "paper_h": m["h"],
        }
        for m in doc["models"]
    )


def build_cape_bootstrap_points(raw: Path) -> pd.DataFrame:
    """The 14 points of the paper's N_c bootstrap, scores as fractions."""
    df = pd.read_csv(raw / "cape_scaling" / "bootstrap_points.csv")
    for col in ("hellaswag", "truthfulqa"):
        df[col] = (df[col] / 100.0).round(6)
    return df


def build_cape_pythia(raw: Path) -> pd.DataFrame:
    """The 8-model Pythia table behind the paper's r = -0.989 (``ai_free_energy_data.json``)."""
    doc = json.loads((raw / "cape_scaling" / "ai_free_energy_data.json").read_text())
    p, s = doc["pythia_models"], doc["benchmark_scores"]
    df = pd.DataFrame(
        {
            "model": [f"Pythia-{n}" for n in p["names"]],
            "family": "Pythia",
            "params": [float(v) for v in p["N"]],
            "n_layers": p["n_layers"],
            "d_model": p["d_model"],
            "n_heads": p["n_heads"],
        }
    )
    names = {
        "ARC": "arc",
        "HellaSwag": "hellaswag",
        "MMLU": "mmlu",
        "TruthfulQA": "truthfulqa",
        "WinoGrande": "winogrande",
        "GSM8K": "gsm8k",
    }
    for src, dst in names.items():
        df[dst] = [np.nan if v is None else round(v / 100.0, 6) for v in s[src]]
    return _add_items(df)


RAW_FILES = (
    "obsscaling/base_llm_benchmark_eval.csv",
    "architecture/architecture.csv",
    "architecture/family_covariates.csv",
    "cape_scaling/base_models_consolidated.json",
    "cape_scaling/frontier_34models.json",
    "cape_scaling/bootstrap_points.csv",
    "cape_scaling/ai_free_energy_data.json",
)
"""The raw files the build reads, relative to the raw folder."""


def build_all(raw: Path, out: Path) -> list[str]:
    """Write every curated dataset from ``raw`` into ``out``; return the build log."""
    raw, out = Path(raw), Path(out)
    absent = [f for f in RAW_FILES if not (raw / f).is_file()]
    if absent:
        raise BayescapeError(
            f"{raw} is not the raw data folder: {', '.join(absent)} not found. Pass the folder "
            "that holds SOURCES.md (data/raw in the repository)."
        )
    out.mkdir(parents=True, exist_ok=True)
    leaderboard, log = build_leaderboard_v1(raw)
    cape63 = build_cape63(raw)
    clean, clean_log = build_cape63_clean(raw, cape63)
    tables = {
        "leaderboard_v1": leaderboard,
        "cape63": cape63,
        "cape63_clean": clean,
        "frontier34": build_frontier34(raw),
        "cape_bootstrap_points": build_cape_bootstrap_points(raw),
        "cape_pythia": build_cape_pythia(raw),
    }
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    return log + clean_log
