"""Inference layer: sampling backends, diagnostics, results and their storage."""

from bayescape.inference._batch import (
    EXECUTORS,
    BatchOptions,
    BatchRun,
    ExecutorName,
    ReusableModel,
    Task,
    load_results,
    run_batch,
)
from bayescape.inference._diagnostics import ESS_MIN, RHAT_MAX, Diagnostics, diagnose
from bayescape.inference._fit import fit_model
from bayescape.inference._result import FitResult, load_result
from bayescape.inference._sampling import DEFAULT_SAMPLER, SAMPLERS, sample

__all__ = [
    "DEFAULT_SAMPLER",
    "ESS_MIN",
    "EXECUTORS",
    "RHAT_MAX",
    "SAMPLERS",
    "BatchOptions",
    "BatchRun",
    "Diagnostics",
    "ExecutorName",
    "FitResult",
    "ReusableModel",
    "Task",
    "diagnose",
    "fit_model",
    "load_result",
    "load_results",
    "run_batch",
    "sample",
]
