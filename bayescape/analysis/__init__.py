"""Analysis layer: N_c summaries, covariate effects, phase probabilities, the result object."""

from bayescape.analysis._calibration import (
    Calibration,
    calibrate,
    misspecified,
    rank_uniformity,
    summarise_calibration,
)
from bayescape.analysis._checks import (
    add_predictive_groups,
    posterior_predictive_draws,
    predictive_groups,
    prior_predictive_check,
)
from bayescape.analysis._compare import compare, family_elpd, leave_family_out_elpd, psis_loo
from bayescape.analysis._critical import (
    covariate_effects,
    critical_draws,
    critical_scales,
    phase_probabilities,
    population_critical_scale,
)
from bayescape.analysis._curves import (
    FamilyCurves,
    family_curves,
    prior_predictive_scores,
    replicated_scores,
)
from bayescape.analysis._diagnose import ModelDiagnosis, diagnose_model
from bayescape.analysis._dynamics import (
    fitted_equations,
    jacobian_eigenvalues,
    latent_trajectories,
    predict_dynamics_family,
    prediction_errors,
    term_inclusion,
    trajectory_coupling,
)
from bayescape.analysis._dynamics_lofo import ImportanceLeaveFamilyOut, leave_family_out_is
from bayescape.analysis._importance import weighted_quantile
from bayescape.analysis._intervals import eti
from bayescape.analysis._lofo import LeaveFamilyOut, leave_one_family_out
from bayescape.analysis._new_family import NewFamily, family_from_rows, read_family
from bayescape.analysis._predict import FamilyPrediction, predict_family
from bayescape.analysis._result import Result, fit, load
from bayescape.analysis._scoring import crps_from_draws
from bayescape.analysis._sensitivity import edit_prior, prior_sensitivity, scale_prior_sds

__all__ = [
    "Calibration",
    "FamilyCurves",
    "FamilyPrediction",
    "ImportanceLeaveFamilyOut",
    "LeaveFamilyOut",
    "ModelDiagnosis",
    "NewFamily",
    "Result",
    "add_predictive_groups",
    "calibrate",
    "compare",
    "covariate_effects",
    "critical_draws",
    "critical_scales",
    "crps_from_draws",
    "diagnose_model",
    "edit_prior",
    "eti",
    "family_curves",
    "family_elpd",
    "family_from_rows",
    "fit",
    "fitted_equations",
    "jacobian_eigenvalues",
    "latent_trajectories",
    "leave_family_out_elpd",
    "leave_family_out_is",
    "leave_one_family_out",
    "load",
    "misspecified",
    "phase_probabilities",
    "population_critical_scale",
    "posterior_predictive_draws",
    "predict_dynamics_family",
    "predict_family",
    "prediction_errors",
    "predictive_groups",
    "prior_predictive_check",
    "prior_predictive_scores",
    "prior_sensitivity",
    "psis_loo",
    "rank_uniformity",
    "read_family",
    "replicated_scores",
    "scale_prior_sds",
    "summarise_calibration",
    "term_inclusion",
    "trajectory_coupling",
    "weighted_quantile",
]
