"""Many independent fits: one executor interface, results stored per task, resumable runs.

Calibration, leave-one-family-out and prior-sensitivity runs are batches of independent tasks.
:func:`run_batch` runs them through an executor (in this process, in local worker processes, or
on a dask.distributed cluster) and writes each finished task's result to its own file
(``<out_dir>/<key>.json``, written to a temporary name and renamed, so a file is either complete
or absent). Running the same batch again skips every task whose file exists: an interrupted run
resumes without redoing finished fits and loses none. Results are stored as JSON, never
pickled: a folder of results is data, and loading it cannot run code.

Memory: each fit compiles a program (Numba for nutpie, XLA for the JAX samplers). Worker
processes clear JAX's caches after every task and are replaced after ``max_tasks_per_worker``
tasks, so compiled code cannot pile up (the prototype ran out of memory maps without this).
:class:`ReusableModel` avoids the compiles altogether for datasets of equal shape.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import multiprocessing
import numbers
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bayescape._config import EXECUTORS
from bayescape._repr import compact_repr
from bayescape.errors import BayescapeError
from bayescape.inference._sampling import MassMatrix, compile_nutpie, nutpie_options

ExecutorName = Literal["sequential", "local", "dask"]
_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class Task:
    """One unit of work: ``fn(**kwargs)``, stored under ``key``.

    ``fn`` must be importable by name (a module-level function) so that worker processes can
    unpickle it; ``key`` names the result file and must be unique within a batch.
    """

    key: str
    fn: Callable[..., Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise BayescapeError(
                f"task key {self.key!r} must use only letters, digits, '_', '-' and '.'"
            )


@dataclass(repr=False)
class BatchRun:
    """What a batch produced.

    Attributes
    ----------
    results
        Result of every finished task (this run's and earlier runs'), by key, in task order.
    failures
        Traceback text of every task that raised in this run, by key (not stored: a rerun
        retries them).
    executed
        Keys run in this call (the rest were loaded from ``out_dir``).
    seconds
        Wall time of this call.
    """

    __repr__ = compact_repr

    results: dict[str, Any]
    failures: dict[str, str]
    executed: list[str]
    seconds: float


def _clear_compile_caches() -> None:
    """Drop compiled programs kept by JAX (XLA executables) and collect garbage."""
    jax = sys.modules.get("jax")
    if jax is not None:
        jax.clear_caches()
    gc.collect()


def _execute(fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
    """Run one task in a worker and free what it compiled."""
    try:
        return fn(**kwargs)
    finally:
        _clear_compile_caches()


def result_path(out_dir: Path, key: str) -> Path:
    """The file holding the result of task ``key``."""
    return Path(out_dir) / f"{key}.json"


def _encode(value: Any) -> Any:
    """A task result as JSON values; dicts with keys other than strings keep their key types.

    Handles what the study tasks return: dicts, lists, tuples, strings, numbers, booleans,
    None and numpy scalars and arrays. Anything else is an error naming its type.
    """
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _encode(value.tolist()), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise BayescapeError(
        f"a batch task returned a {type(value).__name__}, which is not stored: return dicts, "
        "lists, numbers, strings or numpy arrays"
    )


def _decode(obj: dict[str, Any]) -> Any:
    if set(obj) == {"__items__"}:
        return {_hashable(k): v for k, v in obj["__items__"]}
    if set(obj) == {"__ndarray__", "dtype"}:
        return np.asarray(obj["__ndarray__"], dtype=np.dtype(obj["dtype"]))
    return obj


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _store(out_dir: Path, key: str, value: Any) -> None:
    path = result_path(out_dir, key)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps(_encode(value))
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic: a reader sees the whole file or none
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path) -> Any:
    """One stored result; a damaged file is an error naming it (delete it to redo the task)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), object_hook=_decode)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise BayescapeError(
            f"{path}: not a stored batch result ({exc}); delete it to rerun that task"
        ) from None


def load_results(out_dir: str | os.PathLike) -> dict[str, Any]:
    """Every stored task result in ``out_dir``, by key (sorted)."""
    return {path.stem: _read(path) for path in sorted(Path(out_dir).glob("*.json"))}


# ---------------------------------------------------------------------------------------------
# Executors: each yields (key, result or exception, traceback text) as tasks finish


def _run_sequential(tasks: list[Task], **_: Any) -> Iterator[tuple[str, Any, str | None]]:
    for task in tasks:
        try:
            yield task.key, _execute(task.fn, task.kwargs), None
        except Exception as exc:
            yield task.key, exc, traceback.format_exc()


