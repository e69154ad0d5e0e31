"""Run NUTS on a PyMC model with a chosen backend."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import pymc as pm
import pytensor
import xarray as xr

from bayescape._config import SAMPLERS
from bayescape.errors import BayescapeError
from bayescape.inference._chain_processes import sample_in_processes
from bayescape.inference._nutpie_cfunc import fast_cfunc_wrappers

Sampler = Literal["numpyro", "nutpie", "blackjax", "pymc"]
MassMatrix = Literal["gradient", "variance"]
ChainMethod = Literal["sequential", "vectorized", "parallel", "processes"]
Device = Literal["auto", "cpu", "gpu", "tpu"]
MASS_MATRICES: tuple[str, ...] = ("gradient", "variance")
JAX_SAMPLERS: tuple[str, ...] = ("numpyro", "blackjax")
"""Backends that compile the model to JAX (double precision is switched on before they run)."""
DEFAULT_SAMPLER: Sampler = "nutpie"
"""Fastest backend on the phase model on a 2-core CPU (see benchmarks/RESULTS.md)."""

NUTPIE_STATS = {"tree_depth": "depth", "lp": "logp", "acceptance_rate": "mean_tree_accept"}
"""PyMC's names of the JAX samplers' statistics -> nutpie's, so every backend's
``sample_stats`` read the same (``diverging``, ``energy``, ``n_steps``, ``step_size`` agree)."""
MAX_TREE_DEPTH = 10
"""The tree depth every backend stops at (numpyro's, blackjax's and nutpie's default)."""


@dataclass(frozen=True)
class Run:
    """What one call of :func:`sample` asks of a backend."""

    draws: int
    tune: int
    chains: int
    random_seed: int
    target_accept: float
    mass_matrix: MassMatrix
    chain_method: ChainMethod
    progressbar: bool
    rebuild: Callable[[], pm.Model] | None = None


class Backend:
    """One NUTS implementation :func:`sample` can run.

    A backend declares the chain methods and mass-matrix adaptations it offers (the first of
    each is its default), whether a model runs in JAX under it (then ``--device`` applies and
    JAX picks the platform) and draws the posterior. :data:`BACKENDS` holds one per name.
    """

    name: str
    chain_methods: tuple[str, ...] = ("sequential",)
    mass_matrices: tuple[str, ...] = ("gradient",)

    def runs_in_jax(self, model: pm.Model) -> bool:
        """Whether the model's log density is evaluated by JAX under this backend."""
        return has_jax_ops(model)

    def draw(self, model: pm.Model, run: Run) -> xr.DataTree:
        """The posterior of ``model`` (compiled here: the wall time includes compilation)."""
        raise NotImplementedError


class _Nutpie(Backend):
    name = "nutpie"
    chain_methods = ("parallel", "processes")
    mass_matrices = MASS_MATRICES

    def draw(self, model: pm.Model, run: Run) -> xr.DataTree:
        """nutpie called directly: compile, sample, attach the data groups as PyMC does.

        ``pm.sample(nuts_sampler="nutpie")`` makes the same two calls, after first building
        the gradient graph to choose PyMC's own step methods, which nutpie never uses (about
        1 s of the default fit). ``"parallel"`` chains are threads: they get the cores this
        process may use (PyMC guesses half of ``os.cpu_count()``, 1 on a 2-core machine, which
        ran every chain on one thread). ``"processes"``: one worker process per core, each
        chain seeded by itself (:mod:`bayescape.inference._chain_processes`): for models
        whose gradient nuts-rs calls through Python (the JAX backend), where threads share
        one core.
        """
        import nutpie
        from pymc.backends.arviz import patch_nutpie_idata
        from pymc.progress_bar.progress import NutpieProgressBarManager

        settings = dict(
            draws=run.draws,
            tune=max(run.tune, 1),  # nuts-rs needs at least one tuning step
            target_accept=run.target_accept,
            **nutpie_options(run.mass_matrix),
        )
        cores = max(1, min(run.chains, available_cores()))
        bar = NutpieProgressBarManager(
            chains=run.chains, draws=run.draws, progressbar=run.progressbar
        )
        if run.chain_method == "processes":
            if run.rebuild is None:
                raise BayescapeError(
                    "chain_method 'processes' builds the model again in each worker: pass "
                    "sample(..., rebuild=) a function that builds it (bayescape.fit does)"
                )
            sampling_start = time.perf_counter()
            with bar:
                idata = sample_in_processes(
                    model,
                    run.rebuild,
                    chains=run.chains,
                    workers=cores,
                    random_seed=run.random_seed,
                    bar=bar,
                    **settings,
                )
        else:
            compiled = compile_nutpie(model)
            sampling_start = time.perf_counter()
            with bar:
                idata = nutpie.sample(
                    compiled,
                    chains=run.chains,
                    cores=cores,
                    seed=run.random_seed,
                    progress_bar=False,
                    progress_callback=bar.update,
                    **settings,
                )
        patch_nutpie_idata(idata, model, sampling_time=time.perf_counter() - sampling_start)
        return idata


class _PyMCNuts(Backend):
    name = "pymc"

    def runs_in_jax(self, model: pm.Model) -> bool:
        return False

    def draw(self, model: pm.Model, run: Run) -> xr.DataTree:
        # one process: forked workers deadlock on JAX ops
        return _pm_sample(model, run, nuts_sampler="pymc", cores=1)


class _JaxNuts(Backend):
    """numpyro's or blackjax's NUTS on the model compiled to one JAX log density.

    ``"vectorized"`` chains are one program: ``jax.vmap`` over chains of the whole warm-up and
    sampling loop (``lax`` loops, compiled once by XLA; the progress bar is off, since a bar
    steps the loop from Python). ``"sequential"`` (numpyro) runs the chains one after another,
    with a progress bar. Chains in ``jax.pmap`` are not offered: diffrax (the dynamics model)
    fails inside it.
    """

    def __init__(self, name: str, chain_methods: tuple[str, ...]) -> None:
        self.name = name
        self.chain_methods = chain_methods

    def runs_in_jax(self, model: pm.Model) -> bool:
        return True

    def draw(self, model: pm.Model, run: Run) -> xr.DataTree:
        vectorized = run.chain_method == "vectorized"
        idata = _pm_sample(
            model,
            run,
            nuts_sampler=self.name,
            nuts={"chain_method": run.chain_method},
            progressbar=run.progressbar and not vectorized,
        )
        return _nutpie_stat_names(idata)


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        _JaxNuts("numpyro", ("sequential", "vectorized")),
        _Nutpie(),
        _JaxNuts("blackjax", ("vectorized",)),
        _PyMCNuts(),
    )
}
"""Every backend by name (the names are :data:`bayescape._config.SAMPLERS`)."""


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
    chain_method: ChainMethod | None = None,
    device: Device = "auto",
    progressbar: bool = True,
    rebuild: Callable[[], pm.Model] | None = None,
) -> tuple[xr.DataTree, float]:
    """Draw posterior samples with NUTS.

    Parameters
    ----------
    model
        The PyMC model.
    sampler
        ``"nutpie"`` (Numba-compiled model, Rust sampler; the default), ``"numpyro"`` (JAX),
        ``"blackjax"`` (JAX, chains vectorised) or ``"pymc"`` (PyMC's own NUTS, one process).
    draws, tune, chains, random_seed, target_accept
        As in :func:`pymc.sample`. The same seed gives the same draws on one platform (see
        Notes).
    mass_matrix
        nutpie's mass-matrix adaptation: ``"gradient"`` (nutpie's default, from draws and
        gradients) or ``"variance"`` (from the draws' variances, as Stan does). Other samplers
        accept only ``"gradient"``, which stands for their own default.
    chain_method
        How the JAX samplers run chains: ``"vectorized"`` (``jax.vmap`` over chains, the whole
        loop one compiled program: the way to use an accelerator) or ``"sequential"``
        (numpyro only, one chain after another); nutpie's ``"parallel"`` (threads, its
        default) or ``"processes"`` (a worker process per core; chain ``k`` seeded from
        ``(random_seed, k)``, so its draws do not depend on the core count, but differ from
        the threads' draws for the same seed). ``None``: the backend's default.
    device
        Where JAX computes: ``"auto"`` (an accelerator when JAX finds one), ``"cpu"``,
        ``"gpu"`` or ``"tpu"``; chosen before JAX's first computation in the process.
        Backends that do not run the model in JAX (nutpie with Numba, PyMC) accept
        ``"auto"`` and ``"cpu"``.
    progressbar
        Show a progress bar (not for vectorised chains: see :class:`Backend`).
    rebuild
        A picklable function without arguments that builds ``model`` again: needed by
        ``chain_method="processes"``, whose workers build their own copy.

    Returns
    -------
    (idata, seconds)
        The posterior as an ArviZ DataTree and the wall time of the call. ``idata.attrs``
        holds ``device`` (``"PLATFORM: DEVICE KIND x COUNT"``) and ``chain_method``.
        ``sample_stats`` use nutpie's names whichever backend ran (``diverging``, ``depth``,
        ``maxdepth_reached``, ``n_steps``, ``logp``, ...).

    Notes
    -----
    The model is compiled with Numba's ``fastmath`` off. With it on, LLVM may reorder
    floating-point operations differently when PyTensor's compiled pieces come from its cache
    than when they are compiled fresh: the log density then differs in the last bit between a
    cold and a warm cache, and NUTS trajectories (and so every draw) diverge after a few
    hundred steps. Off, the same seed gives bit-identical draws in any cache state. XLA (the
    JAX samplers) is deterministic on one platform; a CPU and a GPU round differently, so
    their draws differ.
    """
    backend = _backend(sampler)
    if mass_matrix not in MASS_MATRICES:
        raise BayescapeError(
            f"unknown mass_matrix {mass_matrix!r}; choose one of {', '.join(MASS_MATRICES)}"
        )
    if mass_matrix not in backend.mass_matrices:
        raise BayescapeError(
            f"mass_matrix = {mass_matrix!r} is a nutpie option; the {sampler} sampler adapts its "
            "own (drop the option or use sampler = 'nutpie')"
        )
    chain_method = chain_method or backend.chain_methods[0]
    if chain_method not in backend.chain_methods:
        raise BayescapeError(
            f"the {sampler} sampler runs chains {' or '.join(backend.chain_methods)}, not "
            f"{chain_method!r} (vectorised chains: sampler numpyro or blackjax)"
        )
    start = time.perf_counter()
    if backend.runs_in_jax(model):
        from bayescape.inference._device import use_device

        device_name = use_device(device)
    elif device in ("auto", "cpu"):
        device_name = f"cpu: {sampler} (not JAX)"
    else:
        raise BayescapeError(
            f"the {sampler} sampler runs this model on the CPU only (it is not compiled to "
            f"JAX); for --device {device} use sampler numpyro or blackjax"
        )
    run = Run(
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        target_accept=target_accept,
        mass_matrix=mass_matrix,
        chain_method=chain_method,  # type: ignore[arg-type]
        progressbar=progressbar,
        rebuild=rebuild,
    )
    idata = backend.draw(model, run)
    idata.attrs.update(device=device_name, chain_method=chain_method)
    return idata, time.perf_counter() - start


