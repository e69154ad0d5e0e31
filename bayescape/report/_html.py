"""A self-contained HTML report of a fit: one file, images inline, no network requests.

The page holds the provenance, the diagnostics (a red banner when they failed), a data summary,
the model specification, the tables, every figure (PNG, base64 inside the page) and, where
``bayescape.analysis.replication`` is available, the CAPE paper's numbers beside the posterior.
Its Content-Security-Policy forbids loading anything from outside the page.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from bayescape.analysis import Result
from bayescape.data import BENCHMARKS, DataWarning, data_hash
from bayescape.errors import BayescapeError
from bayescape.report._dynamics_figures import DYNAMICS_FIGURES
from bayescape.report._figures import FIGURES, STYLE
from bayescape.report._summary import format_params
from bayescape.report._tables import Column, _cell, table_frame

FIGURES_BY_KIND = {"phase": FIGURES, "dynamics": DYNAMICS_FIGURES}
"""The figures of each figure set (a kind's ``figure_set``)."""

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
max-width:1180px;margin:0 auto;padding:1.2em 1.5em 4em;background:#fff}
h1{font-size:1.6em;margin:.2em 0 .1em}h2{font-size:1.25em;margin:1.8em 0 .5em;
border-bottom:1px solid #ddd;padding-bottom:.2em}h3{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0 1em}
th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{border-bottom:2px solid #999;background:#fafafa}td.num{text-align:right;
font-variant-numeric:tabular-nums;white-space:nowrap}
.banner{padding:.8em 1em;border-radius:6px;margin:1em 0;font-weight:600}
.fail{background:#fde0dc;border:3px solid #c62828;color:#8e0000}
.fail ul{font-weight:400;margin:.4em 0 0}
.ok{background:#e8f5e9;border:1px solid #2e7d32;color:#1b5e20}
.note{color:#555;font-size:.9em}.muted{color:#777}
pre{background:#f6f8fa;padding:.8em;overflow:auto;font-size:.8em;border-radius:4px}
figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88em;color:#444;margin-top:.3em}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:.15em 1.2em;font-size:.9em}
dl.kv dt{color:#555}dl.kv dd{margin:0}
details summary{cursor:pointer;color:#1f4e79}
nav a{margin-right:1em}
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_FIGURE_CAPTIONS = {
    "phase-diagram": "Reasoning against truthfulness. Points: every model, coloured by "
    "P(bonus). Lines: posterior-mean trajectories of the largest families over their observed "
    "sizes, with 90% equal-tailed bands of truthfulness.",
    "coupling": "Local coupling γ(x − c) = dT/dR against size: median, 50% and 90% "
    "equal-tailed bands; the shaded column is the 95% equal-tailed interval (ETI) of N_c, the "
    "dashed line its median (the numbers of the table above); ticks mark observed models.",
    "forest": "N_c per family (log axis): median, 50% and 95% equal-tailed intervals over the "
    "observed sizes (grey); the shaded column is a family with average covariates.",
    "ppc": "Posterior-predictive check: each observed score against the replicated scores' "
    "median and 95% equal-tailed interval (red: outside); the replicates are the result's "
    "posterior_predictive group.",
    "prior": "Prior-predictive check: observed scores inside the prior's 50% and 95% "
    "equal-tailed intervals at each model (dotted: the range a score can take).",
    "trajectories": "Posterior latent trajectory of every state against size (the largest "
    "families): median score and 90% equal-tailed band along the family's observed sizes; "
    "points are the measured scores.",
    "inclusion": "Inclusion probability P(|Xi| > threshold) of every library term in every "
    "equation, highest at the top (0.5 marked), and the term's posterior-mean shrinkage.",
    "eigenvalues": "Real parts of the Jacobian's eigenvalues at each family's smallest and "
    "largest model: median and 90% equal-tailed interval; left of zero is stable, the tick "
    "labels give P(stable).",
}


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _figure_png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=STYLE["figure.dpi"], bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _html_table(frame: pd.DataFrame, columns: list[Column], sig: int) -> str:
    head = "".join(f"<th>{_esc(c.label)}</th>" for c in columns)
    rows = []
    for i in range(len(frame)):
        cells = []
        for c in columns:
            value = _cell(frame[c.key].iloc[i], c, sig)
            cls = "" if c.kind == "text" else ' class="num"'
            cells.append(f"<td{cls}>{_esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _section_table(result: Result, what: str, sig: int, prob: float) -> str:
    try:
        frame, columns = table_frame(result, what, prob=prob)
    except BayescapeError as exc:
        return f'<p class="note">Not available: {_esc(exc)}</p>'
    columns = [c for c in columns if c.key not in {"covariate"}]
    return _html_table(frame, columns, sig)


def _provenance(result: Result) -> str:
    info = result.info
    keys = [
        ("model", result.spec.name),
        ("spec hash", result.spec.hash),
        ("data", info.get("data_source", "")),
        ("data hash", info.get("data_hash") or data_hash(result.data)),
        ("sampler", info.get("sampler", "")),
        (
            "chains × draws",
            f"{info.get('chains', '?')} × {info.get('draws', '?')} "
            f"(tuning {info.get('tune', '?')})",
        ),
        ("seed", info.get("seed", "")),
        ("bayescape", info.get("bayescape_version", "")),
        ("excluded families", info.get("excluded_families", "") or "none"),
    ]
    return (
        '<dl class="kv">'
        + "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in keys)
        + "</dl>"
    )


def _diagnostics(result: Result) -> str:
    d = result.diagnostics
    if d.ok:
        return f'<div class="banner ok" id="diagnostics-status">{_esc(d.describe())}</div>'
    items = "".join(f"<li>{_esc(r)}</li>" for r in d.reasons)
    return (
        '<div class="banner fail" id="diagnostics-status" role="alert">DIAGNOSTICS FAILED: do '
        "not report these numbers. Rerun the fit with more draws or tuning, or look at the "
        f"parameterisation.<ul>{items}</ul></div>"
    )


def _data_summary(result: Result) -> str:
    panel = result.panel
    counts = np.bincount(panel.family_index, minlength=panel.n_families)
    singles = [str(f) for f, n in zip(panel.families, counts, strict=True) if n == 1]
    rows: list[tuple[str, object]] = [
        ("models", len(result.data)),
        (
            "families",
            f"{panel.n_families} ({len(singles)} with one model: {', '.join(singles) or 'none'})",
        ),
        (
            "sizes",
            f"{format_params(10 ** panel.x.min())} to {format_params(10 ** panel.x.max())}"
            " parameters",
        ),
    ]

    def benchmark(name: str) -> str:
        b = BENCHMARKS[name]
        return f"{b.label} ({b.setting}, {b.n_items:,} items)"

    kind = result.kind
    for role, names in kind.panel_benchmarks(panel):
        rows.append((role, "; ".join(benchmark(n) for n in names)))
    rows.extend(kind.panel_notes(panel))
    return (
        '<dl class="kv">'
        + "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in rows)
        + "</dl>"
    )


def _headline(result: Result) -> str:
    if result.kind.critical_scale is None:
        return '<p class="note">This model has no critical scale (no transition).</p>'
    pop = result.population_critical_scale()
    what = "Pooled N_c" if result.kind.pooled else "N_c of a family with average covariates"
    return (
        f"<p><strong>{what}:</strong> median {format_params(pop['median'])}, 95% "
        f"equal-tailed interval [{format_params(pop['low'])}, {format_params(pop['high'])}] "
        f"(mean {format_params(pop['mean'])}; the posterior is skewed in N).</p>"
    )


def _replication(result: Result) -> str:
    try:
        from bayescape.analysis.replication import critical_scales_from_result, replication_table
    except ImportError:
        return '<p class="note">The replication module is not installed in this version.</p>'
    critical_scales = pooled = None
    try:
        critical_scales, pooled = critical_scales_from_result(result)
    except BayescapeError:  # no changepoint: the N_c rows stay "not fitted"
        pass
    try:
        with warnings.catch_warnings():  # the shipped datasets' notes; others reach the user
            warnings.simplefilter("ignore", DataWarning)
            table = replication_table(critical_scales=critical_scales, pooled=pooled)
    except Exception as exc:  # another module's failure must not lose the whole report
        return f'<p class="note">The replication table failed: {_esc(exc)}</p>'
    frame = table.reset_index()
    columns = [Column(k, k.capitalize(), k, "text") for k in frame.columns]
    return (
        '<p class="note">Each claim of the CAPE paper, the number its own method gives '
        "on the shipped copy of its data, and the posterior answer "
        "(<code>bayescape replicate</code>; the frontier rows need their own fit).</p>"
        + _html_table(frame, columns, 2)
    )


def render_report(
    result: Result,
    *,
    figures: tuple[str, ...] | None = None,
    replication: bool = True,
    sig: int = 2,
    prob: float = 0.95,
    prior_draws: int = 200,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The HTML report of a result as one string (see the module docs).

    Parameters
    ----------
    result
        A fitted result.
    figures
        Figure kinds to include (default: every figure of the result's model kind, those of
        :data:`~bayescape.report.FIGURES` for a phase fit, of
        :data:`~bayescape.report.DYNAMICS_FIGURES` for a dynamics fit; ``prior`` samples the
        prior, a few seconds). A kind of the other model kind is left out with a note.
    replication
        Include the CAPE replication table when the module is available.
    sig, prob
        Significant figures and interval probability of the tables.
    prior_draws, seed
        Prior-predictive draws and their seed (the posterior-predictive figure shows the
        result's own replicates, :func:`~bayescape.analysis.posterior_predictive_draws`).
    progress
        Called with a short message before each slow step (the CLI prints them).
    """
    say = progress or (lambda _msg: None)
    registry = FIGURES_BY_KIND[result.kind.figure_set]
    known = {**FIGURES, **DYNAMICS_FIGURES}
    figures = tuple(registry) if figures is None else tuple(figures)
    unknown = [f for f in figures if f not in known]
    if unknown:
        raise BayescapeError(f"unknown figure(s) {', '.join(unknown)}; use {', '.join(known)}")
    d = result.diagnostics
    title = f"bayescape report: {result.spec.name} on {result.info.get('data_source', 'data')}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="muted">status: <strong id="status">{_esc(d.status)}</strong> · generated '
        f"{_esc(dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC'))}</p>",
        '<nav><a href="#diagnostics">Diagnostics</a><a href="#data">Data</a>'
        '<a href="#spec">Model</a><a href="#tables">Tables</a><a href="#figures">Figures</a>'
        '<a href="#replication">Replication</a></nav>',
        _diagnostics(result),
        '<h2 id="diagnostics">Provenance and diagnostics</h2>',
        _provenance(result),
        f"<p>{_esc(d.describe())}</p>",
        "<details><summary>R-hat and ESS of every headline parameter</summary>",
        _section_table(result, "diagnostics", sig, prob),
        "</details>",
        '<h2 id="data">Data</h2>',
        _data_summary(result),
        '<h2 id="spec">Model specification</h2>',
        f"<details><summary>{_esc(result.spec.name)}: the specification file (hash "
        f"{_esc(result.spec.hash)})</summary><pre>{_esc(result.spec.text)}</pre></details>",
        '<h2 id="tables">Results</h2>',
        _headline(result),
        "<h3>Critical scale N_c per family (billions of parameters)</h3>",
        '<p class="note">P(below): N_c below the family\'s smallest model (already in the bonus '
        "phase); P(above): above its largest (still in the tax phase). Where N_c is likely "
        "outside the observed sizes it is prior-sensitive. Intervals are 95% equal-tailed "
        "(ETI: 2.5% and 97.5% posterior quantiles); observed sizes are printed exactly.</p>",
        _section_table(result, "critical-scales", sig, prob),
        "<h3>Covariate effects on log10 N_c (decades per unit)</h3>",
        _section_table(result, "covariates", sig, prob),
        "<details><summary>Phase probabilities of every model</summary>",
        _section_table(result, "phases", sig, prob),
        "</details>",
        '<h2 id="figures">Figures</h2>',
    ]
    other = [k for k in figures if k not in registry]
    if other:
        parts.append(
            f'<p class="note">Not figures of a {_esc(result.kind.figure_set)} fit, left out: '
            f"{_esc(', '.join(other))}.</p>"
        )
    for kind in (k for k in figures if k in registry):
        say(f"figure {kind}")
        options = {"draws": prior_draws, "seed": seed} if kind == "prior" else {}
        try:
            fig, _ = registry[kind](result, **options)
        except BayescapeError as exc:
            parts.append(f'<p class="note">{_esc(kind)}: not available ({_esc(exc)})</p>')
            continue
        parts.append(
            f'<figure id="figure-{kind}"><img alt="{_esc(kind)}" '
            f'src="data:image/png;base64,{_figure_png(fig)}">'
            f"<figcaption>{_esc(_FIGURE_CAPTIONS.get(kind, ''))}</figcaption></figure>"
        )
    parts.append('<h2 id="replication">The CAPE paper\'s numbers</h2>')
    if replication:
        say("replication table")
        parts.append(_replication(result))
    else:
        parts.append('<p class="note">Left out (--no-replication).</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(result: Result, path: str | Path, **options) -> Path:
    """Write :func:`render_report` to ``path`` (atomically: a temporary file, then rename)."""
    path = Path(path)
    if path.suffix.lower() not in {".html", ".htm"}:
        raise BayescapeError(f"{path}: the report is HTML; end the name in .html")
    text = render_report(result, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
