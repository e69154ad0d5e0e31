"""``bayescape fit`` and ``bayescape summary``: fit a model, print N_c per family.

The default output fits 100 columns: short columns, notes as footnote marks explained once
under the table, the interval kind in every header. ``--wide`` prints every column without a
width limit, ``--json`` the same numbers for machines.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import TYPE_CHECKING, Any

from bayescape._config import CHAIN_METHODS, DEVICES, SAMPLERS
from bayescape.cli import _options as opt
from bayescape.cli._terminal import (
    WIDTH,
    Column,
    footnote_marks,
    interval_label,
    print_json,
    stdout_to_stderr,
    table,
    wrap,
)
from bayescape.errors import DataWarning, IgnoredInputWarning

if TYPE_CHECKING:
    from bayescape.analysis import Result

PROB = 0.95
"""Probability of every interval ``fit`` and ``summary`` print."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fit`` and ``summary`` commands."""
    p = sub.add_parser(
        "fit",
        help="fit a model and print the posterior N_c per family",
        description="Fit a model (default: the hierarchical phase model) to a dataset "
        "(default: leaderboard_v1), print the posterior critical scale N_c of every family and "
        "the diagnostics, and optionally save the result to netCDF.",
    )
    opt.model_and_data(p)
    p.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default=None,
        help="NUTS backend (default: the spec's [sampler] name)",
    )
    p.add_argument(
        "--chain-method",
        choices=CHAIN_METHODS,
        default=None,
        help="how chains run: vectorized (numpyro, blackjax: all chains one compiled JAX "
        "program, for accelerators), sequential (numpyro), parallel (nutpie threads), "
        "processes (nutpie, a worker process per core: faster for the dynamics model, whose "
        "threads share one core); default: the spec's, else the sampler's own",
    )
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where the JAX samplers compute (default auto: an accelerator when JAX finds one); "
        "the device that ran is printed and saved with the result",
    )
    p.add_argument(
        "--draws", type=opt.positive_int, default=None, help="draws per chain (default: spec)"
    )
    p.add_argument(
        "--tune", type=opt.positive_int, default=None, help="tuning steps per chain (default: spec)"
    )
    p.add_argument(
        "--chains", type=opt.positive_int, default=None, help="number of chains (default: spec)"
    )
    p.add_argument("--seed", type=opt.seed, default=0, help="random seed (default 0)")
    p.add_argument(
        "--exclude-family",
        action="append",
        default=[],
        metavar="NAME",
        help="leave a family out of the fit (repeatable)",
    )
    p.add_argument("--out", default=None, help="write the result to this netCDF file")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar, no data notes (what is ignored of your input is still said)",
    )
    opt.output_options(p)
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the diagnostics fail"
    )
    p.set_defaults(func=_fit)

    p = sub.add_parser(
        "summary",
        help="print the N_c table of a saved result",
        description="Summarise a result written by 'bayescape fit --out'.",
    )
    p.add_argument("result", help="netCDF file written by 'bayescape fit --out'")
    opt.output_options(p)
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the diagnostics fail"
    )
    p.set_defaults(func=_summary)


def _fit(args: argparse.Namespace) -> int:
    from bayescape.analysis import fit
    from bayescape.models import load_spec

    spec = load_spec(args.model)  # a bad spec stops here, before any message about fitting
    with warnings.catch_warnings():
        if args.quiet:
            warnings.simplefilter("ignore", DataWarning)
            warnings.simplefilter("default", IgnoredInputWarning)
        print(f"fitting model {args.model!r} to {args.data!r} ...", file=sys.stderr)
        with stdout_to_stderr():
            result = fit(
                spec,
                args.data,
                sampler=args.sampler,
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                random_seed=args.seed,
                chain_method=args.chain_method,
                device=args.device,
                exclude_families=args.exclude_family,
                progressbar=not args.quiet,
            )
    if args.out:
        path = result.save(args.out)
        print(f"saved {path}", file=sys.stderr)
    return _print_summary(result, args)


def _summary(args: argparse.Namespace) -> int:
    from bayescape.analysis import load

    return _print_summary(load(args.result), args)


def _print_summary(result: Result, args: argparse.Namespace) -> int:
    if args.json:
        print_json(summary_document(result))
    else:
        print("\n".join(summary_lines(result, wide=args.wide)))
    return 1 if args.strict and not result.diagnostics.ok else 0


def summary_document(result: Result) -> dict[str, Any]:
    """What ``--json`` prints: the library's summary plus the interval convention."""
    from bayescape.report import summary_json

    doc = summary_json(result)
    doc["interval"] = {"kind": "equal-tailed", "prob": PROB}
    return doc


def _run_where(info: dict[str, Any]) -> str:
    """`` (vectorized chains on gpu: NVIDIA H100 x 1)`` when the result says (older ones
    do not)."""
    parts = [f"{info['chain_method']} chains" if info.get("chain_method") else ""]
    parts.append(f"on {info['device']}" if info.get("device") else "")
    text = " ".join(p for p in parts if p)
    return f" ({text})" if text else ""


def _size_range(low: float, high: float) -> str:
    from bayescape.report import format_params

    a, b = format_params(low), format_params(high)
    return a if a == b else f"{a}-{b}"


def _bracket(low: float, high: float) -> str:
    from bayescape.report import format_params

    return f"[{format_params(low)}, {format_params(high)}]"


