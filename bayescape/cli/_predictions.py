"""Terminal text of ``bayescape predict`` (phase model) and ``bayescape diagnose``.

Laid out like ``fit``: 100 columns unless ``--wide``, the interval kind in the headers, every
note printed (what was ignored of the input included).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from bayescape.cli._terminal import WIDTH, Column, interval_label, table, wrap

if TYPE_CHECKING:
    from bayescape.analysis import FamilyPrediction, ModelDiagnosis


def _interval(median: float, low: float, high: float, sig: int, signed: bool = False) -> str:
    from bayescape.report import significant

    def f(v: float) -> str:
        return significant(v, sig, signed=signed)

    return f"{f(median)} [{f(low)}, {f(high)}]"


def _nc(nc: dict[str, float], prob: float) -> str:
    from bayescape.report import format_params

    return (
        f"median {format_params(nc['median'])}, {interval_label(prob)} interval "
        f"[{format_params(nc['low'])}, {format_params(nc['high'])}]"
    )


def _covariates(values: dict[str, float]) -> str:
    known = [f"{k} = {v:g}" for k, v in values.items() if not math.isnan(v)]
    unknown = [k for k, v in values.items() if math.isnan(v)]
    text = ", ".join(known) if known else "none given"
    if unknown:
        text += f" (drawn as a random family's: {', '.join(unknown)})"
    return text


def prediction_lines(
    prediction: FamilyPrediction,
    reasoning: str,
    truthfulness: str,
    *,
    sig: int = 2,
    wide: bool = False,
) -> list[str]:
    """A new family's N_c and predictive scores at each size, and every note."""
    from bayescape.data import BENCHMARKS
    from bayescape.report import format_params

    p = prediction
    width = None if wide else WIDTH
    basis = (
        f"conditioned on {p.n_measured} measured model(s), effective sample size "
        f"{p.ess:.0f} of {len(p.c)}"
        if p.n_measured
        else "from its covariates alone"
    )
    nc = p.critical_scale
    lines = [
        wrap(f"new family {p.family.name!r} ({basis})", width=width, indent="  "),
        wrap(f"covariates: {_covariates(p.covariates)}", width=width, indent="  "),
        wrap(f"N_c: {_nc(nc, p.prob)}, mean {format_params(nc['mean'])}", width=width, indent="  "),
        "",
        wrap(
            f"Predicted scores (posterior-predictive: a new measurement's spread, binomial noise "
            f"included) and local coupling dT/dR: median and {interval_label(p.prob)} interval",
            width=width,
        ),
    ]
    s = p.scores

    def column(header: str, stem: str, signed: bool = False) -> Column:
        cells = [
            _interval(m, lo, hi, sig, signed)
            for m, lo, hi in zip(
                s[f"{stem}_median"], s[f"{stem}_low"], s[f"{stem}_high"], strict=True
            )
        ]
        return Column(header, cells)

    lines += table(
        [
            Column("size", [format_params(v) for v in s["params"]]),
            column(BENCHMARKS[reasoning].label, "reasoning"),
            column(BENCHMARKS[truthfulness].label, "truthfulness"),
            column("dT/dR", "coupling", signed=True),
            Column("P(tax)", [f"{v:.2f}" for v in s["p_tax"]]),
            Column("P(bonus)", [f"{v:.2f}" for v in s["p_bonus"]]),
        ],
        width=width,
    )
    lines += [wrap(f"note: {n}", width=width, indent="  ") for n in p.notes]
    return lines


def diagnosis_lines(
    diagnosis: ModelDiagnosis, *, sig: int = 2, levers: int = 5, wide: bool = False
) -> list[str]:
    """One model's phase, its place relative to N_c, and the covariates that move N_c most."""
    from bayescape.data import BENCHMARKS
    from bayescape.report import format_params

    d = diagnosis
    width = None if wide else WIDTH
    label = interval_label(d.prob)
    benches = list(d.benchmarks)
    where = d.decades_above
    side = "above" if where["median"] >= 0 else "below"
    ess = f", effective sample size {d.ess:.0f}" if d.basis != "family posterior" else ""
    lines = [
        f"model of {format_params(d.params)} parameters; {benches[0]} {d.reasoning:g}, "
        f"{benches[1]} {d.truthfulness:g}",
        wrap(f"family: {d.family} ({d.basis}{ess})", width=width, indent="  "),
        f"phase: {d.phase.upper()}   P(tax) = {d.p_tax:.2f}, P(bonus) = {d.p_bonus:.2f}",
        f"intervals: median and {label}",
        wrap(f"N_c: {_nc(d.critical_scale, d.prob)}", width=width, indent="  "),
        wrap(
            f"position: {abs(where['median']):.2g} decades {side} N_c (x - log10 N_c = "
            f"{_interval(where['median'], where['low'], where['high'], sig, signed=True)})",
            width=width,
            indent="  ",
        ),
        "local coupling dT/dR: "
        + _interval(d.coupling["median"], d.coupling["low"], d.coupling["high"], sig, True),
    ]
    for bench, e in d.expected.items():
        given = d.reasoning if bench == benches[0] else d.truthfulness
        lines.append(
            wrap(
                f"expected {BENCHMARKS[bench].label} at this size: "
                f"{_interval(e['median'], e['low'], e['high'], sig)}; {given:g} is at "
                f"percentile {100 * e['percentile']:.0f}",
                width=width,
                indent="  ",
            )
        )
    if len(d.levers):
        top = d.levers if wide else d.levers.head(levers)
        lines += [
            "",
            wrap(
                "Levers: covariates that move N_c most, as the change of log10 N_c per unit "
                f"(decades; median and {label} interval; negative: transition at smaller "
                "models)",
                width=width,
            ),
        ]
        lines += table(
            [
                Column("covariate", [str(c) for c in top["covariate"]], "<"),
                Column("now", ["?" if math.isnan(v) else f"{v:.3g}" for v in top["current"]], "<"),
                Column(
                    "effect",
                    [
                        _interval(m, lo, hi, sig, signed=True)
                        for m, lo, hi in zip(
                            top["effect_median"], top["effect_low"], top["effect_high"], strict=True
                        )
                    ],
                ),
                Column("P(lowers)", [f"{v:.2f}" for v in top["p_lowers"]]),
                Column("per unit", [str(u) for u in top["unit"]], "<", shrink=True),
            ],
            width=width,
        )
    lines += [wrap(f"note: {n}", width=width, indent="  ") for n in d.notes]
    return lines
