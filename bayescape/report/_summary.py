"""The summary of a fit as JSON-ready data (what ``bayescape fit --json`` prints), and
:func:`format_params`.

The terminal text of ``fit`` and ``summary`` is laid out by the command line alone
(``bayescape.cli``); library users read the same numbers from :meth:`Result.critical_scales`,
:meth:`Result.covariate_effects` and :func:`summary_json`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayescape.analysis import Result


def format_params(n: float) -> str:
    """A parameter count for people: ``3.49e9 -> '3.5B'``, ``1.2e8 -> '120M'``."""
    if not np.isfinite(n):
        return "nan"
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            value = n / size
            return f"{value:.2g}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return f"{n:.2g}"


def summary_json(result: Result) -> dict[str, Any]:
    """Provenance, diagnostics, N_c per family and covariate effects, as JSON-ready data.

    Keys: ``model``, ``spec_hash``, ``info``, ``diagnostics`` and, where the model has them,
    ``population_critical_scale``, ``critical_scales`` (records of
    :meth:`Result.critical_scales`) and ``covariate_effects``; intervals are 95% equal-tailed.
    """
    d = result.diagnostics
    out: dict[str, Any] = {
        "model": result.spec.name,
        "spec_hash": result.spec.hash,
        "info": {k: (v.item() if hasattr(v, "item") else v) for k, v in result.info.items()},
        "diagnostics": {
            "status": d.status,
            "reasons": d.reasons,
            "max_rhat": d.max_rhat,
            "min_ess_bulk": d.min_ess_bulk,
            "divergences": d.divergences,
        },
    }
    if result.kind.critical_scale is not None:
        out["population_critical_scale"] = result.population_critical_scale()
        out["critical_scales"] = result.critical_scales().to_dict(orient="records")
    if result.kind.has_covariate_effects(result.panel):
        out["covariate_effects"] = result.covariate_effects().to_dict(orient="records")
    return out
