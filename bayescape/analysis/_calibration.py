r"""Simulation-based calibration (SBC) of a model, and the paper's bootstrap on the same data.

Procedure (Talts et al. 2018). For :math:`s = 1..S`: draw :math:`\theta_s` from the prior of the
model built on the real design (families, sizes, item counts), simulate scores
:math:`y_s \mid \theta_s` with that design, fit, and record the rank of each true headline
parameter among :math:`L` posterior draws thinned to near-independence,

.. math:: r_s = \#\{\ell : \theta^{(\ell)}_s < \theta_s\} \in \{0, \dots, L\}.

If the fit is calibrated, :math:`r_s` is uniform on :math:`\{0..L\}`; binned into :math:`B`
equal bins the counts are multinomial with equal cell probabilities, tested with Pearson's
chi-square on :math:`B - 1` degrees of freedom. Central :math:`q` intervals then cover
:math:`\theta_s` with frequency :math:`q` (reported for q = 50, 80, 90, 95%).

A check that cannot fail proves nothing: ``simulation_spec`` draws the truth from a different
prior than the fitted one (:func:`misspecified`: three times the extra noise the fitted prior
allows), which must be flagged.

On the same simulations, the paper's truncated bootstrap of the pooled quadratic vertex gives a
95% interval for the pooled N_c; its coverage of the population N_c (``mu_c``; ``c_pooled`` for
the pooled model) is reported next to the posterior's.

For speed, one compiled model per worker is refitted to every simulated dataset
(:class:`~bayescape.inference.ReusableModel`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from scipy import stats

from bayescape._repr import compact_repr
from bayescape.analysis._sensitivity import edit_prior
from bayescape.baselines import PAPER_SEED, vertex_bootstrap
from bayescape.data import DEFAULT_DATASET, DataWarning, data_hash, load_dataset
from bayescape.errors import BayescapeError
from bayescape.inference import BatchOptions, ReusableModel, Task, diagnose
from bayescape.models import (
    ModelSpec,
    build_model,
    headline_variables,
    load_spec,
    model_kind,
    parse_spec,
    required_benchmarks,
)
from bayescape.models._likelihood import forward_sampling

LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
"""Central interval probabilities whose coverage is reported."""

_NOISE = ("sigma_reasoning", "sigma_truthfulness")
_LEVEL_TERMS = ("a_trend", "t_trend", "a_beta", "t_beta")
"""Size trends and covariate effects of the family levels, ranked when the spec has them."""
_REUSABLE: dict[tuple[str, str], ReusableModel] = {}  # one compiled model per worker process


def _population_parameter(spec: ModelSpec) -> str:
    """The population N_c whose coverage is compared with the paper's bootstrap."""
    kind = model_kind(spec)
    if kind.population_scale is None:
        raise BayescapeError(
            f"{spec.name}: calibration compares the population N_c with the paper's bootstrap; "
            f"a {kind.description} has none (calibrate 'phase' or 'quadratic')"
        )
    return kind.population_scale


def misspecified(spec: ModelSpec, noise_factor: float = 3.0) -> ModelSpec:
    """A simulation spec with ``noise_factor`` times the extra noise the fitted prior allows.

    Truths are drawn with every extra-noise prior scale (``sigma_reasoning``,
    ``sigma_truthfulness``) multiplied by ``noise_factor``, while the fit keeps the original,
    now too tight, prior: the fitted noise is pulled low and intervals are too narrow. A
    calibration check that works must reject uniformity of the noise ranks.
    """
    out = spec
    for name in _NOISE:
        if name in out.priors:
            out = edit_prior(out, name, sigma=out.priors[name]["sigma"] * noise_factor)
    return parse_spec(out.text, f"{spec.path} (misspecified: noise x{noise_factor:g})")


def checked_variables(spec: ModelSpec) -> list[str]:
    """Parameters whose ranks are recorded: the headline ones, the extra-noise SDs and the
    level terms the spec has."""
    extra = (n for n in (*_NOISE, *_LEVEL_TERMS) if n in spec.priors)
    return [*headline_variables(spec), *extra]


