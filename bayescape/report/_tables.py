r"""Tables of a fit for papers and programs: LaTeX, Markdown, CSV and JSON.

Four tables (``what``): ``critical-scales`` (N_c per family, in billions of parameters, with its
interval and where it sits relative to the observed sizes), ``covariates`` (effects on
:math:`\log_{10} N_c`), ``phases`` (P(tax) and P(bonus) of every model) and ``diagnostics``
(R-hat and ESS of the headline parameters). Column keys are our own (see :data:`COLUMNS`) and do
not change with ArviZ or pandas versions.

LaTeX output uses booktabs rules and siunitx ``S`` columns (numbers align on the decimal point;
headers are braced), so the preamble needs ``\usepackage{booktabs}`` and
``\usepackage{siunitx}``. Markdown and LaTeX round estimates to ``sig`` significant figures and
probabilities to two decimals, and print observed sizes exactly (176B stays 176, 1.4B stays
1.4: they are data, not estimates); CSV and JSON keep full precision.

Every interval is equal-tailed (ETI: the 2.5% and 97.5% posterior quantiles at the default
``prob`` of 0.95), the package's one convention, and every header names the kind and probability
(``N_c 95% ETI low (B)``).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayescape import _config
from bayescape.analysis import Result
from bayescape.data import data_hash
from bayescape.errors import BayescapeError
from bayescape.report._format import exact, fixed, latex_escape, significant

TABLES = _config.TABLES
"""Tables :func:`render_table` makes."""

FORMATS = _config.TABLE_FORMATS
"""Output formats of :func:`render_table`."""

COVARIATE_LABELS = {
    "curation_curated": "Curated data",
    "curation_code": "Code-dominant data",
    "curation_mixed": "Modern mixed data",
    "curation_undisclosed": "Undisclosed data",
    "log10_tokens_per_param": "log10 tokens per parameter",
    "log2_width_per_layer": "log2 width per layer",
    "distillation": "Distillation",
}
"""Names of covariates for people."""

AVERAGE_FAMILY = "(average family)"
"""``family`` of the critical-scales row for a family with average covariates."""


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes
    ----------
    key
        Machine name (CSV header, JSON key).
    label
        Header for people (Markdown); ``latex`` is the LaTeX header (may hold math).
    kind
        ``text``, ``int``, ``sig`` (significant figures), ``signed`` (significant figures with
        a sign), ``exact`` (an observed number as it is), ``prob`` (two decimals) or ``rhat``
        (three decimals).
    group
        A header spanning neighbouring columns with the same group (LaTeX, Markdown).
    """

    key: str
    label: str
    latex: str
    kind: str
    group: str = ""
    description: str = ""


def interval_label(prob: float) -> str:
    """``0.95 -> "95% ETI"``: the interval's probability and kind, for headers."""
    return f"{100 * prob:g}% ETI"


def check_numbers(prob: float, sig: int) -> None:
    """Refuse an interval probability outside (0, 1) or significant figures outside 1-10."""
    if not 0 < prob < 1:
        raise BayescapeError(f"the interval probability must be between 0 and 1, not {prob}")
    if not 1 <= sig <= 10:
        raise BayescapeError(f"significant figures must be between 1 and 10, not {sig}")


def _critical_scales(result: Result, prob: float) -> tuple[pd.DataFrame, list[Column]]:
    cs = result.critical_scales(prob)
    frame = pd.DataFrame(
        {
            "family": cs["family"],
            "n_models": cs["n_models"].astype(float),
            "smallest_b": cs["smallest"] / 1e9,
            "largest_b": cs["largest"] / 1e9,
            "nc_median_b": cs["nc_median"] / 1e9,
            "nc_low_b": cs["nc_eti_low"] / 1e9,
            "nc_high_b": cs["nc_eti_high"] / 1e9,
            "p_below": cs["p_below"],
            "p_inside": cs["p_inside"],
            "p_above": cs["p_above"],
            "note": cs["note"],
        }
    )
    if result.kind.family_critical_scales:  # the average family: 10^mu_c
        pop = result.population_critical_scale(prob)
        average = {k: math.nan for k in frame.columns}
        average.update(
            family=AVERAGE_FAMILY,
            nc_median_b=pop["median"] / 1e9,
            nc_low_b=pop["low"] / 1e9,
            nc_high_b=pop["high"] / 1e9,
            note="covariates at their means: 10^mu_c",
        )
        frame = pd.concat([frame, pd.DataFrame([average])], ignore_index=True)
    name = interval_label(prob)
    group = f"$N_c$ (B), {latex_escape(name)}"
    columns = [
        Column("family", "Family", "Family", "text"),
        Column("n_models", "Models", "Models", "int", description="models in the fit"),
        Column(
            "smallest_b",
            "Smallest (B)",
            "Smallest",
            "exact",
            "Observed (B)",
            "smallest observed size, billions of parameters",
        ),
        Column(
            "largest_b",
            "Largest (B)",
            "Largest",
            "exact",
            "Observed (B)",
            "largest observed size, billions of parameters",
        ),
        Column(
            "nc_median_b",
            "N_c median (B)",
            "Median",
            "sig",
            group,
            "posterior median of N_c, billions of parameters",
        ),
        Column(
            "nc_low_b",
            f"N_c {name} low (B)",
            "Low",
            "sig",
            group,
            "lower end of the interval, billions",
        ),
        Column(
            "nc_high_b",
            f"N_c {name} high (B)",
            "High",
            "sig",
            group,
            "upper end of the interval, billions",
        ),
        Column("p_below", "P(below)", "$P_<$", "prob", "", "P(N_c < smallest model)"),
        Column("p_inside", "P(inside)", "$P_\\in$", "prob", "", "P(N_c within observed sizes)"),
        Column("p_above", "P(above)", "$P_>$", "prob", "", "P(N_c > largest model)"),
        Column("note", "Note", "Note", "text", description="caveats"),
    ]
    return frame, columns


