"""The fully-JAX backend: vectorised chains, device choice, nutpie's statistics, same draws.

CPU only (CI has no accelerator). The agreement with nutpie on the default fit is ``slow``;
the default suite checks both backends against a closed-form posterior instead.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pymc as pm
import pytest

from bayescape._config import CHAIN_METHODS, SAMPLERS
from bayescape.errors import BayescapeError
from bayescape.inference._sampling import BACKENDS, sample

# Normal mean with known noise: prior N(0, 2^2), 8 observations with sd 1 (conjugate)
_Y = np.array([0.3, 1.2, -0.4, 0.9, 1.5, 0.1, 0.8, 0.6])
_PRIOR_SD, _NOISE_SD = 2.0, 1.0


def _conjugate_model() -> pm.Model:
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, _PRIOR_SD)
        pm.Normal("y", mu, _NOISE_SD, observed=_Y)
    return model


def _exact_posterior() -> tuple[float, float]:
    precision = 1 / _PRIOR_SD**2 + len(_Y) / _NOISE_SD**2
    return _Y.sum() / _NOISE_SD**2 / precision, precision**-0.5


def _quiet_sample(model: pm.Model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata, _ = sample(model, progressbar=False, **kwargs)
    return idata


@pytest.mark.behaviour
def test_every_cli_sampler_and_chain_method_has_a_backend():
    assert set(BACKENDS) == set(SAMPLERS)
    for backend in BACKENDS.values():
        assert set(backend.chain_methods) <= set(CHAIN_METHODS), backend.name
    assert "vectorized" in BACKENDS["numpyro"].chain_methods
    assert BACKENDS["blackjax"].chain_methods == ("vectorized",)


@pytest.mark.behaviour
def test_a_chain_method_the_backend_lacks_and_a_device_outside_jax_are_refused():
    model = _conjugate_model()
    with pytest.raises(BayescapeError, match="runs chains vectorized, not 'sequential'"):
        sample(model, sampler="blackjax", chain_method="sequential")
    with pytest.raises(BayescapeError, match="for --device gpu use sampler numpyro or blackjax"):
        sample(model, sampler="nutpie", device="gpu")


@pytest.mark.behaviour
def test_vectorized_chains_repeat_bit_for_bit_and_keep_nutpies_statistics():
    model = _conjugate_model()
    runs = [
        _quiet_sample(
            model,
            sampler="numpyro",
            chain_method="vectorized",
            chains=3,
            draws=80,
            tune=80,
            random_seed=seed,
        )
        for seed in (5, 5, 6)
    ]
    first, again, other = (r["posterior"].ds["mu"].values for r in runs)
    assert first.shape == (3, 80)
    np.testing.assert_array_equal(first, again)  # same seed: the same numbers, not close ones
    assert not np.array_equal(first, other)
    assert len({tuple(chain[:5]) for chain in first}) == 3  # the chains are not copies
    stats = runs[0]["sample_stats"].ds
    nutpie_names = {
        "diverging",
        "depth",
        "maxdepth_reached",
        "n_steps",
        "logp",
        "energy",
        "mean_tree_accept",
        "step_size",
    }
    assert nutpie_names <= set(stats.data_vars)
    assert not {"tree_depth", "lp", "acceptance_rate"} & set(stats.data_vars)
    assert runs[0].attrs["chain_method"] == "vectorized"
    assert runs[0].attrs["device"].startswith("cpu: ")


@pytest.mark.math
@pytest.mark.parametrize(
    "sampler, chain_method", [("nutpie", None), ("numpyro", "vectorized"), ("blackjax", None)]
)
def test_each_backend_recovers_the_conjugate_posterior(sampler, chain_method):
    # 4 x 500 draws: the posterior mean's Monte Carlo SE is about sd / sqrt(ESS) ~ 0.008; five
    # of them (a two-sided false alarm of 6e-7) bound the error, and the sd within 10%
    model = _conjugate_model()
    idata = _quiet_sample(
        model,
        sampler=sampler,
        chain_method=chain_method,
        chains=4,
        draws=500,
        tune=300,
        random_seed=11,
    )
    import arviz as az

    mean, sd = _exact_posterior()
    draws = idata["posterior"].ds["mu"]
    mcse = float(az.mcse(idata, var_names=["mu"]).ds["mu"])
    assert abs(float(draws.mean()) - mean) < 5 * mcse, (float(draws.mean()), mean, mcse)
    assert float(draws.std()) == pytest.approx(sd, rel=0.1)
    assert int(idata["sample_stats"].ds["diverging"].sum()) == 0


_DEVICE_SCRIPT = """
import jax
from bayescape.errors import BayescapeError
from bayescape.inference._device import use_device
try:
    use_device("gpu")
except BayescapeError as exc:
    print("unavailable:", exc)
print("cpu:", use_device("cpu"))
try:
    use_device("gpu")
except BayescapeError as exc:
    print("initialised:", exc)
"""


@pytest.mark.behaviour
def test_a_missing_accelerator_is_a_clear_error_and_the_cpu_still_runs():
    # a fresh process: JAX picks its platform once per process
    out = subprocess.run(
        [sys.executable, "-c", _DEVICE_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "unavailable: no gpu is available to JAX here" in out
    assert "use --device cpu or auto" in out
    assert "cpu: cpu: " in out
    assert "initialised: JAX already runs on cpu in this process" in out


@pytest.mark.slow
def test_vectorized_numpyro_agrees_with_nutpie_on_the_default_fit():
    """The default fit (spec settings: 4 x 1000 draws after 500, target_accept 0.97).

    Each headline posterior mean may differ by at most 5 combined Monte Carlo SEs,
    sqrt(mcse_nutpie^2 + mcse_numpyro^2): over ~60 scalars a true-agreement false alarm has
    probability about 60 x 6e-7. Both fits must pass the same diagnostics gate.
    """
    import arviz as az

    import bayescape

    fits = {
        name: bayescape.fit("phase", "leaderboard_v1", random_seed=1, progressbar=False, **kw)
        for name, kw in {
            "nutpie": {},
            "numpyro": {"sampler": "numpyro", "chain_method": "vectorized", "device": "cpu"},
        }.items()
    }
    for fit in fits.values():
        assert fit.diagnostics.ok, fit.diagnostics.describe()
    names = fits["nutpie"].kind.headline_variables(fits["nutpie"].spec)
    a, b = (f.idata["posterior"].ds[names] for f in fits.values())
    se_a, se_b = (az.mcse(f.idata, var_names=names).ds for f in fits.values())
    for name in names:
        z = np.abs(a[name].mean(("chain", "draw")) - b[name].mean(("chain", "draw")))
        z = z / np.sqrt(se_a[name] ** 2 + se_b[name] ** 2)
        assert float(z.max()) < 5, (name, float(z.max()))