def _run_local(
    tasks: list[Task], n_workers: int | None, max_tasks_per_worker: int, **_: Any
) -> Iterator[tuple[str, Any, str | None]]:
    workers = n_workers or max(1, (os.cpu_count() or 2) - 1)
    # spawn, not fork: forked workers inherit (and deadlock on) JAX/Numba runtime state
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, max_tasks_per_child=max_tasks_per_worker
    ) as pool:
        pending: dict[Future, str] = {
            pool.submit(_execute, task.fn, task.kwargs): task.key for task in tasks
        }
        try:
            while pending:
                done, _not_done = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    key = pending.pop(future)
                    exc = future.exception()
                    if exc is None:
                        yield key, future.result(), None
                    else:
                        text = "".join(traceback.format_exception(exc))
                        yield key, exc, text
        finally:
            for future in pending:
                future.cancel()


def _run_dask(
    tasks: list[Task], n_workers: int | None, scheduler_address: str | None, **_: Any
) -> Iterator[tuple[str, Any, str | None]]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler_address is None:
        cluster = LocalCluster(
            n_workers=n_workers or max(1, (os.cpu_count() or 2) - 1),
            threads_per_worker=1,  # samplers are not thread-safe across fits; one fit per process
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler_address)
    try:
        futures = {}
        for task in tasks:
            future = client.submit(
                _execute, task.fn, task.kwargs, key=f"bayescape-{task.key}", pure=False
            )
            futures[future] = task.key
        for future in as_completed(futures):
            key = futures[future]
            if future.status == "finished":
                yield key, future.result(), None
            else:
                exc = future.exception()
                tb = future.traceback()
                text = "".join(traceback.format_exception(type(exc), exc, tb))
                yield key, exc, text
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


_RUNNERS = {"sequential": _run_sequential, "local": _run_local, "dask": _run_dask}


