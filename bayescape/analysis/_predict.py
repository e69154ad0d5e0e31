r"""Posterior predictions: curves of fitted families, new families, and one model's phase.

New family
----------
A family the model has not seen is a new draw from the population the fit learned. For every
posterior draw :math:`s` of the hyperparameters, and ``K`` replicates of it,

.. math::
    c_\text{new} &= \mu_c + z_\text{new}\cdot\beta + \tau_c\,\varepsilon_c, \\
    a &= a_\mu + a_\sigma\varepsilon_a, \quad b = \exp(\log b_\mu + \log b_\sigma\,\varepsilon_b),
    \quad t = t_\mu + t_\sigma\varepsilon_t, \quad
    \gamma = \exp(\log\gamma_\mu + \log\gamma_\sigma\,\varepsilon_\gamma),

with :math:`\varepsilon \sim N(0, 1)` and :math:`z_\text{new} = (v - \bar v) / s_v` the family's
covariates in natural units :math:`v`, standardised with the fit's own centre and scale
(``panel.z_center``, ``panel.z_scale``). A covariate that is not given is drawn as
:math:`z \sim N(0, 1)`, the value of a random family (the same rule that imputes missing
covariates inside the model). Scores at size :math:`x` then follow the phase model's curves
(:func:`~bayescape.models.phase.reasoning_curve`, ``truthfulness_curve``) plus the likelihood's
noise, :math:`y \sim N(\mu, \sqrt{\mu(1-\mu)/n + \sigma^2})`.

Measured models of the new family
---------------------------------
When some of the family's models have been scored, the draws above are importance-weighted by
the likelihood of those scores,

.. math:: w \propto \prod_i N(y^R_i \mid R(x_i), s^R_i)\; N(y^T_i \mid T(x_i), s^T_i),

paired with the hyperparameter draw :math:`\phi_s` each family draw came from. Because
:math:`p(\phi, \theta_\text{new} \mid \text{panel}, y_\text{new}) \propto
p(\phi \mid \text{panel})\,p(\theta_\text{new} \mid \phi)\,p(y_\text{new} \mid
\theta_\text{new}, \phi)`, this is the exact posterior of the new family given the panel and
its own scores (the weights reweight the hyperparameters too); the only approximation is Monte
Carlo error, measured by the effective sample size. Unknown covariates are
integrated out in closed form, :math:`c \mid \cdot \sim N(\mu_c + z_\text{known}\cdot
\beta_\text{known}, \sqrt{\tau_c^2 + \sum_\text{unknown}\beta_k^2})`. When the weights are
degenerate (effective sample size below ``min_ess``), :math:`\theta = (a, \log b, t,
\log\gamma, c)` is drawn instead from a Student t (5 degrees of freedom) fitted to the weighted
draws with twice their covariance, for up to three rounds, with weights
:math:`p(\theta \mid \text{hyperparameters})\,L(\theta) / q(\theta)`: still exact importance
sampling, usually far more efficient (on a real fit, Pythia's 8 models: effective sample size
about 1,000 of 20,400 draws instead of about 50). The effective sample size
:math:`(\sum w)^2 / \sum w^2` is reported with every prediction, with a note when it stays
small.

The anchor :math:`m` of the new family's intercepts (:math:`a`, :math:`t` are defined at the
family's median size) is the median size of the family's listed models, or the median anchor of
the fitted families when none are listed.
"""

from __future__ import annotations

import difflib
import logging
import math
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from bayescape._repr import compact_repr
from bayescape.analysis._critical import UNITS
from bayescape.analysis._intervals import eti
from bayescape.data import BENCHMARKS, FAMILY_COVARIATES
from bayescape.data._checks import score_problem, size_problem
from bayescape.errors import BayescapeError, unknown_names
from bayescape.inference import FitResult
from bayescape.models._likelihood import forward_sampling, sample_scores, score_logpdf
from bayescape.models._panel import raw_family_covariate
from bayescape.models._kinds import replicated_rows
from bayescape.models.phase import (
    NEW_FAMILY_POPULATION,
    coupling,
    family_parameters,
    new_family_draws,
    reasoning_curve,
    truthfulness_curve,
)

POPULATION = NEW_FAMILY_POPULATION
"""Posterior variables a new-family prediction needs (the hierarchical running-coupling model)."""

FAMILY_KEYS = (
    "name",
    "data_curation",
    "distillation",
    "tokens_per_param",
    "width_per_layer",
    "d_model",
    "n_layers",
)
"""Keys of the ``[family]`` table of a new-family TOML file."""

MODEL_KEYS = ("model", "params", "tokens", "d_model", "n_layers")
"""Keys of a ``[[models]]`` entry besides benchmark scores."""

_DISTILLATION = ("yes", "partial", "no")
_MIN_ESS = 400.0


# ---------------------------------------------------------------------------------------------
# Checks of the fit


def _require_family_curves(fit: FitResult, what: str) -> None:
    if not fit.kind.family_curves:
        raise BayescapeError(
            f"{what} needs a phase model with family curves (running or constant coupling); "
            f"this result is model {fit.spec.name!r}, a {fit.kind.description}"
        )


