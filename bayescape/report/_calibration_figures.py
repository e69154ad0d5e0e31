r"""Figure of a simulation-based calibration: rank histograms per parameter group.

For :math:`S` simulations and ranks in :math:`0..L` binned into :math:`B` bins of
:math:`w_b` rank values, a calibrated fit gives bin counts :math:`n_b \sim
\mathrm{Binomial}(N, w_b / (L + 1))` where :math:`N` is the number of ranks. The grey band is
that binomial's central 99% interval per bin (for one component, :math:`N = S`); bars outside
it are the visible signature of miscalibration (a U shape: intervals too narrow; a hump: too
wide; a slope: bias). For a group of dependent components (the family N_c) the pooled
histogram is shown for its shape, while the test is per component (see
:class:`~bayescape.analysis.Calibration`).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from bayescape.analysis import Calibration
from bayescape.report._figures import STYLE


def rank_histograms(
    calibration: Calibration, *, n_bins: int = 10, band: float = 0.99
) -> tuple[Figure, np.ndarray]:
    """One rank histogram per parameter group, with the calibrated ``band`` per bin.

    Parameters
    ----------
    calibration
        A result of :func:`bayescape.analysis.calibrate` (or ``summarise_calibration``).
    n_bins
        Bins of the ``L + 1`` rank values (nearly equal widths, as in the uniformity test).
    band
        Probability of the binomial band drawn around the expected count.

    Returns
    -------
    (Figure, Axes array)
        Each panel's title gives the group, its number of ranks and its p-value.
    """
    ranks = calibration.ranks
    groups = list(dict.fromkeys(ranks["group"]))
    uni = calibration.uniformity
    p_by_group = uni[uni["level"] == "group"].set_index("parameter")["p_value"]
    n_ranks = calibration.n_ranks
    edges = np.linspace(0, n_ranks + 1, n_bins + 1).round().astype(int)
    widths = np.diff(edges) / (n_ranks + 1)
    cols = min(3, len(groups))
    rows = math.ceil(len(groups) / cols)
    with rc_context(STYLE):
        fig = Figure(figsize=(3.3 * cols, 2.6 * rows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        for ax, group in zip(axes, groups, strict=False):
            values = ranks.loc[ranks["group"] == group, "rank"].to_numpy()
            _histogram(ax, values, edges, widths, band)
            ax.set_title(f"{group} (n={len(values)}, p={p_by_group.get(group, np.nan):.2g})")
            ax.set_xlabel(f"rank of the truth among {n_ranks} draws")
        for ax in axes[len(groups) :]:
            ax.set_visible(False)
        axes[0].set_ylabel("count")
        fig.suptitle(f"Simulation-based calibration: {len(calibration.records)} simulations")
    return fig, axes[: len(groups)]


def _histogram(
    ax: Axes, values: np.ndarray, edges: np.ndarray, widths: np.ndarray, band: float
) -> None:
    counts = np.histogram(values, bins=edges)[0]
    n = len(values)
    lo = stats.binom.ppf((1 - band) / 2, n, widths)
    hi = stats.binom.ppf((1 + band) / 2, n, widths)
    centres = (edges[:-1] + edges[1:]) / 2
    step = np.diff(edges)
    ax.bar(centres, counts, width=step * 0.9, color="#4393c3", gid="ranks", zorder=2)
    ax.fill_between(
        np.repeat(edges, 2)[1:-1],
        np.repeat(lo, 2),
        np.repeat(hi, 2),
        color="grey",
        alpha=0.3,
        linewidth=0,
        gid="band",
        zorder=1,
    )
    ax.plot(centres, n * widths, color="black", linewidth=0.8, gid="expected")
