"""``bayescape dynamics predict|terms|eigen``: summaries of a fitted sparse dynamics model.

Fit with ``bayescape fit --model dynamics [--exclude-family NAME] --out FILE.nc``.
"""

from __future__ import annotations

import argparse
import json
import sys

from bayescape.errors import BayescapeError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``dynamics`` command group."""
    p = sub.add_parser(
        "dynamics",
        help="sparse dynamics (ODE) model: predictions, terms, eigenvalues",
        description="Summaries of a result of 'bayescape fit --model dynamics --out FILE.nc'.",
    )
    group = p.add_subparsers(dest="dynamics_command", metavar="SUBCOMMAND", required=True)

    q = group.add_parser(
        "predict",
        help="posterior predictive scores of a held-out or new family",
        description="Predict a family from its smallest model's scores: a family left out of "
        "the fit (--family; with errors against its measured scores and interval coverage), or "
        "a new family from a CSV of its smallest model (--csv, with --sizes).",
    )
    q.add_argument("result", help="netCDF file of a dynamics fit")
    source = q.add_mutually_exclusive_group(required=True)
    source.add_argument("--family", help="a family of the fit's dataset left out of the fit")
    source.add_argument(
        "--csv",
        help="CSV with one row: params and one score per state "
        "benchmark (fractions) of the new family's smallest model",
    )
    q.add_argument(
        "--data", default=None, help="dataset holding --family (default: the fit's own dataset)"
    )
    q.add_argument(
        "--sizes",
        type=float,
        nargs="*",
        default=[],
        help="parameter counts to predict, e.g. 13e9 70e9",
    )
    q.add_argument("--prob", type=float, default=0.9, help="interval width (default 0.9)")
    q.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=_predict)

    t = group.add_parser("terms", help="library terms: coefficients, inclusion, shrinkage")
    t.add_argument("result", help="netCDF file of a dynamics fit")
    t.add_argument("--prob", type=float, default=0.9, help="interval width (default 0.9)")
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.set_defaults(func=_terms)

    e = group.add_parser(
        "eigen",
        help="Jacobian eigenvalues at each family's states, and the "
        "coupling gamma and N_c along each trajectory",
    )
    e.add_argument("result", help="netCDF file of a dynamics fit")
    e.add_argument("--prob", type=float, default=0.9, help="interval width (default 0.9)")
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.set_defaults(func=_eigen)


def _load(path: str):
    from bayescape.analysis import load

    result = load(path)
    if result.spec.model.get("kind") != "dynamics":
        raise BayescapeError(
            f"{path}: model {result.spec.name!r} is not a dynamics model; use "
            "'bayescape summary' for it"
        )
    if not result.diagnostics.ok:
        print(f"warning: {result.diagnostics.describe()}", file=sys.stderr)
    return result


def _emit(frames: dict, as_json: bool) -> None:
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
        print(frame.to_string(index=False) if hasattr(frame, "to_string") else frame)


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    from bayescape.analysis import predict_dynamics_family, prediction_errors

    result = _load(args.result)
    if args.csv:
        rows = pd.read_csv(args.csv)
        if len(rows) != 1:
            raise BayescapeError(
                f"{args.csv}: needs exactly one row (the smallest model), found {len(rows)}"
            )
        if not args.sizes:
            raise BayescapeError("--csv needs --sizes (parameter counts to predict)")
        pred = predict_dynamics_family(
            result, initial=rows.iloc[0], sizes=args.sizes, prob=args.prob, seed=args.seed
        )
    else:
        pred = predict_dynamics_family(
            result, args.family, data=args.data, sizes=args.sizes, prob=args.prob, seed=args.seed
        )
    frames = {"predictions": pred}
    if pred["observed"].notna().any():
        frames["errors (models other than the starting one)"] = prediction_errors(pred)
    _emit(frames, args.json)
    return 0


def _terms(args: argparse.Namespace) -> int:
    from bayescape.analysis import fitted_equations, term_inclusion

    result = _load(args.result)
    table = term_inclusion(result, args.prob)
    if args.json:
        _emit({"terms": table}, True)
    else:
        print(fitted_equations(result, args.prob))
        _emit({"terms": table}, False)
    return 0


def _eigen(args: argparse.Namespace) -> int:
    from bayescape.analysis import jacobian_eigenvalues, trajectory_coupling

    result = _load(args.result)
    _emit(
        {
            "eigenvalues": jacobian_eigenvalues(result, args.prob),
            "coupling": trajectory_coupling(result, args.prob),
        },
        args.json,
    )
    return 0