def _require(fit: FitResult, names: Sequence[str], what: str) -> None:
    missing = [n for n in names if n not in fit.posterior]
    if missing:
        raise BayescapeError(
            f"{what} needs the hierarchical phase model (running coupling, one N_c per family); "
            f"this result is model {fit.spec.name!r}, which lacks {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        )


def _family_position(fit: FitResult, family: str) -> int:
    families = [str(f) for f in fit.panel.families]
    if family in families:
        return families.index(family)
    close = difflib.get_close_matches(family, families, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise BayescapeError(
        f"family {family!r} is not in this result ({len(families)} families){hint} "
        "See 'bayescape summary FILE.nc' for the list"
    )


def _floor(fit: FitResult) -> float:
    return BENCHMARKS[fit.panel.reasoning_benchmark].floor


# ---------------------------------------------------------------------------------------------
# Curves of fitted families (figures, checks)


@dataclass(frozen=True, repr=False)
class FamilyCurves:
    """Posterior draws of one fitted family's curves on a grid of sizes.

    Attributes
    ----------
    family
        Family name.
    x
        Grid of log10 parameters (length G).
    reasoning, truthfulness
        Mean scores (no sampling noise), shape (draws, G).
    coupling
        Local coupling :math:`\\gamma (x - c)` (draws, G); ``None`` for the constant model.
    c
        Draws of log10 N_c; ``None`` for the constant model.
    """

    __repr__ = compact_repr

    family: str
    x: np.ndarray
    reasoning: np.ndarray
    truthfulness: np.ndarray
    coupling: np.ndarray | None
    c: np.ndarray | None


def family_curves(
    fit: FitResult, family: str, x: np.ndarray | None = None, max_draws: int | None = 1000
) -> FamilyCurves:
    """Posterior draws of a fitted family's reasoning, truthfulness and coupling curves.

    Parameters
    ----------
    fit
        A result of the phase model (running or constant coupling, one curve per family).
    family
        A family of the fit.
    x
        log10 sizes (default: 60 points from half a decade below the family's smallest model
        to half a decade above its largest).
    max_draws
        Use at most this many posterior draws (evenly thinned); ``None`` for all.
    """
    _require_family_curves(fit, "family curves")
    j = _family_position(fit, family)
    panel = fit.panel
    if x is None:
        x = np.linspace(panel.x_min[j] - 0.5, panel.x_max[j] + 0.5, 60)
    x = np.asarray(x, dtype=float)
    keep = slice(None)
    n = fit.posterior.sizes["chain"] * fit.posterior.sizes["draw"]
    if max_draws is not None and n > max_draws:
        keep = np.linspace(0, n - 1, max_draws).round().astype(int)
    a, b, t, gamma = (fit.draws(v)[keep, j][:, None] for v in ("a", "b", "t", "gamma"))
    floor, m, kind = _floor(fit), panel.anchor[j], fit.kind
    reasoning = reasoning_curve(x[None, :], floor, a, b, m)
    if not kind.family_critical_scales:
        truth = kind.truthfulness_mean(x[None, :], floor, a, b, m, t, gamma)
        return FamilyCurves(family, x, reasoning, truth, None, None)
    c = fit.draws(kind.critical_scale)[keep, j]
    truth = kind.truthfulness_mean(x[None, :], floor, a, b, m, t, gamma, c[:, None])
    return FamilyCurves(family, x, reasoning, truth, coupling(x[None, :], gamma, c[:, None]), c)


@dataclass(frozen=True, repr=False)
class ScoreLikelihood:
    """The likelihood of one benchmark's observed scores under every posterior draw.

    Attributes
    ----------
    observed
        Observed scores, shape (models,).
    mu
        Mean score of every model under every draw (chains flattened), shape (draws, models).
    n_items
        The benchmark's item counts, shape (models,).
    sigma
        Extra noise SD of every draw, shape (draws, 1).
    """

    __repr__ = compact_repr

    observed: np.ndarray
    mu: np.ndarray
    n_items: np.ndarray
    sigma: np.ndarray

    def log_likelihood(self) -> np.ndarray:
        """Pointwise log density of every observed score, shape (draws, models)."""
        return score_logpdf(self.observed[None, :], self.mu, self.n_items, self.sigma)

    def replicate(self, rng: np.random.Generator) -> np.ndarray:
        """Replicated scores, one per draw and model (every one in [0, 1])."""
        return sample_scores(self.mu, self.n_items, self.sigma, rng)


def score_likelihoods(fit: FitResult) -> dict[str, ScoreLikelihood]:
    """The likelihood of every observed score of a phase-model fit, by observed variable.

    Keys are the names of the model's observed variables (``reasoning``, ``truthfulness``;
    only ``truthfulness`` for the pooled quadratic model), in the order the model observes
    them. The means are the phase model's curves at each posterior draw
    (:func:`~bayescape.models.phase.reasoning_curve`, ``truthfulness_curve``, the constant
    coupling, or the pooled quadratic :math:`h + a (x - c)^2`).
    """
    panel = fit.panel
    observed = {
        "reasoning": (panel.reasoning, panel.n_reasoning),
        "truthfulness": (panel.truthfulness, panel.n_truthfulness),
    }
    out: dict[str, ScoreLikelihood] = {}
    for name, mu in fit.kind.mean_scores(fit.draws, panel).items():
        y, n_items = observed[name]
        out[name] = ScoreLikelihood(y, mu, n_items, fit.draws(f"sigma_{name}")[:, None])
    return out


def replicated_scores(fit: FitResult, seed: int = 0) -> dict[str, np.ndarray]:
    """Posterior-predictive replicates of every observed score, shape (draws, models).

    Each replicate draws the family parameters from the posterior and adds the likelihood's
    noise, :math:`y^\\text{rep} \\sim N_{[0, 1]}(\\mu, \\sqrt{\\mu(1-\\mu)/n + \\sigma^2})`.
    Keys ``reasoning`` and ``truthfulness`` (``reasoning`` is absent for the pooled quadratic
    model); one generator seeded with ``seed`` draws them in that order.
    """
    rng = np.random.default_rng(seed)
    return {name: lik.replicate(rng) for name, lik in score_likelihoods(fit).items()}


def prior_predictive_scores(
    fit: FitResult, draws: int = 200, seed: int = 0
) -> dict[str, np.ndarray]:
    """Prior-predictive replicates of every observed score, shape (draws, models).

    Samples the model that ``fit.spec`` builds on ``fit.data`` with PyMC's forward sampler (a
    few seconds: the model is built and compiled). Keys as :func:`replicated_scores`.
    """
    import warnings

    import pymc as pm

    from bayescape.data import DataWarning
    from bayescape.models import build_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _ = build_model(fit.data, fit.spec)
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)  # not "Sampling: [...]" on every call
    try:
        with model, forward_sampling():
            tree = pm.sample_prior_predictive(draws=draws, random_seed=seed)
    finally:
        logger.setLevel(level)
    pp = tree["prior_predictive"].ds
    return {
        k: pp[k].stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()
        for k in ("reasoning", "truthfulness")
        if k in pp
    }


# ---------------------------------------------------------------------------------------------
# Describing a new family


@dataclass(frozen=True, repr=False)
class NewFamily:
    """A family the model has not seen: its descriptors and any models already measured.

    Attributes
    ----------
    name
        A label for outputs.
    attributes
        Family-level descriptors in the dataset's own terms: ``data_curation`` (``web``,
        ``curated``, ``code``, ``mixed``, ``undisclosed``), ``distillation`` (``yes``,
        ``partial``, ``no``), ``tokens_per_param``, ``width_per_layer`` (d_model / n_layers),
        ``d_model`` and ``n_layers``.
    covariates
        Covariates given directly in natural units, by the fit's covariate names (e.g.
        ``log10_tokens_per_param = 2.3``); they override ``attributes``.
    models
        One row per known model: ``params`` and optionally ``model``, ``tokens``, ``d_model``,
        ``n_layers`` and benchmark scores (fractions, columns named after the benchmarks).
    """

    __repr__ = compact_repr

    name: str = "new family"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    covariates: Mapping[str, float] = field(default_factory=dict)
    models: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"params": []}))

    def __post_init__(self) -> None:
        # the same checks as a dataset's cells (bayescape.data._checks), and no unknown names
        for problem in (
            unknown_names(self.attributes, FAMILY_KEYS, what="family key", where="[family]"),
            unknown_names(
                self.covariates, FAMILY_COVARIATES, what="covariate", where="[covariates]"
            ),
        ):
            if problem:
                raise BayescapeError(problem)
        if len(self.models) and "params" not in self.models.columns:
            raise BayescapeError("every listed model needs its size: a 'params' column/key")
        columns = [c for c in ("params", *BENCHMARKS) if c in self.models.columns]
        for i, row in enumerate(self.models[columns].itertuples(index=False)):
            for column, value in zip(columns, row, strict=True):
                number = pd.to_numeric(value, errors="coerce")
                if column != "params" and pd.isna(value):
                    continue  # a score not measured
                check = size_problem if column == "params" else score_problem
                problem = check(float(number) if not pd.isna(number) else value)
                if problem:
                    raise BayescapeError(f"model {i + 1}, {column}: {problem}")

    def half_measured(self, reasoning: str, truthfulness: str) -> str | None:
        """A note when listed models have one of the two scores only, else None.

        Such a model is treated as unmeasured (the prediction is not conditioned on its
        score): the note says how many and why, so a missing ``truthfulqa`` column is not lost
        without a word.
        """

        def scored(bench: str) -> np.ndarray:
            if bench not in self.models.columns:
                return np.zeros(len(self.models), dtype=bool)
            return pd.to_numeric(self.models[bench], errors="coerce").notna().to_numpy()

        has_r, has_t = scored(reasoning), scored(truthfulness)
        n = int((has_r ^ has_t).sum())
        if not n:
            return None
        absent = [b for b in (reasoning, truthfulness) if b not in self.models.columns]
        why = (
            f"there is no {absent[0]} column"
            if absent
            else f"each lacks its {reasoning} or its {truthfulness} score"
        )
        return (
            f"{n} of {len(self.models)} listed model(s) have one of {reasoning} and "
            f"{truthfulness} only ({why}): they are treated as unmeasured, the prediction is "
            "not conditioned on them; give both scores to use them"
        )

    def measured(self, reasoning: str, truthfulness: str) -> pd.DataFrame:
        """The listed models with both scores: ``params``, ``reasoning``, ``truthfulness``."""
        if not {reasoning, truthfulness} <= set(self.models.columns):
            return pd.DataFrame({"params": [], "reasoning": [], "truthfulness": []})
        rows = self.models.dropna(subset=["params", reasoning, truthfulness])
        return pd.DataFrame(
            {
                "params": rows["params"].astype(float).to_numpy(),
                "reasoning": rows[reasoning].astype(float).to_numpy(),
                "truthfulness": rows[truthfulness].astype(float).to_numpy(),
            }
        )


