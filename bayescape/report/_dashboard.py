"""An interactive, offline dashboard of a fit: one HTML file, its computations in the page.

:func:`write_dashboard` embeds thinned posterior draws of the running-coupling phase model (the
population of families, every fitted family's curve parameters, the covariates' standardisation,
the panel's models) as JSON inside the page, and plain JavaScript (``_dashboard.js``, inline)
computes from them what :func:`~bayescape.analysis.diagnose_model` computes in Python:

- a fitted family: P(tax) = the fraction of the family's draws of :math:`c` above
  :math:`\\log_{10}` size, N_c, the local coupling, the predictive intervals of the scores;
- a new family (described by its data curation, tokens per parameter, width per layer and
  distillation, or by nothing: a random family): ``new_family_draws`` of the population,
  :math:`\\theta = (a, \\log b, t, \\log\\gamma, c) \\sim N(m + B_\\text{known} z_\\text{known},
  \\mathrm{diag}(s^2) + B_\\text{unknown} B_\\text{unknown}^\\top)` per posterior draw (each
  replicated to 20,000 draws, as ``diagnose`` does), importance-weighted by the truncated-normal
  likelihood of the entered scores (:mod:`bayescape.models._likelihood`); below 400 effective
  draws the proposal adapts (a Student t fitted to the weighted draws, up to three rounds), as
  :func:`~bayescape.analysis._importance.simulate_family` does.

With a frontier posterior (``frontier=``, :func:`frontier_data`) the page adds the frontier
section: the population line, the h-field and the predictive GPQA of a model from its
SWE-bench score.

Every number the JavaScript uses comes from the embedded data (``x_ref``, floors, item counts,
draws); no model constant is written in the script. The page has no server and fetches nothing:
its Content-Security-Policy allows only its own inline script (by hash) and styles. Family and
model names reach the page only as JSON (``<`` escaped, so ``</script>`` cannot close the data
block) and are put into the document with ``textContent``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from bayescape.analysis import Result
from bayescape.analysis._critical import UNITS
from bayescape.analysis._importance import _PROPOSAL_DF, MIN_ESS
from bayescape.analysis._predict import POPULATION, require_population
from bayescape.data import BENCHMARKS
from bayescape.data._checks import BILLIONS_BELOW
from bayescape.errors import BayescapeError
from bayescape.models._likelihood import _P_MIN
from bayescape.models.phase import X_REF

NEW_FAMILY_DRAWS = 20_000
"""New-family draws the page makes from the embedded draws (``diagnose_model``'s default)."""

_SCRIPT = Path(__file__).with_name("_dashboard.js")

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
max-width:1180px;margin:0 auto;padding:1em 1.5em 3em;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .5em;
border-bottom:1px solid #ddd;padding-bottom:.2em}
.grid{display:grid;grid-template-columns:minmax(260px,340px) 1fr;gap:1.5em}
label{display:block;font-size:.88em;margin:.45em 0 .1em;color:#333}
input,select{width:100%;box-sizing:border-box;padding:.3em;font:inherit}
fieldset{border:1px solid #ddd;border-radius:4px;margin:.8em 0;padding:.3em .8em .8em}
table{border-collapse:collapse;font-size:.86em;margin:.4em 0 1em}
th,td{padding:.2em .6em;border-bottom:1px solid #eee;text-align:left}
th{border-bottom:2px solid #999;background:#fafafa}td.num{text-align:right;
font-variant-numeric:tabular-nums;white-space:nowrap}
.headline{font-size:1.15em;margin:.3em 0}.phase-tax{color:#b2182b}.phase-bonus{color:#2166ac}
.phase-uncertain{color:#555}.note{color:#555;font-size:.88em}.error{color:#b00020}
svg{max-width:100%;height:auto;font:11px system-ui,sans-serif}
"""


def _rounded(values: np.ndarray, digits: int = 6) -> list[Any]:
    """Floats rounded to ``digits`` significant digits (``None`` for NaN): JSON-ready lists."""
    arr = np.asarray(values, dtype=float)
    flat = [
        None if not math.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()
    ]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist()


def _thinned(n: int, n_draws: int) -> np.ndarray:
    """Evenly spaced draw indices, all of them when there are at most ``n_draws``."""
    if n <= n_draws:
        return np.arange(n)
    return np.linspace(0, n - 1, n_draws).round().astype(int)


def dashboard_data(result: Result, n_draws: int = 1000, seed: int = 0) -> dict[str, Any]:
    """What the dashboard embeds: thinned draws and the panel, as JSON-ready lists.

    Parameters
    ----------
    result
        A fit of the running-coupling phase model (one N_c per family).
    n_draws
        Posterior draws to keep (evenly thinned over the chains; all when there are fewer).
    seed
        Seed of the page's own random draws (new families, predictive scores).

    Returns
    -------
    dict
        ``meta``, ``benchmarks``, ``population`` (draws of :data:`POPULATION` and the
        covariate effects ``beta``, ``a_beta``, ``t_beta``, one row per draw), ``families``
        (names, anchors, observed ranges, covariates in natural units, and the draws of ``a``,
        ``b``, ``t``, ``gamma``, ``c`` as one row per family), ``covariates`` (names, units,
        ``z_center``, ``z_scale``, data-curation classes) and ``models`` (the panel's models).
    """
    require_population(result, POPULATION, "the dashboard")
    if n_draws < 10:
        raise BayescapeError(f"n_draws = {n_draws} is too few; use at least 10")
    panel = result.panel
    total = len(result.draws("mu_c"))
    keep = _thinned(total, n_draws)
    population = result.kind.population(result.draws, panel)
    pop = {name: _rounded(values[keep]) for name, values in population.items()}
    families = [str(f) for f in panel.families]
    fam_draws = {
        v: _rounded(result.draws(v)[keep].T) for v in result.kind.curve_variables
    }  # (families, draws)
    natural = panel.z * panel.z_scale + panel.z_center if len(panel.covariates) else panel.z
    curation = {"web"} | {c.removeprefix("curation_") for c in UNITS if c.startswith("curation_")}
    if "data_curation" in result.data:
        curation |= {str(v) for v in result.data["data_curation"].dropna().unique()}
    reasoning, truthfulness = panel.reasoning_benchmark, panel.truthfulness_benchmark
    return {
        "meta": {
            "n_draws": len(keep),
            "n_posterior": total,
            "new_family_draws": NEW_FAMILY_DRAWS,
            "seed": int(seed),
            "prob": 0.95,
            "threshold": 0.95,
            "min_ess": MIN_ESS,
            # the adaptive proposal of simulate_family: rounds in all, a Student t of these
            # degrees of freedom, twice the weighted covariance plus a jitter on its diagonal
            "proposal": {"rounds": 4, "df": int(_PROPOSAL_DF), "scale": 2.0, "jitter": 1e-8},
            "x_ref": X_REF,
            "p_min": _P_MIN,
            "min_size": BILLIONS_BELOW,
            "spec": result.spec.name,
            "data_source": str(result.info.get("data_source", "")),
            "diagnostics_ok": bool(result.diagnostics.ok),
        },
        "benchmarks": {
            role: {
                "name": name,
                "label": BENCHMARKS[name].label,
                "n_items": float(BENCHMARKS[name].n_items),
                "floor": float(BENCHMARKS[name].floor),
            }
            for role, name in (("reasoning", reasoning), ("truthfulness", truthfulness))
        },
        "population": pop,
        "families": {
            "names": families,
            "anchor": _rounded(panel.anchor, 10),
            "x_min": _rounded(panel.x_min, 10),
            "x_max": _rounded(panel.x_max, 10),
            "covariates": _rounded(natural, 10),
            "draws": fam_draws,
        },
        "covariates": {
            "names": list(panel.covariates),
            "units": [UNITS.get(n, "") for n in panel.covariates],
            "center": _rounded(panel.z_center, 12),
            "scale": _rounded(panel.z_scale, 12),
            "curation_classes": sorted(curation),
        },
        "models": {
            "name": [str(m) for m in panel.models],
            "family": [int(i) for i in panel.family_index],
            "x": _rounded(panel.x, 10),
            "reasoning": _rounded(panel.reasoning, 10),
            "truthfulness": _rounded(panel.truthfulness, 10),
        },
    }


_FRONTIER_DRAWS = (
    "intercept_mu",
    "slope_mu",
    "intercept_tau",
    "slope_tau",
    "sigma",
    "intercept",
    "slope",
)


def frontier_data(frontier: Any, n_draws: int = 1000) -> dict[str, Any]:
    """What the dashboard embeds of a frontier fit (:func:`~bayescape.models.frontier.
    build_frontier_model`): thinned draws of the population line, the labs' lines, the noise,
    and the panel (model, lab, SWE-bench Verified, GPQA Diamond).

    Parameters
    ----------
    frontier
        The frontier posterior (an ``xarray.DataTree`` with ``posterior`` and
        ``constant_data`` groups, as :func:`~bayescape.analysis.replication.fit_frontier`
        returns).
    n_draws
        Draws to keep (evenly thinned).

    Returns
    -------
    dict
        ``n_draws``, ``swe_mean``, ``inverse_items``, the draws (``intercept_mu``,
        ``slope_mu``, ``intercept_tau``, ``slope_tau``, ``sigma``; ``intercept`` and ``slope``
        as one row per lab) and ``labs``, ``models`` (``name``, ``lab``, ``swe``, ``gpqa``).
    """
    from bayescape._draws import flatten_chains

    post, const = frontier["posterior"].ds, frontier["constant_data"].ds
    missing = [
        n for n in ("intercept_mu", "slope_mu", "sigma", "intercept", "slope", "h") if n not in post
    ]
    if missing:
        raise BayescapeError(f"not a frontier posterior: it lacks {', '.join(missing)}")
    draws = {n: flatten_chains(post[n]) for n in post.data_vars}
    keep = _thinned(len(draws["slope_mu"]), n_draws)
    swe_mean = float(const["swe_mean"].values)
    x = np.asarray(const["swe_centred"].values, dtype=float)
    # observed GPQA: h = y - (intercept_mu + slope_mu x) at any draw
    gpqa = draws["h"][0] + draws["intercept_mu"][0] + draws["slope_mu"][0] * x
    labs = [str(v) for v in post["slope"]["lab"].values]
    return {
        "n_draws": len(keep),
        "p_min": 1e-3,  # build_frontier_model clips the mean to [p_min, 1 - p_min] in its noise
        "swe_mean": swe_mean,
        "inverse_items": float(const["inverse_items"].values),
        "draws": {
            n: _rounded(draws[n][keep].T if draws[n].ndim == 2 else draws[n][keep])
            for n in _FRONTIER_DRAWS
        },
        "labs": labs,
        "models": {
            "name": [str(v) for v in post["h"]["model"].values],
            "lab": [int(i) for i in np.asarray(const["lab_index"].values)],
            "swe": _rounded(x + swe_mean, 10),
            "gpqa": _rounded(gpqa, 10),
        },
    }


def embed_json(data: Any) -> str:
    """``data`` as JSON safe inside a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (and the line
    separators U+2028/9 escaped), so no string in it can close the element or open a comment.
    """
    text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


_FRONTIER_HTML = """
<h2>Frontier</h2>
<p class="note">GPQA Diamond against SWE-bench Verified (the CAPE paper's frontier table), from
the partially pooled frontier fit: the population line and its h-field (each model's distance
from it) with 95% equal-tailed intervals, and the predicted GPQA of a model from its SWE-bench
score, for a lab of the panel or a new lab.</p>
<div class="grid"><form id="frontier-inputs" autocomplete="off">
<label for="in-swe">SWE-bench Verified (fraction)</label>
<input id="in-swe" name="swe" inputmode="decimal">
<label for="in-lab">Lab</label><select id="in-lab" name="lab"></select>
</form><section id="frontier-result" aria-live="polite"></section></div>
<div id="frontier-table"></div>
"""


def render_dashboard(
    result: Result, *, n_draws: int = 1000, seed: int = 0, frontier: Any = None
) -> str:
    """The dashboard page as a string (see :func:`write_dashboard`)."""
    data = dashboard_data(result, n_draws=n_draws, seed=seed)
    data["frontier"] = None if frontier is None else frontier_data(frontier, n_draws=n_draws)
    script = _SCRIPT.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    csp = f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'"
    title = f"bayescape dashboard: {data['meta']['spec']} on {data['meta']['data_source']}"
    meta = data["meta"]
    bench = data["benchmarks"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note" id="provenance">Computed in this page from {meta["n_draws"]} posterior draws
(of {meta["n_posterior"]}); a new family uses {meta["new_family_draws"]} draws of the population
made from them. Intervals are 95% equal-tailed. Nothing is fetched: the page works offline.</p>
<p class="error" id="page-error" hidden></p>
<h2>Analyze a model</h2>
<div class="grid">
<form id="inputs" autocomplete="off">
<label for="in-size">Size (parameters: 4e9 or 4B)</label><input id="in-size" name="size">
<label for="in-reasoning">{html.escape(bench["reasoning"]["label"])} (fraction)</label>
<input id="in-reasoning" name="reasoning" inputmode="decimal">
<label for="in-truthfulness">{html.escape(bench["truthfulness"]["label"])} (fraction)</label>
<input id="in-truthfulness" name="truthfulness" inputmode="decimal">
<label for="in-family">Family</label><select id="in-family" name="family"></select>
<fieldset id="new-family"><legend>New family (when no fitted family is chosen)</legend>
<label for="in-data_curation">Data curation</label>
<select id="in-data_curation" name="data_curation"></select>
<label for="in-tokens_per_param">Tokens per parameter</label>
<input id="in-tokens_per_param" name="tokens_per_param" inputmode="decimal">
<label for="in-width_per_layer">Width per layer (d_model / n_layers)</label>
<input id="in-width_per_layer" name="width_per_layer" inputmode="decimal">
<label for="in-distillation">Distillation</label>
<select id="in-distillation" name="distillation"></select>
</fieldset>
</form>
<section id="result" aria-live="polite"><p class="note">Enter a size and both scores.</p>
</section>
</div>
<h2>Phase map</h2>
<p class="note">Every model of the panel, {html.escape(bench["reasoning"]["label"])} against
{html.escape(bench["truthfulness"]["label"])}, coloured by P(bonus) (red: tax, blue: bonus);
the entered model is the black diamond.</p>
<div id="phase-map"></div>
<h2>Families</h2>
<p class="note">N_c per family: median and 95% equal-tailed interval (log axis); grey: the
family's observed sizes. Click a name for the family's coupling curve.</p>
<div id="forest"></div>
<div id="coupling"><p class="note">Click a family's name for its coupling curve.</p></div>
{_FRONTIER_HTML if frontier is not None else ""}
<script type="application/json" id="bayescape-data">{embed_json(data)}</script>
<script>{script}</script>
</body></html>
"""


def write_dashboard(
    result: Result, out: str | Path, *, n_draws: int = 1000, seed: int = 0, frontier: Any = None
) -> Path:
    """Write the interactive dashboard of a fit: one self-contained HTML file.

    Parameters
    ----------
    result
        A fit of the running-coupling phase model (``phase``).
    out
        The HTML file to write (its folder is created).
    n_draws
        Posterior draws to embed (evenly thinned; 1,000 by default).
    seed
        Seed of the page's random draws.
    frontier
        Optionally a frontier posterior (:func:`~bayescape.analysis.replication.fit_frontier`):
        the page adds the frontier section (:func:`frontier_data`).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(out)
    if path.suffix.lower() not in {".html", ".htm"}:
        raise BayescapeError(f"{path}: end the name in .html")
    page = render_dashboard(result, n_draws=n_draws, seed=seed, frontier=frontier)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
