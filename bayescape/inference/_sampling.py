"""Run NUTS on a PyMC model with a chosen backend."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import pymc as pm
import pytensor
import xarray as xr

from bayescape._config import SAMPLERS
from bayescape.errors import BayescapeError

Sampler = Literal["numpyro", "nutpie", "blackjax", "pymc"]
MassMatrix = Literal["gradient", "variance"]
MASS_MATRICES: tuple[str, ...] = ("gradient", "variance")
JAX_SAMPLERS: tuple[str, ...] = ("numpyro", "blackjax")
"""Backends that compile the model to JAX (double precision is switched on before they run)."""
DEFAULT_SAMPLER: Sampler = "nutpie"
"""Fastest backend on the phase model on a 2-core CPU (see benchmarks/RESULTS.md)."""


def sample(
    model: pm.Model,
    *,
    sampler: Sampler = DEFAULT_SAMPLER,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int = 0,
    target_accept: float = 0.9,
    mass_matrix: MassMatrix = "gradient",
    progressbar: bool = True,
) -> tuple[xr.DataTree, float]:
    """Draw posterior samples with NUTS.

    Parameters
    ----------
    model
        The PyMC model.
    sampler
        ``"nutpie"`` (Numba-compiled model, Rust sampler; the default), ``"numpyro"`` (JAX,
        chains in sequence), ``"blackjax"`` (JAX, chains vectorised) or ``"pymc"`` (PyMC's own
        NUTS, one process).
    draws, tune, chains, random_seed, target_accept
        As in :func:`pymc.sample`. The same seed gives the same draws (see Notes).
    mass_matrix
        nutpie's mass-matrix adaptation: ``"gradient"`` (nutpie's default, from draws and
        gradients) or ``"variance"`` (from the draws' variances, as Stan does). Other samplers
        accept only ``"gradient"``, which stands for their own default.
    progressbar
        Show a progress bar.

    Returns
    -------
    (idata, seconds)
        The posterior as an ArviZ DataTree and the wall time of the call.

    Notes
    -----
    The model is compiled with Numba's ``fastmath`` off. With it on, LLVM may reorder
    floating-point operations differently when PyTensor's compiled pieces come from its cache
    than when they are compiled fresh: the log density then differs in the last bit between a
    cold and a warm cache, and NUTS trajectories (and so every draw) diverge after a few
    hundred steps. Off, the same seed gives bit-identical draws in any cache state.
    """
    if sampler not in SAMPLERS:
        raise BayescapeError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
    if mass_matrix not in MASS_MATRICES:
        raise BayescapeError(
            f"unknown mass_matrix {mass_matrix!r}; choose one of {', '.join(MASS_MATRICES)}"
        )
    if mass_matrix != "gradient" and sampler != "nutpie":
        raise BayescapeError(
            f"mass_matrix = {mass_matrix!r} is a nutpie option; the {sampler} sampler adapts its "
            "own (drop the option or use sampler = 'nutpie')"
        )
    if sampler == "nutpie":
        return _sample_nutpie(
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            mass_matrix=mass_matrix,
            progressbar=progressbar,
        )
    kwargs: dict = dict(
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        progressbar=progressbar,
        nuts_sampler=sampler,
        target_accept=target_accept,
    )
    if sampler == "pymc":
        kwargs["cores"] = 1  # forked workers deadlock on JAX ops; one process is reliable
    elif sampler == "numpyro":
        kwargs["nuts"] = {"chain_method": "sequential"}
    elif sampler == "blackjax":
        kwargs["nuts"] = {"chain_method": "vectorized"}
    if sampler in JAX_SAMPLERS:
        import bayescape._jax  # noqa: F401  (x64 before any JAX work)
    start = time.perf_counter()
    with model, reproducible_compilation(), _quiet_pymc_log():
        idata = pm.sample(**kwargs)
    return idata, time.perf_counter() - start


def _sample_nutpie(
    model: pm.Model,
    *,
    draws: int,
    tune: int,
    chains: int,
    random_seed: int,
    target_accept: float,
    mass_matrix: MassMatrix,
    progressbar: bool,
) -> tuple[xr.DataTree, float]:
    """nutpie called directly: compile, sample, attach the data groups as PyMC does.

    ``pm.sample(nuts_sampler="nutpie")`` makes the same two calls, after first building the
    gradient graph to choose PyMC's own step methods, which nutpie never uses (about 1 s of the
    default fit). Chains are threads: they get the cores this process may use (PyMC guesses
    half of ``os.cpu_count()``, 1 on a 2-core machine, which ran every chain on one thread).
    """
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata
    from pymc.progress_bar.progress import NutpieProgressBarManager

    start = time.perf_counter()
    compiled = compile_nutpie(model)
    bar = NutpieProgressBarManager(chains=chains, draws=draws, progressbar=progressbar)
    sampling_start = time.perf_counter()
    with bar:
        idata = nutpie.sample(
            compiled,
            draws=draws,
            tune=max(tune, 1),  # nuts-rs needs at least one tuning step
            chains=chains,
            cores=max(1, min(chains, available_cores())),
            seed=random_seed,
            target_accept=target_accept,
            progress_bar=False,
            progress_callback=bar.update,
            **nutpie_options(mass_matrix),
        )
    patch_nutpie_idata(idata, model, sampling_time=time.perf_counter() - sampling_start)
    return idata, time.perf_counter() - start


def compile_nutpie(model: pm.Model) -> Any:
    """The model compiled by nutpie, with the backend its operations need.

    Every nutpie compile of the package goes through here (:func:`sample`,
    :class:`~bayescape.inference.ReusableModel`), with Numba's ``fastmath`` off
    (:func:`reproducible_compilation`).

    Parameters
    ----------
    model
        A built PyMC model.

    Returns
    -------
    nutpie.CompiledModel
        Numba's compile (nutpie's default, faster to run on the phase model than its JAX
        backend: 5.5 s vs 101 s of sampling, measured), or JAX's when the log density holds a
        JAX op (:func:`has_jax_ops`: the dynamics model's diffrax solve, which Numba would run
        in object mode, calling Python at every gradient); nutpie then calls the model's JAX
        log density and gradient, one compiled XLA function.
    """
    import nutpie

    if has_jax_ops(model):
        import bayescape._jax  # noqa: F401  (x64 before any JAX work)

        backend = {"backend": "jax", "gradient_backend": "jax"}
    else:
        backend = {"backend": "numba"}
    with reproducible_compilation():
        return nutpie.compile_pymc_model(model, **backend)


@contextmanager
def _quiet_pymc_log() -> Iterator[None]:
    """Hold back PyMC's INFO lines while sampling (``NUTS[nutpie]: [every variable]``, 200+
    columns): bayescape says what it fits itself; PyMC's warnings still pass."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def reproducible_compilation():
    """Context in which PyTensor compiles with Numba's ``fastmath`` off (see :func:`sample`)."""
    return pytensor.config.change_flags(numba__fastmath=False)


def nutpie_options(mass_matrix: MassMatrix) -> dict:
    """``nutpie.sample`` keyword arguments for a mass-matrix choice (``draw_diag``: variances)."""
    return {"adaptation": "diag" if mass_matrix == "gradient" else "draw_diag"}


def has_jax_ops(model: pm.Model) -> bool:
    """Whether the model's log density contains a JAX op (``pytensor.wrap_jax``).

    A model can only hold one if PyTensor's JAX op module was imported (by ``wrap_jax``), so
    the check never imports JAX itself.
    """
    from pytensor.graph.traversal import ancestors

    jax_ops = sys.modules.get("pytensor.link.jax.ops")
    if jax_ops is None:
        return False
    return any(
        v.owner is not None and isinstance(v.owner.op, jax_ops.JAXOp)
        for v in ancestors([model.logp()])
    )