def family_from_rows(rows: pd.DataFrame, name: str | None = None) -> NewFamily:
    """Describe a family by rows shaped like a dataset's (one per model).

    Family-level columns (``data_curation``, ``distillation``) are taken from the first row.
    Passing a fitted family's own rows reproduces that family's covariates exactly.
    """
    if name is None:
        name = str(rows["family"].iloc[0]) if "family" in rows and len(rows) else "new family"
    attributes = {}
    for key in ("data_curation", "distillation"):
        if key in rows.columns and rows[key].notna().any():
            attributes[key] = str(rows[key].dropna().iloc[0])
    keep = [c for c in rows.columns if c in MODEL_KEYS or c in BENCHMARKS]
    return NewFamily(name=name, attributes=attributes, models=rows[keep].reset_index(drop=True))


def held_out_family(
    fit: FitResult, family: str, data: pd.DataFrame | str | Path | None = None
) -> tuple[NewFamily, list[float]]:
    """A family of a dataset, described for prediction: covariates plus its smallest model.

    Only the smallest model keeps its scores (the others are blanked), so predictions at the
    other sizes are genuine: nothing measured on them enters. Returns the family and the sizes
    of its other models. Warns when the family was in the fit (not a held-out prediction).
    """
    if family in set(fit.data["family"]):
        warnings.warn(
            f"family {family!r} was in the fit: these are not held-out predictions "
            "(refit with --exclude-family)",
            stacklevel=3,
        )
    rows = fit.family_rows(family, data if not isinstance(data, Path) else str(data))
    rows = rows.sort_values("params").reset_index(drop=True)
    described = rows.copy()
    scores = [b for b in BENCHMARKS if b in described.columns]
    described.loc[1:, scores] = np.nan
    return family_from_rows(described, name=family), [float(p) for p in rows["params"].iloc[1:]]


