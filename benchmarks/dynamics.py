"""Benchmarks of the sparse dynamics model (a script, not a test).

    .venv/bin/python -m benchmarks.dynamics fit        # default dataset: time, ESS/s, divergences
    .venv/bin/python -m benchmarks.dynamics llama2     # fit without Llama-2, predict it
    .venv/bin/python -m benchmarks.dynamics ode        # diffrax vs pm.ode.DifferentialEquation
    .venv/bin/python -m benchmarks.dynamics lofo       # leave-one-family-out, importance sampling
    .venv/bin/python -m benchmarks.dynamics lofo --families Llama-2 Pythia   # + exact refits

Each prints its numbers; write the ones you measured into benchmarks/dynamics_results.md with
the machine and settings. Options: --draws, --tune, --chains, --seed, --out DIR, --cap SECONDS.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

import bayescape._jax  # noqa: F401
from bayescape.data import DataWarning, load_dataset


def _sampler_stats(idata) -> dict:
    import arviz as az

    stats = idata.sample_stats.ds
    post = idata.posterior.ds
    ess = az.ess(idata, var_names=["Xi"], method="bulk").ds["Xi"].to_numpy()
    return {
        "divergences": int(stats["diverging"].sum()),
        "mean_leapfrog_steps": float(stats["n_steps"].mean()) if "n_steps" in stats else None,
        "mean_tree_depth": float(stats["tree_depth"].mean()) if "tree_depth" in stats else None,
        "min_ess_bulk_Xi": float(ess.min()),
        "draws": int(post.sizes["chain"] * post.sizes["draw"]),
    }


def fit_default(args) -> dict:
    result = _default_result(args)
    seconds = float(result.info["sampling_seconds"])
    out = {
        "sampling_seconds": seconds,
        **_sampler_stats(result.idata),
        "diagnostics": result.diagnostics.describe(),
    }
    out["min_ess_per_second_Xi"] = out["min_ess_bulk_Xi"] / seconds
    return out


def llama2(args) -> dict:
    from bayescape.analysis import predict_dynamics_family

    result = _default_result(args, "dynamics_without_llama2.nc", exclude=["Llama-2"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1")
    pred = predict_dynamics_family(result, "Llama-2", data=df, prob=0.9)
    tqa = pred[pred["benchmark"] == "truthfulqa"]
    later = tqa[~tqa["is_start"]]
    return {
        "sampling_seconds": float(result.info["sampling_seconds"]),
        **_sampler_stats(result.idata),
        "diagnostics": result.diagnostics.describe(),
        "truthfulqa": tqa[
            ["model", "observed", "median", "low", "high", "pct_error", "covered"]
        ].to_dict(orient="records"),
        "mape_all_three": float(tqa["pct_error"].abs().mean()),
        "mape_13b_70b": float(later["pct_error"].abs().mean()),
        "coverage_all_three": float(tqa["covered"].mean()),
        "paper_mape": 5.6,
    }


def _default_result(args, name: str = "dynamics_leaderboard_v1.nc", exclude=()):
    """The fit saved under --out (refitted with --refit or when missing)."""
    from bayescape.analysis import fit, load

    path = Path(args.out) / name
    if path.exists() and not args.refit:
        return load(path)
    result = fit(
        "dynamics",
        "leaderboard_v1",
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        random_seed=args.seed,
        progressbar=False,
        exclude_families=list(exclude),
    )
    result.save(path)
    return result


def lofo(args) -> dict:
    """Leave-one-family-out (families >= 3 models) by importance sampling from the default
    fit; with --families, also exact refits of those families and the two side by side."""
    from bayescape.analysis import leave_family_out_is, leave_one_family_out

    result = _default_result(args)
    start = time.perf_counter()
    approx = leave_family_out_is(result, seed=args.seed)
    seconds = time.perf_counter() - start
    out_dir = Path(args.out) / "lofo_dynamics"
    out_dir.mkdir(parents=True, exist_ok=True)
    approx.models.to_csv(out_dir / "is_models.csv", index=False)
    approx.families.to_csv(out_dir / "is_families.csv", index=False)
    out = {
        "fit": result.diagnostics.describe(),
        "is_seconds": seconds,
        "overall": approx.overall.to_dict(orient="records"),
        "unreliable": approx.unreliable,
        "pareto_k": approx.families.drop_duplicates("family")[["family", "pareto_k", "ess"]]
        .round(3)
        .to_dict(orient="records"),
    }
    if args.families:
        start = time.perf_counter()
        exact = leave_one_family_out(
            result.spec,
            result.data,
            families=args.families,
            out_dir=out_dir / "exact",
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
        )
        exact.models.to_csv(out_dir / "exact_models.csv", index=False)
        keys = ["method", "family", "model", "benchmark"]
        both = exact.models.merge(approx.models, on=keys, suffixes=("_exact", "_is"))
        both = both[both["method"] == "dynamics"]
        out["exact_seconds"] = time.perf_counter() - start
        columns = ["observed_exact", "median_exact", "median_is", "low_90_exact", "low_90_is"]
        columns += ["high_90_exact", "high_90_is", "crps_exact", "crps_is"]
        out["exact_vs_is"] = both[[*keys[1:], *columns]].to_dict(orient="records")
        out["exact_fit_ok"] = bool(exact.models["fit_ok"].all())
        out["combined"] = combined_overall(approx.models, exact.models, approx.unreliable)
    return out


def combined_overall(is_models, exact_models, unreliable: list[str]) -> list[dict]:
    """Overall scores with the unreliable families' importance-sampling rows replaced by their
    exact refits (every family once); the families missing an exact refit stay out."""
    import pandas as pd

    from bayescape.analysis._lofo import _aggregate

    refitted = set(exact_models["family"])
    keep = is_models[~is_models["family"].isin(set(unreliable) | refitted)]
    both = pd.concat([keep, exact_models[exact_models["family"].isin(refitted)]])
    table = _aggregate(both, ["method", "benchmark"])
    table["families"] = [both[both["method"] == m]["family"].nunique() for m in table["method"]]
    return table.to_dict(orient="records")


def ode_comparison(args) -> dict:
    """Same model and data, likelihood through diffrax (JAX) vs pm.ode.DifferentialEquation.

    Both use the same library, priors and measurement model, on a subset of families so that
    the reference finishes; the reference runs PyMC's own NUTS (its ODE op has no JAX
    implementation) and is stopped at ``--cap`` seconds: its ESS/s is then an upper bound and
    the ratio a lower bound. Without --draws/--tune/--chains: 2 chains x (300 + 300).
    """
    import pymc as pm
    import pytensor.tensor as pt

    args = argparse.Namespace(
        **{
            **vars(args),
            "draws": args.draws or 300,
            "tune": args.tune or 300,
            "chains": args.chains or 2,
        }
    )

    from bayescape.inference import sample
    from bayescape.models import load_spec
    from bayescape.models.dynamics import (
        build_dynamics_model,
        horseshoe_settings,
        prepare_dynamics_panel,
        spec_initial_state_sd,
        spec_library,
    )

    spec = load_spec("dynamics")
    spec = type(spec)(
        name=spec.name,
        sections={**spec.sections, "model": {**spec.model, "family_offsets": False}},
        text=spec.text,
        path=spec.path,
        priors=spec.priors,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset("leaderboard_v1")
    keep = sorted(args.families or ["Pythia", "OPT", "Qwen1.5", "Cerebras-GPT"])
    df = df[df["family"].isin(keep)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        panel = prepare_dynamics_panel(df, spec)
    out = {"families": keep, "draws": args.draws, "tune": args.tune, "chains": args.chains}

    model = build_dynamics_model(panel, spec)
    if not args.gradient_only:
        idata, seconds = sample(
            model,
            sampler="numpyro",  # JAX graph, as in the first measurement of this comparison
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
            progressbar=False,
        )
        stats = _sampler_stats(idata)
        out["diffrax_numpyro"] = {
            "seconds": seconds,
            **stats,
            "ess_per_second": stats["min_ess_bulk_Xi"] / seconds,
        }

    # reference: PyMC's scipy-based ODE op, one trajectory per family in original x
    library = spec_library(spec)
    hs = horseshoe_settings(spec)
    powers = library.powers
    n_states = library.n_states

    def ode_rhs(u, x, theta):
        xi = pt.reshape(theta, (library.n_terms, n_states))
        feats = []
        for p in powers:
            col = pt.ones(())
            for k, e in enumerate(p):
                for _ in range(int(e)):
                    col = col * u[k]
            feats.append(col)
        feats = pt.stack(feats)
        return [pt.dot(feats, xi[:, k]) for k in range(n_states)]

    u0_sd = spec_initial_state_sd(panel, spec)
    with pm.Model() as ref:
        intercept = pm.Normal("intercept", 0.0, 1.0, shape=n_states)
        tau = hs.tau0 * pm.HalfNormal("tau_a", 1.0) * pt.sqrt(pm.InverseGamma("tau_b", 0.5, 0.5))
        lam = pm.HalfNormal("lambda_a", 1.0, shape=(library.n_terms - 1, n_states)) * pt.sqrt(
            pm.InverseGamma("lambda_b", 0.5, 0.5, shape=(library.n_terms - 1, n_states))
        )
        c2 = pm.InverseGamma("slab_c2", hs.slab_df / 2, hs.slab_df * hs.slab_scale**2 / 2)
        lam_t = pt.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
        z = pm.Normal("Xi_z", 0, 1, shape=(library.n_terms - 1, n_states))
        xi = pt.concatenate([intercept[None, :], z * tau * lam_t], axis=0)
        sigma = pt.stack(
            [pm.HalfNormal(f"sigma_{s}", spec.priors[f"sigma_{s}"]["sigma"]) for s in panel.states]
        )
        for f in range(panel.n_families):
            rows = np.flatnonzero(panel.family_index == f)
            xs = panel.x[rows]
            u0 = panel.u0_observed[f] + u0_sd[f] * pm.Normal(f"u0_z_{f}", 0, 1, shape=n_states)
            later = rows[1:]
            times = np.unique(panel.x[later])
            ode = pm.ode.DifferentialEquation(
                func=ode_rhs,
                times=times,
                n_states=n_states,
                n_theta=library.n_terms * n_states,
                t0=xs[0],
            )
            traj = ode(y0=u0, theta=pt.flatten(xi))
            where = np.searchsorted(times, panel.x[later])
            for k in range(n_states):
                b = panel.centre[k] + panel.scale[k] * traj[where, k]
                p = pt.clip(b, 1e-3, 1 - 1e-3)
                pm.Normal(
                    f"y_{f}_{k}",
                    b,
                    pt.sqrt(p * (1 - p) / panel.n_items[later, k] + sigma[k] ** 2),
                    observed=panel.scores[later, k],
                )
    out["gradient_ms"] = _gradient_costs(model, ref, panel.n_families)
    out["ratio_gradient_cost"] = out["gradient_ms"]["pm_ode"] / out["gradient_ms"]["diffrax_jax"]
    if args.gradient_only:
        return out
    # PyMC's own NUTS, one chain, few draws, stopped by the cap (time.monotonic checked per draw)
    start = time.perf_counter()
    ref_draws = max(20, args.draws // 5)
    status = "completed"
    try:
        with ref:
            ref_idata = pm.sample(
                draws=ref_draws,
                tune=ref_draws,
                chains=1,
                cores=1,
                nuts_sampler="pymc",
                random_seed=args.seed,
                progressbar=False,
                compute_convergence_checks=False,
                callback=_cap_callback(start, args.cap),
            )
    except _Capped:
        status = f"stopped at the {args.cap:.0f} s cap"
        ref_idata = None
    ref_seconds = time.perf_counter() - start
    if ref_idata is not None:
        import arviz as az

        ess = float(np.min(az.ess(ref_idata, var_names=["Xi_z"], method="bulk").ds["Xi_z"]))
        out["pm_ode_pymc"] = {
            "seconds": ref_seconds,
            "draws": ref_draws,
            "min_ess_bulk_Xi_z": ess,
            "ess_per_second": ess / ref_seconds,
            "status": status,
        }
        out["ratio_ess_per_second"] = (
            out["diffrax_numpyro"]["ess_per_second"] / out["pm_ode_pymc"]["ess_per_second"]
        )
    else:
        # it did not finish tuning + ref_draws within the cap: at most ref_draws ESS in cap s
        bound = ref_draws / ref_seconds
        out["pm_ode_pymc"] = {
            "seconds": ref_seconds,
            "status": status,
            "ess_per_second_upper_bound": bound,
        }
        out["ratio_ess_per_second_lower_bound"] = out["diffrax_numpyro"]["ess_per_second"] / bound
    return out


def _gradient_costs(model, ref, n_families: int, repeats: int = 200) -> dict:
    """Milliseconds per log-density gradient of both models at the same parameter values.

    The two models are the same posterior in the same parameterisation, so a sampler needs
    the same number of gradients for the same ESS: the ratio of these costs is the ratio of
    ESS per second that the likelihood implementation alone accounts for. Evaluated at a
    point with every library coefficient active (Xi_z = 0.5, intercept (1.3, 0.4)).
    """
    import jax
    from pymc.sampling.jax import get_jaxified_logp

    point = model.initial_point()
    point["intercept"] = np.array([1.3, 0.4])
    point["Xi_z"] = np.full_like(point["Xi_z"], 0.5)
    ref_point = ref.initial_point()
    for name in ("intercept", "Xi_z"):
        ref_point[name] = point[name]
    for f in range(n_families):
        ref_point[f"u0_z_{f}"] = point["u0_z"][f]
    logp = get_jaxified_logp(model)
    grad = jax.jit(jax.value_and_grad(lambda *a: logp(a)))
    ref_grad = ref.compile_dlogp()
    ref_logp = ref.compile_logp()
    # a different point per call (pm.ode caches the last solve: repeating one point times a
    # cache hit, not a solve)
    rng = np.random.default_rng(0)
    shifts = 0.01 * rng.standard_normal((repeats, *point["Xi_z"].shape))

    def at(k: int) -> tuple[list, dict]:
        here = {**point, "Xi_z": point["Xi_z"] + shifts[k]}
        there = {**ref_point, "Xi_z": here["Xi_z"]}
        return [here[v.name] for v in model.value_vars], there

    values, _ = at(0)
    jax.block_until_ready(grad(*values))
    start = time.perf_counter()
    for k in range(repeats):
        jax.block_until_ready(grad(*at(k)[0]))
    diffrax_ms = (time.perf_counter() - start) / repeats * 1e3
    n_ref = max(repeats // 10, 5)
    ref_grad(at(0)[1])
    start = time.perf_counter()
    for k in range(1, n_ref + 1):  # the gradient alone: a lower bound on pm.ode's cost per step
        ref_grad(at(k)[1])
    ref_ms = (time.perf_counter() - start) / n_ref * 1e3
    values = [point[v.name] for v in model.value_vars]
    # the same log density at the same point (a check that the two models are one model)
    same = [float(grad(*values)[0]), float(ref_logp(ref_point))]
    return {"diffrax_jax": diffrax_ms, "pm_ode": ref_ms, "repeats": [repeats, n_ref], "logp": same}


class _Capped(Exception):
    pass


def _cap_callback(start: float, cap: float):
    def callback(trace, draw):
        if time.perf_counter() - start > cap:
            raise _Capped

    return callback


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["fit", "llama2", "ode", "lofo"])
    parser.add_argument("--draws", type=int, default=None, help="default: the spec's")
    parser.add_argument("--tune", type=int, default=None, help="default: the spec's")
    parser.add_argument("--chains", type=int, default=None, help="default: the spec's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="results")
    parser.add_argument("--cap", type=float, default=600.0, help="seconds for the pm.ode run")
    parser.add_argument("--families", nargs="*", default=None)
    parser.add_argument(
        "--gradient-only", action="store_true", help="ode: time gradients only, no sampling"
    )
    parser.add_argument("--refit", action="store_true", help="ignore saved results")
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    run = {"fit": fit_default, "llama2": llama2, "ode": ode_comparison, "lofo": lofo}[args.what]
    print(json.dumps(run(args), indent=2, default=str))


if __name__ == "__main__":
    main()
