"""Eigenstructure of the Pythia benchmark correlation matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayescape.baselines import correlation_eigenstructure
from bayescape.data import load_table

BENCHMARKS = ["arc", "hellaswag", "mmlu", "truthfulqa", "winogrande"]


@pytest.fixture(scope="module")
def eig():
    return correlation_eigenstructure(load_table("cape_pythia")[BENCHMARKS])


@pytest.mark.math
def test_pythia_eigenvalues_match_paper(eig):
    assert np.round(eig.eigenvalues, 3).tolist() == [4.095, 0.827, 0.057, 0.013, 0.007]


@pytest.mark.math
def test_against_numpy_eigvals_and_trace(eig):
    ref = np.sort(
        np.linalg.eigvals(
            np.corrcoef(load_table("cape_pythia")[BENCHMARKS].to_numpy(), rowvar=False)
        ).real
    )[::-1]
    np.testing.assert_allclose(eig.eigenvalues, ref, atol=1e-12)
    assert eig.eigenvalues.sum() == pytest.approx(5.0)  # trace of a correlation matrix
    # eigenvectors reconstruct the matrix
    v, lam = eig.eigenvectors, eig.eigenvalues
    np.testing.assert_allclose(v @ np.diag(lam) @ v.T, eig.correlation, atol=1e-12)


@pytest.mark.math
def test_participation_ratio_bounds_and_closed_form(eig):
    lam = eig.eigenvalues
    assert eig.participation_ratio == pytest.approx(lam.sum() ** 2 / (lam**2).sum())
    # identity matrix: k independent directions; rank one: one direction
    rng = np.random.default_rng(0)
    indep = correlation_eigenstructure(pd.DataFrame(rng.normal(size=(20000, 3))))
    assert indep.participation_ratio == pytest.approx(3.0, abs=0.01)
    z = rng.normal(size=50)
    collinear = correlation_eigenstructure(pd.DataFrame({"a": z, "b": 2 * z, "c": -z}))
    assert collinear.participation_ratio == pytest.approx(1.0, abs=1e-9)


@pytest.mark.behaviour
def test_missing_scores_are_named():
    df = load_table("cape_pythia")[["hellaswag", "gsm8k"]]
    with pytest.raises(ValueError, match="gsm8k"):
        correlation_eigenstructure(df)
