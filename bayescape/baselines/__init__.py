"""The CAPE paper's own (frequentist) estimators, so every posterior can be shown beside them.

Each function reproduces one of the paper's computations on plain arrays or DataFrames; which
data the paper fed them is decided in :mod:`bayescape.analysis.replication`.

Public API
----------
Coupling
    :func:`local_coupling`, :func:`coupling_phase`, :func:`sign_change_scale`,
    :func:`pearson_r`, :func:`permutation_test`.
Quadratic vertex
    :func:`fit_quadratic`, :func:`vertex_bootstrap` (= :func:`bootstrap_coefficients` +
    :func:`truncate_vertices`), :func:`cross_prediction`.
Width
    :func:`width_normalised_correlation`, :func:`ratio_artifact_null`.
Frontier
    :func:`frontier_ols`, :func:`h_field`, :func:`leave_one_lab_out`,
    :func:`summarise_leave_one_lab_out`, :func:`per_lab_slopes`.
Eigenstructure
    :func:`correlation_eigenstructure`.
"""

from bayescape.baselines._coupling import (
    TRANSITION_BAND,
    PermutationTest,
    SignChange,
    coupling_phase,
    local_coupling,
    pearson_r,
    permutation_test,
    sign_change_scale,
)
from bayescape.baselines._eigen import Eigenstructure, correlation_eigenstructure
from bayescape.baselines._frontier import (
    FrontierFit,
    LeaveOneLabOutSummary,
    frontier_ols,
    h_field,
    leave_one_lab_out,
    per_lab_slopes,
    summarise_leave_one_lab_out,
)
from bayescape.baselines._quadratic import (
    PAPER_RESAMPLES,
    PAPER_SEED,
    PAPER_WINDOW,
    CrossPrediction,
    QuadraticFit,
    VertexBootstrap,
    bootstrap_coefficients,
    cross_prediction,
    fit_quadratic,
    truncate_vertices,
    vertex_bootstrap,
)
from bayescape.baselines._width import (
    REFERENCE_WIDTH,
    RatioArtifactNull,
    WidthFlip,
    ratio_artifact_null,
    width_normalised_correlation,
)

__all__ = [
    "PAPER_RESAMPLES",
    "PAPER_SEED",
    "PAPER_WINDOW",
    "REFERENCE_WIDTH",
    "TRANSITION_BAND",
    "CrossPrediction",
    "Eigenstructure",
    "FrontierFit",
    "LeaveOneLabOutSummary",
    "PermutationTest",
    "QuadraticFit",
    "RatioArtifactNull",
    "SignChange",
    "VertexBootstrap",
    "WidthFlip",
    "bootstrap_coefficients",
    "correlation_eigenstructure",
    "coupling_phase",
    "cross_prediction",
    "fit_quadratic",
    "frontier_ols",
    "h_field",
    "leave_one_lab_out",
    "local_coupling",
    "pearson_r",
    "per_lab_slopes",
    "permutation_test",
    "ratio_artifact_null",
    "sign_change_scale",
    "summarise_leave_one_lab_out",
    "truncate_vertices",
    "vertex_bootstrap",
    "width_normalised_correlation",
]
