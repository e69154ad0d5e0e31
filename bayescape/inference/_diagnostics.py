"""Convergence diagnostics and the gate that marks a fit as failed."""

from __future__ import annotations

from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayescape._repr import compact_repr

RHAT_MAX = 1.01
"""Largest acceptable split R-hat (Vehtari et al. 2021)."""
ESS_MIN = 400
"""Smallest acceptable bulk effective sample size (Vehtari et al. 2021: 100 per chain x 4)."""


@dataclass(frozen=True, repr=False)
class Diagnostics:
    """Convergence of the headline parameters of one fit.

    Attributes
    ----------
    table
        One row per scalar parameter: ``parameter``, ``rhat``, ``ess_bulk``, ``ess_tail``.
    divergences
        Number of divergent transitions after tuning.
    draws
        Total number of posterior draws (chains x draws).
    reasons
        Why the fit failed the gate (empty when it passed).
    """

    __repr__ = compact_repr

    table: pd.DataFrame
    divergences: int
    draws: int
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when R-hat <= 1.01, bulk ESS >= 400 and there are no divergences."""
        return not self.reasons

    @property
    def status(self) -> str:
        """``"ok"`` or ``"failed"``."""
        return "ok" if self.ok else "failed"

    @property
    def max_rhat(self) -> float:
        """Largest R-hat over headline parameters."""
        return float(self.table["rhat"].max())

    @property
    def min_ess_bulk(self) -> float:
        """Smallest bulk ESS over headline parameters."""
        return float(self.table["ess_bulk"].min())

    def describe(self) -> str:
        """One line for people: status, worst R-hat and ESS, divergences."""
        head = "OK" if self.ok else "FAILED: " + "; ".join(self.reasons)
        return (
            f"diagnostics {head} (max R-hat {self.max_rhat:.3f}, min bulk ESS "
            f"{self.min_ess_bulk:.0f}, {self.divergences} divergences, {self.draws} draws)"
        )


def _flatten(ds: xr.Dataset) -> dict[str, float]:
    out = {}
    for name, da in ds.data_vars.items():
        if da.ndim == 0:
            out[name] = float(da)
            continue
        stacked = da.stack(_i=da.dims)
        for idx, value in zip(stacked["_i"].values, stacked.values, strict=True):
            key = ", ".join(str(v) for v in (idx if isinstance(idx, tuple) else (idx,)))
            out[f"{name}[{key}]"] = float(value)
    return out


def diagnose(idata: xr.DataTree, var_names: list[str]) -> Diagnostics:
    """Compute R-hat, bulk/tail ESS of ``var_names`` and count divergences.

    The gate fails when any R-hat exceeds :data:`RHAT_MAX`, any bulk ESS is below
    :data:`ESS_MIN`, or any transition diverged.
    """
    present = [v for v in var_names if v in idata.posterior.ds.data_vars]
    rhat = _flatten(az.rhat(idata, var_names=present).ds)
    bulk = _flatten(az.ess(idata, var_names=present, method="bulk").ds)
    tail = _flatten(az.ess(idata, var_names=present, method="tail").ds)
    table = pd.DataFrame(
        {
            "parameter": list(rhat),
            "rhat": list(rhat.values()),
            "ess_bulk": [bulk[k] for k in rhat],
            "ess_tail": [tail[k] for k in rhat],
        }
    )
    stats = idata.sample_stats.ds
    divergences = int(stats["diverging"].sum()) if "diverging" in stats else 0
    post = idata.posterior.ds
    draws = int(post.sizes["chain"] * post.sizes["draw"])
    reasons = []
    rhat_values, ess_values = table["rhat"], table["ess_bulk"]
    if not np.isfinite(table[["rhat", "ess_bulk"]].to_numpy()).all():
        reasons.append("R-hat or ESS not finite (a parameter did not move, or one chain)")
    bad_rhat = table[rhat_values > RHAT_MAX]
    if len(bad_rhat):
        worst = bad_rhat.loc[bad_rhat["rhat"].idxmax()]
        reasons.append(
            f"R-hat > {RHAT_MAX} for {len(bad_rhat)} parameter(s), worst "
            f"{worst['rhat']:.3f} ({worst['parameter']})"
        )
    low_ess = table[ess_values < ESS_MIN]
    if len(low_ess):
        worst = low_ess.loc[low_ess["ess_bulk"].idxmin()]
        reasons.append(
            f"bulk ESS < {ESS_MIN} for {len(low_ess)} parameter(s), lowest "
            f"{worst['ess_bulk']:.0f} ({worst['parameter']})"
        )
    if divergences:
        reasons.append(f"{divergences} divergent transition(s)")
    return Diagnostics(table=table, divergences=divergences, draws=draws, reasons=reasons)
