"""Plain-text and JSON summaries of a fit (what ``bayescape fit``/``summary`` print)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

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


def _critical_table(result: Result) -> pd.DataFrame:
    cs = result.critical_scales()
    return pd.DataFrame(
        {
            "family": cs["family"],
            "models": cs["n_models"],
            "observed sizes": [
                f"{format_params(a)}-{format_params(b)}"
                for a, b in zip(cs["smallest"], cs["largest"], strict=True)
            ],
            "N_c median": cs["nc_median"].map(format_params),
            "95% equal-tailed": [
                f"[{format_params(a)}, {format_params(b)}]"
                for a, b in zip(cs["nc_eti_low"], cs["nc_eti_high"], strict=True)
            ],
            "P(below)": cs["p_below"].map("{:.2f}".format),
            "P(inside)": cs["p_inside"].map("{:.2f}".format),
            "P(above)": cs["p_above"].map("{:.2f}".format),
            "note": cs["note"],
        }
    )


def summary_text(result: Result) -> str:
    """The N_c table, the population N_c, covariate effects and diagnostics, for a terminal."""
    d = result.diagnostics
    lines = [
        f"model {result.spec.name} (spec {result.spec.hash}) on "
        f"{result.info.get('data_source', '')}"
        f" (data {result.info.get('data_hash', '')}): {len(result.data)} models, "
        f"{len(result.panel.families)} families; sampler {result.info.get('sampler')}, "
        f"seed {result.info.get('seed')}",
    ]
    if not d.ok:
        bar = "!" * 78
        lines += [
            bar,
            f"!! {d.describe()}",
            "!! Do not report these numbers: rerun with more "
            "draws/tuning or look at the parameterisation.",
            bar,
        ]
    else:
        lines.append(d.describe())
    if "c" in result.posterior or "c_pooled" in result.posterior:
        pop = result.population_critical_scale()
        label = "pooled N_c" if "c_pooled" in result.posterior else "N_c of an average family"
        lines.append(
            f"\n{label}: median {format_params(pop['median'])}, mean "
            f"{format_params(pop['mean'])}, 95% interval [{format_params(pop['low'])}, "
            f"{format_params(pop['high'])}]"
        )
        lines.append(
            "\nCritical scale N_c per family (P(below): already cooperative at the "
            "smallest model; P(above): still in the tax phase at the largest)"
        )
        lines.append(_critical_table(result).to_string(index=False))
    if "beta" in result.posterior:
        ce = result.covariate_effects()
        table = pd.DataFrame(
            {
                "covariate": ce["covariate"],
                "effect on log10 N_c (decades)": [
                    f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]"
                    for m, lo, hi in zip(
                        ce["effect_median"], ce["effect_low"], ce["effect_high"], strict=True
                    )
                ],
                "P(lowers N_c)": ce["p_lowers"].map("{:.2f}".format),
                "unit": ce["unit"],
            }
        )
        lines.append("\nCovariate effects (median, 95% interval)")
        lines.append(table.to_string(index=False))
    return "\n".join(lines)


def summary_json(result: Result) -> dict[str, Any]:
    """The same content as :func:`summary_text`, as JSON-ready data."""
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
    if "c" in result.posterior or "c_pooled" in result.posterior:
        out["population_critical_scale"] = result.population_critical_scale()
        out["critical_scales"] = result.critical_scales().to_dict(orient="records")
    if "beta" in result.posterior:
        out["covariate_effects"] = result.covariate_effects().to_dict(orient="records")
    return out