def _backend(sampler: str) -> Backend:
    if sampler not in BACKENDS:
        raise BayescapeError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
    return BACKENDS[sampler]


def _pm_sample(model: pm.Model, run: Run, **options: Any) -> xr.DataTree:
    """``pm.sample`` with the run's settings (PyMC's INFO lines held back)."""
    options.setdefault("progressbar", run.progressbar)
    if options["nuts_sampler"] in JAX_SAMPLERS:
        import bayescape._jax  # noqa: F401  (x64 before any JAX work)
    with model, reproducible_compilation(), _quiet_pymc_log():
        return pm.sample(
            draws=run.draws,
            tune=run.tune,
            chains=run.chains,
            random_seed=run.random_seed,
            target_accept=run.target_accept,
            **options,
        )


def _nutpie_stat_names(idata: xr.DataTree) -> xr.DataTree:
    """Rename the JAX samplers' ``sample_stats`` to nutpie's (:data:`NUTPIE_STATS`) and add
    ``maxdepth_reached``, so the gate and every analysis read one set of names."""
    stats = idata["sample_stats"].ds
    stats = stats.rename({k: v for k, v in NUTPIE_STATS.items() if k in stats})
    if "depth" in stats:
        stats["maxdepth_reached"] = stats["depth"] >= MAX_TREE_DEPTH
    idata["sample_stats"] = xr.DataTree(stats)
    return idata


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
    with reproducible_compilation(), fast_cfunc_wrappers():
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
    the check never imports JAX itself. It walks the graphs of the model's variables,
    potentials and deterministics (the log density is built from those) rather than building
    the log density, which took 0.2 s of the default fit, twice.
    """
    from pytensor.graph.traversal import ancestors

    jax_ops = sys.modules.get("pytensor.link.jax.ops")
    if jax_ops is None:
        return False
    roots = [*model.basic_RVs, *model.potentials, *model.deterministics]
    return any(
        v.owner is not None and isinstance(v.owner.op, jax_ops.JAXOp) for v in ancestors(roots)
    )
