"""Figures of a fit (matplotlib): each function returns the Figure and its Axes.

The figures are built on :class:`matplotlib.figure.Figure` directly, never through pyplot, so
making them changes no global state and needs no display (the Agg renderer draws PNG; PDF and
SVG have their own). Every figure uses :data:`STYLE`; the caller may keep styling the returned
axes. Save with :func:`save_figure` (``.png``, ``.pdf`` or ``.svg``).

Kinds (:data:`FIGURES`, the names ``bayescape plot --kind`` takes):

``phase-diagram``
    Reasoning vs truthfulness: every model coloured by P(bonus), and each selected family's
    posterior-mean trajectory with a 90% band of truthfulness.
``coupling``
    The local coupling :math:`\\gamma_f (x - c_f)` against size for each selected family, 50%
    and 90% bands, the N_c interval shaded; titles give N_c's median and interval.
``forest``
    N_c per family on a log axis (median, 50% and ``prob`` intervals) over the observed sizes,
    coloured by data curation, with the family covariates written beside each row.
``ppc``
    Posterior-predictive check: observed scores against replicated ones (median and ``prob``
    interval), with the coverage.
``prior``
    Prior-predictive check: observed scores inside the prior's 50% and 95% intervals.

Every interval and band is equal-tailed (ETI: the :math:`(1-p)/2` and :math:`(1+p)/2`
quantiles), as in the tables, and every number is computed from all posterior draws, so a
figure's N_c is the table's: titles format it as the tables do (:func:`nc_text`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bayescape import _config
from bayescape.analysis import (
    Result,
    family_curves,
    posterior_predictive_draws,
    prior_predictive_scores,
    replicated_scores,
)
from bayescape.data import BENCHMARKS
from bayescape.errors import BayescapeError
from bayescape.report._format import significant
from bayescape.report._summary import format_params

STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
}
"""Matplotlib settings every bayescape figure uses."""

PHASE_CMAP = "coolwarm"
"""Colour map of P(bonus): blue is tax (0), red is bonus (1)."""

FAMILY_COLOURS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b2df8a",
    "#fb9a99",
    "#cab2d6",
)
"""Colours of highlighted families, in order."""

CURATION_COLOURS = {
    "web": "#4d4d4d",
    "curated": "#1b9e77",
    "code": "#d95f02",
    "mixed": "#7570b3",
    "undisclosed": "#e7298a",
}
"""Marker colours of data-curation classes in the forest plot."""


def nc_text(value: float, sig: int = 2) -> str:
    """N_c in billions as the tables print it, with the unit: ``3.49e9 -> '3.5B'``."""
    return f"{significant(value / 1e9, sig)}B"


def _label(benchmark: str) -> str:
    return BENCHMARKS[benchmark].label


def _params_axis(ax: Axes, axis: str = "x") -> None:
    """Ticks of a log10-parameters axis written as sizes (``1B``, ``10B``)."""
    fmt = FuncFormatter(lambda v, _pos: format_params(10.0**v))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def default_families(result: Result, n: int = 8) -> list[str]:
    """The ``n`` families with the most models (ties by name): the default selection."""
    panel = result.panel
    counts = np.bincount(panel.family_index, minlength=panel.n_families)
    order = sorted(range(panel.n_families), key=lambda j: (-counts[j], str(panel.families[j])))
    return [str(panel.families[j]) for j in order[:n]]


def _families(result: Result, families: Sequence[str] | None, n: int) -> list[str]:
    if families is None:
        return default_families(result, n)
    known = {str(f) for f in result.panel.families}
    unknown = [f for f in families if f not in known]
    if unknown:
        raise BayescapeError(
            f"unknown famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            "see 'bayescape summary FILE.nc' for the fitted families"
        )
    return list(families)


def _require_families(result: Result, what: str) -> None:
    if not result.kind.family_curves:
        raise BayescapeError(
            f"the {what} needs family curves (the phase model); model {result.spec.name!r} has none"
        )


def phase_diagram(
    result: Result, families: Sequence[str] | None = None, *, band: float = 0.9
) -> tuple[Figure, Axes]:
    """Reasoning against truthfulness: models coloured by P(bonus), family trajectories.

    Parameters
    ----------
    result
        A phase-model result.
    families
        Families whose posterior-mean trajectory (over their observed sizes) is drawn, with a
        ``band`` interval of truthfulness at each size (default: the 8 largest families).
    band
        Probability of the trajectory bands.
    """
    _require_families(result, "phase diagram")
    families = _families(result, families, 8)
    panel = result.panel
    with rc_context(STYLE):
        fig = Figure(figsize=(7.0, 5.0), layout="constrained")
        ax = fig.add_subplot()
        if result.kind.family_critical_scales:
            p_bonus = result.phase_probabilities()["p_bonus"].to_numpy()
        else:
            p_bonus = np.full(len(panel.x), np.nan)
        norm = Normalize(0.0, 1.0)
        for k, family in enumerate(families):
            j = list(map(str, panel.families)).index(family)
            colour = FAMILY_COLOURS[k % len(FAMILY_COLOURS)]
            x = np.linspace(panel.x_min[j], panel.x_max[j], 40)
            curves = family_curves(result, family, x, max_draws=None)
            r_mean = curves.reasoning.mean(axis=0)
            t_mean = curves.truthfulness.mean(axis=0)
            lo, hi = np.quantile(curves.truthfulness, [(1 - band) / 2, (1 + band) / 2], axis=0)
            ax.fill_between(r_mean, lo, hi, color=colour, alpha=0.15, linewidth=0)
            ax.plot(r_mean, t_mean, color=colour, linewidth=1.6, label=family)
            members = panel.family_index == j
            ax.scatter(
                panel.reasoning[members],
                panel.truthfulness[members],
                s=36,
                facecolors="none",
                edgecolors=colour,
                linewidths=1.4,
                zorder=4,
            )
        points = ax.scatter(
            panel.reasoning,
            panel.truthfulness,
            c=p_bonus,
            cmap=PHASE_CMAP,
            norm=norm,
            s=16,
            edgecolors="white",
            linewidths=0.3,
            zorder=5,
        )
        fig.colorbar(
            ScalarMappable(norm=norm, cmap=PHASE_CMAP), ax=ax, label="P(bonus)  (0: tax, 1: bonus)"
        )
        points.set_label("_models")
        ax.set_xlabel(f"{_label(panel.reasoning_benchmark)} (reasoning)")
        ax.set_ylabel(f"{_label(panel.truthfulness_benchmark)} (truthfulness)")
        ax.set_title(
            f"Phase diagram: {len(panel.x)} models, trajectories with {band:.0%} equal-tailed bands"
        )
        ax.legend(loc="best", ncols=2)
    return fig, ax


def coupling_curves(
    result: Result, families: Sequence[str] | None = None, *, prob: float = 0.95
) -> tuple[Figure, np.ndarray]:
    """The local coupling :math:`\\gamma_f (x - c_f)` against size, one panel per family.

    Each panel shows the posterior median with 50% and 90% equal-tailed bands over the
    family's observed sizes (half a decade beyond), zero (the transition), the ``prob``
    equal-tailed interval of N_c shaded and its median as a dashed line, and the observed sizes
    as ticks. The title gives the median and interval of N_c from all draws, the numbers of
    the critical-scales table (:meth:`~bayescape.analysis.Result.critical_scales`).
    """
    _require_families(result, "coupling plot")
    if not result.kind.family_critical_scales:
        raise BayescapeError(f"model {result.spec.name!r} has no critical scale to plot")
    families = _families(result, families, 8)
    panel = result.panel
    table = result.critical_scales(prob).set_index("family")
    ncols = min(4, len(families))
    nrows = math.ceil(len(families) / ncols)
    with rc_context(STYLE):
        fig = Figure(figsize=(2.6 * ncols, 2.4 * nrows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
        for ax, family in zip(axes, families, strict=False):
            j = list(map(str, panel.families)).index(family)
            curves = family_curves(result, family, max_draws=None)
            x, g = curves.x, curves.coupling
            q = np.quantile(g, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            ax.fill_between(x, q[0], q[4], color="#4575b4", alpha=0.18, linewidth=0)
            ax.fill_between(x, q[1], q[3], color="#4575b4", alpha=0.3, linewidth=0)
            ax.plot(x, q[2], color="#313695", linewidth=1.4)
            ax.axhline(0.0, color="black", linewidth=0.7)
            row = table.loc[family]
            c_lo, c_hi = np.log10(row["nc_eti_low"]), np.log10(row["nc_eti_high"])
            if c_hi > x[0] and c_lo < x[-1]:
                ax.axvspan(
                    max(c_lo, x[0]), min(c_hi, x[-1]), color="#d73027", alpha=0.12, linewidth=0
                )
            c_med = float(np.log10(row["nc_median"]))
            where = ""
            if x[0] <= c_med <= x[-1]:
                ax.axvline(c_med, color="#d73027", linestyle="--", linewidth=1.0)
            else:
                where = " (off the plot)"
            xs = panel.x[panel.family_index == j]
            ax.plot(xs, np.full_like(xs, 0.0), "|", color="black", markersize=8)
            ax.set_xlim(x[0], x[-1])
            ax.set_title(
                f"{family}: $N_c$ {nc_text(row['nc_median'])}{where}\n"
                f"{prob:.0%} ETI [{nc_text(row['nc_eti_low'])}, {nc_text(row['nc_eti_high'])}]",
                fontsize=9,
            )
            _params_axis(ax)
        for ax in axes[len(families) :]:
            ax.set_visible(False)
        fig.supxlabel("parameters")
        fig.supylabel(r"coupling $\gamma\,(x - c)$ = dT/dR")
        fig.suptitle("median, 50% and 90% equal-tailed bands", fontsize=8)
    return fig, axes[: len(families)]


def _family_covariate_text(result: Result) -> dict[str, str]:
    data = result.data
    out = {}
    for family, rows in data.groupby("family"):
        parts = []
        if "data_curation" in rows and rows["data_curation"].notna().any():
            parts.append(str(rows["data_curation"].dropna().iloc[0]))
        if "tokens" in rows and rows["tokens"].notna().any():
            tpp = float(10.0 ** np.nanmean(np.log10(rows["tokens"] / rows["params"])))
            parts.append(f"{tpp:.0f} tok/param")
        if "distillation" in rows and rows["distillation"].dropna().isin(["yes", "partial"]).any():
            parts.append(f"distilled ({rows['distillation'].dropna().iloc[0]})")
        out[str(family)] = ", ".join(parts)
    return out


def critical_scale_forest(result: Result, *, prob: float = 0.95) -> tuple[Figure, Axes]:
    """N_c of every family on a log axis, sorted, with covariates written beside each row.

    Each row: the observed sizes (grey bar), N_c median (dot, coloured by data curation),
    50% (thick) and ``prob`` (thin) equal-tailed intervals; the average family's N_c is the
    shaded column. Families with one model are marked ``*`` (N_c from covariates alone).
    """
    cs = result.critical_scales(prob)
    cs50 = result.critical_scales(0.5)
    order = np.argsort(cs["nc_median"].to_numpy())
    n = len(cs)
    notes = _family_covariate_text(result)
    curation = {}
    if "data_curation" in result.data:
        curation = result.data.groupby("family")["data_curation"].first().astype(str).to_dict()
    with rc_context(STYLE):
        fig = Figure(figsize=(7.5, 1.2 + 0.2 * n), layout="constrained")
        ax = fig.add_subplot()
        if result.kind.family_critical_scales:  # the average family: 10^mu_c
            pop = result.population_critical_scale(prob)
            ax.axvspan(
                pop["low"],
                pop["high"],
                color="#fdae61",
                alpha=0.25,
                linewidth=0,
                label=f"average family, {prob:.0%} ETI",
            )
            ax.axvline(pop["median"], color="#f46d43", linewidth=1.0)
        seen = set()
        for y, i in enumerate(order):
            row, row50 = cs.iloc[i], cs50.iloc[i]
            ax.plot(
                [row["smallest"], row["largest"]],
                [y, y],
                color="#bdbdbd",
                linewidth=7,
                solid_capstyle="butt",
                zorder=1,
                label="observed sizes" if y == 0 else "_",
            )
            ax.plot(
                [row["nc_eti_low"], row["nc_eti_high"]],
                [y, y],
                color="#252525",
                linewidth=0.9,
                zorder=2,
            )
            ax.plot(
                [row50["nc_eti_low"], row50["nc_eti_high"]],
                [y, y],
                color="#252525",
                linewidth=2.6,
                zorder=2,
            )
            cls = curation.get(str(row["family"]), "")
            colour = CURATION_COLOURS.get(cls, "#4d4d4d")
            ax.scatter(
                [row["nc_median"]],
                [y],
                color=colour,
                s=22,
                zorder=3,
                label=f"{cls} data" if cls and cls not in seen else "_",
            )
            seen.add(cls)
        labels = [
            f"{cs.iloc[i]['family']}{' *' if cs.iloc[i]['n_models'] == 1 else ''}" for i in order
        ]
        ax.set_yticks(range(n), labels)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_params(v)))
        ax.set_ylim(-0.7, n - 0.3)
        for y, i in enumerate(order):
            ax.text(
                1.01,
                y,
                notes.get(str(cs.iloc[i]["family"]), ""),
                transform=ax.get_yaxis_transform(),
                fontsize=7,
                va="center",
                color="#525252",
            )
        ax.set_xlabel("critical scale $N_c$ (parameters)")
        ax.set_title(
            f"$N_c$ per family: median, 50% and {prob:.0%} equal-tailed intervals "
            "(* one model: $N_c$ from covariates)"
        )
        fig.legend(loc="outside lower center", ncols=4, fontsize=7)
    return fig, ax


def _observed_vs_interval(
    ax: Axes, observed: np.ndarray, reps: np.ndarray, prob: float, label: str
) -> float:
    lo, med, hi = np.quantile(reps, [(1 - prob) / 2, 0.5, (1 + prob) / 2], axis=0)
    inside = (observed >= lo) & (observed <= hi)
    colours = np.where(inside, "#2166ac", "#b2182b")
    ax.vlines(observed, lo, hi, colors=colours, linewidth=0.8, alpha=0.6)
    ax.scatter(observed, med, c=colours, s=10, zorder=3)
    bounds = [min(observed.min(), lo.min()), max(observed.max(), hi.max())]
    ax.plot(bounds, bounds, color="black", linewidth=0.7)
    coverage = float(inside.mean())
    ax.set_title(f"{label}: {inside.sum()} of {len(inside)} inside ({coverage:.0%})")
    ax.set_xlabel("observed score")
    return coverage


def posterior_predictive_plot(
    result: Result, *, prob: float = 0.95, seed: int | None = None
) -> tuple[Figure, np.ndarray]:
    """Observed scores against posterior-predictive replicates (median, ``prob`` ETI).

    The replicates are the result's own ``posterior_predictive`` group (or drawn as it would
    be, with the fit's seed: :func:`~bayescape.analysis.posterior_predictive_draws`); a
    ``seed`` draws fresh ones instead. A point is red when its observed score falls outside its
    equal-tailed interval; the titles give the coverage, which should be near ``prob``.
    """
    reps = (
        posterior_predictive_draws(result) if seed is None else replicated_scores(result, seed=seed)
    )
    panel = result.panel
    observed = {"reasoning": panel.reasoning, "truthfulness": panel.truthfulness}
    bench = {"reasoning": panel.reasoning_benchmark, "truthfulness": panel.truthfulness_benchmark}
    with rc_context(STYLE):
        fig = Figure(figsize=(4.0 * len(reps), 4.0), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(reps), squeeze=False)).ravel()
        for ax, key in zip(axes, reps, strict=True):
            _observed_vs_interval(ax, observed[key], reps[key], prob, _label(bench[key]))
        axes[0].set_ylabel(f"replicated score (median, {prob:.0%} ETI)")
        fig.suptitle("Posterior-predictive check")
    return fig, axes


def prior_predictive_plot(
    result: Result, *, draws: int = 200, seed: int = 0
) -> tuple[Figure, np.ndarray]:
    """Observed scores (black) against the prior predictive's 50% and 95% intervals by size.

    The prior is sampled from the model of ``result.spec`` on ``result.data`` (a few seconds).
    """
    reps = prior_predictive_scores(result, draws=draws, seed=seed)
    panel = result.panel
    observed = {"reasoning": panel.reasoning, "truthfulness": panel.truthfulness}
    bench = {"reasoning": panel.reasoning_benchmark, "truthfulness": panel.truthfulness_benchmark}
    with rc_context(STYLE):
        fig = Figure(figsize=(4.2 * len(reps), 3.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(reps), squeeze=False)).ravel()
        for ax, key in zip(axes, reps, strict=True):
            q = np.quantile(reps[key], [0.025, 0.25, 0.75, 0.975], axis=0)
            ax.vlines(panel.x, q[0], q[3], colors="#9ecae1", linewidth=2.0, label="95% ETI")
            ax.vlines(panel.x, q[1], q[2], colors="#3182bd", linewidth=2.0, label="50% ETI")
            ax.scatter(panel.x, observed[key], color="black", s=8, zorder=3, label="observed")
            for bound in (0.0, 1.0):  # the range a score can take
                ax.axhline(bound, color="#b2182b", linewidth=0.7, linestyle=":")
            ax.set_title(_label(bench[key]))
            ax.set_xlabel("parameters")
            _params_axis(ax)
        axes[0].set_ylabel("score")
        axes[0].legend(loc="best")
        fig.suptitle(f"Prior-predictive check ({draws} draws, equal-tailed intervals)")
    return fig, axes


FIGURES: dict[str, Callable[..., tuple[Figure, object]]] = {
    "phase-diagram": phase_diagram,
    "coupling": coupling_curves,
    "forest": critical_scale_forest,
    "ppc": posterior_predictive_plot,
    "prior": prior_predictive_plot,
}
"""Figure kinds by name (``bayescape plot --kind``)."""

FIGURE_FORMATS = _config.FIGURE_FORMATS
"""File types :func:`save_figure` writes."""


def make_figure(result: Result, kind: str, **options) -> tuple[Figure, object]:
    """Build the figure ``kind`` (one of :data:`FIGURES`) with its keyword options."""
    if kind not in FIGURES:
        raise BayescapeError(f"unknown figure kind {kind!r}; use one of {', '.join(FIGURES)}")
    return FIGURES[kind](result, **options)


def save_figure(fig: Figure, path: str | Path, *, dpi: int | None = None) -> Path:
    """Write ``fig`` to ``path``; the suffix (``.png``, ``.pdf``, ``.svg``) picks the format."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise BayescapeError(
            f"{path}: cannot tell the image format; end the name in .png, .pdf or .svg"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with rc_context(STYLE):
        fig.savefig(path, format=fmt, dpi=dpi or STYLE["savefig.dpi"])
    return path