def _components(values: np.ndarray, name: str, coords: Sequence[str] | None) -> dict[str, Any]:
    """Split a parameter into scalar components ``name[coord]`` (components on the last axis)."""
    values = np.asarray(values)
    if values.ndim == 0 or coords is None:
        return {name: values}
    return {f"{name}[{c}]": values[..., i] for i, c in enumerate(coords)}


@dataclass(frozen=True)
class Simulation:
    """One simulated dataset: the true parameters and the scores they generated."""

    index: int
    truth: dict[str, float]
    observed: dict[str, np.ndarray]


def simulate(spec: ModelSpec, data: pd.DataFrame, n_sims: int, seed: int = 0) -> list[Simulation]:
    """Draw ``n_sims`` parameter sets from ``spec``'s prior; simulate scores on ``data``'s design.

    Scores come from PyMC's prior predictive of the same model, i.e. exactly the generative
    process the likelihood assumes (no clipping to [0, 1]: clipped data would make a calibrated
    model look miscalibrated, which an earlier version of this check did).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _ = build_model(data, spec)
    with model, forward_sampling():
        prior = pm.sample_prior_predictive(draws=n_sims, random_seed=seed)
    params = prior.prior.ds.isel(chain=0)
    predictive = prior.prior_predictive.ds.isel(chain=0)
    checked = checked_variables(spec)
    sims = []
    for s in range(n_sims):
        draw = params.isel(draw=s)
        truth: dict[str, float] = {}
        for name in checked:
            coords = list(draw[name].coords[draw[name].dims[0]].values) if draw[name].ndim else None
            truth.update(
                {k: float(v) for k, v in _components(draw[name].values, name, coords).items()}
            )
        observed = {k: predictive[k].isel(draw=s).values for k in predictive.data_vars}
        sims.append(Simulation(s, truth, observed))
    return sims


def _reusable(spec_text: str, data: pd.DataFrame) -> ReusableModel:
    key = (spec_text, data_hash(data))
    if key not in _REUSABLE:
        _REUSABLE.clear()  # one model per worker: keep memory flat
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            model, _ = build_model(data, parse_spec(spec_text, "<calibration>"))
        _REUSABLE[key] = ReusableModel(model)
    return _REUSABLE[key]


def calibration_fit(
    spec_text: str,
    data: pd.DataFrame,
    simulation: Simulation,
    *,
    draws: int,
    tune: int,
    chains: int,
    n_ranks: int,
    bootstrap_resamples: int,
    seed: int,
) -> dict[str, Any]:
    """Fit one simulated dataset; ranks and interval coverage of each true parameter.

    A batch task (module-level so that worker processes can import it).
    """
    start = time.perf_counter()
    spec = parse_spec(spec_text, "<calibration>")
    idata = _reusable(spec_text, data).sample(
        simulation.observed,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=seed,
        target_accept=float(spec.sampler.get("target_accept", 0.9)),
        mass_matrix=spec.sampler.get("mass_matrix", "gradient"),
    )
    ranks, covered = posterior_ranks(
        idata.posterior.ds, simulation.truth, checked_variables(spec), n_ranks
    )
    population = _population_parameter(spec)
    bootstrap = _bootstrap_interval(data, spec, simulation, bootstrap_resamples)
    truth_pop = simulation.truth[population]
    diag = diagnose(idata, headline_variables(spec))
    return {
        "index": simulation.index,
        "ranks": ranks,
        "n_ranks": n_ranks,
        "covered": covered,
        "population": population,
        "bootstrap_low": bootstrap[0],
        "bootstrap_high": bootstrap[1],
        "bootstrap_covered": bool(bootstrap[0] <= truth_pop <= bootstrap[1]),
        "divergences": int(diag.divergences),
        "max_rhat": float(diag.max_rhat),
        "seconds": time.perf_counter() - start,
    }


def posterior_ranks(
    posterior: xr.Dataset, truth: Mapping[str, float], names: Sequence[str], n_ranks: int
) -> tuple[dict[str, int], dict[str, dict[float, bool]]]:
    r"""Rank of each true component among thinned posterior draws, and interval coverage.

    Parameters
    ----------
    posterior
        Draws with dims ``(chain, draw, *component)``; at most one component dimension.
    truth
        True values keyed ``name`` (scalars) or ``name[coord]`` (one per component).
    names
        Parameters to rank.
    n_ranks
        :math:`L`: draws of each component (all chains interleaved) are thinned to :math:`L`
        evenly spaced ones, and the rank is :math:`\#\{\ell : \theta^{(\ell)} < \theta\}`.

    Returns
    -------
    (ranks, covered)
        ``ranks[key]`` in ``0..L``; ``covered[key][q]``: whether the central ``q`` interval of
        all draws of the component contains the truth, for ``q`` in :data:`LEVELS`.
    """
    ranks: dict[str, int] = {}
    covered: dict[str, dict[float, bool]] = {}
    for name in names:
        var = posterior[name]
        extra = [d for d in var.dims if d not in ("chain", "draw")]
        # (draw, chain, *component) -> (sample, *component): chains interleaved draw by draw,
        # so thinning keeps draws from every chain; components stay on the last axis.
        values = var.transpose("draw", "chain", *extra).values
        values = values.reshape(-1, *values.shape[2:])
        coords = list(var.coords[extra[0]].values) if extra else None
        for key, draws_k in _components(values, name, coords).items():
            value = truth[key]
            thin = draws_k[np.linspace(0, draws_k.size - 1, n_ranks).round().astype(int)]
            ranks[key] = int((thin < value).sum())
            lows = np.quantile(draws_k, [(1 - q) / 2 for q in LEVELS])
            highs = np.quantile(draws_k, [(1 + q) / 2 for q in LEVELS])
            covered[key] = {
                q: bool(lo <= value <= hi) for q, lo, hi in zip(LEVELS, lows, highs, strict=True)
            }
    return ranks, covered


def _bootstrap_interval(
    data: pd.DataFrame, spec: ModelSpec, simulation: Simulation, n_resamples: int
) -> tuple[float, float]:
    """The paper's truncated-bootstrap 95% interval of the pooled vertex (log10), or NaNs."""
    if n_resamples <= 0 or "truthfulness" not in simulation.observed:
        return (np.nan, np.nan)
    x = np.log10(data["params"].to_numpy(dtype=float))
    try:
        boot = vertex_bootstrap(
            x, simulation.observed["truthfulness"], n_resamples=n_resamples, seed=PAPER_SEED
        )
        lo, hi = boot.interval(0.95)
    except (ValueError, BayescapeError):  # no resample passed the paper's acceptance rule
        return (np.nan, np.nan)
    return (float(np.log10(lo)), float(np.log10(hi)))


