"""Backend choice: nutpie compiles with Numba unless the model holds a JAX op."""

from __future__ import annotations

import warnings

import pytest

from bayescape.data import DataWarning, load_dataset
from bayescape.inference._sampling import has_jax_ops
from bayescape.models import build_model, load_spec, required_benchmarks


def _model(name: str, families: list[str]):
    spec = load_spec(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1", require_benchmarks=required_benchmarks(spec))
        model, _ = build_model(df[df["family"].isin(families)], spec)
    return model


@pytest.mark.behaviour
def test_the_dynamics_model_holds_a_jax_op_and_the_phase_model_does_not():
    assert has_jax_ops(_model("dynamics", ["OPT", "Pythia"]))
    assert not has_jax_ops(_model("phase", ["OPT", "Pythia", "BLOOM"]))


@pytest.mark.behaviour
def test_mass_matrix_option_is_nutpies_and_checked():
    from bayescape.errors import BayescapeError
    from bayescape.inference._sampling import nutpie_options, sample

    model = _model("phase", ["OPT", "Pythia"])
    with pytest.raises(BayescapeError, match="unknown mass_matrix 'diag'"):
        sample(model, mass_matrix="diag")
    with pytest.raises(BayescapeError, match="is a nutpie option"):
        sample(model, sampler="numpyro", mass_matrix="variance")
    assert nutpie_options("variance") == {"adaptation": "draw_diag"}
    assert nutpie_options("gradient") == {"adaptation": "diag"}


@pytest.mark.behaviour
def test_pymc_info_lines_are_held_back_while_sampling(caplog):
    # PyMC logs "NUTS[nutpie]: [every free variable]" (200+ columns on the phase model) at INFO;
    # bayescape prints its own line, so sample() holds PyMC's INFO back and restores the level
    import logging

    import pymc as pm

    from bayescape.inference._sampling import sample

    with pm.Model() as model:
        pm.Normal("x", 0.0, 1.0)
    with caplog.at_level(logging.INFO, logger="pymc"):
        logging.getLogger("pymc").info("visible before sampling")
        sample(model, draws=20, tune=20, chains=1, progressbar=False)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("pymc")]
    assert "visible before sampling" in messages
    assert not any("NUTS[" in m for m in messages), messages
    assert logging.getLogger("pymc").level == logging.INFO  # caplog's level, put back


@pytest.mark.behaviour
def test_reusable_model_samples_a_model_with_a_jax_op():
    """ReusableModel compiles as sample() does (one compile_nutpie): a JAX op (the dynamics
    model's ODE solve) gets nutpie's JAX backend. It once compiled with Numba, which runs the
    op in object mode (Python calls at every gradient) and says so in a warning."""
    import jax.numpy as jnp
    import numpy as np
    import pymc as pm
    import pytensor

    import bayescape._jax  # noqa: F401  (x64 before wrap_jax)
    from bayescape.inference import ReusableModel

    @pytensor.wrap_jax
    def squash(mu):
        return jnp.tanh(mu)

    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 1.0)
        pm.Normal("y", squash(mu), 0.5, observed=np.zeros(3))
    assert has_jax_ops(model)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Numba will use object mode")
        reusable = ReusableModel(model)
        up = reusable.sample({"y": np.full(3, 0.9)}, draws=50, tune=50, chains=1, random_seed=1)
        down = reusable.sample({"y": np.full(3, -0.9)}, draws=50, tune=50, chains=1, random_seed=1)
    assert up.posterior["mu"].shape == (1, 50)
    assert up.posterior["mu"].mean() > 0 > down.posterior["mu"].mean()  # the new data are read


