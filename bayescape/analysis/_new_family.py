"""A family the model has not seen: its description, read from TOML or CSV, and its covariates.

A :class:`NewFamily` holds what is known of the family (data curation, distillation, tokens per
parameter, width per layer, covariates given directly) and any of its models already measured.
:func:`new_family_covariates` turns it into the fit's covariates with the function that computes
the fitted families' own (:func:`bayescape.models._panel.raw_family_covariate`).
"""

from __future__ import annotations

import math
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayescape._repr import compact_repr
from bayescape.analysis._critical import UNITS
from bayescape.data import BENCHMARKS, FAMILY_COVARIATES
from bayescape.data._checks import score_problem, size_problem
from bayescape.errors import BayescapeError, unknown_names
from bayescape.inference import FitResult
from bayescape.models._panel import raw_family_covariate

FAMILY_KEYS = (
    "name",
    "data_curation",
    "distillation",
    "tokens_per_param",
    "width_per_layer",
    "d_model",
    "n_layers",
)
"""Keys of the ``[family]`` table of a new-family TOML file."""

MODEL_KEYS = ("model", "params", "tokens", "d_model", "n_layers")
"""Keys of a ``[[models]]`` entry besides benchmark scores."""

_DISTILLATION = ("yes", "partial", "no")


@dataclass(frozen=True, repr=False)
class NewFamily:
    """A family the model has not seen: its descriptors and any models already measured.

    Attributes
    ----------
    name
        A label for outputs.
    attributes
        Family-level descriptors in the dataset's own terms: ``data_curation`` (``web``,
        ``curated``, ``code``, ``mixed``, ``undisclosed``), ``distillation`` (``yes``,
        ``partial``, ``no``), ``tokens_per_param``, ``width_per_layer`` (d_model / n_layers),
        ``d_model`` and ``n_layers``.
    covariates
        Covariates given directly in natural units, by the fit's covariate names (e.g.
        ``log10_tokens_per_param = 2.3``); they override ``attributes``.
    models
        One row per known model: ``params`` and optionally ``model``, ``tokens``, ``d_model``,
        ``n_layers`` and benchmark scores (fractions, columns named after the benchmarks).
    """

    __repr__ = compact_repr

    name: str = "new family"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    covariates: Mapping[str, float] = field(default_factory=dict)
    models: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"params": []}))

    def __post_init__(self) -> None:
        # the same checks as a dataset's cells (bayescape.data._checks), and no unknown names
        for problem in (
            unknown_names(self.attributes, FAMILY_KEYS, what="family key", where="[family]"),
            unknown_names(
                self.covariates, FAMILY_COVARIATES, what="covariate", where="[covariates]"
            ),
        ):
            if problem:
                raise BayescapeError(problem)
        if len(self.models) and "params" not in self.models.columns:
            raise BayescapeError("every listed model needs its size: a 'params' column/key")
        columns = [c for c in ("params", *BENCHMARKS) if c in self.models.columns]
        for i, row in enumerate(self.models[columns].itertuples(index=False)):
            for column, value in zip(columns, row, strict=True):
                number = pd.to_numeric(value, errors="coerce")
                if column != "params" and pd.isna(value):
                    continue  # a score not measured
                check = size_problem if column == "params" else score_problem
                problem = check(float(number) if not pd.isna(number) else value)
                if problem:
                    raise BayescapeError(f"model {i + 1}, {column}: {problem}")

    def half_measured(self, reasoning: str, truthfulness: str) -> str | None:
        """A note when listed models have one of the two scores only, else None.

        Such a model is treated as unmeasured (the prediction is not conditioned on its
        score): the note says how many and why, so a missing ``truthfulqa`` column is not lost
        without a word.
        """

        def scored(bench: str) -> np.ndarray:
            if bench not in self.models.columns:
                return np.zeros(len(self.models), dtype=bool)
            return pd.to_numeric(self.models[bench], errors="coerce").notna().to_numpy()

        has_r, has_t = scored(reasoning), scored(truthfulness)
        n = int((has_r ^ has_t).sum())
        if not n:
            return None
        absent = [b for b in (reasoning, truthfulness) if b not in self.models.columns]
        why = (
            f"there is no {absent[0]} column"
            if absent
            else f"each lacks its {reasoning} or its {truthfulness} score"
        )
        return (
            f"{n} of {len(self.models)} listed model(s) have one of {reasoning} and "
            f"{truthfulness} only ({why}): they are treated as unmeasured, the prediction is "
            "not conditioned on them; give both scores to use them"
        )

    def measured(self, reasoning: str, truthfulness: str) -> pd.DataFrame:
        """The listed models with both scores: ``params``, ``reasoning``, ``truthfulness``."""
        if not {reasoning, truthfulness} <= set(self.models.columns):
            return pd.DataFrame({"params": [], "reasoning": [], "truthfulness": []})
        rows = self.models.dropna(subset=["params", reasoning, truthfulness])
        return pd.DataFrame(
            {
                "params": rows["params"].astype(float).to_numpy(),
                "reasoning": rows[reasoning].astype(float).to_numpy(),
                "truthfulness": rows[truthfulness].astype(float).to_numpy(),
            }
        )


