"""Run one timed fit in this process and print one JSON line (called in a fresh subprocess).

``python -m benchmarks._one --sampler nutpie|numpyro|blackjax|pymc|numpyro-reference|nutpie-split
[--families N] [--seed S] [--draws D] [--tune T] [--chains C] [--chain-method M] [--device D]
[--model phase|dynamics]``

A sampler name may carry its chain method: ``numpyro-vectorized`` is ``--sampler numpyro
--chain-method vectorized``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings

import numpy as np

T_IMPORT = time.perf_counter()


def headline_ess(idata_or_samples) -> tuple[float, float]:
    """Smallest bulk ESS over every N_c, mu_c, beta, tau_c; and the largest R-hat."""
    import arviz as az

    names = ["c", "mu_c", "beta", "tau_c"]
    ess = az.ess(idata_or_samples, var_names=names, method="bulk")
    rhat = az.rhat(idata_or_samples, var_names=names)
    ess, rhat = getattr(ess, "ds", ess), getattr(rhat, "ds", rhat)
    return (min(float(ess[v].min()) for v in names), max(float(rhat[v].max()) for v in names))


def synthetic_panel(n_families: int, seed: int):
    """n_families x 8 models simulated from the phase model (for the scale benchmark)."""
    import pandas as pd

    from bayescape.models import load_spec, prepare_panel
    from bayescape.models.phase import simulate_scores

    rng = np.random.default_rng(seed)
    rows = []
    c = rng.normal(9.5, 0.6, n_families)
    curated = rng.random(n_families) < 0.3
    log_tpp = rng.normal(1.5, 0.5, n_families)
    for f in range(n_families):
        for i, xi in enumerate(np.sort(rng.uniform(8.0, 11.0, 8))):
            rows.append(
                {
                    "model": f"f{f}-{i}",
                    "family": f"f{f:04d}",
                    "params": 10**xi,
                    "tokens": 10 ** (xi + log_tpp[f]),
                    "data_curation": "curated" if curated[f] else "web",
                    "hellaswag": 0.5,
                    "truthfulqa": 0.4,
                }
            )
    df = pd.DataFrame(rows)
    df["items_hellaswag"], df["items_truthfulqa"] = 10042, 817
    truth = {
        "c": c,
        "a": rng.normal(0, 0.6, n_families),
        "b": np.exp(rng.normal(0.1, 0.2, n_families)),
        "t": rng.normal(0.4, 0.03, n_families),
        "gamma": np.exp(rng.normal(np.log(0.4), 0.2, n_families)),
        "sigma_reasoning": 0.01,
        "sigma_truthfulness": 0.01,
    }
    panel = prepare_panel(df, load_spec("phase"))
    df["hellaswag"], df["truthfulqa"] = simulate_scores(panel, truth, rng)
    return df


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sampler", required=True)
    parser.add_argument("--families", type=int, default=0, help="0: leaderboard_v1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--chain-method", default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", default="phase", help="phase or dynamics (the shipped specs)")
    args = parser.parse_args()
    sampler, _, method = args.sampler.partition("-")
    if sampler in ("numpyro", "blackjax") and method in ("vectorized", "sequential"):
        args.sampler, args.chain_method = sampler, method
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    from bayescape.data import load_dataset
    from bayescape.inference import fit_model

    data = synthetic_panel(args.families, args.seed) if args.families else "leaderboard_v1"
    out = {
        "sampler": args.sampler,
        "chain_method": args.chain_method,
        "chains": args.chains,
        "draws": args.draws,
        "tune": args.tune,
        "model": args.model,
        "families": args.families or 47,
        "seed": args.seed,
    }
    if args.sampler == "numpyro-reference":
        import jax
        from numpyro.infer import MCMC, NUTS

        from bayescape.models import load_spec, prepare_panel
        from benchmarks.numpyro_reference import phase_model

        spec = load_spec("phase")
        df = load_dataset(data, require_benchmarks=["hellaswag", "truthfulqa"])
        panel = prepare_panel(df, spec)
        mcmc = MCMC(
            NUTS(phase_model, target_accept_prob=0.9),
            num_warmup=args.tune,
            num_samples=args.draws,
            num_chains=args.chains,
            chain_method="sequential",
            progress_bar=False,
        )
        mcmc.run(
            jax.random.PRNGKey(args.seed), panel, spec, extra_fields=("num_steps", "diverging")
        )
        samples = mcmc.get_samples(group_by_chain=True)
        import arviz as az

        idata = az.from_dict({"posterior": {k: np.asarray(v) for k, v in samples.items()}})
        extra = mcmc.get_extra_fields()
        out["steps_per_draw"] = float(np.mean(extra["num_steps"]))
        out["divergences"] = int(np.sum(extra["diverging"]))
        out["sampling_seconds"] = time.perf_counter() - start
    elif args.sampler == "nutpie-split":
        # the default fit's two steps (nutpie compile, nutpie NUTS) timed one by one
        import nutpie

        from bayescape.models import build_model, load_spec

        spec = load_spec("phase")
        df = load_dataset(data, require_benchmarks=["hellaswag", "truthfulqa"])
        model, _ = build_model(df, spec)
        t0 = time.perf_counter()
        compiled = nutpie.compile_pymc_model(model)
        out["compile_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        idata = nutpie.sample(
            compiled,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            seed=args.seed,
            target_accept=float(spec.sampler.get("target_accept", 0.9)),
            progress_bar=False,
        )
        out["sampling_seconds"] = time.perf_counter() - t0
        stats = idata.sample_stats.ds
        out["steps_per_draw"] = float(stats["n_steps"].mean())
        out["divergences"] = int(stats["diverging"].sum())
        out["gradient_us"] = 1e6 * out["sampling_seconds"] / float(stats["n_steps"].sum())
    else:
        result = fit_model(
            args.model,
            data,
            sampler=args.sampler,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
            chain_method=args.chain_method,
            device=args.device,
            progressbar=False,
        )
        idata = result.idata
        out["device"] = result.info["device"]
        out["gate"] = result.diagnostics.status
        stats = idata.sample_stats.ds
        steps = stats["n_steps"] if "n_steps" in stats else stats.get("tree_size")
        out["steps_per_draw"] = float(steps.mean()) if steps is not None else float("nan")
        out["divergences"] = result.diagnostics.divergences
        out["sampling_seconds"] = float(result.info["sampling_seconds"])
    out["wall_seconds"] = time.perf_counter() - start
    if args.model == "phase":
        out["min_ess_bulk"], out["max_rhat"] = headline_ess(idata)
    else:  # the gate's own headline variables
        out["min_ess_bulk"] = result.diagnostics.min_ess_bulk
        out["max_rhat"] = result.diagnostics.max_rhat
    draws = args.draws * args.chains
    out["ess_per_draw"] = out["min_ess_bulk"] / draws
    out["ess_per_second"] = out["min_ess_bulk"] / out["wall_seconds"]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