def read_family(path: str | Path) -> NewFamily:
    """Read a new family from a TOML or CSV file.

    TOML::

        [family]
        name = "MyLM"
        data_curation = "curated"      # web, curated, code, mixed, undisclosed
        distillation = "no"            # yes, partial, no
        tokens_per_param = 200         # or tokens per model below
        width_per_layer = 128          # or d_model and n_layers

        [covariates]                   # optional: covariates in natural units, by name
        log10_tokens_per_param = 2.3

        [[models]]                     # optional: models already measured
        params = 1.0e9
        hellaswag = 0.61
        truthfulqa = 0.39

    CSV: one row per model with the dataset's column names (``family``, ``params``,
    ``tokens``, ``d_model``, ``n_layers``, ``data_curation``, ``distillation``, scores).
    """
    path = Path(path)
    if not path.exists():
        raise BayescapeError(f"{path}: no such file (a new family's .toml or .csv)")
    if path.suffix.lower() == ".csv":
        try:
            rows = pd.read_csv(path)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise BayescapeError(f"{path}: not a readable CSV: {exc}") from None
        if "family" in rows and rows["family"].nunique() > 1:
            raise BayescapeError(f"{path}: rows of several families; give one family per file")
        try:
            return family_from_rows(rows)
        except BayescapeError as exc:
            raise BayescapeError(f"{path}: {exc}") from None
    if path.suffix.lower() != ".toml":
        raise BayescapeError(f"{path}: give a .toml or .csv file describing the new family")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BayescapeError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - {"family", "covariates", "models"})
    if unknown:
        raise BayescapeError(
            f"{path}: unknown section(s) {', '.join(unknown)}; use [family], [covariates] "
            "and [[models]]"
        )
    family = dict(doc.get("family", {}))
    problem = unknown_names(family, FAMILY_KEYS, what="key", where=f"{path}: [family]")
    if problem:
        raise BayescapeError(problem)
    name = str(family.pop("name", path.stem))
    covariates = doc.get("covariates", {})
    problem = unknown_names(
        covariates, FAMILY_COVARIATES, what="covariate", where=f"{path}: [covariates]"
    )
    if problem:
        raise BayescapeError(problem)
    for key, value in covariates.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise BayescapeError(f"{path}: [covariates] {key} = {value!r} must be a number")
    models = doc.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
        raise BayescapeError(f"{path}: models must be a [[models]] array of tables")
    for i, m in enumerate(models):
        problem = unknown_names(
            m, [*MODEL_KEYS, *BENCHMARKS], what="key", where=f"{path}: [[models]] entry {i + 1}"
        )
        if problem:
            raise BayescapeError(problem)
    frame = pd.DataFrame(models) if models else pd.DataFrame({"params": []})
    try:
        return NewFamily(
            name=name,
            attributes=family,
            covariates={k: float(v) for k, v in covariates.items()},
            models=frame,
        )
    except BayescapeError as exc:
        raise BayescapeError(f"{path}: {exc}") from None


def _as_family(family: NewFamily | Mapping[str, float] | None) -> NewFamily:
    if family is None:
        return NewFamily(name="random family")
    if isinstance(family, NewFamily):
        return family
    return NewFamily(covariates={k: float(v) for k, v in family.items()})


def new_family_covariates(fit: FitResult, family: NewFamily) -> tuple[dict[str, float], list[str]]:
    """The new family's covariates in natural units (``nan`` where unknown), and notes.

    Computed with the same function that computes the fitted families' covariates
    (:func:`bayescape.models._panel.raw_family_covariate`), from the family's rows with its
    family-level descriptors broadcast onto them.
    """
    panel = fit.panel
    attrs = dict(family.attributes)
    rows = family.models.copy() if len(family.models) else pd.DataFrame({"params": [1.0]})
    rows["params"] = rows["params"].astype(float)
    rows["family"] = family.name
    curation = attrs.get("data_curation")
    if curation is not None:
        known = {"web"} | {c.removeprefix("curation_") for c in UNITS if c.startswith("curation_")}
        if "data_curation" in fit.data:
            known |= {str(v) for v in fit.data["data_curation"].dropna().unique()}
        if curation not in known:
            raise BayescapeError(
                f"data_curation = {curation!r} is not a class of this fit; use one of "
                f"{', '.join(sorted(known))}"
            )
        rows["data_curation"] = curation
    if "distillation" in attrs:
        if attrs["distillation"] not in _DISTILLATION:
            raise BayescapeError(
                f"distillation = {attrs['distillation']!r}; use one of {', '.join(_DISTILLATION)}"
            )
        rows["distillation"] = attrs["distillation"]
    for key in ("tokens_per_param", "width_per_layer", "d_model", "n_layers"):
        value = attrs.get(key)
        if value is not None and (not isinstance(value, int | float) or value <= 0):
            raise BayescapeError(f"{key} = {value!r} must be a positive number")
    fill = {}
    if attrs.get("tokens_per_param") is not None:
        fill["tokens"] = rows["params"] * float(attrs["tokens_per_param"])
    if attrs.get("width_per_layer") is not None:
        fill["d_model"], fill["n_layers"] = float(attrs["width_per_layer"]), 1.0
    for key in ("d_model", "n_layers"):
        if attrs.get(key) is not None:
            fill[key] = float(attrs[key])
    for key, value in fill.items():
        rows[key] = rows[key].fillna(value) if key in rows else value
    values: dict[str, float] = {}
    notes: list[str] = []
    for name in panel.covariates:
        if name in family.covariates:
            values[name] = float(family.covariates[name])
            continue
        raw = raw_family_covariate(rows, name, np.array([family.name]))
        values[name] = float(raw[0]) if raw is not None else math.nan
    ignored = sorted(set(family.covariates) - set(panel.covariates))
    if ignored:
        notes.append(
            f"ignored covariate(s) not in this fit: {', '.join(ignored)} "
            f"(the fit uses {', '.join(panel.covariates) or 'none'})"
        )
    curation = [k for k in values if k.startswith("curation_")]
    if any(not math.isnan(values[k]) for k in curation):
        # the classes exclude each other: one known indicator makes the unknown ones 0
        values.update({k: 0.0 for k in curation if math.isnan(values[k])})
    unknown = [k for k, v in values.items() if math.isnan(v)]
    if unknown:
        notes.append(f"unknown covariate(s) drawn as a random family's: {', '.join(unknown)}")
    return values, notes


