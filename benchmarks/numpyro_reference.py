"""The phase model written directly in NumPyro: the fast reference for bayescape's samplers.

Same data, same priors (read from ``models/phase.toml``), same parameterisation as
``bayescape.models.phase``; only the modelling language differs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

import bayescape._jax  # noqa: F401  (x64)
from bayescape.data import BENCHMARKS
from bayescape.models import FamilyPanel, ModelSpec


def _prior(spec: ModelSpec, name: str, shape: tuple[int, ...] = ()):
    p = spec.priors[name]
    if p.dist == "normal":
        d = dist.Normal(p["mu"], p["sigma"])
    elif p.dist == "halfnormal":
        d = dist.HalfNormal(p["sigma"])
    else:
        d = dist.Uniform(p["lower"], p["upper"])
    return numpyro.sample(name, d.expand(shape) if shape else d)


def phase_model(panel: FamilyPanel, spec: ModelSpec) -> None:
    """NumPyro version of the running-coupling phase model (covariates imputed the same way)."""
    f = jnp.asarray(panel.family_index)
    F, K = panel.n_families, len(panel.covariates)
    x, anchor = jnp.asarray(panel.x), jnp.asarray(panel.anchor)[f]
    floor = BENCHMARKS[panel.reasoning_benchmark].floor
    std = dist.Normal(0.0, 1.0)
    a = _prior(spec, "a_mu") + _prior(spec, "a_sigma") * numpyro.sample("a_z", std.expand((F,)))
    b = jnp.exp(
        _prior(spec, "log_b_mu")
        + _prior(spec, "log_b_sigma") * numpyro.sample("log_b_z", std.expand((F,)))
    )
    t = _prior(spec, "t_mu") + _prior(spec, "t_sigma") * numpyro.sample("t_z", std.expand((F,)))
    mu_c, tau_c = _prior(spec, "mu_c"), _prior(spec, "tau_c")
    beta = _prior(spec, "beta", (K,))
    z = np.where(panel.missing, 0.0, panel.z)
    if panel.missing.any():
        rows, cols = np.nonzero(panel.missing)
        latent = numpyro.sample("z_missing", std.expand((len(rows),)))
        z = jnp.asarray(z).at[rows, cols].set(latent)
    c = numpyro.deterministic(
        "c", mu_c + jnp.dot(z, beta) + tau_c * numpyro.sample("c_z", std.expand((F,)))
    )
    gamma = jnp.exp(
        _prior(spec, "log_gamma_mu")
        + _prior(spec, "log_gamma_sigma") * numpyro.sample("log_gamma_z", std.expand((F,)))
    )
    af, bf = a[f], b[f]
    sig = jax.nn.sigmoid
    r_x = floor + (1 - floor) * sig(af + bf * (x - anchor))
    r_m = floor + (1 - floor) * sig(af)
    integral = (
        floor * (x - anchor)
        + (1 - floor) * (jax.nn.softplus(af + bf * (x - anchor)) - jax.nn.softplus(af)) / bf
    )
    cf = c[f]
    t_mu = t[f] + gamma[f] * ((x - cf) * r_x - (anchor - cf) * r_m - integral)

    def likelihood(name, mu, obs, n, sigma):
        p = jnp.clip(mu, 1e-3, 1 - 1e-3)
        scale = jnp.sqrt(p * (1 - p) / n + sigma**2)
        numpyro.sample(name, dist.TruncatedNormal(mu, scale, low=0.0, high=1.0), obs=obs)

    likelihood(
        "reasoning", r_x, panel.reasoning, panel.n_reasoning, _prior(spec, "sigma_reasoning")
    )
    likelihood(
        "truthfulness",
        t_mu,
        panel.truthfulness,
        panel.n_truthfulness,
        _prior(spec, "sigma_truthfulness"),
    )
