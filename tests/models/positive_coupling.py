"""A test-only model variant: the worked example of docs/architecture.md.

The coupling keeps one positive sign at every scale: truthfulness gains with reasoning and never
pays a tax, :math:`T_f(x) = t_f + \\gamma_f (R_f(x) - R_f(m_f))` with :math:`\\gamma_f > 0`
log-normal. It is the constant-coupling model with the sign of the running one, so it reuses
both: the shared family curves (:func:`~bayescape.models.phase.build_family_curves_model`) and
the constant coupling's curve and predictions (:class:`~bayescape.models.ConstantCoupling`).
Its spec is ``tests/models/data/phase_positive.toml`` (``coupling = "positive"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pymc as pm
import pytensor.tensor as pt

from bayescape.models import ConstantCoupling, FamilyPanel, ModelKind, ModelSpec
from bayescape.models._spec import pymc_prior
from bayescape.models.phase import (
    PYTENSOR_OPS,
    build_family_curves_model,
    constant_coupling_curve,
)

SPEC = Path(__file__).parent / "data" / "phase_positive.toml"


def _positive_coupling(panel: FamilyPanel, spec: ModelSpec, centred, floor, a, b, t):
    """gamma_f = exp(log_gamma_mu + log_gamma_sigma z_f) > 0; T = t + gamma (R(x) - R(m))."""
    f = panel.family_index
    lg_mu, lg_sigma = pymc_prior("log_gamma_mu", spec), pymc_prior("log_gamma_sigma", spec)
    z = pm.Normal("log_gamma_z", 0.0, 1.0, dims="family")
    gamma = pm.Deterministic("gamma", pt.exp(lg_mu + lg_sigma * z), dims="family")
    return constant_coupling_curve(
        panel.x, floor, a[f], b[f], panel.anchor[f], t[f], gamma[f], PYTENSOR_OPS
    )


class PositiveCoupling(ConstantCoupling):
    """Constant coupling of one positive sign (a bonus at every scale, never a tax)."""

    name = "positive"
    description = "positive-coupling phase model (a test variant)"
    selector: ClassVar[Mapping[str, str]] = {
        "kind": "phase",
        "coupling": "positive",
        "pooling": "family",
    }

    # its new families would be drawn from log_gamma_mu/sigma, not the constant model's gamma_mu:
    # not written here, so not offered (the base class raises a BayescapeError that says so)
    new_family_parameters = ModelKind.new_family_parameters

    def headline_variables(self, spec: ModelSpec) -> list[str]:
        return ["gamma", "log_gamma_mu", "log_gamma_sigma"]

    def build(self, panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
        return build_family_curves_model(panel, spec, _positive_coupling)
