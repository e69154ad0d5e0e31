"""Accelerator benchmark, one command: ``python -m benchmarks gpu``.

Runs the vectorised JAX backend (``numpyro``, ``--chain-method vectorized``) on each case below,
on the accelerator and then with ``--device cpu`` on the same machine (the same command), each
in a fresh process (compilation counted), each CPU run within ``--case-timeout`` seconds
(default 60) and all within ``--budget`` (default 330: the whole script stays under 6
minutes); a run that does not finish in its time is reported as such.

Results accumulate in ``benchmarks/gpu_results.json`` (one section per machine, so the
2-core development machine's table travels with the tree) and are rendered to
``benchmarks/gpu_results.md``.

Cases: the default phase fit (``models/phase.toml`` on leaderboard_v1, 1000 draws after 500
tuning steps) with 4 and 64 chains; the dynamics fit (``models/dynamics.toml``, 4 chains x 500
draws after 500 tuning steps: shorter than its spec, to fit the budget); the synthetic scale
panels of 1,024 and 8,192 families x 8 models (phase model, 4 chains x 500 draws after 500).

On the accelerator image (JAX with CUDA, numpyro, diffrax, equinox, numpy, scipy, pandas,
xarray, h5py, numba there; PyMC, PyTensor, ArviZ, blackjax, h5netcdf not), from the repository
root:

1. here, once (about 9 MiB of wheels, Python 3.12 x86-64; ``benchmarks/wheels/`` is ignored by
   git and must be carried): ``python -m benchmarks gpu --download-wheels``
2. there: ``python3 -m pip install -q --no-index --no-deps --target /tmp/site
   benchmarks/wheels/*.whl && PYTHONPATH=/tmp/site:. python3 -m benchmarks gpu``

PyTensor's one compiled part (the C ``scan_perform`` extension) is in its cp312 manylinux wheel;
its JAX backend needs no C compiler, and this path runs without nutpie and without Numba
(checked on the development machine with both imports blocked). The image's JAX (0.11) and
numpyro (0.21) are one minor version older than the lock file's; the wheels do not replace them
(jaxlib with CUDA is far over the 64 MiB that travels).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.__main__ import _machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_JSON = HERE / "gpu_results.json"
RESULTS_MD = HERE / "gpu_results.md"
WHEELS = HERE / "wheels"

CASES: dict[str, list[str]] = {
    "phase, 4 chains": ["--chains", "4", "--draws", "1000", "--tune", "500"],
    "phase, 64 chains": ["--chains", "64", "--draws", "1000", "--tune", "500"],
    "dynamics, 4 chains": ["--model", "dynamics", "--chains", "4", "--draws", "500"],
    "1,024 families x 8": ["--families", "1024", "--chains", "4", "--draws", "500"],
    "8,192 families x 8": ["--families", "8192", "--chains", "4", "--draws", "500"],
}
"""Each case's arguments to ``benchmarks._one`` (besides sampler, device and seed)."""
PHASE = "phase, 4 chains"
"""The default phase fit (the spec's settings), the case ``--nutpie`` also runs with nutpie."""

WHEEL_PINS = (
    "pymc==6.4.0",
    "pytensor==3.3.8",
    "arviz==1.3.0",
    "arviz-base==1.3.1",
    "arviz-stats==1.3.3",
    "arviz-plots==1.3.2",
    "better-optimize==0.5.1",
    "cachetools==6.2.6",
    "h5netcdf==1.8.2",
    "blackjax==1.5",
)
"""What the accelerator image lacks of bayescape's runtime (its versions in requirements.lock)."""


def download_wheels() -> None:
    """Fetch :data:`WHEEL_PINS` for CPython 3.12 on x86-64 Linux into ``benchmarks/wheels``."""
    platforms = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["--python-version", "3.12", "--implementation", "cp", "-d", str(WHEELS)]
    for platform in platforms:
        cmd += ["--platform", platform]
    subprocess.run([*cmd, *WHEEL_PINS], check=True)
    size = sum(f.stat().st_size for f in WHEELS.glob("*.whl")) / 2**20
    print(f"{len(list(WHEELS.glob('*.whl')))} wheels, {size:.1f} MiB in {WHEELS}")


def _run_case(args: list[str], device: str, timeout: float, sampler: str = "numpyro-vectorized"):
    cmd = [sys.executable, "-m", "benchmarks._one", "--sampler", sampler]
    cmd += ["--device", device, "--seed", "1", *args]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"not finished in {timeout:.0f} s (budget)"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": tail[0][:200], "wall_seconds": time.perf_counter() - start}
    return json.loads(lines[-1])


def run(
    devices: list[str], cases: list[str], budget: float, case_timeout: float, nutpie: bool
) -> dict:
    """Every case on every device (case by case, so each gets its CPU ratio), fresh processes,
    each CPU run within ``case_timeout`` s and all within ``budget`` s; with ``nutpie``, first
    the default phase fit with nutpie (the package's default sampler; CPU, Numba)."""
    deadline = time.perf_counter() + budget
    section: dict = {
        "machine": _machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "budget_seconds": budget,
        "case_timeout_seconds": case_timeout,
        "load_start": os.getloadavg()[0],
        "runs": {},
    }
    if nutpie:
        result = _run_case(CASES[PHASE], "cpu", budget, sampler="nutpie")
        result["load_after"] = os.getloadavg()[0]
        section["runs"][f"{PHASE} | nutpie"] = result
        print("nutpie", json.dumps(result), flush=True)
    for case in cases:
        for device in devices:
            left = deadline - time.perf_counter()
            if left < 5:
                result = {"error": "not started: budget spent"}
            else:
                cap = min(left, case_timeout) if device == "cpu" else left
                result = _run_case(CASES[case], device, cap)
            result["load_after"] = os.getloadavg()[0]
            section["runs"][f"{case} | {device}"] = result
            print(case, device, json.dumps(result), flush=True)
    section["load_end"] = os.getloadavg()[0]
    return section