def standardised_covariates(
    fit: FitResult, family: NewFamily
) -> tuple[np.ndarray, dict[str, float], list[str]]:
    """The new family's covariates standardised as the fit's (``NaN`` where unknown).

    Returns ``z`` in ``fit.panel.covariates`` order, with the natural-unit values and the notes
    of :func:`new_family_covariates`.
    """
    panel = fit.panel
    values, notes = new_family_covariates(fit, family)
    raw = np.array([values[n] for n in panel.covariates], dtype=float)
    z = (raw - panel.z_center) / panel.z_scale if len(raw) else raw
    return z, values, notes


# ---------------------------------------------------------------------------------------------
# Predicting a new family


@dataclass(frozen=True, repr=False)
class FamilyPrediction:
    """Posterior prediction for a new family.

    Attributes
    ----------
    family
        The family's description.
    covariates
        Its covariates in natural units (``nan``: drawn as a random family's).
    scores
        One row per requested size: ``params``; predictive scores ``reasoning_median``,
        ``reasoning_low``, ``reasoning_high``, ``truthfulness_median``/``low``/``high`` (with
        sampling noise, as a new measurement would scatter); the local coupling
        ``coupling_median``/``low``/``high``; ``p_tax`` (:math:`P(x < c)`) and ``p_bonus``.
    critical_scale
        N_c of the family in parameters: ``median``, ``mean``, ``low``, ``high`` (equal-tailed).
    c, weights
        The draws of log10 N_c and their normalised importance weights (uniform without
        measured models).
    ess
        Effective sample size of the weights.
    n_measured
        Number of measured models the prediction is conditioned on.
    adapted
        Whether the draws came from the adapted proposal rather than the population itself.
    prob
        Interval probability.
    notes
        Caveats for people (unknown covariates, small ESS, ...).
    """

    __repr__ = compact_repr

    family: NewFamily
    covariates: dict[str, float]
    scores: pd.DataFrame
    critical_scale: dict[str, float]
    c: np.ndarray
    weights: np.ndarray
    ess: float
    n_measured: int
    adapted: bool
    prob: float
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (no draws)."""
        return {
            "family": self.family.name,
            "covariates": {k: (None if math.isnan(v) else v) for k, v in self.covariates.items()},
            "n_measured": self.n_measured,
            "adaptive_proposal": self.adapted,
            "prob": self.prob,
            "critical_scale": self.critical_scale,
            "scores": _records(self.scores),
            "effective_sample_size": self.ess,
            "notes": list(self.notes),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: plain Python numbers, ``None`` for missing values."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {
                k: (
                    None
                    if isinstance(v, float) and math.isnan(v)
                    else v.item()
                    if isinstance(v, np.generic)
                    else v
                )
                for k, v in row.items()
            }
        )
    return out


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of weighted draws (inverse of the weighted empirical CDF, midpoint rule).

    With equal weights this is ``numpy.quantile(values, q)`` (its default linear method).
    """
    values = np.asarray(values, dtype=float)
    order = np.argsort(values)
    v, w = values[order], np.asarray(weights, dtype=float)[order]
    cum = np.cumsum(w) - 0.5 * w
    cum = (cum - cum[0]) / (cum[-1] - cum[0]) if cum[-1] > cum[0] else np.zeros_like(cum)
    return np.interp(np.asarray(q, dtype=float), cum, v)


@dataclass(frozen=True)
class _Draws:
    """Parameters of N new-family draws (one per replicated hyperparameter draw)."""

    a: np.ndarray
    b: np.ndarray
    t: np.ndarray
    gamma: np.ndarray
    c: np.ndarray
    sigma_reasoning: np.ndarray
    sigma_truthfulness: np.ndarray


def _family_draws(theta: np.ndarray, pop: dict[str, np.ndarray], rows: np.ndarray) -> _Draws:
    """Family parameters from ``theta`` = (a, log b, t, log gamma, c), one row per draw."""
    return _Draws(
        **family_parameters(theta),
        sigma_reasoning=pop["sigma_reasoning"][rows],
        sigma_truthfulness=pop["sigma_truthfulness"][rows],
    )