def _covariates(result: Result, prob: float) -> tuple[pd.DataFrame, list[Column]]:
    ce = result.covariate_effects(prob)
    frame = pd.DataFrame(
        {
            "covariate": ce["covariate"],
            "label": [COVARIATE_LABELS.get(c, c) for c in ce["covariate"]],
            "unit": ce["unit"],
            "effect_median": ce["effect_median"],
            "effect_low": ce["effect_low"],
            "effect_high": ce["effect_high"],
            "per_sd_median": ce["per_sd_median"],
            "p_lowers": ce["p_lowers"],
            "n_missing": ce["n_missing"].astype(float),
        }
    )
    name = interval_label(prob)
    group = f"$\\Delta \\log_{{10}} N_c$ (decades), {latex_escape(name)}"
    columns = [
        Column("label", "Covariate", "Covariate", "text"),
        Column("unit", "Unit", "Unit", "text", description="the change the effect is per"),
        Column(
            "effect_median",
            "Effect median",
            "Median",
            "signed",
            group,
            "median change of log10 N_c per unit, decades",
        ),
        Column("effect_low", f"Effect {name} low", "Low", "signed", group),
        Column("effect_high", f"Effect {name} high", "High", "signed", group),
        Column(
            "per_sd_median",
            "Per SD",
            "Per SD",
            "signed",
            "",
            "median effect per standard deviation across families",
        ),
        Column(
            "p_lowers",
            "P(lowers N_c)",
            "$P(\\beta < 0)$",
            "prob",
            "",
            "probability the covariate moves N_c to smaller models",
        ),
        Column("n_missing", "Missing", "Missing", "int", "", "families with it unknown"),
    ]
    return frame, [Column("covariate", "Key", "Key", "text"), *columns]


def _phases(result: Result, prob: float) -> tuple[pd.DataFrame, list[Column]]:
    ph = result.phase_probabilities()
    frame = (
        pd.DataFrame(
            {
                "family": ph["family"],
                "model": ph["model"],
                "params_b": ph["params"] / 1e9,
                "p_tax": ph["p_tax"],
                "p_bonus": ph["p_bonus"],
                "coupling_median": ph["coupling_median"] if "coupling_median" in ph else math.nan,
                "phase": ph["phase"],
            }
        )
        .sort_values(["family", "params_b"], kind="stable")
        .reset_index(drop=True)
    )
    columns = [
        Column("family", "Family", "Family", "text"),
        Column("model", "Model", "Model", "text"),
        Column("params_b", "Size (B)", "Size (B)", "exact", description="billions of parameters"),
        Column("p_tax", "P(tax)", "$P(\\mathrm{tax})$", "prob", description="P(size < N_c)"),
        Column("p_bonus", "P(bonus)", "$P(\\mathrm{bonus})$", "prob"),
        Column(
            "coupling_median",
            "Coupling",
            "$\\gamma (x - c)$",
            "signed",
            description="posterior median of the local coupling dT/dR",
        ),
        Column(
            "phase",
            "Phase",
            "Phase",
            "text",
            description="tax or bonus at probability >= 0.95, else uncertain",
        ),
    ]
    return frame, columns