def _diagnostics_lines(result: Result, width: int | None) -> list[str]:
    d = result.diagnostics
    if d.ok:
        return [wrap(d.describe(), width=width, indent="  ")]
    bar = "!" * min(width or 78, 78)
    advice = (
        "Do not report these numbers: rerun with more draws/tuning or look at the parameterisation."
    )
    return [
        bar,
        wrap(d.describe(), width=width, prefix="!! ", indent="   "),
        wrap(advice, width=width, prefix="!! ", indent="   "),
        bar,
    ]


def _critical_columns(cs: Any, wide: bool) -> tuple[list[Column], list[str]]:
    from bayescape.report import format_params

    label = interval_label(PROB)
    common = [
        Column("family", [str(f) for f in cs["family"]], "<", shrink=True),
        Column("n", [str(n) for n in cs["n_models"]]),
    ]
    probs = [
        Column("P(below)", [f"{v:.2f}" for v in cs["p_below"]]),
        Column("P(inside)", [f"{v:.2f}" for v in cs["p_inside"]]),
        Column("P(above)", [f"{v:.2f}" for v in cs["p_above"]]),
    ]
    if wide:
        columns = [
            *common,
            Column("smallest", [format_params(v) for v in cs["smallest"]]),
            Column("largest", [format_params(v) for v in cs["largest"]]),
            Column("N_c median", [format_params(v) for v in cs["nc_median"]]),
            Column("N_c mean", [format_params(v) for v in cs["nc_mean"]]),
            Column(f"{label} low", [format_params(v) for v in cs["nc_eti_low"]]),
            Column(f"{label} high", [format_params(v) for v in cs["nc_eti_high"]]),
            *probs,
            Column("R-hat", [f"{v:.3f}" for v in cs["rhat"]]),
            Column("ESS bulk", [f"{v:.0f}" for v in cs["ess_bulk"]]),
            Column("note", [str(n) for n in cs["note"]], "<"),
        ]
        return columns, []
    marks, legend = footnote_marks(list(cs["note"]))
    columns = [
        *common,
        Column(
            "sizes", [_size_range(a, b) for a, b in zip(cs["smallest"], cs["largest"], strict=True)]
        ),
        Column("N_c", [format_params(v) for v in cs["nc_median"]]),
        Column(
            label,
            [_bracket(a, b) for a, b in zip(cs["nc_eti_low"], cs["nc_eti_high"], strict=True)],
        ),
        *probs,
        Column("note", marks, "<"),
    ]
    return columns, legend


def _effect_columns(ce: Any, wide: bool) -> list[Column]:
    def interval(m: float, lo: float, hi: float) -> str:
        return f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]"

    columns = [
        Column("covariate", [str(c) for c in ce["covariate"]], "<"),
        Column(
            "per unit",
            [
                interval(*v)
                for v in zip(ce["effect_median"], ce["effect_low"], ce["effect_high"], strict=True)
            ],
        ),
    ]
    if wide:
        columns.append(
            Column(
                "per SD",
                [
                    interval(*v)
                    for v in zip(
                        ce["per_sd_median"], ce["per_sd_low"], ce["per_sd_high"], strict=True
                    )
                ],
            )
        )
    columns.append(Column("P(lowers)", [f"{v:.2f}" for v in ce["p_lowers"]]))
    if wide:
        columns.append(Column("families missing it", [str(v) for v in ce["n_missing"]]))
    columns.append(Column("unit", [str(u) for u in ce["unit"]], "<", shrink=True))
    return columns


def summary_lines(result: Result, *, wide: bool = False) -> list[str]:
    """The fit for a terminal: provenance, diagnostics, N_c per family, covariate effects.

    Every line fits :data:`~bayescape.cli._terminal.WIDTH` columns unless ``wide``.
    """
    from bayescape.report import format_params

    width = None if wide else WIDTH
    info = result.info
    label = interval_label(PROB)
    lines = [
        wrap(
            f"model {result.spec.name} (spec {result.spec.hash}) on "
            f"{info.get('data_source', '')} (data {info.get('data_hash', '')}): "
            f"{len(result.data)} models, {len(result.panel.families)} families; sampler "
            f"{info.get('sampler')}{_run_where(info)}, seed {info.get('seed')}",
            width=width,
            indent="  ",
        ),
        *_diagnostics_lines(result, width),
    ]
    kind = result.kind
    if kind.critical_scale is not None:
        pop = result.population_critical_scale(PROB)
        name = "pooled N_c" if kind.pooled else "N_c of an average family"
        lines += [
            "",
            wrap(
                f"{name}: median {format_params(pop['median'])}, mean "
                f"{format_params(pop['mean'])}, {label} interval "
                f"{_bracket(pop['low'], pop['high'])}",
                width=width,
                indent="  ",
            ),
            "",
            f"Critical scale N_c per family: posterior median and {label} interval",
        ]
        columns, legend = _critical_columns(result.critical_scales(PROB), wide)
        lines += table(columns, width=width)
        lines.append(
            wrap(
                "P(below): N_c below the smallest model (already cooperative there); "
                "P(inside): within the observed sizes; P(above): above the largest "
                "(still in the tax phase)" + ("" if wide else "; sizes: smallest-largest model"),
                width=width,
                indent="  ",
            )
        )
        lines += [wrap(entry, width=width, indent="   ") for entry in legend]
    if kind.has_covariate_effects(result.panel):
        effects = result.covariate_effects(PROB)
        lines += [
            "",
            f"Covariate effects on log10 N_c (decades; median and {label} interval)",
            *table(_effect_columns(effects, wide), width=width),
        ]
    return lines
