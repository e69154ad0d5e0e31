"""Analysis layer: N_c summaries, covariate effects, phase probabilities, the result object."""

from bayescape.analysis._critical import (
    covariate_effects,
    critical_draws,
    critical_scales,
    phase_probabilities,
    population_critical_scale,
)
from bayescape.analysis._intervals import eti, hdi
from bayescape.analysis._result import Result, fit, load

__all__ = [
    "Result",
    "covariate_effects",
    "critical_draws",
    "critical_scales",
    "eti",
    "fit",
    "hdi",
    "load",
    "phase_probabilities",
    "population_critical_scale",
]