def _diagnostics(result: Result, prob: float) -> tuple[pd.DataFrame, list[Column]]:
    from bayescape.inference import ESS_MIN, RHAT_MAX

    t = result.diagnostics.table
    ok = (t["rhat"] <= RHAT_MAX) & (t["ess_bulk"] >= ESS_MIN)
    frame = pd.DataFrame(
        {
            "parameter": t["parameter"],
            "rhat": t["rhat"],
            "ess_bulk": t["ess_bulk"],
            "ess_tail": t["ess_tail"],
            "ok": np.where(ok, "yes", "NO"),
        }
    )
    columns = [
        Column("parameter", "Parameter", "Parameter", "text"),
        Column("rhat", "R-hat", "$\\hat R$", "rhat", description=f"split R-hat (<= {RHAT_MAX})"),
        Column("ess_bulk", "Bulk ESS", "Bulk ESS", "int", description=f">= {ESS_MIN}"),
        Column("ess_tail", "Tail ESS", "Tail ESS", "int"),
        Column("ok", "OK", "OK", "text"),
    ]
    return frame, columns


_BUILDERS: dict[str, Callable[[Result, float], tuple[pd.DataFrame, list[Column]]]] = {
    "critical-scales": _critical_scales,
    "covariates": _covariates,
    "phases": _phases,
    "diagnostics": _diagnostics,
}


def _check(what: str, fmt: str, prob: float, sig: int) -> None:
    if what not in TABLES:
        raise BayescapeError(f"unknown table {what!r}; use one of {', '.join(TABLES)}")
    if fmt not in FORMATS:
        raise BayescapeError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    check_numbers(prob, sig)


def table_frame(
    result: Result, what: str, *, prob: float = 0.95
) -> tuple[pd.DataFrame, list[Column]]:
    """The numbers of one table (full precision, our column keys) and its columns.

    Parameters
    ----------
    result
        A fitted result.
    what
        One of :data:`TABLES`.
    prob
        Probability of the equal-tailed intervals (N_c and covariate effects).
    """
    _check(what, "csv", prob, 2)
    try:
        frame, columns = _BUILDERS[what](result, prob)
    except BayescapeError as exc:
        raise BayescapeError(f"table {what}: {exc}") from None
    for col in columns:
        if col.kind == "int":
            frame[col.key] = frame[col.key].round().astype("Int64")
    return frame, columns


