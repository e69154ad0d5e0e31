"""Figures (bayescape.report): each returns (Figure, Axes), draws the numbers it claims."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from bayescape.analysis import (
    Result,
    add_predictive_groups,
    posterior_predictive_draws,
    replicated_scores,
)
from bayescape.errors import BayescapeError
from bayescape.report import (
    FIGURES,
    coupling_curves,
    critical_scale_forest,
    default_families,
    make_figure,
    phase_diagram,
    posterior_predictive_plot,
    render_table,
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
def test_coupling_titles_give_the_critical_scales_table_numbers(result):
    # the same numbers as `bayescape table --what critical-scales`, from all the draws
    _, axes = coupling_curves(result, ["Pythia", "OPT", "BLOOM"])
    table = render_table(result, "critical-scales", "markdown")
    rows = {r.split("|")[1].strip(): r.split("|") for r in table.splitlines()[2:]}
    header = [h.strip() for h in table.splitlines()[0].split("|")]
    col = {name: header.index(name) for name in header if name}
    for ax, family in zip(axes, ["Pythia", "OPT", "BLOOM"], strict=True):
        title = ax.get_title()
        median, low, high = (
            rows[family][col[key]].strip()
            for key in ("N_c median (B)", "N_c 95% ETI low (B)", "N_c 95% ETI high (B)")
        )
        assert title.startswith(f"{family}: $N_c$ {median}B"), (title, median)
        assert f"95% ETI [{low}B, {high}B]" in title, (title, low, high)


@pytest.mark.math
def test_coupling_medians_use_every_draw_not_a_thinned_thousand(make_prior_result):
    # 4,000 draws: thinned to 1,000 (as before) the dashed median moved off the table's
    many = make_prior_result(draws=4000, seed=11)
    families = default_families(many)
    _, axes = coupling_curves(many, families)
    table = many.critical_scales().set_index("family")
    drawn = 0
    for ax, family in zip(axes, families, strict=True):
        want = np.log10(table.loc[family, "nc_median"])
        dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        if "(off the plot)" in ax.get_title():
            assert not dashed
            continue
        assert len(dashed) == 1
        assert dashed[0].get_xdata()[0] == pytest.approx(want, abs=1e-12)
        drawn += 1
    assert drawn >= 2


@pytest.mark.behaviour
def test_figures_say_their_intervals_are_equal_tailed(figures):
    _, forest = figures["forest"]
    assert "95% equal-tailed intervals" in forest.get_title()
    _, ppc = figures["ppc"]
    assert "95% ETI" in ppc[0].get_ylabel()
    _, diagram = figures["phase-diagram"]
    assert "equal-tailed bands" in diagram.get_title()
    fig, _ = figures["coupling"]
    assert "equal-tailed" in fig.get_suptitle()


@pytest.mark.math
def test_ppc_shows_the_results_own_posterior_predictive_group(result):
    with_groups = add_predictive_groups(
        Result(idata=result.idata.copy(), data=result.data, spec=result.spec, info=result.info)
    )
    stored = with_groups.idata["posterior_predictive"].ds["truthfulness"].values
    assert np.array_equal(
        posterior_predictive_draws(with_groups)["truthfulness"],
        stored.reshape(-1, stored.shape[-1]),
    )
    # a result without the group draws the same replicates from the fit's seed
    np.testing.assert_array_equal(
        posterior_predictive_draws(result)["truthfulness"], stored.reshape(-1, stored.shape[-1])
    )
    _, axes = posterior_predictive_plot(with_groups)
    observed = result.panel.truthfulness
    lo, hi = np.quantile(stored.reshape(-1, stored.shape[-1]), [0.025, 0.975], axis=0)
    inside = int(((observed >= lo) & (observed <= hi)).sum())
    assert f"{inside} of {len(observed)} inside" in axes[1].get_title()


@pytest.mark.math
def test_ppc_coverage_in_the_titles(result, figures):
    _, axes = figures["ppc"]
    reps = replicated_scores(result, seed=result.info["seed"])
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


@pytest.mark.behaviour
def test_the_cli_names_the_figures_and_tables_the_report_makes():
    """The CLI reads its choices from bayescape._config (no heavy import): the same names."""
    from bayescape import _config
    from bayescape.report import DYNAMICS_FIGURES, FIGURE_FORMATS, FIGURES, FORMATS, TABLES
    from bayescape.report._html import FIGURES_BY_KIND

    assert tuple(FIGURES) == _config.FIGURE_NAMES["phase"]
    assert tuple(DYNAMICS_FIGURES) == _config.FIGURE_NAMES["dynamics"]
    assert {k: tuple(v) for k, v in FIGURES_BY_KIND.items()} == _config.FIGURE_NAMES
    assert (TABLES, FORMATS, FIGURE_FORMATS) == (
        _config.TABLES,
        _config.TABLE_FORMATS,
        _config.FIGURE_FORMATS,
    )
