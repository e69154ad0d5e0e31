"""Figures (bayescape.report): each returns (Figure, Axes), draws the numbers it claims."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from bayescape.analysis import replicated_scores
from bayescape.errors import BayescapeError
from bayescape.report import (
    FIGURES,
    coupling_curves,
    critical_scale_forest,
    default_families,
    make_figure,
    phase_diagram,
    posterior_predictive_plot,
    save_figure,
)


@pytest.fixture(scope="module")
def figures(result):
    """Every figure kind, built once (the prior-predictive one samples the prior)."""
    out = {kind: make_figure(result, kind) for kind in FIGURES if kind != "prior"}
    out["prior"] = make_figure(result, "prior", draws=50)
    return out


@pytest.mark.behaviour
@pytest.mark.parametrize("kind", list(FIGURES))
def test_every_figure_returns_a_figure_and_axes(figures, kind):
    fig, axes = figures[kind]
    assert isinstance(fig, Figure)
    for ax in np.atleast_1d(axes):
        assert isinstance(ax, Axes) and ax.figure is fig


@pytest.mark.behaviour
@pytest.mark.parametrize("suffix", ["png", "pdf", "svg"])
def test_save_figure_formats(figures, tmp_path, suffix):
    fig, _ = figures["ppc"]
    path = save_figure(fig, tmp_path / f"ppc.{suffix}")
    head = path.read_bytes()[:8]
    assert {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}[suffix] in head
    with pytest.raises(BayescapeError, match=r"end the name in \.png, \.pdf or \.svg"):
        save_figure(fig, tmp_path / "ppc.jpg")


@pytest.mark.math
def test_phase_diagram_points_are_coloured_by_p_bonus(result, figures):
    _, ax = figures["phase-diagram"]
    points = [
        c
        for c in ax.collections
        if isinstance(c, PathCollection)
        and c.get_array() is not None
        and len(c.get_offsets()) == len(result.data)
    ]
    assert len(points) == 1
    np.testing.assert_allclose(
        points[0].get_array(), result.phase_probabilities()["p_bonus"].to_numpy()
    )
    np.testing.assert_allclose(
        points[0].get_offsets(),
        np.column_stack([result.panel.reasoning, result.panel.truthfulness]),
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == default_families(result)


@pytest.mark.math
def test_forest_rows_are_sorted_by_median_with_the_median_drawn(result, figures):
    _, ax = figures["forest"]
    cs = result.critical_scales().sort_values("nc_median", kind="stable")
    labels = [t.get_text().removesuffix(" *") for t in ax.get_yticklabels()]
    assert labels == list(cs["family"])
    medians = [c.get_offsets()[0] for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(sorted(m[0] for m in medians), np.sort(cs["nc_median"]))
    assert ax.get_xscale() == "log"


@pytest.mark.math
def test_coupling_panels_show_each_family_with_its_median_n_c(result):
    _, axes = coupling_curves(result, ["Pythia", "OPT"])
    assert [ax.get_title().split(":")[0] for ax in axes] == ["Pythia", "OPT"]
    j = list(result.panel.families).index("Pythia")
    c = result.posterior["c"].stack(s=("chain", "draw")).values[j]
    median_line = axes[0].get_lines()[0]  # the posterior median of gamma (x - c)
    x, y = median_line.get_data()
    gamma = result.posterior["gamma"].stack(s=("chain", "draw")).values[j]
    expected = np.median(gamma[None, :] * (x[:, None] - c[None, :]), axis=1)
    np.testing.assert_allclose(y, expected, rtol=0.05, atol=0.02)


@pytest.mark.math
def test_ppc_coverage_in_the_titles(result, figures):
    _, axes = figures["ppc"]
    reps = replicated_scores(result, seed=0)
    for ax, key in zip(axes, ("reasoning", "truthfulness"), strict=True):
        observed = getattr(result.panel, key)
        lo, hi = np.quantile(reps[key], [0.025, 0.975], axis=0)
        inside = int(((observed >= lo) & (observed <= hi)).sum())
        assert f"{inside} of {len(observed)} inside" in ax.get_title()


@pytest.mark.behaviour
def test_figure_errors(result):
    with pytest.raises(BayescapeError, match="unknown figure kind 'pie'"):
        make_figure(result, "pie")
    with pytest.raises(BayescapeError, match="unknown family Pythai"):
        phase_diagram(result, ["Pythai"])
    _, ax = critical_scale_forest(result, prob=0.9)
    assert "90%" in ax.get_title()
    _, axes = posterior_predictive_plot(result, prob=0.5)
    assert len(axes) == 2