CPU_ROWS = ("cpu", "nutpie")


def _ratio(row: dict, reference: dict) -> str:
    """ESS/s of ``row`` over ``reference``'s ("" when either did not finish)."""
    if "ess_per_second" in row and "ess_per_second" in reference:
        return f"{row['ess_per_second'] / reference['ess_per_second']:.2f}"
    return ""


def _cell(r: dict, key: str, fmt: str) -> str:
    return fmt.format(r[key]) if key in r else ""


def markdown(sections: dict[str, dict]) -> str:
    """The tables of every machine's section."""
    lines = [
        "# Accelerator benchmark (`python -m benchmarks gpu`)",
        "",
        "numpyro NUTS with vectorised chains (`bayescape fit --sampler numpyro --chain-method "
        "vectorized`), each run a fresh process (wall time includes imports and XLA "
        "compilation); ESS = smallest bulk ESS of the headline variables; vs CPU = this row's "
        "ESS/s over the same case's with `--device cpu` on the same machine; vs nutpie = over "
        "the default sampler's on the same fit and machine (when run). Written by "
        "the script; see its docstring for the cases and how to run it on an accelerator.",
    ]
    for label, section in sections.items():
        lines += [
            "",
            f"## {label}",
            "",
            f"{section['machine']}; {section['date']}; budget {section['budget_seconds']:.0f} s, "
            f"at most {section['case_timeout_seconds']:.0f} s a run; "
            f"1-minute load average {section['load_start']:.1f} at the start, "
            f"{section['load_end']:.1f} at the end.",
            "",
            "| case | sampler | device | wall s | sampling s | min bulk ESS | ESS/s "
            "| ESS/s vs CPU | ESS/s vs nutpie | max R-hat | divergences | gate | load after |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        runs = section["runs"]
        nutpie = runs.get(f"{PHASE} | nutpie", {})
        for key, r in runs.items():
            case, device = key.split(" | ")
            shown = r.get("device", device)
            sampler = "nutpie" if device == "nutpie" else "numpyro, vectorized"
            if "error" in r:
                lines.append(
                    f"| {case} | {sampler} | {shown} | {r['error']} |{' |' * 8} "
                    f"{r['load_after']:.1f} |"
                )
                continue
            vs_cpu = _ratio(r, runs.get(f"{case} | cpu", {})) if device not in CPU_ROWS else ""
            vs_nutpie = _ratio(r, nutpie) if case.startswith("phase") and device != "nutpie" else ""
            lines.append(
                f"| {case} | {sampler} | {shown} | {r['wall_seconds']:.1f} | "
                f"{_cell(r, 'sampling_seconds', '{:.1f}')} | {r['min_ess_bulk']:.0f} | "
                f"{r['ess_per_second']:.2f} | {vs_cpu} | {vs_nutpie} | {r['max_rhat']:.3f} | "
                f"{r['divergences']} | {r.get('gate', '')} | {r['load_after']:.1f} |"
            )
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- vectorised JAX backend: begin -->", "<!-- vectorised JAX backend: end -->"
"""The block of ``RESULTS.md`` this script writes (``python -m benchmarks run`` keeps it)."""


def results_block(section: dict) -> str:
    """The phase rows of a section with nutpie, for ``benchmarks/RESULTS.md``."""
    table = markdown({"Vectorised JAX backend next to nutpie, default phase fit": section})
    rows = [
        line
        for line in table.splitlines()[2:]
        if not line.startswith("|") or line.startswith(("| case", "|---", "| phase"))
    ]
    note = (
        "Written by `python -m benchmarks gpu --nutpie --devices cpu` on this machine (the "
        "full table, with the dynamics and scale cases, is in `benchmarks/gpu_results.md`)."
    )
    return "\n".join([BEGIN, *rows, "", note, END])


def write_results_block(section: dict, path: Path = HERE / "RESULTS.md") -> None:
    """Put :func:`results_block` into ``path``, replacing the block there if any."""
    text = path.read_text() if path.exists() else ""
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + text[text.index(END) + len(END) :].lstrip("\n")
    path.write_text(text.rstrip("\n") + "\n\n" + results_block(section) + "\n")


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks gpu [--download-wheels] [--devices gpu,cpu] [--cases ...]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks gpu")
    parser.add_argument("--download-wheels", action="store_true", help="fetch the wheels, stop")
    parser.add_argument("--devices", default="gpu,cpu", help="comma-separated, in run order")
    parser.add_argument("--cases", default="", help="';'-separated case names (default: all)")
    parser.add_argument("--budget", type=float, default=330.0, help="seconds for all runs")
    parser.add_argument("--case-timeout", type=float, default=60.0, help="seconds a CPU run")
    parser.add_argument(
        "--nutpie", action="store_true", help="also the phase fit with nutpie (needs nutpie)"
    )
    parser.add_argument("--label", default=None, help="section title (default: the device)")
    args = parser.parse_args(argv)
    if args.download_wheels:
        download_wheels()
        return
    cases = list(CASES) if not args.cases else [c.strip() for c in args.cases.split(";")]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; cases: {'; '.join(CASES)}")
    devices = args.devices.split(",")
    section = run(devices, cases, args.budget, args.case_timeout, args.nutpie)
    label = args.label or f"{devices[0]} machine"
    sections = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    sections[label] = section
    RESULTS_JSON.write_text(json.dumps(sections, indent=2) + "\n")
    RESULTS_MD.write_text(markdown(sections))
    if args.nutpie:
        write_results_block(section)
    print(RESULTS_MD.read_text())


if __name__ == "__main__":
    main()
