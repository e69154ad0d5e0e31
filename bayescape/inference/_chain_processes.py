"""nutpie chains in worker processes (``chain_method = "processes"``).

nutpie runs its chains as threads of one process. With the Numba backend the log density is
a C function and the threads run in parallel; with the JAX backend (the dynamics model's
diffrax solve) nuts-rs calls a Python function for every gradient, every thread needs the
interpreter lock, and the chains share one core: on the 2-core machine the default dynamics
fit used 1.0-1.5 cores. Here each worker process (one per core, at most one per chain) builds
nutpie's compiled model once and samples whole chains, one at a time.

Reproducibility: chain ``k`` is always sampled alone (``chains=1``) with the seed
:func:`chain_seed` ``(random_seed, k)``, so its draws depend on the seed and the chain index,
not on how many cores or workers there are. The chains are then joined along ``chain`` in
order. Progress is forwarded from the workers to the parent's progress bar.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue as queue_module
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    import pymc as pm

GROUPS = ("posterior", "sample_stats", "warmup_posterior", "warmup_sample_stats")
"""The groups nutpie returns, joined chain by chain."""


def chain_seed(random_seed: int, chain: int) -> int:
    """nutpie's seed for chain ``chain`` of a run seeded ``random_seed`` (NumPy's
    ``SeedSequence`` of the pair: independent streams, fixed by the pair alone)."""
    state = np.random.SeedSequence([int(random_seed), int(chain)]).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))  # nutpie takes a non-negative int64


@dataclass(frozen=True)
class ChainProgress:
    """The fields of ``nutpie.ChainProgress`` PyMC's progress bar reads, as a picklable
    record (nutpie's object cannot leave the worker)."""

    started: bool = False
    total_draws: int = 0
    finished_draws: int = 0
    divergent_draws: tuple[int, ...] = ()
    latest_num_steps: int = 0
    runtime_ms: float = 0.0
    step_size: float = 0.0

    @classmethod
    def of(cls, p: Any) -> ChainProgress:
        return cls(
            started=bool(p.started),
            total_draws=int(p.total_draws),
            finished_draws=int(p.finished_draws),
            divergent_draws=tuple(p.divergent_draws),
            latest_num_steps=int(p.latest_num_steps),
            runtime_ms=float(p.runtime_ms),
            step_size=float(p.step_size),
        )


_WORKER: dict[str, Any] = {}
"""The worker process's compiled model and progress queue (set by :func:`_start_worker`)."""


def _start_worker(rebuild_bytes: bytes, progress: Any, jax_platforms: str | None) -> None:
    from bayescape.inference._sampling import compile_nutpie

    if jax_platforms:  # the parent's device choice (``--device``), before any JAX work here
        import jax

        jax.config.update("jax_platforms", jax_platforms)

    with warnings.catch_warnings():  # the parent built the same model and showed them
        warnings.simplefilter("ignore")
        model = pickle.loads(rebuild_bytes)()
    _WORKER["compiled"] = compile_nutpie(model)
    _WORKER["progress"] = progress


def _worker_chain(chain: int, settings: dict[str, Any]) -> dict[str, xr.Dataset]:
    """One chain in a worker process (its compiled model and progress queue)."""
    return _sample_chain(_WORKER["compiled"], _WORKER["progress"], chain, settings)


def _sample_chain(
    compiled: Any, progress: Any, chain: int, settings: dict[str, Any]
) -> dict[str, xr.Dataset]:
    """nutpie's single chain ``chain``; its progress ``put`` on ``progress`` as
    ``(chain, ChainProgress)``."""
    import nutpie

    def forward(chains: list[Any]) -> None:
        progress.put((chain, ChainProgress.of(chains[0])))

    idata = nutpie.sample(
        compiled,
        chains=1,
        cores=1,
        progress_bar=False,
        progress_callback=forward,
        **settings,
    )
    return {g: idata[g].ds.assign_coords(chain=[chain]) for g in GROUPS if g in idata}


class _BarFeed:
    """The latest progress of every chain, sent to the bar at each update (fed by the
    workers' queue, or directly when the chains run in this process)."""

    def __init__(self, bar: Any, latest: list[ChainProgress]) -> None:
        self.bar, self.latest = bar, latest

    def put(self, item: tuple[int, ChainProgress]) -> None:
        chain, record = item
        self.latest[chain] = record
        self.bar.update(list(self.latest))


def _jax_platforms() -> str | None:
    """The JAX platform this process was pointed at (``None``: JAX's default)."""
    jax = sys.modules.get("jax")
    return getattr(getattr(jax, "config", None), "jax_platforms", None) or None


def sample_in_processes(
    model: pm.Model,
    rebuild: Callable[[], pm.Model],
    *,
    chains: int,
    workers: int,
    random_seed: int,
    bar: Any,
    **settings: Any,
) -> xr.DataTree:
    """Sample ``chains`` chains of ``model`` with nutpie in ``workers`` processes.

    Parameters
    ----------
    model
        The built PyMC model: compiled here when the chains run in this process (one worker,
        or inside a daemonic process, which may not start others: a dask worker).
    rebuild
        A function without arguments that builds the same model (sent to the workers with
        cloudpickle; each builds and compiles the model once). A built model cannot be sent:
        PyMC registers a ``CustomDist``'s log density in the process that created it.
    chains, workers
        Number of chains and of worker processes (at most ``chains``).
    random_seed
        Chain ``k`` is seeded :func:`chain_seed` ``(random_seed, k)``.
    bar
        PyMC's ``NutpieProgressBarManager`` (entered), updated from the workers.
    settings
        ``nutpie.sample`` keywords: ``draws``, ``tune``, ``target_accept``, adaptation.

    Returns
    -------
    xarray.DataTree
        nutpie's groups, the chains joined in order (coordinates ``0 .. chains - 1``).
    """
    import cloudpickle

    from bayescape.inference._sampling import compile_nutpie

    workers = max(1, min(workers, chains))
    seeded = [{**settings, "seed": chain_seed(random_seed, k)} for k in range(chains)]
    feed = _BarFeed(bar, [ChainProgress(total_draws=settings["draws"] + settings["tune"])] * chains)
    if workers == 1 or multiprocessing.current_process().daemon:
        # the same chains, seeded the same way, one after another in this process
        compiled = compile_nutpie(model)
        return _join([_sample_chain(compiled, feed, k, s) for k, s in enumerate(seeded)])
    context = multiprocessing.get_context("spawn")  # forking a process that ran JAX deadlocks
    manager = context.Manager()
    progress = manager.Queue()
    done = threading.Event()

    def relay() -> None:
        while not done.is_set():
            try:
                feed.put(progress.get(timeout=0.2))
            except queue_module.Empty:
                continue

    relay_thread = threading.Thread(target=relay, daemon=True)
    relay_thread.start()
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(cloudpickle.dumps(rebuild), progress, _jax_platforms()),
        ) as pool:
            futures = [pool.submit(_worker_chain, k, s) for k, s in enumerate(seeded)]
            parts = [f.result() for f in futures]
    finally:
        done.set()
        relay_thread.join()
        manager.shutdown()
    return _join(parts)


def _join(parts: list[dict[str, xr.Dataset]]) -> xr.DataTree:
    """nutpie's groups of single chains, joined along ``chain`` in order."""
    return xr.DataTree.from_dict(
        {
            g: xr.concat([p[g] for p in parts], dim="chain", combine_attrs="override")
            for g in GROUPS
            if g in parts[0]
        }
    )
