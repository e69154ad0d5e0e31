"""Inference layer: sampling backends, diagnostics, results and their storage."""

from bayescape.inference._diagnostics import ESS_MIN, RHAT_MAX, Diagnostics, diagnose
from bayescape.inference._fit import fit_model
from bayescape.inference._result import FitResult, load_result
from bayescape.inference._sampling import DEFAULT_SAMPLER, SAMPLERS, sample

__all__ = [
    "DEFAULT_SAMPLER",
    "ESS_MIN",
    "RHAT_MAX",
    "SAMPLERS",
    "Diagnostics",
    "FitResult",
    "diagnose",
    "fit_model",
    "load_result",
    "sample",
]