def family_from_rows(rows: pd.DataFrame, name: str | None = None) -> NewFamily:
    """Describe a family by rows shaped like a dataset's (one per model).

    Family-level columns (``data_curation``, ``distillation``) are taken from the first row.
    Passing a fitted family's own rows reproduces that family's covariates exactly.
    """
    if name is None:
        name = str(rows["family"].iloc[0]) if "family" in rows and len(rows) else "new family"
    attributes = {}
    for key in ("data_curation", "distillation"):
        if key in rows.columns and rows[key].notna().any():
            attributes[key] = str(rows[key].dropna().iloc[0])
    keep = [c for c in rows.columns if c in MODEL_KEYS or c in BENCHMARKS]
    return NewFamily(name=name, attributes=attributes, models=rows[keep].reset_index(drop=True))


def held_out_family(
    fit: FitResult, family: str, data: pd.DataFrame | str | Path | None = None
) -> tuple[NewFamily, list[float]]:
    """A family of a dataset, described for prediction: covariates plus its smallest model.

    Only the smallest model keeps its scores (the others are blanked), so predictions at the
    other sizes are genuine: nothing measured on them enters. Returns the family and the sizes
    of its other models. Warns when the family was in the fit (not a held-out prediction).
    """
    if family in set(fit.data["family"]):
        warnings.warn(
            f"family {family!r} was in the fit: these are not held-out predictions "
            "(refit with --exclude-family)",
            stacklevel=3,
        )
    rows = fit.family_rows(family, data if not isinstance(data, Path) else str(data))
    rows = rows.sort_values("params").reset_index(drop=True)
    described = rows.copy()
    scores = [b for b in BENCHMARKS if b in described.columns]
    described.loc[1:, scores] = np.nan
    return family_from_rows(described, name=family), [float(p) for p in rows["params"].iloc[1:]]


def read_family(path: str | Path) -> NewFamily:
    """Read a new family from a TOML or CSV file.

    TOML::

        [family]
        name = "MyLM"
        data_curation = "curated"      # web, curated, code, mixed, undisclosed
        distillation = "no"            # yes, partial, no
        tokens_per_param = 200         # or tokens per model below
        width_per_layer = 128          # or d_model and n_layers

        [covariates]                   # optional: covariates in natural units, by name
        log10_tokens_per_param = 2.3

        [[models]]                     # optional: models already measured
        params = 1.0e9
        hellaswag = 0.61
        truthfulqa = 0.39

    CSV: one row per model with the dataset's column names (``family``, ``params``,
    ``tokens``, ``d_model``, ``n_layers``, ``data_curation``, ``distillation``, scores).
    """
    path = Path(path)
    if not path.exists():
        raise BayescapeError(f"{path}: no such file (a new family's .toml or .csv)")
    if path.suffix.lower() == ".csv":
        try:
            rows = pd.read_csv(path)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise BayescapeError(f"{path}: not a readable CSV: {exc}") from None
        if "family" in rows and rows["family"].nunique() > 1:
            raise BayescapeError(f"{path}: rows of several families; give one family per file")
        try:
            return family_from_rows(rows)
        except BayescapeError as exc:
            raise BayescapeError(f"{path}: {exc}") from None
    if path.suffix.lower() != ".toml":
        raise BayescapeError(f"{path}: give a .toml or .csv file describing the new family")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BayescapeError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - {"family", "covariates", "models"})
    if unknown:
        raise BayescapeError(
            f"{path}: unknown section(s) {', '.join(unknown)}; use [family], [covariates] "
            "and [[models]]"
        )
    family = dict(doc.get("family", {}))
    problem = unknown_names(family, FAMILY_KEYS, what="key", where=f"{path}: [family]")
    if problem:
        raise BayescapeError(problem)
    name = str(family.pop("name", path.stem))
    covariates = doc.get("covariates", {})
    problem = unknown_names(
        covariates, FAMILY_COVARIATES, what="covariate", where=f"{path}: [covariates]"
    )
    if problem:
        raise BayescapeError(problem)
    for key, value in covariates.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise BayescapeError(f"{path}: [covariates] {key} = {value!r} must be a number")
    models = doc.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
        raise BayescapeError(f"{path}: models must be a [[models]] array of tables")
    for i, m in enumerate(models):
        problem = unknown_names(
            m, [*MODEL_KEYS, *BENCHMARKS], what="key", where=f"{path}: [[models]] entry {i + 1}"
        )
        if problem:
            raise BayescapeError(problem)
    frame = pd.DataFrame(models) if models else pd.DataFrame({"params": []})
    try:
        return NewFamily(
            name=name,
            attributes=family,
            covariates={k: float(v) for k, v in covariates.items()},
            models=frame,
        )
    except BayescapeError as exc:
        raise BayescapeError(f"{path}: {exc}") from None


