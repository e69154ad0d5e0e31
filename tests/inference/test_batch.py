"""Batch executor: results stored per task, resumed runs redo nothing that finished.

Each probe task appends its key to a log file when it finishes, so the log counts executions:
a task executed twice appears twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bayescape.errors import BayescapeError
from bayescape.inference import BatchOptions, Task, load_results, run_batch

PROBE = textwrap.dedent(
    """
    import os, time

    def record(key, log, delay=0.0, fail_flag=None):
        if fail_flag is not None and os.path.exists(fail_flag):
            raise RuntimeError(f"injected failure in {key}")
        time.sleep(delay)
        with open(log, "a") as fh:
            fh.write(key + "\\n")
        return {"key": key, "square": int(key[1:]) ** 2, "pid": os.getpid()}
    """
)


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A task module importable here, in spawned workers and in a child interpreter."""
    (tmp_path / "batch_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import batch_probe

    return batch_probe


def executions(log: Path) -> Counter:
    return Counter(log.read_text().split()) if log.exists() else Counter()


def tasks(probe, log, n, **kwargs):
    return [
        Task(f"k{i}", probe.record, dict(key=f"k{i}", log=str(log), **kwargs)) for i in range(n)
    ]


@pytest.mark.behaviour
def test_results_stored_per_task_and_rerun_executes_nothing(tmp_path, probe):
    log, out = tmp_path / "log.txt", tmp_path / "out"
    first = run_batch(tasks(probe, log, 4), out)
    assert first.executed == ["k0", "k1", "k2", "k3"]
    assert [r["square"] for r in first.results.values()] == [0, 1, 4, 9]
    assert sorted(p.name for p in out.iterdir()) == [f"k{i}.json" for i in range(4)]
    second = run_batch(tasks(probe, log, 4), out)
    assert second.executed == []
    assert second.results == first.results
    assert executions(log) == Counter({f"k{i}": 1 for i in range(4)})
    assert load_results(out) == first.results


@pytest.mark.behaviour
def test_injected_failure_keeps_finished_tasks_and_resume_runs_only_the_failed_one(tmp_path, probe):
    log, out, flag = tmp_path / "log.txt", tmp_path / "out", tmp_path / "fail"
    batch = tasks(probe, log, 5)
    flag.touch()
    batch[2] = Task("k2", probe.record, dict(key="k2", log=str(log), fail_flag=str(flag)))
    with pytest.raises(
        BayescapeError, match=r"(?s)1 of 5 task\(s\) failed.*injected failure in k2"
    ):
        run_batch(batch, out)
    assert sorted(load_results(out)) == ["k0", "k1", "k3", "k4"]
    flag.unlink()
    resumed = run_batch(batch, out)
    assert resumed.executed == ["k2"]
    assert executions(log) == Counter({f"k{i}": 1 for i in range(5)})


@pytest.mark.behaviour
def test_killed_run_resumes_without_recomputing_finished_tasks(tmp_path, probe):
    log, out = tmp_path / "log.txt", tmp_path / "out"
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(tmp_path)!r})
            import batch_probe
            from bayescape.inference import Task, run_batch
            tasks = [Task(f"k{{i}}", batch_probe.record,
                          dict(key=f"k{{i}}", log={str(log)!r}, delay=0.4)) for i in range(8)]
            run_batch(tasks, {str(out)!r})
            """
        )
    )
    child = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("*.json"))) < 3:
            assert child.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "the batch made no progress"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    finished_before = set(load_results(out))
    assert 3 <= len(finished_before) < 8
    assert not list(out.glob(".*.tmp")), "a partial result file was left behind"

    resumed = run_batch(tasks(probe, log, 8, delay=0.0), out)
    assert finished_before.isdisjoint(resumed.executed)
    assert set(resumed.executed) | finished_before == {f"k{i}" for i in range(8)}
    counts = executions(log)
    assert all(counts[k] == 1 for k in finished_before), counts
    # only a task in flight at the kill may have run twice (it finished after its file was due)
    assert sum(c - 1 for c in counts.values()) <= 1, counts
    assert [r["square"] for r in resumed.results.values()] == [i * i for i in range(8)]


@pytest.mark.behaviour
def test_local_processes_recycle_workers_and_match_sequential(tmp_path, probe):
    log = tmp_path / "log.txt"
    local = run_batch(
        tasks(probe, log, 2),
        tmp_path / "local",
        executor="local",
        n_workers=1,
        max_tasks_per_worker=1,
    )
    pids = {r["pid"] for r in local.results.values()}
    assert len(pids) == 2 and os.getpid() not in pids  # a fresh worker per task
    assert [r["square"] for r in local.results.values()] == [0, 1]
    assert sorted(local.executed) == ["k0", "k1"]


@pytest.mark.slow
@pytest.mark.behaviour
def test_dask_local_cluster_runs_and_resumes(tmp_path, probe):
    log, out = tmp_path / "log.txt", tmp_path / "dask"
    run = run_batch(tasks(probe, log, 3), out, executor="dask", n_workers=1)
    assert [r["square"] for r in run.results.values()] == [0, 1, 4]
    again = run_batch(tasks(probe, log, 4), out, executor="dask", n_workers=1)
    assert again.executed == ["k3"]


@pytest.mark.behaviour
def test_bad_batches_are_refused_with_a_clear_message(tmp_path, probe):
    with pytest.raises(BayescapeError, match="unique; repeated: k0"):
        run_batch([Task("k0", probe.record), Task("k0", probe.record)], tmp_path)
    with pytest.raises(BayescapeError, match="letters, digits"):
        Task("a/b", probe.record)
    with pytest.raises(BayescapeError, match="choose one of sequential, local, dask"):
        run_batch([], tmp_path, executor="threads")


@pytest.mark.slow
@pytest.mark.math
def test_reusable_model_gives_the_draws_of_a_fresh_compile():
    """New data through the compiled model equal a model built and compiled on those data."""
    import warnings

    import nutpie

    from bayescape.data import DataWarning, load_dataset
    from bayescape.inference import ReusableModel
    from bayescape.inference._sampling import reproducible_compilation
    from bayescape.models import build_model, load_spec

    spec = load_spec("quadratic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("cape_pythia", require_benchmarks=["truthfulqa"])
        model, panel = build_model(df, spec)
        reusable = ReusableModel(model)
        shifted = panel.truthfulness + 0.02 * (panel.x - 9.0) ** 2
        reused = reusable.sample({"truthfulness": shifted}, draws=200, tune=200, random_seed=3)
        df2 = df.assign(truthfulqa=shifted)
        fresh_model, _ = build_model(df2, spec)
    with reproducible_compilation():  # as every compile of the package (fastmath off)
        fresh_compiled = nutpie.compile_pymc_model(fresh_model)
    fresh = nutpie.sample(
        fresh_compiled,
        draws=200,
        tune=200,
        chains=2,
        seed=3,
        target_accept=0.9,
        progress_bar=False,
    )
    np.testing.assert_allclose(
        reused.posterior["c_pooled"].values, fresh.posterior["c_pooled"].values
    )


@pytest.mark.behaviour
def test_batch_options_from_keywords_or_an_object_not_both(tmp_path):
    assert BatchOptions.resolve(None, {}) == BatchOptions()
    given = BatchOptions(out_dir=tmp_path, draws=50, chains=1)
    assert BatchOptions.resolve(given, {}) is given
    assert BatchOptions.resolve(None, {"draws": 50, "chains": 1, "out_dir": tmp_path}) == given
    assert given.fit_kwargs(7) == {"draws": 50, "tune": 500, "chains": 1, "random_seed": 7}
    with pytest.raises(BayescapeError, match="not both"):
        BatchOptions.resolve(given, {"draws": 10})
    with pytest.raises(BayescapeError, match=r"unknown batch option.*drawz; use out_dir"):
        BatchOptions.resolve(None, {"drawz": 10})
    with pytest.raises(BayescapeError, match="unknown executor 'slurm'"):
        BatchOptions(executor="slurm")
    with pytest.raises(BayescapeError, match="draws must be a positive integer, got 0"):
        BatchOptions(draws=0)


@pytest.mark.behaviour
def test_batch_options_run_the_batch_where_they_say(tmp_path):
    options = BatchOptions(out_dir=tmp_path / "out")
    run = options.run([Task("a", dict, {"x": -2})])
    assert run.results == {"a": {"x": -2}}
    assert (tmp_path / "out" / "a.json").exists()


@pytest.mark.behaviour
def test_stored_results_are_json_data_and_round_trip_their_types(tmp_path):
    from bayescape.inference._batch import _store, result_path

    value = {
        "ranks": {"c[Pythia]": np.int64(37), "mu_c": 12},
        "covered": {"mu_c": {0.5: True, 0.9: np.bool_(False)}},  # float keys stay floats
        "draws": np.array([[0.25, 1.5], [2.0, -3.0]]),
        "rows": [{"family": "OPT", "crps": np.float64(0.031), "fit_ok": True, "x": None}],
        "pair": (1, "a"),
    }
    _store(tmp_path, "sim0", value)
    text = result_path(tmp_path, "sim0").read_text()
    assert text.startswith("{")  # plain JSON text, no pickle opcodes
    back = load_results(tmp_path)["sim0"]
    assert back["covered"]["mu_c"] == {0.5: True, 0.9: False}
    assert back["ranks"] == {"c[Pythia]": 37, "mu_c": 12}
    np.testing.assert_array_equal(back["draws"], value["draws"])
    assert back["draws"].dtype == np.float64
    assert back["rows"] == [{"family": "OPT", "crps": 0.031, "fit_ok": True, "x": None}]
    with pytest.raises(BayescapeError, match="not stored"):
        _store(tmp_path, "bad", {"result": object()})


@pytest.mark.behaviour
def test_a_damaged_or_foreign_result_file_is_an_error_naming_it(tmp_path):
    import pickle

    (tmp_path / "sim0.json").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(BayescapeError, match=r"sim0\.json: not a stored batch result"):
        load_results(tmp_path)
