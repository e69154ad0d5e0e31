"""Column names, benchmark facts and the tidy schema shared by every dataset.

One row per model. Scores are fractions in [0, 1]; sizes are parameter counts (not billions).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    """One benchmark column: its name, evaluation items and chance-level floor.

    Attributes
    ----------
    name
        Column name in every dataset (lower case).
    label
        Name for people (tables, figures).
    n_items
        Number of evaluation items. The binomial sampling standard deviation of a score
        :math:`p` is :math:`\\sqrt{p (1 - p) / n}`.
    floor
        Near-chance score (ObsScaling/sloth ``lower_bounds.csv``), the lower asymptote of a
        sigmoid link.
    setting
        The Open LLM Leaderboard v1 protocol behind the score.
    """

    name: str
    label: str
    n_items: int
    floor: float
    setting: str


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("hellaswag", "HellaSwag", 10_042, 0.2491432, "10-shot acc_norm"),
        Benchmark("truthfulqa", "TruthfulQA", 817, 0.317364, "0-shot MC2"),
        Benchmark("arc", "ARC-Challenge", 1_172, 0.2048, "25-shot acc_norm"),
        Benchmark("winogrande", "Winogrande", 1_267, 0.4791, "5-shot acc"),
        Benchmark("mmlu", "MMLU", 14_042, 0.2303, "5-shot acc, mean of 57 subjects"),
        Benchmark("gsm8k", "GSM8K", 1_319, 0.0, "5-shot exact match (strict)"),
    )
}
"""The six Open LLM Leaderboard v1 benchmarks, keyed by column name."""

BENCHMARK_NAMES: tuple[str, ...] = tuple(BENCHMARKS)

BENCHMARK_ALIASES: dict[str, str] = {
    "hs": "hellaswag",
    "tqa": "truthfulqa",
    "truthfulqa_mc2": "truthfulqa",
    "arc-c": "arc",
    "arc_c": "arc",
    "arc_challenge": "arc",
    "arc-challenge": "arc",
    "wg": "winogrande",
    "winograd": "winogrande",
}
"""Lower-cased column names other tables use for our benchmarks (ObsScaling: ``ARC-C``,
``Winograd``; the CAPE paper: ``HS``, ``TQA``, ``WG``). Validation suggests the mapping; it
never renames on its own."""

ITEM_COLUMN_PREFIX = "items_"
"""``items_<benchmark>`` holds the number of evaluation items behind a score."""

REQUIRED_COLUMNS: tuple[str, ...] = ("model", "family", "params")
"""Columns every dataset must have (plus at least one benchmark score column)."""

CATEGORICAL_COVARIATES: dict[str, tuple[str, ...]] = {
    "data_curation": ("web", "mixed", "curated", "code", "undisclosed"),
    "distillation": ("yes", "partial", "no", "unknown"),
    "multilingual": ("yes", "partial", "no", "unknown"),
    "code_heavy": ("yes", "moderate", "low", "no", "unknown"),
    "multi_epoch": ("yes", "partial", "no", "unknown"),
}
"""Family-level categorical covariates and their allowed levels."""

FAMILY_COVARIATES: tuple[str, ...] = (
    *(f"curation_{level}" for level in CATEGORICAL_COVARIATES["data_curation"] if level != "web"),
    "log10_tokens_per_param",
    "log2_width_per_layer",
    "distillation",
)
"""Covariates of log10 N_c a model spec may name (``[covariates] names``): an indicator per
data-curation class against web-trained families, the family means of log10(tokens / params)
and log2(d_model / n_layers), and distillation (1 yes, 0.5 partial, 0 no)."""

NUMERIC_COLUMNS: tuple[str, ...] = (
    "params",
    "params_total",
    "params_active",
    "tokens",
    "n_layers",
    "d_model",
    "n_heads",
    "n_kv_heads",
    "d_ffn",
    "vocab_size",
    "context_length",
    "release_year",
)
"""Optional numeric columns (validated as numbers when present)."""


def item_column(benchmark: str) -> str:
    """Return the name of the column holding the item count of ``benchmark``."""
    return f"{ITEM_COLUMN_PREFIX}{benchmark}"
