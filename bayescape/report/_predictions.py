"""Text for people of a new family's prediction and of one model's diagnosis.

Every interval is equal-tailed (ETI, the tables' kind) and says so with its probability.
"""

from __future__ import annotations

import math

import pandas as pd

from bayescape.analysis import FamilyPrediction, ModelDiagnosis
from bayescape.data import BENCHMARKS
from bayescape.report._format import significant
from bayescape.report._summary import format_params


def _interval(median: float, low: float, high: float, sig: int, signed: bool = False) -> str:
    def f(v: float) -> str:
        return significant(v, sig, signed=signed)

    return f"{f(median)} [{f(low)}, {f(high)}]"


def _nc(nc: dict[str, float], pct: str) -> str:
    return (
        f"median {format_params(nc['median'])}, {pct} ETI [{format_params(nc['low'])}, "
        f"{format_params(nc['high'])}]"
    )


def _covariates(values: dict[str, float]) -> str:
    known = [f"{k} = {v:g}" for k, v in values.items() if not math.isnan(v)]
    unknown = [k for k, v in values.items() if math.isnan(v)]
    text = ", ".join(known) if known else "none given"
    if unknown:
        text += f" (drawn as a random family's: {', '.join(unknown)})"
    return text


def prediction_text(
    prediction: FamilyPrediction, reasoning: str, truthfulness: str, *, sig: int = 2
) -> str:
    """A new family's predicted N_c and scores at each size, as a table for a terminal.

    ``reasoning`` and ``truthfulness`` are the fit's benchmark names (for the headers).
    """
    p = prediction
    pct = f"{100 * p.prob:g}% ETI"
    basis = (
        f"conditioned on {p.n_measured} measured model(s), effective sample size "
        f"{p.ess:.0f} of {len(p.c)}"
        if p.n_measured
        else "from its covariates alone"
    )
    lines = [
        f"new family {p.family.name!r} ({basis})",
        f"covariates: {_covariates(p.covariates)}",
        f"N_c: {_nc(p.critical_scale, f'{100 * p.prob:g}%')}, "
        f"mean {format_params(p.critical_scale['mean'])}",
        "",
    ]
    s = p.scores
    table = pd.DataFrame(
        {
            "size": s["params"].map(format_params),
            f"{BENCHMARKS[reasoning].label} ({pct})": [
                _interval(m, lo, hi, sig)
                for m, lo, hi in zip(
                    s["reasoning_median"], s["reasoning_low"], s["reasoning_high"], strict=True
                )
            ],
            f"{BENCHMARKS[truthfulness].label} ({pct})": [
                _interval(m, lo, hi, sig)
                for m, lo, hi in zip(
                    s["truthfulness_median"],
                    s["truthfulness_low"],
                    s["truthfulness_high"],
                    strict=True,
                )
            ],
            f"coupling dT/dR ({pct})": [
                _interval(m, lo, hi, sig, signed=True)
                for m, lo, hi in zip(
                    s["coupling_median"], s["coupling_low"], s["coupling_high"], strict=True
                )
            ],
            "P(tax)": s["p_tax"].map("{:.2f}".format),
            "P(bonus)": s["p_bonus"].map("{:.2f}".format),
        }
    )
    lines.append(table.to_string(index=False))
    lines.append(
        "scores are posterior-predictive (a new measurement's spread, binomial noise included)"
    )
    lines += [f"note: {n}" for n in p.notes]
    return "\n".join(lines)


def diagnosis_text(diagnosis: ModelDiagnosis, *, sig: int = 2, levers: int = 5) -> str:
    """One model's phase, its place relative to N_c, and the covariates that move N_c most."""
    d = diagnosis
    pct = f"{100 * d.prob:g}%"
    benches = list(d.benchmarks)
    where = d.decades_above
    side = "above" if where["median"] >= 0 else "below"
    lines = [
        f"model of {format_params(d.params)} parameters; {benches[0]} {d.reasoning:g}, "
        f"{benches[1]} {d.truthfulness:g}",
        f"family: {d.family} ({d.basis}"
        + (f", effective sample size {d.ess:.0f}" if d.basis != "family posterior" else "")
        + ")",
        f"phase: {d.phase.upper()}   P(tax) = {d.p_tax:.2f}, P(bonus) = {d.p_bonus:.2f}",
        f"N_c: {_nc(d.critical_scale, pct)}",
        f"position: {abs(where['median']):.2g} decades {side} N_c (x - log10 N_c = "
        f"{_interval(where['median'], where['low'], where['high'], sig, signed=True)}, "
        f"median [{pct} ETI])",
        f"local coupling dT/dR: "
        f"{_interval(d.coupling['median'], d.coupling['low'], d.coupling['high'], sig, True)}"
        f" (median [{pct} ETI])",
    ]
    for bench, e in d.expected.items():
        given = d.reasoning if bench == benches[0] else d.truthfulness
        lines.append(
            f"expected {BENCHMARKS[bench].label} at this size: "
            f"{_interval(e['median'], e['low'], e['high'], sig)} ({pct} ETI); {given:g} is at "
            f"percentile {100 * e['percentile']:.0f}"
        )
    if len(d.levers):
        lines.append(
            f"\ncovariates that move N_c most (change of log10 N_c per unit, "
            f"decades, median [{pct} ETI]; negative: transition at smaller models)"
        )
        top = d.levers.head(levers)
        table = pd.DataFrame(
            {
                "covariate": top["covariate"],
                "now": top["current"].map(lambda v: "?" if math.isnan(v) else f"{v:.3g}"),
                "effect": [
                    _interval(m, lo, hi, sig, signed=True)
                    for m, lo, hi in zip(
                        top["effect_median"], top["effect_low"], top["effect_high"], strict=True
                    )
                ],
                "P(lowers)": top["p_lowers"].map("{:.2f}".format),
                "per unit": top["unit"],
            }
        )
        lines.append(table.to_string(index=False))
    lines += [f"note: {n}" for n in d.notes]
    return "\n".join(lines)
