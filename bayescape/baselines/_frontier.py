r"""The paper's frontier diagnostic: OLS of GPQA Diamond on SWE-bench Verified.

Maths
-----
Over the frontier models, ordinary least squares of :math:`y` = GPQA on :math:`x` = SWE,

.. math:: \hat\beta = \frac{\sum (x_i - \bar x)(y_i - \bar y)}{\sum (x_i - \bar x)^2},\qquad
    \hat\alpha = \bar y - \hat\beta \bar x,

with Pearson :math:`r` and its two-sided t-test :math:`t = r\sqrt{(n-2)/(1-r^2)}` on
:math:`n - 2` degrees of freedom. The per-model residual
:math:`h_i = y_i - \hat\alpha - \hat\beta x_i` is the paper's "h-field".

Leave-one-lab-out: for each lab :math:`\ell`, refit without its models and take the mean
absolute error on them, :math:`\mathrm{MAE}_\ell = \overline{|y_i - \hat y^{(-\ell)}_i|}`. The
paper's "9.2 +/- 2.4" is the mean and population standard deviation (``ddof=0``) of
:math:`\mathrm{MAE}_\ell` over the labs with at least three models. Labs enter unweighted, all
34 models share one line, and the lab-to-lab variation in slope is not modelled: see
:mod:`bayescape.models.frontier` for the partially pooled version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats


@dataclass(frozen=True)
class FrontierFit:
    r"""OLS of GPQA on SWE (fractions; the slope is unit free).

    Attributes
    ----------
    slope, intercept
        :math:`\hat\beta`, :math:`\hat\alpha` (the intercept is GPQA at SWE = 0, a fraction).
    r, p_value
        Pearson r and its two-sided p-value.
    slope_se
        Standard error of :math:`\hat\beta`.
    n_models
        Number of models.
    """

    slope: float
    intercept: float
    r: float
    p_value: float
    slope_se: float
    n_models: int

    def predict(self, swe: ArrayLike) -> np.ndarray:
        r""":math:`\hat y = \hat\alpha + \hat\beta x`."""
        return self.intercept + self.slope * np.asarray(swe, dtype=float)


def frontier_ols(swe: ArrayLike, gpqa: ArrayLike) -> FrontierFit:
    r"""Fit GPQA :math:`= \alpha + \beta\,` SWE by ordinary least squares.

    Parameters
    ----------
    swe, gpqa
        SWE-bench Verified and GPQA Diamond scores (fractions).

    Returns
    -------
    FrontierFit
    """
    x, y = np.asarray(swe, dtype=float), np.asarray(gpqa, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise ValueError("swe and gpqa must be 1-D, of equal length, with at least 3 models")
    res = stats.linregress(x, y)
    return FrontierFit(
        float(res.slope),
        float(res.intercept),
        float(res.rvalue),
        float(res.pvalue),
        float(res.stderr),
        int(x.size),
    )


def h_field(swe: ArrayLike, gpqa: ArrayLike) -> np.ndarray:
    r"""Per-model residuals :math:`h_i = y_i - \hat\alpha - \hat\beta x_i` of the pooled OLS line.

    Parameters
    ----------
    swe, gpqa
        Scores (fractions).

    Returns
    -------
    numpy.ndarray
        :math:`h_i` in the unit of ``gpqa`` (multiply by 100 for percentage points).
    """
    fit = frontier_ols(swe, gpqa)
    return np.asarray(gpqa, dtype=float) - fit.predict(swe)


def leave_one_lab_out(df: pd.DataFrame) -> pd.DataFrame:
    r"""Leave-one-lab-out prediction error of the pooled OLS line.

    Parameters
    ----------
    df
        Frontier table with columns ``lab``, ``swe_bench_verified``, ``gpqa_diamond``.

    Returns
    -------
    pandas.DataFrame
        One row per lab (in order of first appearance): ``lab``, ``n_models``, ``mae``
        (mean :math:`|y - \hat y^{(-\ell)}|`, fraction) and ``rmse``.
    """
    rows = []
    for lab in pd.unique(df["lab"]):
        held = (df["lab"] == lab).to_numpy()
        if held.all():
            raise ValueError("leave-one-lab-out needs at least two labs")
        fit = frontier_ols(df.loc[~held, "swe_bench_verified"], df.loc[~held, "gpqa_diamond"])
        err = df.loc[held, "gpqa_diamond"].to_numpy() - fit.predict(
            df.loc[held, "swe_bench_verified"]
        )
        rows.append(
            {
                "lab": lab,
                "n_models": int(held.sum()),
                "mae": float(np.mean(np.abs(err))),
                "rmse": float(np.sqrt(np.mean(err**2))),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class LeaveOneLabOutSummary:
    """Mean and spread of the per-lab held-out MAE.

    Attributes
    ----------
    mean_mae, sd_mae
        Mean and population standard deviation (``ddof=0``) of the per-lab MAE (fractions).
    n_labs
        Labs averaged (those with at least ``min_models`` models).
    min_models
        The inclusion threshold.
    """

    mean_mae: float
    sd_mae: float
    n_labs: int
    min_models: int


def summarise_leave_one_lab_out(
    per_lab: pd.DataFrame, *, min_models: int = 3
) -> LeaveOneLabOutSummary:
    r"""Average the per-lab MAE over labs with at least ``min_models`` models (paper: 3).

    Parameters
    ----------
    per_lab
        Output of :func:`leave_one_lab_out`.
    min_models
        Labs with fewer held-out models are left out of the average.

    Returns
    -------
    LeaveOneLabOutSummary
    """
    kept = per_lab.loc[per_lab["n_models"] >= min_models, "mae"].to_numpy()
    if kept.size == 0:
        raise ValueError(f"no lab has at least {min_models} models")
    return LeaveOneLabOutSummary(float(kept.mean()), float(kept.std()), int(kept.size), min_models)


def per_lab_slopes(df: pd.DataFrame, *, min_models: int = 3) -> pd.DataFrame:
    r"""Separate OLS slope of GPQA on SWE inside each lab with at least ``min_models`` models.

    Parameters
    ----------
    df
        Frontier table (columns ``lab``, ``swe_bench_verified``, ``gpqa_diamond``).
    min_models
        Smallest lab fitted.

    Returns
    -------
    pandas.DataFrame
        ``lab``, ``n_models``, ``slope``, ``slope_se``.
    """
    rows = []
    for lab, group in df.groupby("lab", sort=False):
        if len(group) < min_models:
            continue
        fit = frontier_ols(group["swe_bench_verified"], group["gpqa_diamond"])
        rows.append(
            {"lab": lab, "n_models": len(group), "slope": fit.slope, "slope_se": fit.slope_se}
        )
    return pd.DataFrame(rows, columns=["lab", "n_models", "slope", "slope_se"])