def _cell(value: Any, column: Column, sig: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column.kind == "text":
        return str(value)
    if not math.isfinite(float(value)):
        return ""
    if column.kind == "int":
        return str(round(float(value)))
    if column.kind == "prob":
        return fixed(float(value), 2)
    if column.kind == "rhat":
        return fixed(float(value), 3)
    if column.kind == "exact":
        return exact(float(value))
    return significant(float(value), sig, signed=column.kind == "signed")


def _table_format(cells: list[str]) -> str:
    """siunitx ``table-format`` that fits every number of a column."""
    nums = [c for c in cells if c]
    sign = "-" if any(c.startswith("-") for c in nums) else ""
    sign = "+" if any(c.startswith("+") for c in nums) else sign
    ints = max((len(c.lstrip("+-").split(".")[0]) for c in nums), default=1)
    decs = max((len(c.split(".")[1]) if "." in c else 0 for c in nums), default=0)
    return f"{sign}{ints}.{decs}"


def _groups(columns: list[Column]) -> list[tuple[str, int, int]]:
    """Runs of neighbouring columns sharing a group: (group, first, last), 1-based."""
    runs: list[tuple[str, int, int]] = []
    for i, col in enumerate(columns, start=1):
        if runs and col.group and runs[-1][0] == col.group and runs[-1][2] == i - 1:
            runs[-1] = (col.group, runs[-1][1], i)
        else:
            runs.append((col.group, i, i))
    return runs


def _latex(
    frame: pd.DataFrame,
    columns: list[Column],
    sig: int,
    caption: str | None,
    label: str | None,
    comment: list[str],
) -> str:
    cells = [[_cell(v, c, sig) for v in frame[c.key]] for c in columns]
    spec = []
    for col, values in zip(columns, cells, strict=True):
        if col.kind == "text":
            spec.append("l")
        else:
            spec.append(f"S[table-format={_table_format(values)}]")
    lines = [f"% {line}" for line in comment]
    lines.append("% needs \\usepackage{booktabs} and \\usepackage{siunitx}")
    wrap = caption is not None or label is not None
    if wrap:
        lines += ["\\begin{table}[htbp]", "\\centering"]
        if caption is not None:
            lines.append(f"\\caption{{{latex_escape(caption)}}}")
        if label is not None:
            lines.append(f"\\label{{{label}}}")
    lines += [f"\\begin{{tabular}}{{{' '.join(spec)}}}", "\\toprule"]
    runs = _groups(columns)
    if any(g for g, _, _ in runs):
        head, rules = [], []
        for group, first, last in runs:
            width = last - first + 1
            head.append(
                f"\\multicolumn{{{width}}}{{c}}{{{group}}}" if group else " & ".join([""] * width)
            )
            if group:
                rules.append(f"\\cmidrule(lr){{{first}-{last}}}")
        lines.append(" & ".join(head) + " \\\\")
        lines.append(" ".join(rules))
    lines.append(" & ".join(f"{{{c.latex}}}" for c in columns) + " \\\\")
    lines.append("\\midrule")
    for i in range(len(frame)):
        row = []
        for col, values in zip(columns, cells, strict=True):
            value = values[i]
            if col.kind == "text":
                row.append(latex_escape(value))
            else:
                row.append(value if value else "{---}")
        if str(frame.iloc[i, 0]) == AVERAGE_FAMILY:
            lines.append("\\midrule")
        lines.append(" & ".join(row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    if wrap:
        lines.append("\\end{table}")
    return "\n".join(lines) + "\n"


def _markdown(frame: pd.DataFrame, columns: list[Column], sig: int) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(esc(c.label) for c in columns) + " |",
        "|" + "|".join("---" if c.kind == "text" else "---:" for c in columns) + "|",
    ]
    for i in range(len(frame)):
        lines.append(
            "| " + " | ".join(esc(_cell(frame[c.key].iloc[i], c, sig)) for c in columns) + " |"
        )
    return "\n".join(lines) + "\n"


def _json_value(value: Any) -> Any:
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _provenance(result: Result) -> dict[str, Any]:
    d = result.diagnostics
    return {
        "model": result.spec.name,
        "spec_hash": result.spec.hash,
        "data_source": str(result.info.get("data_source", "")),
        "data_hash": str(result.info.get("data_hash") or data_hash(result.data)),
        "diagnostics": d.status,
        "diagnostics_reasons": list(d.reasons),
    }


def render_table(
    result: Result,
    what: str,
    fmt: str = "markdown",
    *,
    caption: str | None = None,
    label: str | None = None,
    sig: int = 2,
    prob: float = 0.95,
) -> str:
    r"""One table of a result as text.

    Parameters
    ----------
    result
        A fitted result.
    what
        ``critical-scales``, ``covariates``, ``phases`` or ``diagnostics``.
    fmt
        ``latex`` (booktabs + siunitx ``S`` columns; a ``table`` float when ``caption`` or
        ``label`` is given, else a bare ``tabular``), ``markdown``, ``csv`` or ``json``.
    caption, label
        LaTeX caption (escaped) and ``\label`` key.
    sig
        Significant figures of estimates in LaTeX and Markdown.
    prob
        Probability of the equal-tailed intervals, see :func:`table_frame`.

    Returns
    -------
    str
        The table. LaTeX starts with ``%`` comments naming the model, spec and data hashes and
        the diagnostics status (``FAILED`` with reasons when the fit failed its checks).
    """
    _check(what, fmt, prob, sig)
    frame, columns = table_frame(result, what, prob=prob)
    if fmt == "csv":
        buf = io.StringIO()
        frame[
            [c.key for c in columns]
            + [k for k in frame.columns if k not in {c.key for c in columns}]
        ].to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()
    if fmt == "json":
        keys = [c.key for c in columns] + [
            k for k in frame.columns if k not in {c.key for c in columns}
        ]
        rows = [
            {k: _json_value(v) for k, v in zip(keys, row, strict=True)}
            for row in frame[keys].itertuples(index=False)
        ]
        doc = {
            "table": what,
            "prob": prob,
            "interval": "eti",
            **_provenance(result),
            "columns": {c.key: c.description or c.label for c in columns},
            "rows": rows,
        }
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(frame, [c for c in columns if c.key != "covariate"], sig)
    prov = _provenance(result)
    comment = [
        f"bayescape table {what}: model {prov['model']} (spec {prov['spec_hash']}), data "
        f"{prov['data_source']} ({prov['data_hash']})"
    ]
    if what in {"critical-scales", "covariates"}:
        comment.append(f"intervals: {interval_label(prob)} (equal-tailed); observed sizes exact")
    if prov["diagnostics"] != "ok":
        comment.append(
            "DIAGNOSTICS FAILED: "
            + "; ".join(prov["diagnostics_reasons"])
            + " -- do not report these numbers"
        )
    keep = [c for c in columns if c.key not in {"note", "covariate", "unit"}]
    return _latex(frame, keep, sig, caption, label, comment)
