"""Prior sensitivity: refit with every prior SD scaled, and see how far each headline moves.

The spec is edited as text (its ``[priors]`` lines), so a refit stores the exact spec it used
and its own spec hash. Families whose N_c lies outside their observed sizes are identified only
through the prior (see docs/models/phase.md); this is where their numbers move.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayescape.data import DEFAULT_DATASET, DataWarning, load_dataset
from bayescape.errors import SpecError
from bayescape.inference import BatchOptions, FitResult, Task
from bayescape.models import ModelSpec, load_spec, parse_spec, required_benchmarks

SCALES: tuple[float, ...] = (0.5, 2.0)
"""Default factors on every prior scale (sigma of normal and half-normal priors)."""


def _prior_line(spec: ModelSpec, name: str) -> re.Match:
    match = re.search(rf"(?m)^{re.escape(name)}\s*=\s*\{{[^}}\n]*\}}", spec.text)
    if match is None:
        raise SpecError(f"{spec.path}: no prior line '{name} = {{...}}' to edit")
    return match


def edit_prior(spec: ModelSpec, name: str, suffix: str = "", **values: float) -> ModelSpec:
    """A copy of ``spec`` whose prior ``name`` has new parameter ``values`` (e.g. ``mu=10.5``).

    The result has its own text and hash; ``suffix`` is appended to its path for provenance.
    """
    prior = spec.priors.get(name)
    if prior is None:
        raise SpecError(f"{spec.path}: [priors] has no entry {name!r}")
    unknown = set(values) - set(prior.params)
    if unknown:
        raise SpecError(f"prior {name!r} ({prior.dist}) has no parameter(s) {sorted(unknown)}")
    params = {**prior.params, **{k: float(v) for k, v in values.items()}}
    body = ", ".join([f'dist = "{prior.dist}"', *(f"{k} = {v!r}" for k, v in params.items())])
    match = _prior_line(spec, name)
    text = spec.text[: match.start()] + f"{name} = {{ {body} }}" + spec.text[match.end() :]
    return parse_spec(text, f"{spec.path}{suffix}")


def scale_prior_sds(
    spec: ModelSpec, factor: float, names: Iterable[str] | None = None
) -> ModelSpec:
    """``spec`` with the ``sigma`` of each named prior (default: all) times ``factor``.

    Uniform priors are widened or narrowed about their midpoint by the same factor.
    """
    if factor <= 0:
        raise SpecError(f"a prior scale factor must be > 0, not {factor}")
    out = spec
    for name in names if names is not None else list(spec.priors):
        prior = out.priors[name]
        if "sigma" in prior.params:
            out = edit_prior(out, name, sigma=prior["sigma"] * factor)
        elif prior.dist == "uniform":
            mid, half = (prior["lower"] + prior["upper"]) / 2, (prior["upper"] - prior["lower"]) / 2
            out = edit_prior(out, name, lower=mid - half * factor, upper=mid + half * factor)
    return parse_spec(out.text, f"{spec.path} (prior SDs x{factor:g})")


def headline_numbers(result: FitResult) -> dict[str, float]:
    """Posterior medians of the headline numbers: log10 N_c per family, mu_c, tau_c, beta."""
    post, kind = result.posterior, result.kind
    out: dict[str, float] = {}
    for name in kind.population_variables:
        out[name] = float(post[name].median())
    if kind.family_critical_scales:
        for fam, value in zip(
            post["family"].values,
            post[kind.critical_scale].median(("chain", "draw")).values,
            strict=True,
        ):
            out[f"c[{fam}]"] = float(value)
    if kind.has_covariate_effects(result.panel):
        med = post["beta"].median(("chain", "draw"))
        for cov, value in zip(post["covariate"].values, med.values, strict=True):
            out[f"beta[{cov}]"] = float(value)
    return out


def _sensitivity_fit(spec_text: str, data: pd.DataFrame, fit_kwargs: Mapping) -> dict:
    from bayescape.analysis._result import refit

    result = refit(parse_spec(spec_text, "<sensitivity>"), data, fit_kwargs)
    post, kind = result.posterior, result.kind
    sds = {}
    if kind.family_critical_scales:
        sd = post[kind.critical_scale].std(("chain", "draw")).values
        sds = {f"c[{f}]": float(s) for f, s in zip(post["family"].values, sd, strict=True)}
    return {
        "medians": headline_numbers(result),
        "sds": sds,
        "ok": bool(result.diagnostics.ok),
        "diagnostics": result.diagnostics.describe(),
    }


def prior_sensitivity(
    model: str | Path | ModelSpec = "phase",
    data: str | Path | pd.DataFrame = DEFAULT_DATASET,
    *,
    scales: Sequence[float] = SCALES,
    random_seed: int = 0,
    batch: BatchOptions | None = None,
    **batch_options: Any,
) -> pd.DataFrame:
    """Refit with every prior SD scaled by each factor; how far each headline number moves.

    Parameters
    ----------
    model, data
        The model and the dataset.
    scales
        Factors on every prior scale (:func:`scale_prior_sds`); the spec as written is the
        baseline.
    random_seed
        Sampler seed of every refit.
    batch, **batch_options
        As :func:`~bayescape.analysis.leave_family_out_elpd` (one result file per refit).

    Returns
    -------
    pandas.DataFrame
        One row per headline number (``quantity``): the posterior median under the spec as
        written (``baseline``), under each scale (``x0.5``, ``x2``, ...), the largest absolute
        shift (``max_shift``, in the quantity's units: decades for log10 N_c) and that shift in
        baseline posterior SDs where known (``max_shift_sd``). Sorted by ``max_shift``.
    """

    batch = BatchOptions.resolve(batch, batch_options)
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = load_dataset(data, require_benchmarks=required_benchmarks(spec))
    variants = {"baseline": spec, **{f"x{s:g}": scale_prior_sds(spec, s) for s in scales}}
    fit_kwargs = batch.fit_kwargs(random_seed)
    tasks = [
        Task(
            label.replace(".", "_"),
            _sensitivity_fit,
            dict(spec_text=v.text, data=df, fit_kwargs=fit_kwargs),
        )
        for label, v in variants.items()
    ]
    run = batch.run(tasks)
    by_label = {label: run.results[label.replace(".", "_")] for label in variants}
    base = by_label["baseline"]
    rows = []
    for quantity, value in base["medians"].items():
        row = {"quantity": quantity, "baseline": value}
        for label in variants:
            if label != "baseline":
                row[label] = by_label[label]["medians"].get(quantity, np.nan)
        shifts = [abs(row[label] - value) for label in variants if label != "baseline"]
        row["max_shift"] = float(np.nanmax(shifts))
        sd = base["sds"].get(quantity)
        row["max_shift_sd"] = row["max_shift"] / sd if sd else np.nan
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("max_shift", ascending=False, ignore_index=True)
    table.attrs["fits_ok"] = {label: r["ok"] for label, r in by_label.items()}
    return table