def test_fast_cfunc_wrappers_give_nutpies_draws_bit_for_bit():
    """The loop-based C wrappers (faster to compile) feed nuts-rs the same numbers as nutpie's
    own, so the same seed gives identical draws, deterministics and sampler statistics."""
    import numpy as np
    import nutpie
    from pytensor import config

    from bayescape.inference._nutpie_cfunc import fast_cfunc_wrappers
    from bayescape.inference._sampling import compile_nutpie

    model = _model("phase", ["Pythia", "OPT", "BLOOM"])
    with config.change_flags(numba__fastmath=False):
        theirs = nutpie.compile_pymc_model(model, backend="numba")
    with fast_cfunc_wrappers() as used:
        assert used, "the wrappers were checked against this nutpie version"
    ours = compile_nutpie(model)
    kwargs = dict(draws=40, tune=40, chains=2, cores=1, seed=5, progress_bar=False)
    a, b = nutpie.sample(theirs, **kwargs), nutpie.sample(ours, **kwargs)
    for group in ("posterior", "sample_stats"):
        for name in a[group].ds.data_vars:
            x, y = a[group].ds[name].values, b[group].ds[name].values
            if x.dtype == object:  # divergence messages: text or nan
                x, y = x.astype(str), y.astype(str)
            np.testing.assert_array_equal(x, y, err_msg=name)
    # and nutpie's own builders are back in place after the compile
    import nutpie.compile_pymc as cp

    assert cp._make_c_logp_func.__module__ == "nutpie.compile_pymc"


@pytest.mark.filterwarnings("ignore::bayescape.errors.IgnoredInputWarning")
def test_chains_in_processes_are_seeded_per_chain_whatever_the_worker_count():
    """``chain_method="processes"``: chain k is nutpie's single chain seeded
    ``chain_seed(seed, k)`` (checked against an in-process run of that chain), so the draws
    do not depend on how many worker processes ran them; without a way to rebuild the model
    the method is refused with advice."""
    from functools import partial

    import numpy as np
    import nutpie

    from bayescape.errors import BayescapeError
    from bayescape.inference._chain_processes import chain_seed
    from bayescape.inference._fit import _model_only
    from bayescape.inference._sampling import compile_nutpie, sample

    spec = load_spec("phase")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1")
    df = df[df["family"].isin(["Pythia", "OPT", "BLOOM"])]
    model = _model_only(df, spec)
    settings = dict(sampler="nutpie", draws=25, tune=25, chains=3, random_seed=11)
    idata, _ = sample(
        model,
        chain_method="processes",
        progressbar=False,
        rebuild=partial(_model_only, df, spec),
        **settings,
    )
    assert idata.attrs["chain_method"] == "processes"
    assert list(idata["posterior"].ds["chain"].values) == [0, 1, 2]
    alone = nutpie.sample(
        compile_nutpie(model),
        draws=25,
        tune=25,
        chains=1,
        cores=1,
        seed=chain_seed(11, 2),
        target_accept=0.9,
        progress_bar=False,
        adaptation="diag",
    )
    for name in ("mu_c", "c", "sigma_truthfulness"):
        np.testing.assert_array_equal(
            idata["posterior"].ds[name].values[2], alone["posterior"].ds[name].values[0]
        )
    assert not np.array_equal(
        idata["posterior"].ds["mu_c"].values[0], idata["posterior"].ds["mu_c"].values[1]
    )
    # one worker (or a daemonic process): the same chains, one after another, in-process
    from pymc.progress_bar.progress import NutpieProgressBarManager

    from bayescape.inference._chain_processes import sample_in_processes

    bar = NutpieProgressBarManager(chains=3, draws=25, progressbar=False)
    with bar:
        inline = sample_in_processes(
            model,
            partial(_model_only, df, spec),
            chains=3,
            workers=1,
            random_seed=11,
            bar=bar,
            draws=25,
            tune=25,
            target_accept=0.9,
            adaptation="diag",
        )
    np.testing.assert_array_equal(
        inline["posterior"].ds["c"].values, idata["posterior"].ds["c"].values
    )
    with pytest.raises(BayescapeError, match="rebuild"):
        sample(model, chain_method="processes", progressbar=False, **settings)
