"""Model layer: specifications (``models/*.toml``) and the PyMC model builders.

The critical scale is computed in :mod:`bayescape.models.phase`: ``c`` = log10 N_c per family.
"""

from __future__ import annotations

import pandas as pd
import pymc as pm

from bayescape.errors import SpecError
from bayescape.models._panel import FamilyPanel, prepare_panel
from bayescape.models._spec import ModelSpec, available_models, load_spec, parse_spec
from bayescape.models.dynamics import (
    build_dynamics_model,
    dynamics_headline_variables,
    dynamics_states,
    prepare_dynamics_panel,
)
from bayescape.models.phase import build_phase_model

KINDS: tuple[str, ...] = ("phase", "dynamics")
"""Model kinds that :func:`build_model` can build."""


def required_benchmarks(spec: ModelSpec) -> list[str]:
    """Benchmarks the model reads (every model must have them scored)."""
    model = spec.model
    if model.get("kind") == "dynamics":
        return dynamics_states(spec)
    if model.get("pooling") == "pooled":
        return [model.get("truthfulness", "truthfulqa")]
    return [model.get("reasoning", "hellaswag"), model.get("truthfulness", "truthfulqa")]


def headline_variables(spec: ModelSpec) -> list[str]:
    """Parameters whose convergence gates a fit (every N_c, mu_c, beta, tau_c, ...)."""
    model = spec.model
    if model.get("kind") == "dynamics":
        return dynamics_headline_variables()
    if model.get("pooling") == "pooled":
        return ["c_pooled", "curvature", "t_vertex"]
    if model.get("coupling") == "constant":
        return ["gamma", "gamma_mu", "gamma_sigma"]
    return ["c", "mu_c", "beta", "tau_c"]


def model_kind(spec: ModelSpec) -> str:
    """The builder a spec asks for (``[model] kind``): ``"phase"`` or ``"dynamics"``."""
    kind = spec.model.get("kind", "phase")
    if kind not in KINDS:
        raise SpecError(f"{spec.path}: [model] kind = {kind!r}; use one of {', '.join(KINDS)}")
    return kind


def build_model(df: pd.DataFrame, spec: ModelSpec) -> tuple[pm.Model, FamilyPanel]:
    """Build the PyMC model that ``spec`` names, on a validated panel ``df``.

    Returns the model and its panel (a :class:`DynamicsPanel` for ``kind = "dynamics"``).
    """
    if model_kind(spec) == "dynamics":
        dynamics_panel = prepare_dynamics_panel(df, spec)
        return build_dynamics_model(dynamics_panel, spec), dynamics_panel
    panel = prepare_panel(df, spec)
    return build_phase_model(panel, spec), panel


__all__ = [
    "FamilyPanel",
    "ModelSpec",
    "available_models",
    "build_dynamics_model",
    "build_model",
    "build_phase_model",
    "headline_variables",
    "load_spec",
    "model_kind",
    "parse_spec",
    "prepare_panel",
    "required_benchmarks",
]
