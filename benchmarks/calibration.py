"""Simulation-based calibration of the phase model on the leaderboard_v1 design (benchmark job).

``python -m benchmarks.calibration [--n-sims 200] [--misspecified-sims 100] [--executor local]``

Results are stored one file per simulation under ``results/calibration/`` (rerunning resumes);
the summary tables are printed and written to ``results/calibration/summary_*.csv``. Not part of
the test suite. Record measured numbers in ``benchmarks/calibration_results.md``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from bayescape.analysis._calibration import calibrate, misspecified
from bayescape.models import load_spec
from bayescape.report import rank_histograms, save_figure

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="phase")
    parser.add_argument("--data", default="leaderboard_v1")
    parser.add_argument("--n-sims", type=int, default=200)
    parser.add_argument("--misspecified-sims", type=int, default=100)
    parser.add_argument("--executor", default="sequential")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "calibration")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    spec = load_spec(args.model)
    settings = dict(
        n_ranks=99,
        n_bins=10,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        executor=args.executor,
        n_workers=args.workers,
        bootstrap_resamples=2000,
    )
    for label, n, sim_spec in (
        ("calibrated", args.n_sims, None),
        ("misspecified", args.misspecified_sims, misspecified(spec)),
    ):
        if n <= 0:
            continue
        start = time.perf_counter()
        out = args.out / f"{args.model}_{label}"
        cal = calibrate(
            spec,
            args.data,
            n_sims=n,
            seed=args.seed,
            simulation_spec=sim_spec,
            out_dir=out,
            **settings,
        )
        seconds = time.perf_counter() - start
        print(f"== {label}: {n} simulations, {seconds:.0f} s wall (this call)")
        print(cal.describe())
        cal.uniformity.to_csv(out / "summary_uniformity.csv", index=False)
        cal.coverage.to_csv(out / "summary_coverage.csv", index=False)
        cal.bootstrap.to_csv(out / "summary_bootstrap.csv", index=False)
        fig, _ = rank_histograms(cal)
        save_figure(fig, out / "rank_histograms.png")
        fit_seconds = [r["seconds"] for r in cal.records]
        print(f"per fit: median {sorted(fit_seconds)[len(fit_seconds) // 2]:.2f} s", flush=True)


if __name__ == "__main__":
    main()
