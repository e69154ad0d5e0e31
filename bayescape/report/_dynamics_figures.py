"""Figures of a sparse dynamics fit (``kind = "dynamics"``): each returns the Figure and its Axes.

Built like the phase-model figures (:mod:`bayescape.report._figures`): on
:class:`matplotlib.figure.Figure` directly, never through pyplot, with :data:`STYLE`.

Kinds (:data:`DYNAMICS_FIGURES`, names ``bayescape plot --kind`` takes for a dynamics result):

``trajectories``
    One panel per state (benchmark): each selected family's posterior-median latent trajectory
    over its observed sizes with a ``band`` interval, and its measured scores as points.
``inclusion``
    Inclusion probability :math:`P(|\\Xi| > \\epsilon)` of every library term in every
    equation, sorted, beside its posterior-mean shrinkage :math:`\\kappa`.
``eigenvalues``
    Real parts of the Jacobian eigenvalues at each family's smallest and largest model: one row
    per family, median and ``prob`` interval of each eigenvalue, zero (stability) marked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bayescape.analysis import (
    Result,
    jacobian_eigenvalues,
    latent_trajectories,
    term_inclusion,
)
from bayescape.analysis._dynamics import dynamics_panel
from bayescape.report._figures import (
    FAMILY_COLOURS,
    STYLE,
    _families,
    _label,
    _params_axis,
)

EIGEN_COLOURS = ("#b2182b", "#2166ac", "#1b7837", "#762a83")
"""Colours of the eigenvalues (largest real part first)."""


def _state_label(state: str) -> str:
    try:
        return _label(state)
    except KeyError:
        return state


def dynamics_trajectories(
    result: Result,
    families: Sequence[str] | None = None,
    *,
    band: float = 0.9,
    grid: int = 41,
    max_draws: int | None = 400,
    seed: int = 0,
) -> tuple[Figure, np.ndarray]:
    """Each family's posterior latent trajectory of every state against size, with a band.

    One panel per state: the posterior median score (``centre + scale * u``) along each
    selected family's observed sizes (default: the 8 largest families), a ``band`` equal-tailed
    interval around it, and the family's measured scores as points. Lines carry the gid
    ``trajectory:FAMILY:STATE``, bands ``band:FAMILY:STATE`` and points ``scores:FAMILY:STATE``.
    """
    panel = dynamics_panel(result)
    families = _families(result, families, 8)
    names = [str(f) for f in panel.families]
    x, u, _ = latent_trajectories(result, grid=grid, max_draws=max_draws, seed=seed)
    scores = panel.centre + panel.scale * u  # (S, F, G, D)
    states = list(panel.states)
    with rc_context(STYLE):
        fig = Figure(figsize=(3.8 * len(states), 3.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(states), squeeze=False)).ravel()
        for k, (ax, state) in enumerate(zip(axes, states, strict=True)):
            for i, family in enumerate(families):
                f = names.index(family)
                colour = FAMILY_COLOURS[i % len(FAMILY_COLOURS)]
                s = scores[:, f, :, k]
                with np.errstate(invalid="ignore"):
                    lo, med, hi = np.nanquantile(s, [(1 - band) / 2, 0.5, (1 + band) / 2], axis=0)
                ax.fill_between(
                    x[f],
                    lo,
                    hi,
                    color=colour,
                    alpha=0.15,
                    linewidth=0,
                    gid=f"band:{family}:{state}",
                )
                ax.plot(
                    x[f],
                    med,
                    color=colour,
                    linewidth=1.5,
                    label=family if k == 0 else "_",
                    gid=f"trajectory:{family}:{state}",
                )
                members = panel.family_index == f
                ax.scatter(
                    panel.x[members],
                    panel.scores[members, k],
                    s=18,
                    color=colour,
                    edgecolors="white",
                    linewidths=0.4,
                    zorder=4,
                    gid=f"scores:{family}:{state}",
                )
            ax.set_title(_state_label(state))
            ax.set_xlabel("parameters")
            _params_axis(ax)
        axes[0].set_ylabel(f"score (posterior median, {band:.0%} band)")
        axes[0].legend(loc="best", ncols=2)
        fig.suptitle(f"Dynamics model: latent trajectories of {len(families)} families")
    return fig, axes


def term_inclusion_plot(
    result: Result, *, prob: float = 0.9, threshold: float | None = None
) -> tuple[Figure, np.ndarray]:
    """Inclusion probability of every library term in every equation, sorted, with shrinkage.

    Left: :math:`P(|\\Xi_{jk}| > \\epsilon)` as bars, highest at the top, 0.5 marked. Right:
    the posterior-mean shrinkage :math:`\\kappa` (1 = shrunk to zero; none for the unshrunk
    constant). The values are those of :func:`bayescape.analysis.term_inclusion`.
    """
    table = term_inclusion(result, prob=prob, threshold=threshold)
    table = table.sort_values("p_included", ascending=True, kind="stable").reset_index(drop=True)
    labels = [f"d {_state_label(r.state)}/dx: {r.term}" for r in table.itertuples()]
    y = np.arange(len(table))
    with rc_context(STYLE):
        fig = Figure(figsize=(7.0, 1.0 + 0.22 * len(table)), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, 2, sharey=True, width_ratios=(3, 2)))
        ax, ax_k = axes
        colours = np.where(table["p_included"] >= 0.5, "#2166ac", "#9ecae1")
        ax.barh(y, table["p_included"], color=colours, height=0.7, gid="inclusion")
        ax.axvline(0.5, color="black", linewidth=0.7, linestyle="--")
        ax.set_xlim(0, 1)
        ax.set_yticks(y, labels)
        ax.set_xlabel(r"P(included)  $P(|\Xi| > \epsilon)$")
        kappa = table["kappa_mean"].to_numpy(dtype=float)
        ok = np.isfinite(kappa)
        ax_k.scatter(kappa[ok], y[ok], color="#525252", s=16, zorder=3, gid="shrinkage")
        ax_k.set_xlim(0, 1)
        ax_k.set_xlabel(r"shrinkage $\kappa$ (1: shrunk to zero)")
        ax.set_ylim(-0.7, len(table) - 0.3)
        fig.suptitle("Dynamics model: library terms by inclusion probability")
    return fig, axes


def eigenvalue_plot(
    result: Result,
    families: Sequence[str] | None = None,
    *,
    prob: float = 0.9,
    max_draws: int | None = 400,
    seed: int = 0,
) -> tuple[Figure, np.ndarray]:
    """Real parts of the Jacobian eigenvalues at each family's smallest and largest model.

    Two panels (smallest, largest model), one row per family (default: all), each eigenvalue
    (largest real part first) as its median and ``prob`` equal-tailed interval, from
    :func:`bayescape.analysis.jacobian_eigenvalues`. Left of zero is stable; the tick labels
    give P(stable). Interval lines carry the gid ``eigen:FAMILY:AT:I``.
    """
    table = jacobian_eigenvalues(result, prob=prob, max_draws=max_draws, seed=seed)
    chosen = (
        [str(f) for f in dynamics_panel(result).families]
        if families is None
        else _families(result, families, 0)
    )
    n_eigen = sum(1 for c in table.columns if c.startswith("re") and c.endswith("_median"))
    offsets = np.linspace(-0.18, 0.18, n_eigen) if n_eigen > 1 else np.zeros(1)
    n = len(chosen)
    with rc_context(STYLE):
        fig = Figure(figsize=(7.5, 1.2 + 0.28 * n), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, 2, sharex=True, squeeze=False)).ravel()
        for ax, at in zip(axes, ("smallest", "largest"), strict=True):
            rows = table[table["at"] == at].set_index("family")
            labels = []
            for y, family in enumerate(chosen):
                row = rows.loc[family]
                for i in range(n_eigen):
                    yy = n - 1 - y + offsets[i]
                    colour = EIGEN_COLOURS[i % len(EIGEN_COLOURS)]
                    ax.plot(
                        [row[f"re{i + 1}_low"], row[f"re{i + 1}_high"]],
                        [yy, yy],
                        color=colour,
                        linewidth=1.2,
                        gid=f"eigen:{family}:{at}:{i + 1}",
                    )
                    ax.scatter(
                        [row[f"re{i + 1}_median"]],
                        [yy],
                        color=colour,
                        s=14,
                        zorder=3,
                        label=f"eigenvalue {i + 1}" if y == 0 else "_",
                    )
                labels.append(f"{family} ({row['p_stable']:.2f})")
            ax.axvline(0.0, color="black", linewidth=0.8)
            ax.set_yticks(np.arange(n)[::-1], labels)
            ax.set_ylim(-0.7, n - 0.3)
            ax.set_title(f"at the {at} model")
            ax.set_xlabel("Re(eigenvalue) per decade")
        fig.legend(loc="outside lower center", ncols=n_eigen)
        fig.suptitle(
            f"Jacobian eigenvalues: median and {prob:.0%} interval (P(stable) in brackets)"
        )
    return fig, axes


DYNAMICS_FIGURES: dict[str, Callable[..., tuple[Figure, Axes | np.ndarray]]] = {
    "trajectories": dynamics_trajectories,
    "inclusion": term_inclusion_plot,
    "eigenvalues": eigenvalue_plot,
}
"""Figure kinds of a dynamics result by name (``bayescape plot --kind``)."""
