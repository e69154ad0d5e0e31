"""Many short chains on the default phase fit: blackjax ChEES-HMC against vectorised NUTS.

``python -m benchmarks.chees [--chains 64] [--tune 500] [--draws 100] [--device cpu]``

One process, back to back, the same chains, warm-up and draws per chain: (1) numpyro NUTS with
vectorised chains through :func:`bayescape.inference.sample` (the package's backend, spec's
target acceptance 0.97); (2) ChEES-HMC (Hoffman, Radul & Sountsov 2021; blackjax
``chees_adaptation`` then ``dynamic_hmc``), a method built for many chains on accelerators: one
step size and trajectory length shared by all chains, tuned on the cross-chain ChEES criterion,
identity mass matrix, every chain running the same number of leapfrog steps (no tree building,
so no wasted lanes in a vectorised program). Both wall times include compilation. Writes
``benchmarks/chees_results.md``. An experiment, not a backend: the package ships NUTS.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _chees(model, chains: int, tune: int, draws: int, seed: int):
    """ChEES warm-up and sampling, all chains vmapped; the posterior as a DataTree."""
    import arviz as az
    import blackjax
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from pymc.sampling.jax import (
        _get_batched_jittered_initial_points,
        get_jaxified_graph,
        get_jaxified_logp,
    )

    logdensity = get_jaxified_logp(model)
    positions = _get_batched_jittered_initial_points(model, chains, None, seed, logdensity)
    warmup = blackjax.chees_adaptation(logdensity, chains)
    key_warmup, key_sample = jax.random.split(jax.random.PRNGKey(seed))
    optim = optax.adam(learning_rate=0.025)
    (states, parameters), _ = warmup.run(
        key_warmup, positions, step_size=0.01, optim=optim, num_steps=tune
    )
    step = jax.vmap(blackjax.dynamic_hmc(logdensity, **parameters).step)

    @jax.jit
    def sample_all(states, key):
        def one(states, key):
            states, info = step(jax.random.split(key, chains), states)
            stats = {
                "diverging": info.is_divergent,
                "n_steps": info.num_integration_steps,
                "mean_tree_accept": info.acceptance_rate,
            }
            return states, (states.position, stats)

        return jax.lax.scan(one, states, jax.random.split(key, draws))[1]

    raw, stats = sample_all(states, key_sample)
    names = [v for v in model.unobserved_value_vars if not v.name.endswith("__")]
    values = get_jaxified_graph(inputs=model.value_vars, outputs=names)
    # draws x chains -> chains x draws
    raw = [jnp.swapaxes(x, 0, 1) for x in raw]
    posterior = jax.vmap(jax.vmap(values))(*raw)
    tree = az.from_dict(
        {
            "posterior": {v.name: np.asarray(p) for v, p in zip(names, posterior, strict=True)},
            "sample_stats": {k: np.asarray(v).swapaxes(0, 1) for k, v in stats.items()},
        }
    )
    return tree, float(parameters["step_size"])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chees")
    parser.add_argument("--chains", type=int, default=64)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from bayescape.data import load_dataset
    from bayescape.inference import diagnose, sample
    from bayescape.inference._device import use_device
    from bayescape.models import build_model, load_spec, model_kind, required_benchmarks

    device = use_device(args.device)
    spec = load_spec("phase")
    df = load_dataset("leaderboard_v1", require_benchmarks=required_benchmarks(spec))
    model, _ = build_model(df, spec)
    headline = model_kind(spec).headline_variables(spec)
    rows = []
    load = [os.getloadavg()[0]]
    run = dict(chains=args.chains, tune=args.tune, draws=args.draws, random_seed=args.seed)
    start = time.perf_counter()
    idata, _ = sample(
        model,
        sampler="numpyro",
        chain_method="vectorized",
        progressbar=False,
        target_accept=float(spec.sampler["target_accept"]),
        device=args.device,
        **run,
    )
    rows.append(("NUTS (numpyro, vectorised)", time.perf_counter() - start, idata, ""))
    load.append(os.getloadavg()[0])
    d = diagnose(idata, headline)  # printed now: the ChEES run may be stopped by a time limit
    print(f"NUTS: {rows[0][1]:.1f} s, load {load[-1]:.1f}, {d.describe()}", flush=True)
    start = time.perf_counter()
    tree, step_size = _chees(model, args.chains, args.tune, args.draws, args.seed)
    rows.append(
        ("ChEES-HMC (blackjax)", time.perf_counter() - start, tree, f"step size {step_size:.3g}")
    )
    load.append(os.getloadavg()[0])
    lines = [
        "# Many short chains: ChEES-HMC vs vectorised NUTS (`python -m benchmarks.chees`)",
        "",
        f"Default phase fit (leaderboard_v1), {args.chains} chains x {args.draws} draws after "
        f"{args.tune} warm-up steps each, seed {args.seed}, on {device}, one process, back to "
        f"back; wall time includes compilation. 1-minute load average {load[0]:.1f} at the "
        f"start, {load[1]:.1f} between, {load[2]:.1f} at the end. ESS: smallest bulk ESS of "
        "the gate's headline variables.",
        "",
        "| method | wall s | min bulk ESS | ESS/s | max R-hat | divergences | leapfrog/draw "
        "| gate | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, seconds, tree, note in rows:
        d = diagnose(tree, headline)
        steps = float(tree["sample_stats"].ds["n_steps"].mean())
        lines.append(
            f"| {name} | {seconds:.1f} | {d.min_ess_bulk:.0f} | {d.min_ess_bulk / seconds:.2f} "
            f"| {d.max_rhat:.3f} | {d.divergences} | {steps:.1f} | {d.status} | {note} |"
        )
    text = "\n".join(lines) + "\n"
    (HERE / "chees_results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