def _curves(d: _Draws, x: np.ndarray, floor: float, anchor: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean reasoning and truthfulness at sizes ``x`` for every draw: shape (N, len(x))."""
    a, b, t, g, c = (v[:, None] for v in (d.a, d.b, d.t, d.gamma, d.c))
    xs = x[None, :]
    return (
        reasoning_curve(xs, floor, a, b, anchor),
        truthfulness_curve(xs, floor, a, b, anchor, t, g, c),
    )


def _log_likelihood(
    d: _Draws, measured: pd.DataFrame, floor: float, anchor: float, n_items: tuple[float, float]
) -> np.ndarray:
    if not len(measured):
        return np.zeros(len(d.c))
    x = np.log10(measured["params"].to_numpy(dtype=float))
    r_mu, t_mu = _curves(d, x, floor, anchor)
    total = np.zeros(len(d.c))
    for mu, y, n, sigma in (
        (r_mu, measured["reasoning"].to_numpy(), n_items[0], d.sigma_reasoning),
        (t_mu, measured["truthfulness"].to_numpy(), n_items[1], d.sigma_truthfulness),
    ):
        total += np.sum(score_logpdf(y[None, :], mu, n, sigma[:, None]), axis=1)
    return total


def _normalise(log_w: np.ndarray) -> tuple[np.ndarray, float]:
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    w = np.exp(log_w - logsumexp(log_w))
    return w, float(1.0 / np.sum(w**2))


def _log_prior(theta: np.ndarray, means: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """Log density of ``theta`` under the population given each draw (up to a constant)."""
    return np.sum(-0.5 * ((theta - means) / sds) ** 2 - np.log(sds), axis=1)


_PROPOSAL_DF = 5.0


def _proposal_draws(
    rng: np.random.Generator, location: np.ndarray, scale: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of a multivariate Student t (5 degrees of freedom) and their log density (+ const)."""
    chol = np.linalg.cholesky(scale)
    normal = rng.standard_normal((n, len(location)))
    u = rng.chisquare(_PROPOSAL_DF, size=n) / _PROPOSAL_DF
    theta = location + (normal @ chol.T) / np.sqrt(u)[:, None]
    delta = np.sum(np.linalg.solve(chol, (theta - location).T) ** 2, axis=0)
    log_q = -0.5 * (_PROPOSAL_DF + len(location)) * np.log1p(delta / _PROPOSAL_DF)
    return theta, log_q - np.sum(np.log(np.diag(chol)))


@dataclass(frozen=True)
class _Simulation:
    """Weighted draws of a new family and its predictive scores at the requested sizes."""

    draws: _Draws
    weights: np.ndarray
    ess: float
    reasoning: np.ndarray
    truthfulness: np.ndarray
    coupling: np.ndarray
    covariates: dict[str, float]
    n_measured: int
    adapted: bool
    notes: list[str]


def _simulate(
    fit: FitResult,
    family: NewFamily,
    sizes: np.ndarray,
    n_draws: int,
    min_ess: float,
    seed: int,
) -> _Simulation:
    panel = fit.panel
    z, values, notes = standardised_covariates(fit, family)
    measured = family.measured(panel.reasoning_benchmark, panel.truthfulness_benchmark)
    ignored = family.half_measured(panel.reasoning_benchmark, panel.truthfulness_benchmark)
    if ignored:
        notes.append(ignored)
    listed = pd.to_numeric(family.models["params"], errors="coerce").dropna()
    anchor = (
        float(np.median(np.log10(listed.to_numpy(dtype=float))))
        if len(listed)
        else float(np.median(panel.anchor))
    )
    if not len(listed):
        notes.append(
            "no models listed: intercepts anchored at the median size of the fitted families "
            f"({10.0**anchor:.3g} parameters)"
        )
    pop = fit.kind.population(fit.draws, panel)
    rows = replicated_rows(len(pop["mu_c"]), n_draws)
    rng = np.random.default_rng(seed)
    floor = _floor(fit)
    n_items = (
        float(BENCHMARKS[panel.reasoning_benchmark].n_items),
        float(BENCHMARKS[panel.truthfulness_benchmark].n_items),
    )
    # round 0 draws each family from the population itself (weights: the likelihood); later
    # rounds draw (a, log b, t, log gamma, c) from a Student t fitted to the weighted draws
    # (weights: population density x likelihood / proposal density)
    theta, means, sds = new_family_draws({k: v[rows] for k, v in pop.items()}, z, rng)
    log_q = None
    best: tuple[_Draws, np.ndarray, float, bool] | None = None
    for _round in range(4):
        d = _family_draws(theta, pop, rows)
        log_w = _log_likelihood(d, measured, floor, anchor, n_items)
        if log_q is not None:
            log_w += _log_prior(theta, means, sds) - log_q
        w, ess = _normalise(log_w)
        if best is None or ess > best[2]:
            best = (d, w, ess, log_q is not None)
        if not len(measured) or ess >= min_ess:
            break
        location = w @ theta
        centred = theta - location
        scale = 2.0 * (centred.T * w) @ centred + 1e-8 * np.eye(theta.shape[1])
        theta, log_q = _proposal_draws(rng, location, scale, len(rows))
    d, w, ess, was_adapted = best
    if len(measured) and ess < min_ess:
        notes.append(
            f"importance weights are degenerate (effective sample size {ess:.0f} of "
            f"{len(w)}): the measured scores are far from what the population predicts; "
            "refit with this family in the data for reliable intervals"
        )
    x = np.log10(sizes)
    r_mu, t_mu = _curves(d, x, floor, anchor)
    r_rep = sample_scores(r_mu, n_items[0], d.sigma_reasoning[:, None], rng)
    t_rep = sample_scores(t_mu, n_items[1], d.sigma_truthfulness[:, None], rng)
    return _Simulation(
        draws=d,
        weights=w,
        ess=ess,
        reasoning=r_rep,
        truthfulness=t_rep,
        coupling=coupling(x[None, :], d.gamma[:, None], d.c[:, None]),
        covariates=values,
        n_measured=len(measured),
        adapted=was_adapted,
        notes=notes,
    )


def _check_sizes(sizes: Sequence[float]) -> np.ndarray:
    out = np.asarray(sizes, dtype=float).ravel()
    if not len(out):
        raise BayescapeError("sizes: give at least one parameter count, e.g. 1e9,7e9,70e9")
    for value in out:
        problem = size_problem(float(value))
        if problem:
            raise BayescapeError(f"size {problem}")
    return out


def _check_prob(prob: float) -> None:
    if not 0 < prob < 1:
        raise BayescapeError(f"the interval probability must be between 0 and 1, not {prob}")


def predict_family(
    fit: FitResult,
    family: NewFamily | Mapping[str, float] | None = None,
    sizes: Sequence[float] = (1e9, 7e9, 70e9),
    *,
    prob: float = 0.95,
    n_draws: int = 20_000,
    min_ess: float = _MIN_ESS,
    seed: int = 0,
) -> FamilyPrediction:
    """Posterior-predictive scores and N_c of a family the model has not seen.

    Parameters
    ----------
    fit
        A result of the hierarchical running-coupling phase model.
    family
        A :class:`NewFamily` (see :func:`read_family`), a mapping of covariates in natural units
        (by the fit's covariate names), or ``None`` for a random family of the population.
        Listed models with both scores condition the prediction (importance weighting).
    sizes
        Parameter counts to predict at.
    prob
        Probability of the equal-tailed intervals.
    n_draws
        Number of new-family draws (posterior draws are replicated to reach it).
    min_ess
        Below this effective sample size the importance sampler adapts its proposal (up to
        three rounds) and then notes that the intervals are unreliable.
    seed
        Seed of the random draws: the same seed gives the same prediction.

    Returns
    -------
    FamilyPrediction
    """
    _require(fit, POPULATION, "predict")
    family = _as_family(family)
    sizes = _check_sizes(sizes)
    _check_prob(prob)
    sim = _simulate(fit, family, sizes, n_draws, min_ess, seed)
    w, c = sim.weights, sim.draws.c
    tail = (1.0 - prob) / 2.0
    qs = (0.5, tail, 1.0 - tail)
    table: dict[str, Any] = {"params": sizes}
    for name, arr in (
        ("reasoning", sim.reasoning),
        ("truthfulness", sim.truthfulness),
        ("coupling", sim.coupling),
    ):
        qv = np.array([weighted_quantile(arr[:, i], w, qs) for i in range(len(sizes))])
        table[f"{name}_median"], table[f"{name}_low"], table[f"{name}_high"] = qv.T
    p_tax = np.array([float(w @ (c > xi)) for xi in np.log10(sizes)])
    table["p_tax"], table["p_bonus"] = p_tax, 1.0 - p_tax
    c_med, c_lo, c_hi = weighted_quantile(c, w, qs)
    critical = {
        "median": 10.0**c_med,
        "mean": float(w @ 10.0**c),
        "low": 10.0**c_lo,
        "high": 10.0**c_hi,
    }
    return FamilyPrediction(
        family=family,
        covariates=sim.covariates,
        scores=pd.DataFrame(table),
        critical_scale=critical,
        c=c,
        weights=w,
        ess=sim.ess,
        n_measured=sim.n_measured,
        adapted=sim.adapted,
        prob=prob,
        notes=sim.notes,
    )


# ---------------------------------------------------------------------------------------------
# Diagnosing one model


@dataclass(frozen=True, repr=False)
class ModelDiagnosis:
    """Phase of one model from its size and scores.

    Attributes
    ----------
    params, reasoning, truthfulness
        What was given (scores as fractions).
    benchmarks
        The fit's reasoning and truthfulness benchmarks (the scores' names).
    family
        The fitted family it was placed in, or the new family's name.
    basis
        ``"family posterior"`` (a fitted family: N_c from the fit; the scores are compared with
        the family's predictive interval, not used to move N_c) or ``"new family"``
        (covariates plus these scores, by importance weighting; see :func:`predict_family`).
    p_tax, p_bonus
        :math:`P(x < c)` and :math:`1 - P(x < c)` (weighted draws for a new family).
    phase
        ``tax`` or ``bonus`` when its probability is at least ``threshold``, else ``uncertain``.
    critical_scale
        N_c in parameters: ``median``, ``low``, ``high``.
    decades_above
        :math:`x - c` in decades (positive: above N_c, in the bonus phase): ``median``, ``low``,
        ``high``.
    coupling
        Local coupling :math:`\\gamma (x - c)`: ``median``, ``low``, ``high``.
    expected
        Predictive scores at this size: ``{benchmark: {"median", "low", "high",
        "percentile"}}``; ``percentile`` is where the given score falls (0.5 = typical). For a
        new family, the prediction before these scores are used.
    levers
        Covariates ranked by how far a one-unit change moves log10 N_c (posterior median of
        ``beta_per_unit``, decades): ``covariate``, ``unit``, ``current``, ``effect_median``,
        ``effect_low``, ``effect_high``, ``p_lowers``.
    c, weights
        Draws of log10 N_c used and their normalised weights.
    ess
        Effective sample size of the weights.
    notes
        Caveats for people.
    """

    __repr__ = compact_repr

    params: float
    reasoning: float
    truthfulness: float
    benchmarks: tuple[str, str]
    family: str
    basis: str
    p_tax: float
    p_bonus: float
    phase: str
    critical_scale: dict[str, float]
    decades_above: dict[str, float]
    coupling: dict[str, float]
    expected: dict[str, dict[str, float]]
    levers: pd.DataFrame
    c: np.ndarray
    weights: np.ndarray
    ess: float
    prob: float
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (no draws)."""
        return {
            "params": self.params,
            "reasoning": self.reasoning,
            "truthfulness": self.truthfulness,
            "benchmarks": {"reasoning": self.benchmarks[0], "truthfulness": self.benchmarks[1]},
            "family": self.family,
            "basis": self.basis,
            "p_tax": self.p_tax,
            "p_bonus": self.p_bonus,
            "phase": self.phase,
            "prob": self.prob,
            "critical_scale": self.critical_scale,
            "decades_above_critical_scale": self.decades_above,
            "coupling": self.coupling,
            "expected_scores": self.expected,
            "levers": _records(self.levers),
            "effective_sample_size": self.ess,
            "notes": list(self.notes),
        }


def _summary(values: np.ndarray, weights: np.ndarray, prob: float) -> dict[str, float]:
    tail = (1.0 - prob) / 2.0
    med, lo, hi = weighted_quantile(values, weights, (0.5, tail, 1.0 - tail))
    return {"median": float(med), "low": float(lo), "high": float(hi)}


def _levers(fit: FitResult, current: Mapping[str, float], prob: float) -> pd.DataFrame:
    cols = [
        "covariate",
        "unit",
        "current",
        "effect_median",
        "effect_low",
        "effect_high",
        "p_lowers",
    ]
    if not fit.kind.has_covariate_effects(fit.panel):
        return pd.DataFrame(columns=cols)
    per_unit = fit.draws("beta_per_unit")
    rows = []
    for k, name in enumerate(fit.panel.covariates):
        lo, hi = eti(per_unit[:, k], prob)
        rows.append(
            {
                "covariate": name,
                "unit": UNITS.get(name, ""),
                "current": float(current.get(name, math.nan)),
                "effect_median": float(np.median(per_unit[:, k])),
                "effect_low": lo,
                "effect_high": hi,
                "p_lowers": float(np.mean(per_unit[:, k] < 0)),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    order = np.argsort(-out["effect_median"].abs().to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def _check_scores(fit: FitResult, reasoning: float, truthfulness: float) -> None:
    panel = fit.panel
    for bench, value in (
        (panel.reasoning_benchmark, reasoning),
        (panel.truthfulness_benchmark, truthfulness),
    ):
        problem = score_problem(value, open_interval=True)
        if problem:
            raise BayescapeError(f"the {bench} score {problem}")


def diagnose_model(
    fit: FitResult,
    size: float,
    reasoning: float,
    truthfulness: float,
    family: str | None = None,
    covariates: NewFamily | Mapping[str, float] | None = None,
    *,
    prob: float = 0.95,
    threshold: float = 0.95,
    n_draws: int = 20_000,
    seed: int = 0,
) -> ModelDiagnosis:
    """The phase of one model (tax or bonus) from its size and its two scores.

    Parameters
    ----------
    fit
        A result of the hierarchical running-coupling phase model.
    size
        The model's parameter count.
    reasoning, truthfulness
        Its scores on the fit's reasoning and truthfulness benchmarks (fractions).
    family
        A fitted family the model belongs to: its posterior N_c is used as it is, and the scores
        are compared with the family's predictive interval at this size.
    covariates
        Otherwise, the model's family described by covariates (a :class:`NewFamily` or a
        mapping in natural units); with neither, a random family of the population. The scores
        condition the new family's draws (importance weighting, :func:`predict_family`).
    prob
        Interval probability.
    threshold
        ``phase`` is ``tax``/``bonus`` when that probability reaches it, else ``uncertain``.
    n_draws, seed
        New-family draws and their seed.

    Returns
    -------
    ModelDiagnosis
        ``p_tax`` is the (weighted) fraction of draws with :math:`c > \\log_{10}` ``size``.
    """
    _require(fit, POPULATION, "diagnose")
    _check_prob(prob)
    if family is not None and covariates is not None:
        raise BayescapeError("give either a fitted family or covariates, not both")
    _check_sizes([size])
    _check_scores(fit, reasoning, truthfulness)
    panel = fit.panel
    x = math.log10(size)
    notes: list[str] = []
    benches = (panel.reasoning_benchmark, panel.truthfulness_benchmark)
    given = (float(reasoning), float(truthfulness))
    if family is not None:
        j = _family_position(fit, family)
        curves = family_curves(fit, family, np.array([x]), max_draws=None)
        c = curves.c
        weights = np.full(len(c), 1.0 / len(c))
        local = curves.coupling[:, 0]
        rng = np.random.default_rng(seed)
        sig = (fit.draws("sigma_reasoning"), fit.draws("sigma_truthfulness"))
        expected = {}
        for bench, mu, s, value in zip(
            benches, (curves.reasoning[:, 0], curves.truthfulness[:, 0]), sig, given, strict=True
        ):
            rep = sample_scores(mu, BENCHMARKS[bench].n_items, s, rng)
            expected[bench] = {
                **_summary(rep, weights, prob),
                "percentile": float(np.mean(rep < value)),
            }
        current = {
            n: float(panel.z_center[k] + panel.z[j, k] * panel.z_scale[k])
            for k, n in enumerate(panel.covariates)
        }
        if not (panel.x_min[j] <= x <= panel.x_max[j]):
            notes.append(
                f"size outside the family's observed range ({10 ** panel.x_min[j]:.3g}"
                f" to {10 ** panel.x_max[j]:.3g} parameters): an extrapolation"
            )
        for bench, e in expected.items():
            if min(e["percentile"], 1 - e["percentile"]) < (1 - prob) / 2:
                notes.append(
                    f"the {bench} score is outside the family's {prob:.0%} predictive "
                    f"interval at this size: does the model belong to {family}?"
                )
        name, basis, ess = str(panel.families[j]), "family posterior", float(len(c))
    else:
        base = _as_family(covariates)
        scores = pd.DataFrame(
            {"params": [float(size)], benches[0]: [given[0]], benches[1]: [given[1]]}
        )
        new = NewFamily(
            name=base.name,
            attributes=base.attributes,
            covariates=base.covariates,
            models=pd.concat([base.models, scores], ignore_index=True),
        )
        sim = _simulate(fit, new, np.array([size]), n_draws, _MIN_ESS, seed)
        prior = _simulate(fit, base, np.array([size]), n_draws, _MIN_ESS, seed + 1)
        c, weights, ess = sim.draws.c, sim.weights, sim.ess
        local = sim.coupling[:, 0]
        expected = {}
        for bench, rep, value in zip(
            benches, (prior.reasoning[:, 0], prior.truthfulness[:, 0]), given, strict=True
        ):
            expected[bench] = {
                **_summary(rep, prior.weights, prob),
                "percentile": float(prior.weights @ (rep < value)),
            }
        current = sim.covariates
        notes.extend(sim.notes)
        name, basis = new.name, "new family"
    p_tax = float(weights @ (c > x))
    phase = "tax" if p_tax >= threshold else "bonus" if 1 - p_tax >= threshold else "uncertain"
    nc = _summary(c, weights, prob)
    return ModelDiagnosis(
        params=float(size),
        reasoning=given[0],
        truthfulness=given[1],
        benchmarks=benches,
        family=name,
        basis=basis,
        p_tax=p_tax,
        p_bonus=1.0 - p_tax,
        phase=phase,
        critical_scale={k: 10.0**v for k, v in nc.items()},
        decades_above=_summary(x - c, weights, prob),
        coupling=_summary(local, weights, prob),
        expected=expected,
        levers=_levers(fit, current, prob),
        c=c,
        weights=weights,
        ess=ess,
        prob=prob,
        notes=notes,
    )
