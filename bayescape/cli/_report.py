"""``bayescape table|macros|plot|report|dashboard|predict|diagnose``: results people can use.

Each command loads a saved result, calls the library (``bayescape.report`` and
``bayescape.analysis``) and prints or writes what it returns. Bad arguments raise
:class:`~bayescape.errors.BayescapeError`, which the CLI prints as one line.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bayescape._config import FIGURE_NAMES, TABLE_FORMATS, TABLES
from bayescape.cli import _options as opt
from bayescape.cli._predictions import diagnosis_lines, prediction_lines
from bayescape.cli._terminal import print_json
from bayescape.data import BENCHMARKS
from bayescape.data._checks import score_problem, size_problem
from bayescape.errors import BayescapeError

_FIGURES = FIGURE_NAMES["phase"]
_DYNAMICS_FIGURES = FIGURE_NAMES["dynamics"]
_PLOTS = tuple(name for names in FIGURE_NAMES.values() for name in names)
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the commands table, macros, plot, report, dashboard, predict and diagnose."""
    p = sub.add_parser(
        "table",
        help="a table of a result for a paper (LaTeX, Markdown, CSV, JSON)",
        description="Print one table of a saved result: N_c per family, covariate effects, "
        "phase probabilities of every model, or convergence diagnostics. LaTeX uses booktabs "
        "and siunitx S columns (\\usepackage{booktabs,siunitx}).",
    )
    _result_argument(p)
    p.add_argument(
        "--what",
        default="critical-scales",
        metavar="|".join(TABLES),
        help="which table (default critical-scales)",
    )
    p.add_argument(
        "--format",
        default="markdown",
        metavar="|".join(TABLE_FORMATS),
        help="output format (default markdown)",
    )
    p.add_argument("--caption", default=None, help="LaTeX caption (wraps a table float)")
    p.add_argument("--label", default=None, help="LaTeX \\label key (wraps a table float)")
    _number_arguments(p)
    _out_argument(p, "write the table to this file instead of printing it")
    p.set_defaults(func=_table)

    p = sub.add_parser(
        "macros",
        help="LaTeX \\newcommand for every headline number",
        description="Print one \\newcommand per headline number (N_c of the average family and "
        "of each family, covariate effects, diagnostics) for a paper to \\input; names are "
        "stable, e.g. \\NcPythia, \\NcGPTNeoJ, \\EffectCurationCurated (docs/reporting.md).",
    )
    _result_argument(p)
    _number_arguments(p)
    _out_argument(p, "write the macros to this file instead of printing them")
    p.set_defaults(func=_macros)

    p = sub.add_parser(
        "plot",
        help="a figure of a result (PNG, PDF or SVG)",
        description="Draw one figure of a saved result: phase-diagram (HellaSwag vs "
        "TruthfulQA), coupling (gamma(x) per family), forest (N_c per family), ppc "
        "(posterior-predictive check) or prior (prior-predictive check) of a phase model; "
        "trajectories (latent trajectories per family), inclusion (library terms) or "
        "eigenvalues (Jacobian eigenvalues per family) of a dynamics model.",
    )
    _result_argument(p)
    p.add_argument("--kind", required=True, metavar="|".join(_PLOTS), help="which figure")
    p.add_argument(
        "--out",
        required=True,
        metavar="FIG.png|pdf|svg",
        help="image file; its suffix picks the format",
    )
    p.add_argument(
        "--family",
        action="append",
        default=None,
        metavar="NAME",
        help="family to draw (phase-diagram, coupling, trajectories: default the 8 largest; "
        "eigenvalues: default all; repeatable)",
    )
    p.add_argument("--prob", type=opt.probability, default=0.95, help="interval probability (0.95)")
    p.add_argument(
        "--seed",
        type=opt.seed,
        default=None,
        help="seed of fresh replicated draws (ppc: default none, the result's stored "
        "posterior_predictive group; prior: default 0)",
    )
    p.add_argument(
        "--prior-draws", type=opt.positive_int, default=200, help="prior draws (prior; 200)"
    )
    p.add_argument("--dpi", type=opt.positive_int, default=None, help="resolution of PNG output")
    p.set_defaults(func=_plot)

    p = sub.add_parser(
        "report",
        help="one self-contained HTML page of a result",
        description="Write an HTML report (images inline, no network requests): provenance, "
        "diagnostics (loud when failed), data summary, model spec, tables, all figures and "
        "the CAPE replication table.",
    )
    _result_argument(p)
    p.add_argument("--out", required=True, metavar="REPORT.html", help="HTML file to write")
    p.add_argument(
        "--no-replication", action="store_true", help="leave out the CAPE replication table"
    )
    p.add_argument(
        "--no-prior",
        action="store_true",
        help="leave out the prior-predictive figure (saves a few seconds)",
    )
    p.add_argument(
        "--figure",
        action="append",
        default=None,
        metavar="|".join(_FIGURES),
        help="include only this figure (repeatable; default: every figure of the fit's model kind)",
    )
    p.add_argument("--sig", type=opt.significant_figures, default=2, help="significant figures (2)")
    p.add_argument("--seed", type=opt.seed, default=0, help="seed of replicated draws")
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the diagnostics fail"
    )
    p.set_defaults(func=_report)

    p = sub.add_parser(
        "dashboard",
        help="an interactive, offline HTML page backed by the posterior",
        description="Write one self-contained HTML page (no server, nothing fetched) that "
        "embeds thinned posterior draws of a phase-model fit and computes in the page what "
        "'bayescape diagnose' computes: type a model's size and scores, pick its fitted family "
        "or describe a new one, and read P(tax), P(bonus), the phase, N_c, the predictive "
        "intervals, the levers and the nearest models; with a phase map and the N_c forest. "
        "The inputs live in the page's URL fragment, so a diagnosis is a link.",
    )
    _result_argument(p)
    p.add_argument("--out", required=True, metavar="DASHBOARD.html", help="HTML file to write")
    p.add_argument(
        "--draws",
        type=opt.positive_int,
        default=1000,
        help="posterior draws to embed, evenly thinned (1000)",
    )
    p.add_argument("--seed", type=opt.seed, default=0, help="seed of the page's draws (0)")
    p.add_argument(
        "--frontier",
        action="store_true",
        help="also fit the frontier model (GPQA on SWE-bench, frontier34; 2 chains x 1000 draws) "
        "and add its section: population line, h-field, predicted GPQA",
    )
    p.set_defaults(func=_dashboard)

    p = sub.add_parser(
        "predict",
        help="posterior-predictive scores of a family the fit has not seen (either model)",
        description="Phase model: predict a new family from its covariates (--covariates, a "
        ".toml or .csv file; see docs/reporting.md), optionally conditioned on models of it "
        "already measured (importance weighting), or a family of the dataset left out of the "
        "fit (--family, conditioned on its smallest model only): scores at each size with "
        "intervals, P(tax) and the family's N_c. Without either: a random family of the "
        "population. Dynamics model: integrate the fitted ODE from a family's smallest model "
        "(--family, a family left out of the fit: errors and interval coverage at its measured "
        "sizes) or from a new family's smallest model (--initial CSV with --sizes).",
    )
    _result_argument(p)
    p.add_argument(
        "--sizes",
        default=None,
        help="comma-separated parameter counts: 1e9,7e9,70e9 or 1B,7B,70B (default: "
        "1e9,7e9,70e9 for a new family; the measured sizes for --family)",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--family", default=None, help="a family of the dataset left out of the fit"
    )
    source.add_argument(
        "--covariates",
        default=None,
        metavar="FAMILY.toml|csv",
        help="phase model: the new family's description",
    )
    source.add_argument(
        "--initial",
        default=None,
        metavar="SMALLEST.csv",
        help="dynamics model: one CSV row, params and one score per state benchmark "
        "(fractions) of the new family's smallest model",
    )
    p.add_argument(
        "--data", default=None, help="dataset holding --family (default: the fit's own dataset)"
    )
    p.add_argument(
        "--prob",
        type=opt.probability,
        default=None,
        help="interval probability (default 0.95 phase, 0.9 dynamics)",
    )
    p.add_argument(
        "--draws", type=opt.positive_int, default=20_000, help="phase: new-family draws (20000)"
    )
    p.add_argument("--seed", type=opt.seed, default=0, help="random seed (0)")
    p.add_argument("--sig", type=opt.significant_figures, default=2, help="significant figures (2)")
    opt.output_options(p)
    p.set_defaults(func=_predict)

    p = sub.add_parser(
        "diagnose",
        help="the phase of one model from its size and scores",
        description="P(tax) and P(bonus) of one model, where it sits relative to its family's "
        "N_c, and which covariate changes would move N_c most. Place it in a fitted family "
        "(--family) or describe its family (--covariates); with neither it is a random family "
        "of the population.",
    )
    _result_argument(p)
    p.add_argument("--size", required=True, help="parameter count: 4e9 or 4B")
    for name, bench in BENCHMARKS.items():
        p.add_argument(
            f"--{name}",
            type=str,
            default=None,
            metavar="SCORE",
            help=f"{bench.label} score as a fraction"
            + (" (required when the fit uses it)" if name in {"hellaswag", "truthfulqa"} else ""),
        )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--family", default=None, metavar="NAME", help="a fitted family")
    which.add_argument(
        "--covariates",
        default=None,
        metavar="FAMILY.toml|csv",
        help="the model's family, described by covariates",
    )
    p.add_argument("--prob", type=opt.probability, default=0.95, help="interval probability (0.95)")
    p.add_argument("--seed", type=opt.seed, default=0, help="random seed (0)")
    p.add_argument("--sig", type=opt.significant_figures, default=2, help="significant figures (2)")
    opt.output_options(p)
    p.set_defaults(func=_diagnose)