def as_family(family: NewFamily | Mapping[str, float] | None) -> NewFamily:
    """``family`` as a :class:`NewFamily` (a mapping: covariates; ``None``: a random family)."""
    if family is None:
        return NewFamily(name="random family")
    if isinstance(family, NewFamily):
        return family
    return NewFamily(covariates={k: float(v) for k, v in family.items()})


def new_family_covariates(fit: FitResult, family: NewFamily) -> tuple[dict[str, float], list[str]]:
    """The new family's covariates in natural units (``nan`` where unknown), and notes.

    Computed with the same function that computes the fitted families' covariates
    (:func:`bayescape.models._panel.raw_family_covariate`), from the family's rows with its
    family-level descriptors broadcast onto them.
    """
    panel = fit.panel
    attrs = dict(family.attributes)
    rows = family.models.copy() if len(family.models) else pd.DataFrame({"params": [1.0]})
    rows["params"] = rows["params"].astype(float)
    rows["family"] = family.name
    curation = attrs.get("data_curation")
    if curation is not None:
        known = {"web"} | {c.removeprefix("curation_") for c in UNITS if c.startswith("curation_")}
        if "data_curation" in fit.data:
            known |= {str(v) for v in fit.data["data_curation"].dropna().unique()}
        if curation not in known:
            raise BayescapeError(
                f"data_curation = {curation!r} is not a class of this fit; use one of "
                f"{', '.join(sorted(known))}"
            )
        rows["data_curation"] = curation
    if "distillation" in attrs:
        if attrs["distillation"] not in _DISTILLATION:
            raise BayescapeError(
                f"distillation = {attrs['distillation']!r}; use one of {', '.join(_DISTILLATION)}"
            )
        rows["distillation"] = attrs["distillation"]
    for key in ("tokens_per_param", "width_per_layer", "d_model", "n_layers"):
        value = attrs.get(key)
        if value is not None and (not isinstance(value, int | float) or value <= 0):
            raise BayescapeError(f"{key} = {value!r} must be a positive number")
    fill = {}
    if attrs.get("tokens_per_param") is not None:
        fill["tokens"] = rows["params"] * float(attrs["tokens_per_param"])
    if attrs.get("width_per_layer") is not None:
        fill["d_model"], fill["n_layers"] = float(attrs["width_per_layer"]), 1.0
    for key in ("d_model", "n_layers"):
        if attrs.get(key) is not None:
            fill[key] = float(attrs[key])
    for key, value in fill.items():
        rows[key] = rows[key].fillna(value) if key in rows else value
    values: dict[str, float] = {}
    notes: list[str] = []
    for name in panel.covariates:
        if name in family.covariates:
            values[name] = float(family.covariates[name])
            continue
        raw = raw_family_covariate(rows, name, np.array([family.name]))
        values[name] = float(raw[0]) if raw is not None else math.nan
    ignored = sorted(set(family.covariates) - set(panel.covariates))
    if ignored:
        notes.append(
            f"ignored covariate(s) not in this fit: {', '.join(ignored)} "
            f"(the fit uses {', '.join(panel.covariates) or 'none'})"
        )
    curation = [k for k in values if k.startswith("curation_")]
    if any(not math.isnan(values[k]) for k in curation):
        # the classes exclude each other: one known indicator makes the unknown ones 0
        values.update({k: 0.0 for k in curation if math.isnan(values[k])})
    unknown = [k for k, v in values.items() if math.isnan(v)]
    if unknown:
        notes.append(f"unknown covariate(s) drawn as a random family's: {', '.join(unknown)}")
    return values, notes


def standardised_covariates(
    fit: FitResult, family: NewFamily
) -> tuple[np.ndarray, dict[str, float], list[str]]:
    """The new family's covariates standardised as the fit's (``NaN`` where unknown).

    Returns ``z`` in ``fit.panel.covariates`` order, with the natural-unit values and the notes
    of :func:`new_family_covariates`.
    """
    panel = fit.panel
    values, notes = new_family_covariates(fit, family)
    raw = np.array([values[n] for n in panel.covariates], dtype=float)
    z = (raw - panel.z_center) / panel.z_scale if len(raw) else raw
    return z, values, notes
