r"""LaTeX macros for a paper's text: one ``\newcommand`` per headline number.

A paper ``\input``\s the generated file and writes ``$N_c = \NcPythia$\,B`` instead of copying
numbers by hand, so a refit updates the text. Names are stable: they depend only on the model,
the family names and the covariate names, never on the numbers.

Names
-----
``\NcAverage``, ``\NcAverageLow``, ``\NcAverageHigh``
    N_c of a family with average covariates (:math:`10^{\mu_c}`), median and interval, in
    billions of parameters (phase model). For the pooled quadratic model the same three are
    ``\NcPooled``, ``\NcPooledLow``, ``\NcPooledHigh``.
``\Nc<Family>``, ``\Nc<Family>Low``, ``\Nc<Family>High``
    Each family's N_c (billions), e.g. ``\NcPythia``, ``\NcGPTNeoJ`` (GPT-Neo/J),
    ``\NcLlamaTwo`` (Llama-2), ``\NcQwenOnePointFive`` (Qwen1.5): letters kept, digits
    spelled out, everything else dropped (:func:`~bayescape.report.macro_name`).
``\PBelow<Family>``, ``\PAbove<Family>``
    P(N_c below the family's smallest model) and P(above its largest), two decimals.
``\Effect<Covariate>``, ``\Effect<Covariate>Low``, ``\Effect<Covariate>High``
    Effect on :math:`\log_{10} N_c` per natural unit of the covariate, in decades, signed
    (``\EffectCurationCurated``, ``\EffectLogOneZeroTokensPerParam``, ...).
``\PLowers<Covariate>``
    :math:`P(\beta < 0)`: the probability that the covariate moves N_c to smaller models.
``\NcIntervalProb``, ``\NcIntervalKind``
    The interval's probability in percent (``95``) and kind (``equal-tailed``: every interval
    of the package is).
``\NModels``, ``\NFamilies``, ``\NDraws``, ``\MaxRhat``, ``\MinEss``, ``\NDivergences``,
``\DiagnosticsStatus``
    The data and the fit's diagnostics (``ok`` or ``FAILED``).

Numbers are plain (``-1.6``, ``0.031``): use them in math mode or inside siunitx's ``\num{}``.
"""

from __future__ import annotations

import math

from bayescape.analysis import Result
from bayescape.data import data_hash
from bayescape.errors import BayescapeError
from bayescape.report._format import fixed, significant, unique_macro_names
from bayescape.report._tables import check_numbers


def _line(name: str, value: str, comment: str = "") -> str:
    text = f"\\newcommand{{\\{name}}}{{{value}}}"
    return f"{text}  % {comment}" if comment else text


def render_macros(result: Result, *, sig: int = 2, prob: float = 0.95) -> str:
    r"""Every headline number of a result as a LaTeX ``\newcommand`` (see the module docs).

    Parameters
    ----------
    result
        A fitted phase-model (or pooled quadratic) result.
    sig
        Significant figures of N_c and of covariate effects.
    prob
        Probability of the equal-tailed intervals (N_c and covariate effects).

    Returns
    -------
    str
        A file for ``\input``: ``%`` comments with the model, spec and data hashes and the
        diagnostics (a loud ``FAILED`` line when the fit failed its checks), then the macros.
    """
    check_numbers(prob, sig)
    kind = result.kind
    if kind.critical_scale is None:
        raise BayescapeError(
            f"model {result.spec.name!r} has no critical scale, so no N_c macros; fit 'phase'"
        )
    d = result.diagnostics
    info = result.info
    lines = [
        f"% bayescape macros: model {result.spec.name} (spec {result.spec.hash}), data "
        f"{info.get('data_source', '')} ({info.get('data_hash') or data_hash(result.data)}), "
        f"seed {info.get('seed')}",
        f"% N_c in billions of parameters; {100 * prob:g}% equal-tailed intervals",
    ]
    if not d.ok:
        lines += [
            "% " + "!" * 76,
            f"% DIAGNOSTICS FAILED: {'; '.join(d.reasons)}",
            "% Do not report these numbers: rerun the fit with more draws/tuning.",
            "% " + "!" * 76,
        ]
    lines += [
        _line("NcIntervalProb", f"{100 * prob:g}"),
        _line("NcIntervalKind", "equal-tailed"),
        _line("NModels", str(len(result.data))),
        _line("NFamilies", str(result.panel.n_families)),
        _line("NDraws", str(d.draws)),
        _line("MaxRhat", fixed(d.max_rhat, 3)),
        _line("MinEss", str(round(d.min_ess_bulk)) if math.isfinite(d.min_ess_bulk) else "nan"),
        _line("NDivergences", str(d.divergences)),
        _line("DiagnosticsStatus", "ok" if d.ok else "FAILED"),
    ]

    def nc(value: float) -> str:
        return significant(value / 1e9, sig)

    pop = result.population_critical_scale(prob)
    base = "NcPooled" if kind.pooled else "NcAverage"
    what = "pooled N_c" if base == "NcPooled" else "N_c of a family with average covariates"
    lines += [
        _line(base, nc(pop["median"]), f"{what}, median"),
        _line(f"{base}Low", nc(pop["low"])),
        _line(f"{base}High", nc(pop["high"])),
    ]
    if kind.family_critical_scales:
        cs = result.critical_scales(prob)
        names = unique_macro_names(
            ["Average", "Pooled", "IntervalProb", "IntervalKind", *cs["family"]]
        )
        for row in cs.itertuples(index=False):
            key = names[row.family]
            lines += [
                _line(f"Nc{key}", nc(row.nc_median), str(row.family)),
                _line(f"Nc{key}Low", nc(row.nc_eti_low)),
                _line(f"Nc{key}High", nc(row.nc_eti_high)),
                _line(f"PBelow{key}", fixed(row.p_below, 2)),
                _line(f"PAbove{key}", fixed(row.p_above, 2)),
            ]
    if kind.has_covariate_effects(result.panel):
        ce = result.covariate_effects(prob)
        names = unique_macro_names(list(ce["covariate"]))
        for row in ce.itertuples(index=False):
            key = names[row.covariate]
            lines += [
                _line(
                    f"Effect{key}",
                    significant(row.effect_median, sig),
                    f"{row.covariate}: decades of log10 N_c, {row.unit}",
                ),
                _line(f"Effect{key}Low", significant(row.effect_low, sig)),
                _line(f"Effect{key}High", significant(row.effect_high, sig)),
                _line(f"PLowers{key}", fixed(row.p_lowers, 2)),
            ]
    defined = [line.split("}", 1)[0] for line in lines if line.startswith("\\newcommand")]
    clashes = sorted({n for n in defined if defined.count(n) > 1})
    if clashes:
        raise BayescapeError(
            "two numbers would get the same macro name ("
            + ", ".join(c.removeprefix("\\newcommand{") for c in clashes)
            + "): rename a family or covariate so their letters and digits differ"
        )
    return "\n".join(lines) + "\n"
