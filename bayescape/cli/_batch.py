"""Batch commands: ``calibrate``, ``lofo``, ``compare``, ``sensitivity`` (many independent fits)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bayescape._config import EXECUTORS
from bayescape.cli import _options as opt

if TYPE_CHECKING:
    from bayescape.inference import BatchOptions


def _executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", choices=EXECUTORS, default="sequential", help="where fits run")
    p.add_argument(
        "--workers", type=opt.positive_int, default=None, help="worker processes (local, dask)"
    )
    p.add_argument("--scheduler", default=None, help="dask scheduler address (default: local)")
    p.add_argument("--seed", type=opt.seed, default=0, help="random seed (default 0)")
    p.add_argument("--draws", type=opt.positive_int, default=500, help="draws per chain per fit")
    p.add_argument(
        "--tune", type=opt.positive_int, default=500, help="tuning steps per chain per fit"
    )
    p.add_argument("--chains", type=opt.positive_int, default=2, help="chains per fit")


def _batch_options(args: argparse.Namespace) -> BatchOptions:
    """The :class:`~bayescape.inference.BatchOptions` of the executor flags and ``--out``."""
    from bayescape.inference import BatchOptions

    return BatchOptions(
        out_dir=args.out,
        executor=args.executor,
        n_workers=args.workers,
        scheduler_address=args.scheduler,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
    )


def _study(sub: argparse._SubParsersAction, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A study's parser (``kwargs``: ``help``, ``description``), with ``--model`` and ``--data``."""
    p = sub.add_parser(name, **kwargs)
    opt.model_and_data(p)
    return p


def _study_end(
    p: argparse.ArgumentParser, func: Callable, out: str = "directory of per-fold results"
) -> None:
    """A study's ``--out`` (help ``out``), the executor flags, and its function."""
    p.add_argument("--out", type=Path, default=None, help=out)
    _executor_options(p)
    p.set_defaults(func=func)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``calibrate``, ``lofo``, ``compare`` and ``sensitivity`` commands."""
    p = _study(
        sub,
        "calibrate",
        help="simulation-based calibration of a model",
        description="Draw parameters from the prior, simulate data with the dataset's design, "
        "fit, and test the ranks of the true parameters for uniformity; interval coverage; the "
        "paper's bootstrap coverage on the same simulations. Resumable with --out.",
    )
    p.add_argument("--n-sims", type=opt.positive_int, default=200)
    p.add_argument(
        "--misspecified",
        action="store_true",
        help="simulate with 3x the extra noise the fitted prior allows (the check must fail)",
    )
    _study_end(p, _calibrate, "directory of per-simulation results")

    p = _study(
        sub,
        "lofo",
        help="leave-one-family-out predictive check (with the paper's quadratic baseline)",
        description="Refit without each family (>= 3 models), predict its scores from its "
        "covariates (phase models) or from its smallest model (dynamics), report interval "
        "coverage, MAE, MAPE and CRPS per family and overall. Given a dynamics fit, no refits: "
        "importance sampling from that one posterior, with a Pareto k per family (> 0.7: refit "
        "that family with --refit --family NAME).",
    )
    p.add_argument("result", nargs="?", type=Path, help="a fitted result .nc (its model and data)")
    p.add_argument("--smallest", action="store_true", help="also give each family's smallest model")
    p.add_argument(
        "--baselines",
        action="store_true",
        help="print each method next to the simple baselines (paper quadratic, within-family "
        "slope, smallest carried forward): CRPS relative to the best one",
    )
    p.add_argument(
        "--family",
        action="append",
        default=None,
        metavar="NAME",
        help="leave out only this family (repeat for several)",
    )
    p.add_argument(
        "--refit",
        action="store_true",
        help="with a dynamics result: refit per family instead of importance sampling",
    )
    _study_end(p, _lofo)

    p = sub.add_parser(
        "compare",
        help="compare fitted models: PSIS-LOO and leave-family-out elpd",
        description="PSIS-LOO with Pareto-k diagnostics and leave-family-out elpd of the "
        "truthfulness scores of held-out families, for results fitted to the same data.",
    )
    p.add_argument("results", nargs="+", type=Path, help="fitted results (.nc)")
    p.add_argument("--no-lfo", action="store_true", help="PSIS-LOO only (no refits)")
    _study_end(p, _compare)

    p = _study(
        sub,
        "sensitivity",
        help="refit with prior SDs scaled (x0.5, x2) and report how far headline numbers move",
    )
    p.add_argument("--scales", default="0.5,2", help="comma-separated factors on prior SDs")
    _study_end(p, _sensitivity, "directory of per-refit results")


def _calibrate(args: argparse.Namespace) -> int:
    from bayescape.analysis import calibrate, misspecified
    from bayescape.models import load_spec

    spec = load_spec(args.model)
    cal = calibrate(
        spec,
        args.data,
        n_sims=args.n_sims,
        seed=args.seed,
        simulation_spec=misspecified(spec) if args.misspecified else None,
        batch=_batch_options(args),
    )
    print(cal.describe())
    if args.out is not None:
        cal.uniformity.to_csv(args.out / "summary_uniformity.csv", index=False)
        cal.coverage.to_csv(args.out / "summary_coverage.csv", index=False)
        cal.bootstrap.to_csv(args.out / "summary_bootstrap.csv", index=False)
        cal.ranks.to_csv(args.out / "ranks.csv", index=False)
        from bayescape.report import rank_histograms, save_figure

        fig, _ = rank_histograms(cal)
        print(f"wrote {save_figure(fig, args.out / 'rank_histograms.png')}", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _expected_notes_silenced() -> Iterator[None]:
    """Silence the notes every refit prints and nobody can act on (Numba running the custom
    score distributions in object mode); divergence and Pareto k warnings still show."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba will use object mode")
        yield


