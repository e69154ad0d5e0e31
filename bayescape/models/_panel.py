"""Arrays a family model needs, prepared once from a validated panel and a specification."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayescape._repr import compact_repr
from bayescape.data import IgnoredInputWarning, item_column
from bayescape.models._spec import ModelSpec

_CURATION_PREFIX = "curation_"
_DISTILLATION_LEVELS = {"yes": 1.0, "partial": 0.5, "no": 0.0}


@dataclass(frozen=True, repr=False)
class FamilyPanel:
    """Observed scores of every model, indexed by family, plus family covariates.

    Attributes
    ----------
    models, families
        Model ids (length n) and family names (length F).
    family_index
        Family of each model (integers into ``families``).
    x
        log10 parameter count of each model.
    reasoning, truthfulness
        Observed scores (fractions) and their item counts ``n_reasoning``, ``n_truthfulness``.
    anchor
        Median ``x`` of each family, where family intercepts are defined.
    x_min, x_max
        Smallest and largest observed ``x`` per family.
    covariates
        Covariate names (after dropping those the data cannot inform).
    z
        Family covariates, centred and scaled (F x K); ``NaN`` where missing.
    z_center, z_scale
        What was subtracted and divided, to report effects per natural unit.
    dropped_covariates
        ``(name, reason)`` for covariates the data could not inform.
    """

    __repr__ = compact_repr

    models: np.ndarray
    families: np.ndarray
    family_index: np.ndarray
    x: np.ndarray
    reasoning: np.ndarray
    truthfulness: np.ndarray
    n_reasoning: np.ndarray
    n_truthfulness: np.ndarray
    anchor: np.ndarray
    x_min: np.ndarray
    x_max: np.ndarray
    covariates: list[str]
    z: np.ndarray
    z_center: np.ndarray
    z_scale: np.ndarray
    dropped_covariates: list[tuple[str, str]]
    reasoning_benchmark: str
    truthfulness_benchmark: str

    @property
    def n_families(self) -> int:
        """Number of families."""
        return len(self.families)

    @property
    def missing(self) -> np.ndarray:
        """Boolean mask of missing covariate values (F x K)."""
        return np.isnan(self.z)


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    """A column as floats, or NaN when absent (models that do not read it, e.g. ``quadratic``)."""
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return df[name].to_numpy(dtype=float)


def _family_mean(df: pd.DataFrame, values: pd.Series, families: np.ndarray) -> np.ndarray:
    return values.groupby(df["family"]).mean().reindex(families).to_numpy(dtype=float)


def raw_family_covariate(df: pd.DataFrame, name: str, families: np.ndarray) -> np.ndarray | None:
    """One covariate per family in natural units; ``None`` when the data lack its column.

    ``curation_<class>`` is 1 for families of that data-curation class, else 0 (web families
    are the reference). ``log10_tokens_per_param`` and ``log2_width_per_layer`` are family
    means of log10(tokens / params) and log2(d_model / n_layers) over models where known.
    ``distillation`` is 1 (yes), 0.5 (partial), 0 (no), missing when unknown.
    """
    if name.startswith(_CURATION_PREFIX):
        if "data_curation" not in df.columns:
            return None
        level = name[len(_CURATION_PREFIX) :]
        curation = df.groupby("family")["data_curation"].first().reindex(families)
        return np.where(curation.isna(), np.nan, (curation == level).astype(float))
    if name == "log10_tokens_per_param":
        if "tokens" not in df.columns:
            return None
        return _family_mean(df, np.log10(df["tokens"] / df["params"]), families)
    if name == "log2_width_per_layer":
        if not {"d_model", "n_layers"} <= set(df.columns):
            return None
        ratio = df["d_model"].astype(float) / df["n_layers"].astype(float)
        return _family_mean(df, np.log2(ratio), families)
    if name == "distillation":
        if "distillation" not in df.columns:
            return None
        level = df.groupby("family")["distillation"].first().reindex(families)
        return level.map(_DISTILLATION_LEVELS).to_numpy(dtype=float)
    raise ValueError(f"unknown covariate {name!r}")


def prepare_panel(df: pd.DataFrame, spec: ModelSpec) -> FamilyPanel:
    """Turn a validated panel into the arrays of :class:`FamilyPanel`.

    Covariates that the data cannot inform (column absent, or the same value for every family)
    are dropped with an :class:`~bayescape.errors.IgnoredInputWarning` naming them and the reason.
    """
    reasoning = spec.model.get("reasoning", "hellaswag")
    truthfulness = spec.model.get("truthfulness", "truthfulqa")
    families, family_index = np.unique(df["family"].to_numpy(dtype=str), return_inverse=True)
    x = np.log10(df["params"].to_numpy(dtype=float))
    grouped = pd.Series(x).groupby(family_index)

    names, columns, dropped = [], [], []
    for name in spec.covariates:
        raw = raw_family_covariate(df, name, families)
        if raw is None:
            dropped.append((name, "the data have no column to compute it from"))
            continue
        known = raw[~np.isnan(raw)]
        if len(known) < 2 or np.std(known) == 0:
            dropped.append((name, "it takes the same value in every family with data"))
            continue
        names.append(name)
        columns.append(raw)
    if dropped:
        warnings.warn(
            "covariates dropped: " + "; ".join(f"{n} ({why})" for n, why in dropped),
            IgnoredInputWarning,
            stacklevel=2,
        )
    raw_z = np.column_stack(columns) if columns else np.zeros((len(families), 0))
    center = np.nanmean(raw_z, axis=0) if columns else np.zeros(0)
    scale = np.nanstd(raw_z, axis=0) if columns else np.ones(0)
    return FamilyPanel(
        models=df["model"].to_numpy(dtype=str),
        families=families,
        family_index=family_index.astype(np.int64),
        x=x,
        reasoning=_column(df, reasoning),
        truthfulness=df[truthfulness].to_numpy(dtype=float),
        n_reasoning=_column(df, item_column(reasoning)),
        n_truthfulness=df[item_column(truthfulness)].to_numpy(dtype=float),
        anchor=grouped.median().to_numpy(),
        x_min=grouped.min().to_numpy(),
        x_max=grouped.max().to_numpy(),
        covariates=names,
        z=(raw_z - center) / scale,
        z_center=center,
        z_scale=scale,
        dropped_covariates=dropped,
        reasoning_benchmark=reasoning,
        truthfulness_benchmark=truthfulness,
    )
