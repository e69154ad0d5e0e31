"""Model layer: specifications (``models/*.toml``), the kinds of model and their PyMC builders.

Every spec names one kind of model (:func:`model_kind`): the running-coupling phase model, the
constant-coupling (no transition) phase model, the pooled quadratic, or the sparse dynamics
model. The kind says what the model reads, builds and reports; the critical scale is computed
in :mod:`bayescape.models.phase`: ``c`` = log10 N_c per family.
"""

from __future__ import annotations

import pandas as pd
import pymc as pm

from bayescape.errors import SpecError
from bayescape.models._kinds import (
    KINDS,
    ConstantCoupling,
    Dynamics,
    FamilyCurveKind,
    ModelKind,
    PooledQuadratic,
    RunningCoupling,
    model_kind,
    register_kind,
)
from bayescape.models._panel import FamilyPanel, prepare_panel
from bayescape.models._spec import ModelSpec, available_models, load_spec, parse_spec
from bayescape.models.dynamics import DynamicsPanel, build_dynamics_model


def required_benchmarks(spec: ModelSpec) -> list[str]:
    """Benchmarks the model reads (every model must have them scored)."""
    return model_kind(spec).benchmarks(spec)


def headline_variables(spec: ModelSpec) -> list[str]:
    """Parameters whose convergence gates a fit (every N_c, mu_c, beta, tau_c, ...)."""
    return model_kind(spec).headline_variables(spec)


def build_model(df: pd.DataFrame, spec: ModelSpec) -> tuple[pm.Model, FamilyPanel | DynamicsPanel]:
    """Build the PyMC model that ``spec`` names, on a validated panel ``df``.

    Returns the model and its panel (a :class:`DynamicsPanel` for ``kind = "dynamics"``).
    """
    kind = model_kind(spec)
    panel = kind.prepare_panel(df, spec)
    return kind.build(panel, spec), panel


def build_phase_model(panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
    """Build the phase model named by ``spec``: its kind's builder (running, constant, pooled).

    ``panel`` comes from :func:`prepare_panel`. The critical scale of the result is the
    deterministic ``c`` (log10 N_c per family), or ``c_pooled`` for the pooled variant.

    Raises
    ------
    SpecError
        When ``spec`` names no phase model (a dynamics spec, or no kind at all).
    """
    kind = model_kind(spec)
    if not kind.score_curves:
        raise SpecError(f"{spec.path}: a {kind.description} is not a phase model")
    return kind.build(panel, spec)


__all__ = [
    "KINDS",
    "ConstantCoupling",
    "Dynamics",
    "FamilyCurveKind",
    "FamilyPanel",
    "ModelKind",
    "ModelSpec",
    "PooledQuadratic",
    "RunningCoupling",
    "available_models",
    "build_dynamics_model",
    "build_model",
    "build_phase_model",
    "headline_variables",
    "load_spec",
    "model_kind",
    "parse_spec",
    "prepare_panel",
    "register_kind",
    "required_benchmarks",
]