def _result_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("result", metavar="FILE.nc", help="a result written by 'bayescape fit --out'")


def _number_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sig",
        type=opt.significant_figures,
        default=2,
        help="significant figures of estimates (2)",
    )
    p.add_argument(
        "--prob",
        type=opt.probability,
        default=0.95,
        help="probability of the equal-tailed intervals (0.95)",
    )
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the diagnostics fail"
    )


def _out_argument(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument("--out", default=None, metavar="FILE", help=text)


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise BayescapeError(f"{option} {value!r} is not one of {', '.join(choices)}")
    return value


def parse_size(text: str) -> float:
    """A parameter count from ``4e9``, ``4000000000``, ``4B``, ``70M``, ``1.5T``."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBtT]?)\s*", text)
    if not match:
        raise BayescapeError(f"size {text!r} is not a parameter count; write 4e9 or 4B")
    value = float(match.group(1)) * _SUFFIX.get(match.group(2).lower(), 1.0)
    problem = size_problem(value)
    if problem:
        raise BayescapeError(f"size {text.strip()!r}: {problem}")
    return value


def _parse_sizes(text: str) -> list[float]:
    parts = [t for t in text.split(",") if t.strip()]
    if not parts:
        raise BayescapeError("--sizes needs at least one size, e.g. 1e9,7e9,70e9")
    return [parse_size(t) for t in parts]


def _parse_score(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = text  # type: ignore[assignment]  # score_problem says it is not a number
    problem = score_problem(value, open_interval=True)
    if problem:
        raise BayescapeError(f"{option} {problem}")
    return float(value)


def _load(path: str):
    from bayescape.analysis import load

    return load(path)


def _warn_if_failed(result, path: str) -> None:
    d = result.diagnostics
    if not d.ok:
        print(
            f"warning: {path} FAILED its diagnostics ({'; '.join(d.reasons)}): do not report "
            "these numbers",
            file=sys.stderr,
        )


def _emit(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def _table(args: argparse.Namespace) -> int:
    from bayescape.report import render_table

    what = _choice(args.what, TABLES, "--what")
    fmt = _choice(args.format, TABLE_FORMATS, "--format")
    result = _load(args.result)
    _warn_if_failed(result, args.result)
    text = render_table(
        result,
        what,
        fmt,
        caption=args.caption,
        label=args.label,
        sig=args.sig,
        prob=args.prob,
    )
    _emit(text, args.out)
    return 1 if args.strict and not result.diagnostics.ok else 0


def _macros(args: argparse.Namespace) -> int:
    from bayescape.report import render_macros

    result = _load(args.result)
    _warn_if_failed(result, args.result)
    _emit(render_macros(result, sig=args.sig, prob=args.prob), args.out)
    return 1 if args.strict and not result.diagnostics.ok else 0


def _plot(args: argparse.Namespace) -> int:
    from bayescape.report import DYNAMICS_FIGURES, FIGURE_FORMATS, make_figure, save_figure

    kind = _choice(args.kind, _PLOTS, "--kind")
    suffix = Path(args.out).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise BayescapeError(f"--out {args.out}: end the name in .png, .pdf or .svg")
    options: dict = {}
    with_families = {"phase-diagram", "coupling", "trajectories", "eigenvalues"}
    if kind in with_families and args.family:
        options["families"] = args.family
    elif args.family:
        raise BayescapeError(
            f"--family applies to phase-diagram, coupling, trajectories and eigenvalues, not {kind}"
        )
    if kind in {"coupling", "forest", "ppc", "inclusion", "eigenvalues"}:
        options["prob"] = args.prob
    if kind == "ppc" and args.seed is not None:
        options["seed"] = args.seed
    if kind == "prior":
        options["seed"] = 0 if args.seed is None else args.seed
    if kind == "prior":
        options["draws"] = args.prior_draws
    result = _load(args.result)
    fitted = result.kind.figure_set
    wanted = next(family for family, names in FIGURE_NAMES.items() if kind in names)
    if fitted != wanted:
        fits = FIGURE_NAMES[fitted]
        raise BayescapeError(
            f"--kind {kind} is a figure of a {wanted} model, but {args.result} holds a "
            f"{fitted} model ({result.spec.name!r}); use one of {', '.join(fits)}"
        )
    _warn_if_failed(result, args.result)
    if kind in _DYNAMICS_FIGURES:
        fig, _ = DYNAMICS_FIGURES[kind](result, **options)
    else:
        fig, _ = make_figure(result, kind, **options)
    path = save_figure(fig, args.out, dpi=args.dpi)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from bayescape.report import write_report

    result = _load(args.result)
    _warn_if_failed(result, args.result)
    figures = None  # every figure of the fit's model kind (phase or dynamics)
    if args.figure:
        figures = tuple(_choice(k, _PLOTS, "--figure") for k in args.figure)
    elif args.no_prior:
        figures = FIGURE_NAMES[result.kind.figure_set]
    if figures is not None and args.no_prior:
        figures = tuple(k for k in figures if k != "prior")
    path = write_report(
        result,
        args.out,
        figures=figures,
        replication=not args.no_replication,
        sig=args.sig,
        seed=args.seed,
        progress=lambda msg: print(f"  {msg} ...", file=sys.stderr),
    )
    print(f"wrote {path}", file=sys.stderr)
    return 1 if args.strict and not result.diagnostics.ok else 0


def _dashboard(args: argparse.Namespace) -> int:
    from bayescape.report import write_dashboard

    result = _load(args.result)
    _warn_if_failed(result, args.result)
    frontier = None
    if args.frontier:
        from bayescape.analysis.replication import fit_frontier

        print("fitting the frontier model (1000 draws x 2 chains)...", file=sys.stderr)
        frontier = fit_frontier(random_seed=args.seed)
    path = write_dashboard(result, args.out, n_draws=args.draws, seed=args.seed, frontier=frontier)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB)", file=sys.stderr)
    return 0


def _predict(args: argparse.Namespace) -> int:
    sizes = _parse_sizes(args.sizes) if args.sizes is not None else None
    if args.draws < 100:
        raise BayescapeError(f"--draws {args.draws} is too few; use at least 100")
    result = _load(args.result)
    _warn_if_failed(result, args.result)
    predict = _PREDICTORS[result.kind.new_family_from]  # what a new family starts from
    return predict(args, result, sizes)


def _predict_from_covariates(args: argparse.Namespace, result, sizes: list[float] | None) -> int:
    from bayescape.analysis import read_family

    if args.initial:
        raise BayescapeError(
            f"{args.result} is a phase-model fit: --initial is for the dynamics model; "
            "describe a new family with --covariates or name one with --family"
        )
    family = read_family(args.covariates) if args.covariates else args.family
    prediction = result.predict_family(
        family, sizes, data=args.data, prob=args.prob, n_draws=args.draws, seed=args.seed
    )
    if args.json:
        print_json(prediction.to_dict())
        return 0
    panel = result.panel
    lines = prediction_lines(
        prediction,
        panel.reasoning_benchmark,
        panel.truthfulness_benchmark,
        sig=args.sig,
        wide=args.wide,
    )
    print("\n".join(lines))
    return 0


def _predict_dynamics(args: argparse.Namespace, result, sizes: list[float] | None) -> int:
    import pandas as pd

    from bayescape.analysis import prediction_errors
    from bayescape.cli._dynamics import emit_frames

    if args.covariates:
        raise BayescapeError(
            f"{args.result} is a dynamics-model fit: it predicts from a smallest model's "
            "scores, not covariates; give --family NAME or --initial SMALLEST.csv"
        )
    initial = None
    if args.initial:
        rows = pd.read_csv(args.initial)
        if len(rows) != 1:
            raise BayescapeError(
                f"{args.initial}: needs exactly one row (the smallest model), found {len(rows)}"
            )
        if not sizes:
            raise BayescapeError("--initial needs --sizes (parameter counts to predict)")
        initial = rows.iloc[0]
    elif not args.family:
        raise BayescapeError("a dynamics fit needs --family NAME or --initial SMALLEST.csv")
    pred = result.predict_family(
        args.family, sizes, data=args.data, initial=initial, prob=args.prob, seed=args.seed
    )
    frames = {"predictions": pred}
    if pred["observed"].notna().any():
        frames["errors (models other than the starting one)"] = prediction_errors(pred)
    emit_frames(frames, args.json)
    return 0


_PREDICTORS = {"covariates": _predict_from_covariates, "initial_state": _predict_dynamics}
"""``bayescape predict`` by what the fit's kind predicts a new family from
(:attr:`~bayescape.models.ModelKind.new_family_from`)."""


def _diagnose(args: argparse.Namespace) -> int:
    from bayescape.analysis import diagnose_model, read_family

    size = parse_size(args.size)
    family = read_family(args.covariates) if args.covariates else None
    result = _load(args.result)
    _warn_if_failed(result, args.result)
    panel = result.panel
    scores = []
    for bench in (panel.reasoning_benchmark, panel.truthfulness_benchmark):
        text = getattr(args, bench)
        if text is None:
            raise BayescapeError(
                f"this result models {bench}: give the model's score with "
                f"--{bench} SCORE (a fraction)"
            )
        scores.append(_parse_score(text, f"--{bench}"))
    diagnosis = diagnose_model(
        result,
        size,
        scores[0],
        scores[1],
        family=args.family,
        covariates=family,
        prob=args.prob,
        seed=args.seed,
    )
    if args.json:
        print_json(diagnosis.to_dict())
    else:
        print("\n".join(diagnosis_lines(diagnosis, sig=args.sig, wide=args.wide)))
    return 0