def _lofo(args: argparse.Namespace) -> int:
    from bayescape.analysis import leave_family_out_is, leave_one_family_out, load

    model, data = args.model, args.data
    if args.result is not None:
        fitted = load(args.result)
        model, data = fitted.spec, fitted.data
        if fitted.kind.trajectories and not args.refit:  # refit-free importance sampling
            with _expected_notes_silenced():
                out = leave_family_out_is(fitted, families=args.family, seed=args.seed)
            print(out.families.to_string(index=False))
            print()
            print(out.describe())
            _write_lofo(out, args.out)
            return 0
    with _expected_notes_silenced():
        out = leave_one_family_out(
            model,
            data,
            families=args.family,
            condition_on_smallest=args.smallest,
            random_seed=args.seed,
            batch=_batch_options(args),
        )
    print(out.families.to_string(index=False))
    print()
    print(out.overall.to_string(index=False))
    if args.baselines:
        table = out.versus_baselines()
        print()
        print("CRPS relative to the best simple baseline (%; negative: better than every baseline)")
        columns = ["benchmark", "method", "n", "coverage_90", "width_90", "mae", "crps"]
        print(table[[*columns, "best_baseline", "crps_vs_best_baseline"]].to_string(index=False))
    _write_lofo(out, args.out)
    return 0


def _write_lofo(out, directory: Path | None) -> None:
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    out.models.to_csv(directory / "lofo_models.csv", index=False)
    out.families.to_csv(directory / "lofo_families.csv", index=False)
    out.overall.to_csv(directory / "lofo_overall.csv", index=False)
    print(f"wrote {directory}/lofo_*.csv", file=sys.stderr)


def _compare(args: argparse.Namespace) -> int:
    from bayescape.analysis import compare, load

    results = [load(p) for p in args.results]
    kwargs = {} if args.no_lfo else dict(random_seed=args.seed, batch=_batch_options(args))
    table = compare(results, leave_family_out=not args.no_lfo, **kwargs)
    print(table.to_string(index=False))
    return 0


def _sensitivity(args: argparse.Namespace) -> int:
    from bayescape.analysis import prior_sensitivity

    scales = tuple(float(s) for s in args.scales.split(","))
    table = prior_sensitivity(
        args.model,
        args.data,
        scales=scales,
        random_seed=args.seed,
        batch=_batch_options(args),
    )
    print(table.to_string(index=False))
    return 0
