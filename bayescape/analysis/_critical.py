r"""Critical scales, covariate effects and phase probabilities from a fitted phase model.

Every interval is equal-tailed (ETI: the :math:`(1 \mp p)/2` posterior quantiles), computed on
:math:`c = \log_{10} N_c` and mapped to parameters, :math:`N_c = 10^{c}`: quantiles commute with
the monotone map, so the interval is the same on either scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayescape.analysis._intervals import eti
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult

UNITS = {
    "curation_curated": "curated vs web data (indicator)",
    "curation_code": "code-dominant vs web data (indicator)",
    "curation_mixed": "modern mixed vs web data (indicator)",
    "curation_undisclosed": "undisclosed vs web data (indicator)",
    "log10_tokens_per_param": "per decade of training tokens per parameter",
    "log2_width_per_layer": "per doubling of d_model / n_layers",
    "distillation": "distilled vs not (1 = yes, 0.5 = partial)",
}
"""The natural unit of each covariate effect."""


def _require_changepoint(fit: FitResult) -> None:
    if fit.kind.critical_scale is None:
        raise BayescapeError(
            f"model {fit.spec.name!r} has no critical scale (no changepoint); fit 'phase' or "
            "'quadratic' for N_c"
        )


def critical_draws(fit: FitResult) -> tuple[np.ndarray, list[str]]:
    """Draws of log10 N_c, shape (draws, families), and the family names (or ``["(pooled)"]``)."""
    _require_changepoint(fit)
    return fit.kind.critical_draws(fit.draws, fit.panel)


def critical_scales(fit: FitResult, prob: float = 0.95) -> pd.DataFrame:
    """Posterior critical scale N_c of every family, one row each.

    Columns: ``family``, ``n_models``, ``smallest`` and ``largest`` observed size, ``nc_median``,
    ``nc_mean``, ``nc_eti_low``/``high`` (the ``prob`` equal-tailed interval; all in parameters),
    ``p_below`` (:math:`P(N_c <` smallest model), i.e. already cooperative), ``p_inside``,
    ``p_above`` (still in the tax phase at the largest model), ``rhat``, ``ess_bulk`` and a
    ``note``.
    """
    c, families = critical_draws(fit)
    panel = fit.panel
    table = fit.diagnostics.table.set_index("parameter")
    rows = []
    for j, family in enumerate(families):
        if fit.kind.pooled:
            lo, hi, n = panel.x.min(), panel.x.max(), len(panel.x)
            key = fit.kind.critical_scale
        else:
            lo, hi = panel.x_min[j], panel.x_max[j]
            n = int((panel.family_index == j).sum())
            key = f"{fit.kind.critical_scale}[{family}]"
        draws = c[:, j]
        p_below, p_above = float(np.mean(draws < lo)), float(np.mean(draws > hi))
        p_inside = float(np.mean((draws >= lo) & (draws <= hi)))
        notes = []
        if n == 1:
            notes.append("one model: N_c from covariates and the prior alone")
        if p_inside < 0.5:
            notes.append("N_c likely outside the observed sizes: prior-sensitive")
        e_lo, e_hi = eti(draws, prob)
        rows.append(
            {
                "family": family,
                "n_models": n,
                "smallest": 10.0**lo,
                "largest": 10.0**hi,
                "nc_median": 10.0 ** float(np.median(draws)),
                "nc_mean": float(np.mean(10.0**draws)),
                "nc_eti_low": 10.0**e_lo,
                "nc_eti_high": 10.0**e_hi,
                "p_below": p_below,
                "p_inside": p_inside,
                "p_above": p_above,
                "rhat": float(table.loc[key, "rhat"]) if key in table.index else np.nan,
                "ess_bulk": float(table.loc[key, "ess_bulk"]) if key in table.index else np.nan,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def population_critical_scale(fit: FitResult, prob: float = 0.95) -> dict[str, float]:
    r"""N_c of an average family (covariates at their means): :math:`10^{\mu_c}`, or the pooled
    N_c of the quadratic model. Keys: ``median``, ``mean``, ``low``, ``high`` (the ``prob``
    equal-tailed interval), in parameters."""
    _require_changepoint(fit)
    draws = fit.draws(fit.kind.population_scale).ravel()
    lo, hi = eti(draws, prob)
    return {
        "median": 10.0 ** float(np.median(draws)),
        "mean": float(np.mean(10.0**draws)),
        "low": 10.0**lo,
        "high": 10.0**hi,
    }


def covariate_effects(fit: FitResult, prob: float = 0.95) -> pd.DataFrame:
    r"""Effect of each family covariate on :math:`\log_{10} N_c`, in decades.

    ``effect_*`` is per natural unit of the covariate (see ``unit``); ``per_sd_*`` per standard
    deviation across families; ``p_lowers`` is :math:`P(\beta < 0)`, the probability that the
    covariate moves the transition to smaller models.
    """
    if not fit.kind.has_covariate_effects(fit.panel):
        raise BayescapeError(f"model {fit.spec.name!r} has no covariate effects")
    beta = fit.draws("beta")
    scale = fit.panel.z_scale
    rows = []
    for k, name in enumerate(fit.panel.covariates):
        per_unit = beta[:, k] / scale[k]
        lo, hi = eti(per_unit, prob)
        sd_lo, sd_hi = eti(beta[:, k], prob)
        rows.append(
            {
                "covariate": name,
                "unit": UNITS.get(name, ""),
                "effect_median": float(np.median(per_unit)),
                "effect_low": lo,
                "effect_high": hi,
                "per_sd_median": float(np.median(beta[:, k])),
                "per_sd_low": sd_lo,
                "per_sd_high": sd_hi,
                "p_lowers": float(np.mean(beta[:, k] < 0)),
                "n_missing": int(fit.panel.missing[:, k].sum()),
            }
        )
    return pd.DataFrame(rows)


def phase_probabilities(fit: FitResult, threshold: float = 0.95) -> pd.DataFrame:
    r"""Per model: the probability of sitting below (tax) or above (bonus) its family's N_c.

    :math:`P(\text{tax}) = P(x < c_f)` and :math:`P(\text{bonus}) = 1 - P(\text{tax})`.

    ``phase`` is ``tax`` or ``bonus`` when that probability is at least ``threshold``, else
    ``uncertain``; ``coupling_median`` is the posterior median of :math:`\gamma_f (x - c_f)`.
    """
    c, families = critical_draws(fit)
    panel = fit.panel
    if fit.kind.pooled:
        idx = np.zeros(len(panel.x), dtype=int)
        gamma = None
    else:
        idx = panel.family_index
        gamma = fit.draws("gamma")
    below = panel.x[None, :] < c[:, idx]
    p_tax = below.mean(axis=0)
    out = pd.DataFrame(
        {
            "model": panel.models,
            "family": np.asarray(families)[idx] if gamma is None else panel.families[idx],
            "params": 10.0**panel.x,
            "p_tax": p_tax,
            "p_bonus": 1.0 - p_tax,
        }
    )
    if gamma is not None:
        out["coupling_median"] = np.median(gamma[:, idx] * (panel.x[None, :] - c[:, idx]), axis=0)
    out["phase"] = np.where(
        p_tax >= threshold, "tax", np.where(1.0 - p_tax >= threshold, "bonus", "uncertain")
    )
    return out
