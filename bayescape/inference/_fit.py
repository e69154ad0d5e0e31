"""Fit a named model to a dataset: load, validate, build, sample, diagnose."""

from __future__ import annotations

import platform
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path

import pandas as pd
import pymc as pm

from bayescape.data import DEFAULT_DATASET, data_hash, load_dataset
from bayescape.inference._result import FitResult
from bayescape.inference._sampling import DEFAULT_SAMPLER, sample
from bayescape.models import ModelSpec, build_model, load_spec, required_benchmarks


def fit_model(
    model: str | Path | ModelSpec = "phase",
    data: str | Path | pd.DataFrame = DEFAULT_DATASET,
    *,
    sampler: str | None = None,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    random_seed: int = 0,
    target_accept: float | None = None,
    chain_method: str | None = None,
    device: str = "auto",
    exclude_families: Iterable[str] = (),
    progressbar: bool = True,
) -> FitResult:
    """Fit a model and return its :class:`FitResult`.

    Parameters
    ----------
    model
        Shipped model name (``"phase"``, ``"phase_no_transition"``, ``"quadratic"``), a path to
        a spec TOML file, or a parsed :class:`ModelSpec`.
    data
        Shipped dataset name, a path to a CSV/Parquet file, or a DataFrame (validated the same
        way as a file).
    sampler, draws, tune, chains, target_accept, chain_method
        Override the spec's ``[sampler]`` defaults (``chain_method``: ``"vectorized"`` runs
        the chains of numpyro or blackjax as one ``jax.vmap``-ed program; see
        :func:`~bayescape.inference.sample`).
    device
        Where the JAX samplers compute: ``"auto"``, ``"cpu"``, ``"gpu"`` or ``"tpu"``. The
        device that ran is in ``info["device"]`` (saved with the result).
    random_seed
        Seed of the sampler: the same seed gives the same draws.
    exclude_families
        Families left out of the fit (e.g. to predict them afterwards).
    progressbar
        Show the sampler's progress bar.
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    defaults = spec.sampler
    df = load_dataset(
        data, require_benchmarks=required_benchmarks(spec), exclude_families=exclude_families
    )
    start = time.perf_counter()
    pm_model, _ = build_model(df, spec)
    build_seconds = time.perf_counter() - start
    settings = dict(
        sampler=sampler or defaults.get("name", DEFAULT_SAMPLER),
        draws=int(draws or defaults.get("draws", 1000)),
        tune=int(tune or defaults.get("tune", 1000)),
        chains=int(chains or defaults.get("chains", 4)),
        target_accept=float(target_accept or defaults.get("target_accept", 0.9)),
    )
    # the spec's mass-matrix and chain-method choices are its sampler's; another adapts its own
    own = settings["sampler"] == defaults.get("name", DEFAULT_SAMPLER)
    settings["mass_matrix"] = str(defaults.get("mass_matrix", "gradient")) if own else "gradient"
    settings["chain_method"] = chain_method or (defaults.get("chain_method") if own else None)
    idata, seconds = sample(
        pm_model,
        random_seed=random_seed,
        device=device,
        progressbar=progressbar,
        rebuild=partial(_model_only, df, spec),
        **settings,
    )
    settings["chain_method"] = idata.attrs["chain_method"]
    from bayescape import __version__

    info = dict(
        bayescape_version=__version__,
        data_source=str(df.attrs.get("source", "<DataFrame>")),
        data_hash=data_hash(df),
        spec_hash=spec.hash,
        model=spec.name,
        seed=random_seed,
        excluded_families=",".join(sorted(set(exclude_families))),
        build_seconds=round(build_seconds, 3),
        sampling_seconds=round(seconds, 3),
        machine=f"{platform.machine()} {platform.system()}",
        device=idata.attrs["device"],
        **settings,
    )
    return FitResult(idata=idata, data=df, spec=spec, info=info)


def _model_only(df: pd.DataFrame, spec: ModelSpec) -> pm.Model:
    """The PyMC model of ``spec`` on ``df`` (what a chain worker process builds again)."""
    return build_model(df, spec)[0]
