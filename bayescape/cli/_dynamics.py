"""``bayescape dynamics terms|eigen``: summaries of a fitted sparse dynamics model.

Predictions of held-out or new families are ``bayescape predict`` (either model kind).

Fit with ``bayescape fit --model dynamics [--exclude-family NAME] --out FILE.nc``.
"""

from __future__ import annotations

import argparse
import json
import sys

from bayescape.cli import _options as opt
from bayescape.cli._terminal import WIDTH
from bayescape.errors import BayescapeError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``dynamics`` command group."""
    p = sub.add_parser(
        "dynamics",
        help="sparse dynamics (ODE) model: terms, eigenvalues (predictions: bayescape predict)",
        description="Summaries of a result of 'bayescape fit --model dynamics --out FILE.nc'.",
    )
    group = p.add_subparsers(dest="dynamics_command", metavar="SUBCOMMAND", required=True)

    t = group.add_parser("terms", help="library terms: coefficients, inclusion, shrinkage")
    t.add_argument("result", help="netCDF file of a dynamics fit")
    t.add_argument("--prob", type=opt.probability, default=0.9, help="interval width (default 0.9)")
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.set_defaults(func=_terms)

    e = group.add_parser(
        "eigen",
        help="Jacobian eigenvalues at each family's states, and the "
        "coupling gamma and N_c along each trajectory",
    )
    e.add_argument("result", help="netCDF file of a dynamics fit")
    e.add_argument("--prob", type=opt.probability, default=0.9, help="interval width (default 0.9)")
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.set_defaults(func=_eigen)


def _load(path: str):
    from bayescape.analysis import load

    result = load(path)
    if not result.kind.trajectories:
        raise BayescapeError(
            f"{path}: model {result.spec.name!r} is not a dynamics model; use "
            "'bayescape summary' for it"
        )
    if not result.diagnostics.ok:
        print(f"warning: {result.diagnostics.describe()}", file=sys.stderr)
    return result


def emit_frames(frames: dict, as_json: bool) -> None:
    """Print named DataFrames as text tables, or all of them as one JSON object."""
    if as_json:
        # through pandas' JSON writer so that NaN becomes null (valid JSON)
        print(
            json.dumps(
                {k: json.loads(v.to_json(orient="records")) for k, v in frames.items()}, indent=2
            )
        )
        return
    for name, frame in frames.items():
        print(f"\n{name}")
        print(
            frame.to_string(index=False, line_width=WIDTH) if hasattr(frame, "to_string") else frame
        )


def _terms(args: argparse.Namespace) -> int:
    from bayescape.analysis import fitted_equations, term_inclusion

    result = _load(args.result)
    table = term_inclusion(result, args.prob)
    if args.json:
        emit_frames({"terms": table}, True)
    else:
        print(fitted_equations(result, args.prob))
        emit_frames({"terms": table}, False)
    return 0


def _eigen(args: argparse.Namespace) -> int:
    from bayescape.analysis import jacobian_eigenvalues, trajectory_coupling

    result = _load(args.result)
    emit_frames(
        {
            "eigenvalues": jacobian_eigenvalues(result, args.prob),
            "coupling": trajectory_coupling(result, args.prob),
        },
        args.json,
    )
    return 0
