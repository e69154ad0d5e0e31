"""Model specifications: the declarative TOML files in ``models/`` (priors, data, sampler)."""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayescape._resources import resource_dir
from bayescape.data import BENCHMARKS, FAMILY_COVARIATES
from bayescape.errors import SpecError, unknown_names

_PRIOR_PARAMS = {
    "normal": ("mu", "sigma"),
    "halfnormal": ("sigma",),
    "uniform": ("lower", "upper"),
    "gamma": ("alpha", "beta"),
}


@dataclass(frozen=True)
class Prior:
    """A prior written in a spec file, e.g. ``{dist = "normal", mu = 0, sigma = 1}``."""

    dist: str
    params: dict[str, float]

    def __getitem__(self, key: str) -> float:
        return self.params[key]


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model specification.

    Attributes
    ----------
    name
        The model's name (``phase``, ``phase_no_transition``, ``quadratic``, ...).
    sections
        The spec's sections as parsed from TOML.
    text
        The file's exact text (stored with every result).
    path
        Where the spec came from.
    """

    name: str
    sections: dict[str, Any]
    text: str
    path: str
    priors: dict[str, Prior] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: name, kind, spec hash, file name, numbers of covariates and priors.

        For example ``<ModelSpec phase (phase model, spec 1f80c9c489593bd6) from phase.toml:
        7 covariates, 13 priors>``; ``spec.text`` holds the file itself.
        """
        kind = self.sections.get("model", {}).get("kind", "?")
        source = Path(self.path).name if self.path else "<text>"
        return (
            f"<ModelSpec {self.name} ({kind} model, spec {self.hash}) from {source}: "
            f"{len(self.covariates)} covariates, {len(self.priors)} priors>"
        )

    @property
    def hash(self) -> str:
        """SHA-256 (16 hex digits) of the spec text: stored in every result."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def model(self) -> dict[str, Any]:
        """The ``[model]`` section."""
        return self.sections["model"]

    @property
    def covariates(self) -> list[str]:
        """Names of the family covariates of log10 N_c (may be empty)."""
        return list(self.sections.get("covariates", {}).get("names", []))

    @property
    def sampler(self) -> dict[str, Any]:
        """Sampler defaults of the ``[sampler]`` section."""
        return dict(self.sections.get("sampler", {}))


def available_models() -> list[str]:
    """Names of the specifications shipped in ``models/``."""
    return sorted(p.stem for p in resource_dir("models").glob("*.toml"))


def _parse_prior(name: str, value: Any, where: str) -> Prior:
    if not isinstance(value, dict) or "dist" not in value:
        raise SpecError(
            f'{where}: prior {name!r} must look like {{dist = "normal", mu = 0, '
            f"sigma = 1}}, got {value!r}"
        )
    dist = value["dist"]
    if dist not in _PRIOR_PARAMS:
        raise SpecError(
            f"{where}: prior {name!r} has unknown dist {dist!r}; use one of {sorted(_PRIOR_PARAMS)}"
        )
    params = {k: v for k, v in value.items() if k != "dist"}
    expected = set(_PRIOR_PARAMS[dist])
    if set(params) != expected:
        raise SpecError(
            f"{where}: prior {name!r} ({dist}) needs exactly {sorted(expected)}, "
            f"got {sorted(params)}"
        )
    for k, v in params.items():
        positive = k in ("sigma", "alpha", "beta")
        if not isinstance(v, int | float) or (positive and v <= 0):
            raise SpecError(
                f"{where}: prior {name!r}: {k} = {v!r} must be a number"
                + (" > 0" if positive else "")
            )
    return Prior(dist, {k: float(v) for k, v in params.items()})


def _check_covariates(section: Any, path: str) -> None:
    """``[covariates]`` holds ``names``, a list of known covariates: anything else is an error.

    A misspelt name would otherwise reach the panel as a covariate the data cannot inform and
    be dropped with a warning giving the wrong reason.
    """
    if not isinstance(section, dict):
        raise SpecError(f'{path}: [covariates] must be a table: names = ["curation_code", ...]')
    problem = unknown_names(section, ["names"], what="key", where=f"{path}: [covariates]")
    if problem:
        raise SpecError(problem)
    names = section.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SpecError(f"{path}: [covariates] names must be a list of strings, got {names!r}")
    problem = unknown_names(
        names, FAMILY_COVARIATES, what="covariate", where=f"{path}: [covariates] names"
    )
    if problem:
        raise SpecError(problem)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SpecError(f"{path}: [covariates] names lists {', '.join(repeated)} twice")


def load_spec(name_or_path: str | Path) -> ModelSpec:
    """Load a model specification by shipped name (``"phase"``) or by path to a TOML file.

    Raises
    ------
    SpecError
        When the file is missing or malformed; the message says which key and how to fix it.
    """
    text_name = str(name_or_path)
    path = Path(name_or_path)
    if not path.suffix == ".toml":
        shipped = resource_dir("models") / f"{text_name}.toml"
        if not shipped.exists():
            close = difflib.get_close_matches(text_name, available_models(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecError(
                f"unknown model {text_name!r}.{hint} Shipped models: "
                f"{', '.join(available_models())}; or give a path to a .toml file"
            )
        path = shipped
    if not path.exists():
        raise SpecError(f"model specification {path} does not exist")
    return parse_spec(path.read_text(encoding="utf-8"), str(path))


def parse_spec(text: str, path: str = "<spec>") -> ModelSpec:
    """Parse the text of a specification (as stored in a saved result)."""
    try:
        sections = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from exc
    if "model" not in sections or "name" not in sections["model"]:
        raise SpecError(f"{path}: needs a [model] section with a name")
    model = sections["model"]
    for key in ("reasoning", "truthfulness"):
        bench = model.get(key)
        if bench is not None and bench not in BENCHMARKS:
            raise SpecError(
                f"{path}: [model] {key} = {bench!r} is not a known benchmark; "
                f"use one of {', '.join(BENCHMARKS)}"
            )
    _check_covariates(sections.get("covariates", {}), path)
    priors = {k: _parse_prior(k, v, path) for k, v in sections.get("priors", {}).items()}
    return ModelSpec(name=model["name"], sections=sections, text=text, path=path, priors=priors)


def pymc_prior(name: str, spec: ModelSpec, **kwargs: Any):
    """The PyMC random variable for the spec's prior ``name`` (inside a model context).

    ``normal(mu, sigma)``, ``halfnormal(sigma)``, ``uniform(lower, upper)`` or
    ``gamma(alpha, beta)`` (shape and rate: mean alpha/beta; with alpha > 1 its density
    vanishes at 0, which keeps a group-level scale away from the funnel's neck).
    """
    import pymc as pm

    try:
        prior = spec.priors[name]
    except KeyError:
        raise SpecError(f"{spec.path}: [priors] needs an entry {name!r}") from None
    if prior.dist == "normal":
        return pm.Normal(name, mu=prior["mu"], sigma=prior["sigma"], **kwargs)
    if prior.dist == "halfnormal":
        return pm.HalfNormal(name, sigma=prior["sigma"], **kwargs)
    if prior.dist == "gamma":
        return pm.Gamma(name, alpha=prior["alpha"], beta=prior["beta"], **kwargs)
    return pm.Uniform(name, lower=prior["lower"], upper=prior["upper"], **kwargs)
