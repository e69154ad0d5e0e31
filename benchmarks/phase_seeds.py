"""The default phase fit on many seeds, as a user runs it: ``bayescape fit --seed S``.

``python -m benchmarks.phase_seeds [--data leaderboard_v1 cape63_clean] [--seeds 10]``

Each seed is one fresh ``bayescape fit --quiet --out`` process (imports and compilation
counted, timed from outside). Writes ``benchmarks/phase_seeds_results.md``: per seed the gate,
worst R-hat, smallest bulk ESS, divergences, tau_c's ESS per draw and the wall time; then the
median and slowest wall time, and how far the conclusions move between seeds: for every family
the spread (max - min over seeds) of the posterior median of log10 N_c divided by its Monte
Carlo standard error (the median over seeds of ArviZ's ``mcse(method="median")``). Never part
of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import arviz as az
import numpy as np

HERE = Path(__file__).resolve().parent


def _fit(data: str, seed: int, out: Path) -> float:
    cmd = [sys.executable, "-m", "bayescape", "fit", "--data", data, "--seed", str(seed)]
    start = time.perf_counter()
    subprocess.run([*cmd, "--quiet", "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - start


def run(data: str, seeds: int) -> list[str]:
    """Fit ``data`` on seeds 0..seeds-1; the Markdown lines of its section."""
    import bayescape

    rows, medians, mcses, walls, passed = [], [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(seeds):
            out = Path(tmp) / f"{seed}.nc"
            wall = _fit(data, seed, out)
            result = bayescape.load(out)
            d = result.diagnostics
            table = d.table.set_index("parameter")
            tau = table.loc["tau_c", "ess_bulk"] / d.draws
            c = result.idata.posterior["c"]
            medians.append(c.median(("chain", "draw")).values)
            mcses.append(az.mcse(result.idata, var_names=["c"], method="median")["c"].values)
            walls.append(wall)
            passed += d.ok
            rows.append(
                f"| {seed} | {'pass' if d.ok else 'FAIL'} | {d.max_rhat:.4f} | "
                f"{d.min_ess_bulk:.0f} ({table['ess_bulk'].idxmin()}) | {d.divergences} | "
                f"{tau:.3f} | {wall:.1f} |"
            )
        families = result.idata.posterior["family"].values
    spread = np.ptp(np.array(medians), axis=0) / np.median(np.array(mcses), axis=0)
    worst = int(np.argmax(spread))
    return [
        f"## {data}: {passed}/{seeds} seeds pass the gate",
        "",
        "| seed | gate | max R-hat | min bulk ESS (parameter) | divergences | tau_c ESS/draw "
        "| wall s |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Wall time (fresh process, compile included): median {np.median(walls):.1f} s, "
        f"slowest {max(walls):.1f} s.",
        "",
        f"Stability of conclusions over the {seeds} seeds: the largest spread of a family's "
        f"posterior median log10 N_c is {spread[worst]:.1f} Monte Carlo SEs "
        f"({families[worst]}); median over families {np.median(spread):.1f}. (For {seeds} "
        f"independent estimates the expected range is about {_expected_range(seeds):.1f} SEs.)",
        "",
    ]


def _expected_range(n: int, sims: int = 200_000) -> float:
    """Expected range of n standard normals (Monte Carlo, fixed seed)."""
    z = np.random.default_rng(0).standard_normal((sims, n))
    return float(np.mean(z.max(axis=1) - z.min(axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", nargs="+", default=["leaderboard_v1", "cape63_clean"])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    lines = [
        "# The default phase fit on seeds 0-9 (written by `python -m benchmarks.phase_seeds`)",
        "",
        f"Run on {date.today().isoformat()}; each seed one fresh `bayescape fit --quiet` process.",
        "",
    ]
    for data in args.data:
        lines += run(data, args.seeds)
        print("\n".join(lines[-8:]), flush=True)
    (HERE / "phase_seeds_results.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