def run_batch(
    tasks: Iterable[Task],
    out_dir: str | os.PathLike | None,
    *,
    executor: ExecutorName = "sequential",
    n_workers: int | None = None,
    max_tasks_per_worker: int = 20,
    scheduler_address: str | None = None,
    raise_on_failure: bool = True,
    on_result: Callable[[str, Any], None] | None = None,
) -> BatchRun:
    """Run independent tasks, storing each result as it finishes; skip tasks already stored.

    Parameters
    ----------
    tasks
        The batch. Keys must be unique.
    out_dir
        Where results go, one file per task (created if needed). Reusing a directory resumes.
        ``None``: a temporary directory, removed when the batch ends (no resuming).
    executor
        ``"sequential"`` (this process), ``"local"`` (worker processes started with *spawn*,
        each replaced after ``max_tasks_per_worker`` tasks) or ``"dask"`` (dask.distributed: a
        ``LocalCluster`` of single-threaded worker processes, or the scheduler at
        ``scheduler_address``; results are written by this process, so workers need not share
        its disk).
    n_workers
        Worker processes (default: CPU count - 1, at least 1).
    raise_on_failure
        Raise :class:`BayescapeError` after the batch when a task failed (finished tasks are
        stored first). Otherwise failures are only returned.
    on_result
        Called with ``(key, result)`` as each task of this run finishes (progress reporting).

    Returns
    -------
    BatchRun
    """
    if out_dir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return run_batch(
                tasks,
                tmp,
                executor=executor,
                n_workers=n_workers,
                max_tasks_per_worker=max_tasks_per_worker,
                scheduler_address=scheduler_address,
                raise_on_failure=raise_on_failure,
                on_result=on_result,
            )
    if executor not in _RUNNERS:
        raise BayescapeError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if scheduler_address is not None and executor != "dask":
        raise BayescapeError("a scheduler address needs executor='dask'")
    tasks = list(tasks)
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise BayescapeError(f"task keys must be unique; repeated: {', '.join(dupes[:5])}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    todo = [t for t in tasks if not result_path(out, t.key).exists()]
    start = time.perf_counter()
    failures: dict[str, str] = {}
    executed: list[str] = []
    if todo:
        runner = _RUNNERS[executor]
        for key, value, error in runner(
            todo,
            n_workers=n_workers,
            max_tasks_per_worker=max_tasks_per_worker,
            scheduler_address=scheduler_address,
        ):
            executed.append(key)
            if error is not None:
                failures[key] = error
                continue
            _store(out, key, value)
            if on_result is not None:
                on_result(key, value)
    results = {}
    for key in keys:
        path = result_path(out, key)
        if path.exists():
            results[key] = _read(path)
    run = BatchRun(results, failures, executed, time.perf_counter() - start)
    if failures and raise_on_failure:
        first = next(iter(failures))
        raise BayescapeError(
            f"{len(failures)} of {len(todo)} task(s) failed (finished ones are stored in {out}; "
            f"rerun to retry). First, {first}:\n{failures[first]}"
        )
    return run


@dataclass(frozen=True)
class BatchOptions:
    """Where a batch of refits runs, and each refit's sampler settings.

    The studies that refit a model many times (:func:`~bayescape.analysis.calibrate`,
    :func:`~bayescape.analysis.leave_one_family_out`, :func:`~bayescape.analysis.compare`,
    :func:`~bayescape.analysis.prior_sensitivity`) take one of these as ``batch=``, or its
    fields as keywords.

    Attributes
    ----------
    out_dir
        One result file per task; reusing a directory resumes (``None``: a temporary one).
    executor, n_workers, scheduler_address
        Where the tasks run (see :func:`run_batch`).
    draws, tune, chains
        Sampler settings of every refit (per chain).
    """

    out_dir: str | os.PathLike | None = None
    executor: ExecutorName = "sequential"
    n_workers: int | None = None
    scheduler_address: str | None = None
    draws: int = 500
    tune: int = 500
    chains: int = 2

    def __post_init__(self) -> None:
        if self.executor not in _RUNNERS:
            raise BayescapeError(
                f"unknown executor {self.executor!r}; choose one of {', '.join(EXECUTORS)}"
            )
        for name in ("draws", "tune", "chains"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise BayescapeError(f"{name} must be a positive integer, got {value!r}")

    @classmethod
    def resolve(cls, batch: BatchOptions | None, options: Mapping[str, Any]) -> BatchOptions:
        """``batch``, or the options given as keywords (``draws=200, executor="local"``).

        Raises
        ------
        BayescapeError
            When both are given, or a keyword is not a field of :class:`BatchOptions`.
        """
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(fields))
        if unknown:
            raise BayescapeError(
                f"unknown batch option(s) {', '.join(unknown)}; use {', '.join(fields)}"
            )
        if batch is not None and options:
            raise BayescapeError(
                f"give batch=BatchOptions(...) or the options as keywords, not both "
                f"({', '.join(sorted(options))})"
            )
        return batch if batch is not None else cls(**options)

    def fit_kwargs(self, random_seed: int) -> dict[str, int]:
        """Keyword arguments of one refit: ``draws``, ``tune``, ``chains``, ``random_seed``."""
        return dict(draws=self.draws, tune=self.tune, chains=self.chains, random_seed=random_seed)

    def run(self, tasks: Iterable[Task], **kwargs: Any) -> BatchRun:
        """:func:`run_batch` of ``tasks`` with these options (``kwargs``: its other arguments)."""
        return run_batch(
            tasks,
            self.out_dir,
            executor=self.executor,
            n_workers=self.n_workers,
            scheduler_address=self.scheduler_address,
            **kwargs,
        )


# ---------------------------------------------------------------------------------------------
# One compiled model, many datasets of the same shape


class ReusableModel:
    """A PyMC model compiled once by nutpie and refitted to new observed scores.

    The observed values of the model's likelihood terms become named shared variables
    (``observed_<name>``), so nutpie's compiled model takes new data through ``with_data``
    instead of compiling again (compiling is ~90% of a phase-model fit on a CPU). Use it for
    many datasets with the same design: calibration simulations, bootstrap refits.

    Parameters
    ----------
    model
        A built PyMC model with observed variables.
    """

    def __init__(self, model: Any) -> None:
        import pytensor

        self.model = model
        self.observed = [rv.name for rv in model.observed_RVs]
        for rv in model.observed_RVs:
            value = model.rvs_to_values[rv]
            data = np.asarray(getattr(value, "data", value), dtype=float)
            model.rvs_to_values[rv] = pytensor.shared(data, name=f"observed_{rv.name}")
        self._compiled = compile_nutpie(model)

    def sample(
        self,
        observed: Mapping[str, np.ndarray],
        *,
        draws: int = 500,
        tune: int = 500,
        chains: int = 2,
        random_seed: int = 0,
        target_accept: float = 0.9,
        mass_matrix: MassMatrix = "gradient",
    ) -> Any:
        """Posterior draws (ArviZ DataTree) given new values of the observed variables."""
        import nutpie

        missing = set(self.observed) - set(observed)
        if missing:
            raise BayescapeError(f"new data needed for observed variable(s) {sorted(missing)}")
        compiled = self._compiled.with_data(
            **{f"observed_{k}": np.asarray(v, dtype=float) for k, v in observed.items()}
        )
        return nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=random_seed,
            target_accept=target_accept,
            progress_bar=False,
            **nutpie_options(mass_matrix),
        )
