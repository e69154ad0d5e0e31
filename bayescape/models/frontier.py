r"""Bayesian frontier diagnostic: GPQA Diamond on SWE-bench Verified with lab-level lines.

Maths
-----
For model :math:`i` of lab :math:`\ell(i)`, with :math:`x_i` = SWE-bench Verified centred at the
panel mean :math:`\bar x` and :math:`y_i` = GPQA Diamond (fractions),

.. math::
    y_i \sim N\!\Big(\alpha_{\ell(i)} + \beta_{\ell(i)} x_i,\;
        \sqrt{\sigma^2 + \mu_i (1 - \mu_i) / n_\mathrm{GPQA}}\Big),

    \alpha_\ell = \mu_\alpha + \tau_\alpha z^\alpha_\ell, \qquad
    \beta_\ell = \mu_\beta + \tau_\beta z^\beta_\ell, \qquad z \sim N(0, 1)

(non-centred partial pooling), where :math:`n_\mathrm{GPQA} = 198` questions gives the binomial
sampling error of each score and :math:`\sigma` the model-to-model scatter beyond it. Labs with a
single model learn their slope from the population (:math:`\mu_\beta, \tau_\beta`) alone.

Derived quantities (all per posterior draw):

- population line :math:`\mu_\alpha + \mu_\beta x`; its intercept at SWE = 0 is
  :math:`\mu_\alpha - \mu_\beta \bar x` (the paper's OLS intercept, 46.4 points);
- h-field :math:`h_i = y_i - (\mu_\alpha + \mu_\beta x_i)` (the paper's residual, now with an
  interval) and the within-lab residual :math:`y_i - (\alpha_{\ell(i)} + \beta_{\ell(i)} x_i)`;
- posterior predictive correlation: draw :math:`y^\mathrm{rep}` from the likelihood and take
  Pearson :math:`r(x, y^\mathrm{rep})` over the panel, the model's answer to "what r would a
  panel like this show" (the paper reports 0.7235 with no interval).

Intercepts and slopes are pooled independently (no LKJ correlation): with 10 labs, 6 of them
with one model, a correlation parameter would be set by its prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayescape._draws import flatten_chains
from bayescape.errors import BayescapeError, DataValidationError

GPQA_DIAMOND_ITEMS = 198
"""Questions in GPQA Diamond: the binomial sampling error of a score is sqrt(p(1-p)/198)."""

REQUIRED_COLUMNS = ("model", "lab", "swe_bench_verified", "gpqa_diamond")


@dataclass(frozen=True)
class FrontierPriors:
    r"""Priors of :func:`build_frontier_model` (scores are fractions; slopes are unit free).

    Attributes
    ----------
    intercept_mu, intercept_sigma
        :math:`\mu_\alpha \sim N(\cdot, \cdot)`: GPQA at the panel's mean SWE.
    slope_mu, slope_sigma
        :math:`\mu_\beta \sim N(\cdot, \cdot)`: points of GPQA per point of SWE.
    intercept_tau
        :math:`\tau_\alpha \sim \mathrm{HalfNormal}(\cdot)`: lab-to-lab spread of levels.
    slope_tau
        :math:`\tau_\beta \sim \mathrm{HalfNormal}(\cdot)`: lab-to-lab spread of slopes.
    noise_sigma
        :math:`\sigma \sim \mathrm{HalfNormal}(\cdot)`: model scatter beyond sampling error.
    """

    intercept_mu: float = 0.6
    intercept_sigma: float = 0.2
    slope_mu: float = 0.0
    slope_sigma: float = 1.0
    intercept_tau: float = 0.1
    slope_tau: float = 0.5
    noise_sigma: float = 0.1


def _validate(df: pd.DataFrame) -> None:
    problems = [f"missing column {c!r}" for c in REQUIRED_COLUMNS if c not in df.columns]
    if problems:
        raise DataValidationError(
            [*problems, "the frontier table needs model, lab, swe_bench_verified, gpqa_diamond"],
            "frontier data",
        )
    for col in ("swe_bench_verified", "gpqa_diamond"):
        values = pd.to_numeric(df[col], errors="coerce")
        for i in np.flatnonzero(values.isna().to_numpy()):
            problems.append(f"row {i} ({df['model'].iloc[i]}): {col} is missing or not a number")
        for i in np.flatnonzero(((values < 0) | (values > 1)).to_numpy()):
            problems.append(
                f"row {i} ({df['model'].iloc[i]}): {col} = {values.iloc[i]} is not a fraction in "
                "[0, 1]; divide percentages by 100"
            )
    dup = df["model"][df["model"].duplicated()].tolist()
    if dup:
        problems.append(f"duplicate model names {dup}: model names must be unique")
    if len(df) < 3:
        problems.append("at least 3 models are needed")
    if problems:
        raise DataValidationError(problems, "frontier data")


def build_frontier_model(
    df: pd.DataFrame,
    *,
    priors: FrontierPriors | None = None,
    gpqa_items: int | None = GPQA_DIAMOND_ITEMS,
) -> pm.Model:
    r"""Build the partially pooled frontier regression (see the module docstring).

    Parameters
    ----------
    df
        One row per model: ``model``, ``lab``, ``swe_bench_verified``, ``gpqa_diamond``
        (fractions), e.g. ``load_table("frontier34")``.
    priors
        Prior settings; defaults to :class:`FrontierPriors`.
    gpqa_items
        Questions behind each GPQA score (binomial sampling error); ``None`` for none.

    Returns
    -------
    pymc.Model
        Coords ``lab`` (order of first appearance) and ``model``. Free variables
        ``intercept_mu``, ``slope_mu``, ``intercept_tau``, ``slope_tau``, ``intercept_z``,
        ``slope_z``, ``sigma``; deterministics ``intercept``, ``slope`` (lab),
        ``intercept_at_zero``, ``h``, ``lab_residual`` (model); data ``swe_centred``,
        ``lab_index``, ``swe_mean``, ``inverse_items`` in ``constant_data``.

    Raises
    ------
    DataValidationError
        Missing columns, non-fraction scores, duplicate model names, fewer than 3 models.
    """
    _validate(df)
    pr = priors or FrontierPriors()
    labs = list(pd.unique(df["lab"]))
    lab_index = np.array([labs.index(lab) for lab in df["lab"]], dtype="int64")
    swe = df["swe_bench_verified"].to_numpy(dtype=float)
    gpqa = df["gpqa_diamond"].to_numpy(dtype=float)
    swe_mean = float(swe.mean())
    coords = {"lab": labs, "model": df["model"].astype(str).tolist()}
    with pm.Model(coords=coords) as model:
        x = pm.Data("swe_centred", swe - swe_mean, dims="model")
        lab = pm.Data("lab_index", lab_index, dims="model")
        centre = pm.Data("swe_mean", swe_mean)
        inv_n = pm.Data("inverse_items", 0.0 if gpqa_items is None else 1.0 / gpqa_items)

        intercept_mu = pm.Normal("intercept_mu", pr.intercept_mu, pr.intercept_sigma)
        slope_mu = pm.Normal("slope_mu", pr.slope_mu, pr.slope_sigma)
        intercept_tau = pm.HalfNormal("intercept_tau", pr.intercept_tau)
        slope_tau = pm.HalfNormal("slope_tau", pr.slope_tau)
        intercept = pm.Deterministic(
            "intercept",
            intercept_mu + intercept_tau * pm.Normal("intercept_z", 0.0, 1.0, dims="lab"),
            dims="lab",
        )
        slope = pm.Deterministic(
            "slope", slope_mu + slope_tau * pm.Normal("slope_z", 0.0, 1.0, dims="lab"), dims="lab"
        )
        sigma = pm.HalfNormal("sigma", pr.noise_sigma)

        mu = intercept[lab] + slope[lab] * x
        p = pt.clip(mu, 1e-3, 1 - 1e-3)
        pm.Normal(
            "gpqa",
            mu=mu,
            sigma=pt.sqrt(sigma**2 + p * (1 - p) * inv_n),
            observed=gpqa,
            dims="model",
        )
        pm.Deterministic("intercept_at_zero", intercept_mu - slope_mu * centre)
        pm.Deterministic("h", gpqa - (intercept_mu + slope_mu * x), dims="model")
        pm.Deterministic("lab_residual", gpqa - mu, dims="model")
    return model


# ---------------------------------------------------------------------------------------------
# Pure summaries of a fitted frontier posterior


def _posterior(idata: xr.DataTree, name: str) -> xr.DataArray:
    return _variable(idata, "posterior", name)


def _constant(idata: xr.DataTree, name: str) -> np.ndarray:
    return np.asarray(_variable(idata, "constant_data", name).values)


def _variable(idata: xr.DataTree, group: str, name: str) -> xr.DataArray:
    if group not in idata.children or name not in idata[group].ds:
        what = "posterior variable" if group == "posterior" else group
        raise BayescapeError(
            f"the result has no {what} {name!r}: pass the DataTree returned by "
            "sampling build_frontier_model(...)"
        )
    return idata[group].ds[name]


def _interval(draws: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not 0 < prob < 1:
        raise ValueError(f"prob must be in (0, 1), not {prob}")
    lo, med, hi = np.quantile(draws, [(1 - prob) / 2, 0.5, (1 + prob) / 2], axis=0)
    return med, lo, hi


@dataclass(frozen=True, eq=False)
class PosteriorSummary:
    """Median and equal-tailed interval of one scalar posterior quantity.

    Attributes
    ----------
    median, low, high
        Median and interval bounds.
    prob
        Interval coverage.
    draws
        The draws summarised (chains stacked).
    """

    median: float
    low: float
    high: float
    prob: float
    draws: np.ndarray


def _interval_columns(name: str, draws: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """``{name}_median``, ``{name}_low`` and ``{name}_high`` of draws (draws x items)."""
    med, lo, hi = _interval(draws, prob)
    return {f"{name}_median": med, f"{name}_low": lo, f"{name}_high": hi}


def _summary(draws: np.ndarray, prob: float) -> PosteriorSummary:
    med, lo, hi = _interval(draws, prob)
    return PosteriorSummary(float(med), float(lo), float(hi), prob, draws)


def frontier_population_line(
    idata: xr.DataTree, *, prob: float = 0.95
) -> dict[str, PosteriorSummary]:
    r"""Posterior of the population line: slope :math:`\mu_\beta` and intercept at SWE = 0.

    Parameters
    ----------
    idata, prob
        As :func:`frontier_lab_slopes`.

    Returns
    -------
    dict
        ``{"slope": ..., "intercept": ..., "slope_spread": ...}`` where ``intercept`` is
        :math:`\mu_\alpha - \mu_\beta \bar x` (fraction) and ``slope_spread`` is
        :math:`\tau_\beta`.
    """
    return {
        "slope": _summary(flatten_chains(_posterior(idata, "slope_mu")), prob),
        "intercept": _summary(flatten_chains(_posterior(idata, "intercept_at_zero")), prob),
        "slope_spread": _summary(flatten_chains(_posterior(idata, "slope_tau")), prob),
    }


def frontier_lab_slopes(idata: xr.DataTree, *, prob: float = 0.95) -> pd.DataFrame:
    r"""Posterior slope :math:`\beta_\ell` of each lab.

    Parameters
    ----------
    idata
        Posterior of :func:`build_frontier_model`.
    prob
        Coverage of the equal-tailed intervals.

    Returns
    -------
    pandas.DataFrame
        ``lab``, ``slope_median``, ``slope_low``, ``slope_high``, ``slope_sd``.
    """
    da = _posterior(idata, "slope")
    draws = flatten_chains(da)
    return pd.DataFrame(
        {
            "lab": [str(v) for v in da["lab"].values],
            **_interval_columns("slope", draws, prob),
            "slope_sd": draws.std(axis=0, ddof=1),
        }
    )


def frontier_residuals(idata: xr.DataTree, *, prob: float = 0.95) -> pd.DataFrame:
    r"""Per-model h-field (vs the population line) and within-lab residual, with intervals.

    Parameters
    ----------
    idata, prob
        The frontier posterior and the intervals' coverage, as :func:`frontier_lab_slopes`.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``lab``, ``h_median``, ``h_low``, ``h_high``, ``lab_residual_median``,
        ``lab_residual_low``, ``lab_residual_high`` (fractions of GPQA).
    """
    h = _posterior(idata, "h")
    labs = [str(v) for v in _posterior(idata, "slope")["lab"].values]
    lab_index = _constant(idata, "lab_index").astype(int)
    return pd.DataFrame(
        {
            "model": [str(v) for v in h["model"].values],
            "lab": [labs[i] for i in lab_index],
            **_interval_columns("h", flatten_chains(h), prob),
            **_interval_columns(
                "lab_residual", flatten_chains(_posterior(idata, "lab_residual")), prob
            ),
        }
    )


FREE_VARIABLES = (
    "intercept_mu",
    "slope_mu",
    "intercept_tau",
    "slope_tau",
    "intercept_z",
    "slope_z",
    "sigma",
)


@dataclass(frozen=True)
class SamplingDiagnostics:
    """Convergence checks of a frontier fit.

    Attributes
    ----------
    max_rhat
        Largest rank-normalised split R-hat over the free variables (ArviZ); NaN when every
        variable's draws are constant.
    divergences
        Divergent transitions (0 when ``sample_stats`` is absent).
    n_draws
        Chains x draws.
    """

    max_rhat: float
    divergences: int
    n_draws: int

    @property
    def ok(self) -> bool:
        """R-hat below 1.01 and no divergences."""
        return self.max_rhat < 1.01 and self.divergences == 0


def frontier_diagnostics(idata: xr.DataTree) -> SamplingDiagnostics:
    """R-hat, divergences and draw count of a frontier posterior.

    Parameters
    ----------
    idata
        Posterior of :func:`build_frontier_model`.

    Returns
    -------
    SamplingDiagnostics
    """
    import arviz as az

    posterior = idata["posterior"].ds if "posterior" in idata.children else {}
    names = [v for v in FREE_VARIABLES if v in posterior]
    if not names:
        raise BayescapeError("the result has no frontier posterior to diagnose")
    rhat = az.rhat(idata, var_names=names)
    values = np.concatenate([np.ravel(rhat[v].values) for v in names])
    finite = values[np.isfinite(values)]  # constant draws give NaN
    max_rhat = float(finite.max()) if finite.size else float("nan")
    div = 0
    if "sample_stats" in idata.children and "diverging" in idata["sample_stats"].ds:
        div = int(idata["sample_stats"].ds["diverging"].values.sum())
    post = idata["posterior"].ds
    return SamplingDiagnostics(max_rhat, div, int(post.sizes["chain"] * post.sizes["draw"]))


def predictive_correlation_draws(
    swe_centred: np.ndarray,
    lab_index: np.ndarray,
    intercept: np.ndarray,
    slope: np.ndarray,
    sigma: np.ndarray,
    inverse_items: float,
    rng: np.random.Generator,
) -> np.ndarray:
    r"""Pearson :math:`r(x, y^\mathrm{rep})` for each posterior draw (pure numpy).

    Parameters
    ----------
    swe_centred
        :math:`x_i` (n models).
    lab_index
        :math:`\ell(i)` (n models).
    intercept, slope
        :math:`\alpha_\ell, \beta_\ell` per draw, shape (S, labs).
    sigma
        :math:`\sigma` per draw, shape (S,).
    inverse_items
        :math:`1 / n_\mathrm{GPQA}` (0 for no sampling error).
    rng
        Random generator for the replicated scores.

    Returns
    -------
    numpy.ndarray
        Shape (S,).
    """
    mu = intercept[:, lab_index] + slope[:, lab_index] * swe_centred[None, :]
    p = np.clip(mu, 1e-3, 1 - 1e-3)
    sd = np.sqrt(sigma[:, None] ** 2 + p * (1 - p) * inverse_items)
    y = mu + sd * rng.standard_normal(mu.shape)
    xc = swe_centred - swe_centred.mean()
    yc = y - y.mean(axis=1, keepdims=True)
    return (yc @ xc) / np.sqrt((yc**2).sum(axis=1) * (xc @ xc))


def frontier_correlation(
    idata: xr.DataTree, *, prob: float = 0.95, seed: int = 0
) -> PosteriorSummary:
    r"""Posterior predictive Pearson r between SWE and GPQA over the fitted panel.

    Parameters
    ----------
    idata, prob
        As :func:`frontier_lab_slopes`.
    seed
        Seed for the replicated scores.

    Returns
    -------
    PosteriorSummary
    """
    draws = predictive_correlation_draws(
        _constant(idata, "swe_centred").astype(float),
        _constant(idata, "lab_index").astype(int),
        flatten_chains(_posterior(idata, "intercept")),
        flatten_chains(_posterior(idata, "slope")),
        flatten_chains(_posterior(idata, "sigma")),
        float(_constant(idata, "inverse_items")),
        np.random.default_rng(seed),
    )
    return _summary(draws, prob)
