"""Figures of the dynamics model, on prior draws of it (no NUTS) for three families."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pymc as pm
import pytest
import xarray as xr
from matplotlib.collections import PolyCollection

from bayescape.analysis import Result, jacobian_eigenvalues, latent_trajectories, term_inclusion
from bayescape.cli import main
from bayescape.data import DataWarning, load_dataset
from bayescape.errors import BayescapeError
from bayescape.models import build_model, load_spec, required_benchmarks
from bayescape.report import (
    DYNAMICS_FIGURES,
    dynamics_trajectories,
    eigenvalue_plot,
    save_figure,
    term_inclusion_plot,
)

FAMILIES = ("OPT", "Pythia", "Qwen2")
DRAWS = 40


@pytest.fixture(scope="module")
def dyn() -> Result:
    """Prior draws of the dynamics model on three families, as a posterior of one chain.

    The library coefficients and offsets are damped (x 0.1) so every trajectory stays finite:
    raw prior draws can blow up, which a fit's posterior does not.
    """
    spec = load_spec("dynamics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1", require_benchmarks=required_benchmarks(spec))
    df = df[df["family"].isin(FAMILIES)].reset_index(drop=True)
    model, _ = build_model(df, spec)
    names = ["Xi", "u0", "delta", "kappa", "offset_sigma"] + [
        f"sigma_{s}" for s in spec.model["benchmarks"]
    ]
    with model:
        prior = pm.sample_prior_predictive(draws=DRAWS, random_seed=1, var_names=names)
    post = prior.prior.ds.copy()
    post["Xi"] = post["Xi"] * 0.1
    post["delta"] = post["delta"] * 0.1
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, DRAWS), dtype=bool))})
    idata = xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})
    out = Result(idata=idata, data=df, spec=spec, info={"data_source": "leaderboard_v1"})
    _, u, _ = latent_trajectories(out, max_draws=None)
    assert np.isfinite(u).all()
    return out


@pytest.fixture(scope="module")
def dyn_file(dyn: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dyn.save(tmp_path_factory.mktemp("dyn") / "prior_dynamics.nc")


def _by_gid(artists, prefix: str) -> dict[str, object]:
    return {a.get_gid(): a for a in artists if (a.get_gid() or "").startswith(prefix)}


def test_trajectories_one_line_band_and_points_per_family_and_state(dyn):
    _fig, axes = dynamics_trajectories(dyn, max_draws=None)
    states = dyn.panel.states
    assert len(axes) == len(states)
    lines = _by_gid([ln for ax in axes for ln in ax.lines], "trajectory:")
    bands = _by_gid([c for ax in axes for c in ax.collections], "band:")
    points = _by_gid([c for ax in axes for c in ax.collections], "scores:")
    want = {f"{f}:{s}" for f in FAMILIES for s in states}
    assert {g.split(":", 1)[1] for g in lines} == want
    assert {g.split(":", 1)[1] for g in bands} == want
    assert all(isinstance(b, PolyCollection) for b in bands.values())
    # the median line is the posterior median score, the points are the measured scores
    x, u, _ = latent_trajectories(dyn, max_draws=None)
    panel = dyn.panel
    f = list(map(str, panel.families)).index("Pythia")
    k = states.index("truthfulqa")
    med = np.median(panel.centre[k] + panel.scale[k] * u[:, f, :, k], axis=0)
    xd, yd = lines["trajectory:Pythia:truthfulqa"].get_data()
    np.testing.assert_allclose(xd, x[f])
    np.testing.assert_allclose(yd, med, rtol=1e-6)
    members = panel.family_index == f
    offsets = points["scores:Pythia:truthfulqa"].get_offsets()
    np.testing.assert_allclose(offsets[:, 1], panel.scores[members, k])
    # a family selection, and an unknown family
    _, axes = dynamics_trajectories(dyn, ["OPT"], max_draws=10)
    assert len(_by_gid([ln for ax in axes for ln in ax.lines], "trajectory:")) == len(states)
    with pytest.raises(BayescapeError, match="unknown family"):
        dynamics_trajectories(dyn, ["Pythai"])


def test_inclusion_bars_are_the_analysis_values_sorted(dyn):
    _fig, (ax, ax_k) = term_inclusion_plot(dyn)
    table = term_inclusion(dyn)
    bars = [p for p in ax.patches]
    assert len(bars) == len(table)
    widths = np.array([b.get_width() for b in bars])
    assert np.all(np.diff(widths) >= 0)  # sorted, most included at the top
    np.testing.assert_allclose(np.sort(widths), np.sort(table["p_included"].to_numpy()))
    # each bar's label names its equation and term, and its value matches that row
    labels = [t.get_text() for t in ax.get_yticklabels()]
    lookup = {
        f"d {r.state}/dx: {r.term}": r.p_included
        for r in table.assign(state=table["state"].map(_bench_label)).itertuples()
    }
    for label, w in zip(labels, widths, strict=True):
        assert lookup[label] == pytest.approx(w)
    shrink = ax_k.collections[0].get_offsets()[:, 0]
    np.testing.assert_allclose(
        np.sort(shrink), np.sort(table["kappa_mean"].dropna().to_numpy()), rtol=1e-6
    )


def _bench_label(state: str) -> str:
    from bayescape.data import BENCHMARKS

    return BENCHMARKS[state].label


def test_eigenvalue_intervals_are_the_analysis_quantiles(dyn):
    _fig, axes = eigenvalue_plot(dyn, prob=0.8, max_draws=None)
    table = jacobian_eigenvalues(dyn, prob=0.8, max_draws=None)
    lines = _by_gid([ln for ax in axes for ln in ax.lines], "eigen:")
    n_eigen = len(dyn.panel.states)
    assert len(lines) == len(FAMILIES) * 2 * n_eigen
    for row in table.itertuples():
        for i in range(1, n_eigen + 1):
            xd, _ = lines[f"eigen:{row.family}:{row.at}:{i}"].get_data()
            np.testing.assert_allclose(
                xd, [getattr(row, f"re{i}_low"), getattr(row, f"re{i}_high")]
            )
            assert xd[0] <= getattr(row, f"re{i}_median") <= xd[1]
    assert len(axes[0].get_yticklabels()) == len(FAMILIES)


def test_figures_refuse_a_phase_result(result):
    for fn in DYNAMICS_FIGURES.values():
        with pytest.raises(BayescapeError, match="not a dynamics model"):
            fn(result)


def test_save_and_plot_command(dyn, dyn_file, tmp_path, capsys):
    fig, _ = term_inclusion_plot(dyn)
    assert save_figure(fig, tmp_path / "inc.svg").read_text().startswith("<?xml")
    out = tmp_path / "eig.png"
    argv = ["plot", str(dyn_file), "--kind", "eigenvalues", "--out", str(out)]
    assert main([*argv, "--family", "OPT"]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("which", "kind", "msg"),
    [
        ("phase", "trajectories", "--kind trajectories is a figure of a dynamics model"),
        ("dynamics", "forest", "--kind forest is a figure of a phase model"),
        ("dynamics", "phase-diagram", "use one of trajectories, inclusion, eigenvalues"),
        ("dynamics", "inclusion-plot", "--kind 'inclusion-plot' is not one of"),
    ],
)
def test_plot_kind_must_match_the_model(capsys, result_file, dyn_file, tmp_path, which, kind, msg):
    path = dyn_file if which == "dynamics" else result_file
    code = main(["plot", str(path), "--kind", kind, "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert msg in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.behaviour
def test_eigenvalues_skip_blown_up_draws(dyn):
    """A draw whose trajectory is not finite is left out instead of crashing eigvals."""
    from bayescape.analysis import jacobian_eigenvalues

    clean = jacobian_eigenvalues(dyn, max_draws=None)
    broken = dyn.idata.copy()
    xi = broken.posterior.ds["Xi"].copy()
    xi[0, 0] = np.inf  # chain 0, draw 0
    broken["posterior"]["Xi"] = xi
    result = Result(idata=broken, data=dyn.data, spec=dyn.spec, info=dyn.info)
    table = jacobian_eigenvalues(result, max_draws=None)
    assert (table["finite_draws"] == DRAWS - 1).all()
    assert (clean["finite_draws"] == DRAWS).all()
    assert np.isfinite(table.filter(like="_median").to_numpy()).all()


@pytest.mark.behaviour
def test_predict_command_dispatches_to_the_dynamics_model(capsys, dyn, dyn_file):
    """`bayescape predict --family` on a dynamics fit = Result.predict_family = the function."""
    import json

    from bayescape.analysis import predict_dynamics_family

    code = main(["predict", str(dyn_file), "--family", "Llama-2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    direct = predict_dynamics_family(dyn, "Llama-2")
    via_result = dyn.predict_family("Llama-2")
    np.testing.assert_allclose(via_result["median"], direct["median"])
    got = [row["median"] for row in out["predictions"]]
    np.testing.assert_allclose(got, direct["median"], rtol=1e-6)
    assert {row["model"] for row in out["predictions"]} >= {
        "meta-llama/Llama-2-7b-hf",
        "meta-llama/Llama-2-70b-hf",
    }


@pytest.mark.behaviour
@pytest.mark.parametrize(
    ("extra", "msg"),
    [
        (["--covariates", "fam.toml"], "dynamics-model fit: it predicts from a smallest model"),
        ([], "a dynamics fit needs --family NAME or --initial SMALLEST.csv"),
        (["--family", "Nope"], "family 'Nope' is not in the data"),
    ],
)
def test_predict_command_errors_on_a_dynamics_fit(capsys, dyn_file, extra, msg):
    code = main(["predict", str(dyn_file), *extra])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    # the prior-draw "fit" fails its diagnostics: that warning comes first, then the error
    assert msg in lines[-1]
    assert not any("Traceback" in line for line in lines)


def test_lofo_command_on_a_dynamics_fit_uses_importance_sampling(capsys, dyn, dyn_file, tmp_path):
    """`bayescape lofo FIT.nc` (dynamics): no refit; the tables are the function's."""
    import pandas as pd

    from bayescape.analysis import leave_family_out_is

    code = main(["lofo", str(dyn_file), "--family", "Pythia", "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert code == 0 and "pareto_k" in text
    written = pd.read_csv(tmp_path / "lofo_models.csv")
    direct = leave_family_out_is(dyn, families=["Pythia"])
    np.testing.assert_allclose(written["median"], direct.models["median"])
    n_pythia = int((dyn.data["family"] == "Pythia").sum())
    # every model but the smallest, both benchmarks: the dynamics model and three baselines
    assert len(written) == 2 * 4 * (n_pythia - 1)
    assert set(pd.read_csv(tmp_path / "lofo_families.csv")["family"]) == {"Pythia"}


@pytest.mark.behaviour
def test_lofo_command_shows_pareto_k_and_refit_warnings(capsys, dyn, dyn_file, monkeypatch):
    """`bayescape lofo` lets the warnings that judge its numbers through (once a blanket filter
    hid them): high Pareto k of the importance sampling, failed diagnostics of a refit."""
    import bayescape.analysis as analysis
    from bayescape.analysis._compare import HighParetoKWarning
    from bayescape.analysis._lofo import RefitDiagnosticsWarning

    real_is = analysis.leave_family_out_is

    def is_with_high_k(*args, **kwargs):
        warnings.warn("Pythia: Pareto k > 0.7, refit it", HighParetoKWarning, stacklevel=2)
        return real_is(*args, **kwargs)

    def refit_with_divergences(*args, **kwargs):
        warnings.warn("refits without Pythia diverged", RefitDiagnosticsWarning, stacklevel=2)
        return real_is(dyn, families=["Pythia"])

    monkeypatch.setattr(analysis, "leave_family_out_is", is_with_high_k)
    assert main(["lofo", str(dyn_file), "--family", "Pythia"]) == 0
    assert "warning: Pythia: Pareto k > 0.7, refit it" in capsys.readouterr().err
    monkeypatch.setattr(analysis, "leave_one_family_out", refit_with_divergences)
    assert main(["lofo", str(dyn_file), "--family", "Pythia", "--refit"]) == 0
    assert "warning: refits without Pythia diverged" in capsys.readouterr().err


@pytest.mark.behaviour
def test_importance_lofo_warns_of_a_high_pareto_k(dyn, monkeypatch):
    """A family whose weights have k > 0.7 is named in a warning and left out of ``overall``."""
    from bayescape.analysis import _dynamics_lofo
    from bayescape.analysis._compare import HighParetoKWarning

    real = _dynamics_lofo._psis_inverse_likelihood
    monkeypatch.setattr(
        _dynamics_lofo, "_psis_inverse_likelihood", lambda log_lik: (real(log_lik)[0], 0.9)
    )
    with pytest.warns(HighParetoKWarning, match="unreliable for Pythia"):
        out = _dynamics_lofo.leave_family_out_is(dyn, families=["Pythia"])
    assert out.unreliable == ["Pythia"] and out.overall.empty


@pytest.mark.behaviour
def test_html_report_of_a_dynamics_fit_has_the_dynamics_figures(dyn):
    from bayescape.report import render_report

    page = render_report(dyn, replication=False)
    for kind in DYNAMICS_FIGURES:
        assert f'<figure id="figure-{kind}"><img alt="{kind}" src="data:image/png;base64,' in page
    assert "figure-phase-diagram" not in page and "not available" not in page
    noted = render_report(dyn, figures=("forest", "inclusion"), replication=False)
    assert "figure-inclusion" in noted and "figure-trajectories" not in noted
    assert "Not figures of a dynamics fit, left out: forest." in noted


@pytest.mark.behaviour
@pytest.mark.parametrize("extra", [[], ["--no-prior"]])
def test_report_command_on_a_dynamics_fit_has_the_dynamics_figures(dyn_file, tmp_path, extra):
    # the command once passed the phase figure list, so a dynamics report held none
    out = tmp_path / "dyn.html"
    assert main(["report", str(dyn_file), "--out", str(out), "--no-replication", *extra]) == 0
    page = out.read_text()
    for kind in DYNAMICS_FIGURES:
        assert f'<figure id="figure-{kind}">' in page
    assert "Not figures of a dynamics fit" not in page