# ---------------------------------------------------------------------------------------------
# Summaries


def rank_uniformity(ranks: np.ndarray, n_ranks: int, n_bins: int = 10) -> tuple[float, float]:
    """Pearson chi-square statistic and p-value of ranks in ``0..n_ranks`` being uniform.

    The ``n_ranks + 1`` possible ranks are split into ``n_bins`` bins of (nearly) equal size;
    expected counts are proportional to the number of rank values per bin.
    """
    ranks = np.asarray(ranks, dtype=int)
    edges = np.linspace(0, n_ranks + 1, n_bins + 1).round().astype(int)
    counts = np.histogram(ranks, bins=edges)[0]
    expected = len(ranks) * np.diff(edges) / (n_ranks + 1)
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return chi2, float(stats.chi2.sf(chi2, n_bins - 1))


@dataclass(frozen=True, repr=False)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    uniformity
        Per parameter group (``c``, ``mu_c``, ``beta``, ...; components pooled) and per
        component: ``n`` ranks, ``chi2``, ``p_value``, ``rejected`` (at ``alpha``).
    coverage
        Per group: observed coverage of the central 50/80/90/95% intervals (``cover_50`` ...).
    bootstrap
        Coverage of the 95% interval of the population N_c: posterior vs the paper's bootstrap,
        and how often the bootstrap kept no resample.
    ranks
        Long table: simulation, parameter component, group, rank.
    records
        The raw per-simulation results.
    """

    __repr__ = compact_repr

    uniformity: pd.DataFrame
    coverage: pd.DataFrame
    bootstrap: pd.DataFrame
    ranks: pd.DataFrame
    records: list[dict[str, Any]] = field(repr=False)
    n_ranks: int = 99
    alpha: float = 0.01

    def flagged(self) -> list[str]:
        """Parameter groups whose rank uniformity is rejected at ``alpha``."""
        groups = self.uniformity[self.uniformity["level"] == "group"]
        return groups.loc[groups["rejected"], "parameter"].tolist()

    def describe(self) -> str:
        """A short text report."""
        n = len(self.records)
        div = sum(r["divergences"] > 0 for r in self.records)
        lines = [f"simulation-based calibration: {n} simulations ({div} with divergences)"]
        groups = self.uniformity[self.uniformity["level"] == "group"]
        lines.append(
            "rank uniformity (chi-square per component; group p-value: Bonferroni over components)"
        )
        columns = ["parameter", "n", "components", "components_rejected", "p_value", "rejected"]
        lines.append(groups[columns].to_string(index=False))
        lines.append(self.coverage.to_string(index=False))
        lines.append(self.bootstrap.to_string(index=False))
        flagged = self.flagged()
        lines.append(
            f"uniformity rejected at {self.alpha:g} for: {', '.join(flagged)}"
            if flagged
            else f"uniformity not rejected at {self.alpha:g} for any parameter group"
        )
        return "\n".join(lines)


def _uniformity_table(ranks: pd.DataFrame, n_ranks: int, n_bins: int, alpha: float) -> pd.DataFrame:
    r"""One chi-square test per component; a group is rejected by Bonferroni over its components.

    Components of one group (the 47 family N_c, say) share a simulation and its hyperparameters,
    so their ranks are dependent and a chi-square of the pooled ranks is not chi-square
    distributed (it rejected a calibrated model in an earlier version). Each component's ranks
    are independent across simulations, so its own test is exact; the group p-value is
    :math:`\min(1, K \min_k p_k)` (Bonferroni, valid under any dependence), and
    ``components_rejected`` counts components with :math:`p_k < \alpha` (about
    :math:`K\alpha` expected when calibrated).
    """
    rows = []
    for name, frame in ranks.groupby("parameter", sort=False):
        chi2, p = rank_uniformity(frame["rank"].to_numpy(), n_ranks, n_bins)
        group = frame["group"].iloc[0]
        rows.append(
            {
                "level": "component",
                "parameter": name,
                "group": group,
                "n": len(frame),
                "chi2": chi2,
                "p_value": p,
            }
        )
    comp = pd.DataFrame(rows)
    comp["rejected"] = comp["p_value"] < alpha
    groups = []
    for group, frame in comp.groupby("group", sort=False):
        k = len(frame)
        groups.append(
            {
                "level": "group",
                "parameter": group,
                "group": group,
                "n": int(frame["n"].iloc[0]),
                "components": k,
                "components_rejected": int(frame["rejected"].sum()),
                "chi2": float(frame["chi2"].max()),
                "p_value": float(min(1.0, k * frame["p_value"].min())),
            }
        )
    table = pd.DataFrame(groups)
    table["rejected"] = table["p_value"] < alpha
    out = pd.concat([table, comp], ignore_index=True)
    return out.astype({"components": "Int64", "components_rejected": "Int64"})


def summarise_calibration(
    records: Sequence[Mapping[str, Any]], n_bins: int = 10, alpha: float = 0.01
) -> Calibration:
    """Rank-uniformity tests, coverage and bootstrap comparison from per-simulation records."""
    if not records:
        raise BayescapeError("no calibration results to summarise")
    n_ranks = int(records[0]["n_ranks"])
    rows = [
        {"simulation": r["index"], "parameter": k, "group": k.split("[")[0], "rank": v}
        for r in records
        for k, v in r["ranks"].items()
    ]
    ranks = pd.DataFrame(rows)
    uniformity = _uniformity_table(ranks, n_ranks, n_bins, alpha)
    cov_rows = []
    for r in records:
        for k, by_level in r["covered"].items():
            cov_rows.append({"group": k.split("[")[0], **{lv: c for lv, c in by_level.items()}})
    cov = pd.DataFrame(cov_rows).groupby("group", sort=False).agg(["mean", "size"])
    coverage = pd.DataFrame(
        {
            "parameter": cov.index,
            "n": cov[LEVELS[0]]["size"].to_numpy(),
            **{f"cover_{round(lv * 100)}": cov[lv]["mean"].to_numpy() for lv in LEVELS},
        }
    )
    population = records[0]["population"]
    post95 = np.mean([r["covered"][population][0.95] for r in records])
    boot_valid = np.array([np.isfinite(r["bootstrap_low"]) for r in records])
    bootstrap = pd.DataFrame(
        [
            {
                "method": "posterior 95% interval",
                "quantity": population,
                "n": len(records),
                "coverage_95": post95,
                "no_interval": 0.0,
            },
            {
                "method": "paper bootstrap 95% interval (pooled vertex)",
                "quantity": population,
                "n": len(records),
                "coverage_95": float(np.mean([r["bootstrap_covered"] for r in records])),
                "no_interval": float(1 - boot_valid.mean()),
            },
        ]
    )
    return Calibration(
        uniformity=uniformity,
        coverage=coverage,
        bootstrap=bootstrap,
        ranks=ranks,
        records=list(records),
        n_ranks=n_ranks,
        alpha=alpha,
    )


def calibrate(
    model: str | Path | ModelSpec = "phase",
    data: str | Path | pd.DataFrame = DEFAULT_DATASET,
    *,
    n_sims: int = 200,
    seed: int = 0,
    simulation_spec: ModelSpec | None = None,
    n_ranks: int = 99,
    n_bins: int = 10,
    bootstrap_resamples: int = 2000,
    alpha: float = 0.01,
    batch: BatchOptions | None = None,
    **batch_options: Any,
) -> Calibration:
    """Simulation-based calibration of ``model`` on the design of ``data``.

    Parameters
    ----------
    model, data
        The model as fitted and the dataset whose design (families, sizes, item counts,
        covariates) every simulation reuses; its scores are not used.
    n_sims, seed
        Number of simulations; the seed fixes the prior draws, the simulated scores and the
        sampler seeds (simulation ``s`` uses ``seed + s``).
    simulation_spec
        Draw the truths from this spec's prior instead (a mis-specification check, e.g.
        :func:`misspecified`); the fit always uses ``model``.
    n_ranks
        :math:`L`, posterior draws kept (evenly thinned) for the ranks.
    n_bins, alpha
        Rank-histogram bins of the chi-square test, and its level.
    bootstrap_resamples
        Resamples of the paper's vertex bootstrap per simulation (0: skip).
    batch, **batch_options
        Where the fits run and their sampler settings (nutpie, one compiled model per
        worker): a :class:`~bayescape.inference.BatchOptions`, or its fields as keywords
        (``out_dir``: one result file per simulation, resumable; ``executor``,
        ``n_workers``, ``scheduler_address``; ``draws``, ``tune``, ``chains``: default 500,
        500, 2).
    """
    batch = BatchOptions.resolve(batch, batch_options)
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    _population_parameter(spec)  # before any simulation: the kind must have a population N_c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(data, require_benchmarks=required_benchmarks(spec))
    sims = simulate(simulation_spec or spec, df, n_sims, seed)
    settings = dict(
        draws=batch.draws,
        tune=batch.tune,
        chains=batch.chains,
        n_ranks=n_ranks,
        bootstrap_resamples=bootstrap_resamples,
    )
    tasks = [
        Task(
            f"sim{sim.index:05d}",
            calibration_fit,
            dict(spec_text=spec.text, data=df, simulation=sim, seed=seed + sim.index, **settings),
        )
        for sim in sims
    ]
    # the compiled model is the worker's to reuse
    run = batch.run(tasks, max_tasks_per_worker=max(n_sims, 1))
    return summarise_calibration(list(run.results.values()), n_bins=n_bins, alpha=alpha)
