r"""Eigenstructure of a benchmark correlation matrix (the paper's "dimensional collapse").

Maths
-----
For :math:`n` models scored on :math:`k` benchmarks, :math:`C` is the :math:`k \times k` Pearson
correlation matrix of the columns. Its eigenvalues :math:`\lambda_1 \ge \dots \ge \lambda_k \ge 0`
sum to :math:`k`; the participation ratio

.. math:: d_{\mathrm{eff}} = \frac{(\sum_j \lambda_j)^2}{\sum_j \lambda_j^2} \in [1, k]

counts the effective number of independent directions. With :math:`n = 8` Pythia models the
matrix has rank at most 7 and its small eigenvalues are pure sampling noise; nothing here
carries an uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class Eigenstructure:
    r"""Eigen-decomposition of a correlation matrix.

    Attributes
    ----------
    benchmarks
        Column names, in the order of ``correlation``.
    correlation
        :math:`C` (:math:`k \times k`).
    eigenvalues
        :math:`\lambda_j`, largest first.
    eigenvectors
        Unit eigenvectors as columns, matching ``eigenvalues``.
    """

    benchmarks: tuple[str, ...]
    correlation: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def participation_ratio(self) -> float:
        r""":math:`d_{\mathrm{eff}} = (\sum \lambda)^2 / \sum \lambda^2`."""
        lam = self.eigenvalues
        return float(lam.sum() ** 2 / (lam**2).sum())

    @property
    def explained(self) -> np.ndarray:
        r"""Share of total variance per direction, :math:`\lambda_j / k`."""
        return self.eigenvalues / self.eigenvalues.sum()


def correlation_eigenstructure(scores: pd.DataFrame) -> Eigenstructure:
    r"""Eigenvalues of the correlation matrix of the score columns.

    Parameters
    ----------
    scores
        One row per model, one column per benchmark (no missing values).

    Returns
    -------
    Eigenstructure
    """
    if scores.isna().any().any():
        missing = [c for c in scores.columns if scores[c].isna().any()]
        raise ValueError(f"scores have missing values in {missing}; drop those columns or rows")
    if len(scores) < 3 or scores.shape[1] < 2:
        raise ValueError("need at least 3 models and 2 benchmarks")
    corr = np.corrcoef(scores.to_numpy(dtype=float), rowvar=False)
    values, vectors = np.linalg.eigh(corr)
    order = np.argsort(values)[::-1]
    return Eigenstructure(
        tuple(str(c) for c in scores.columns), corr, values[order], vectors[:, order]
    )
