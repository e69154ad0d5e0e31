"""The result users work with: a fit plus the analyses of the phase model as methods."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bayescape._signature import forwards_to
from bayescape.analysis import _critical, _dynamics, _new_family, _predict
from bayescape.analysis._checks import add_predictive_groups
from bayescape.data import DataWarning
from bayescape.errors import BayescapeError
from bayescape.inference import FitResult, fit_model
from bayescape.models import ModelSpec


class Result(FitResult):
    """A fitted model with its summaries.

    Methods give tidy DataFrames with our own column names: :meth:`critical_scales`,
    :meth:`covariate_effects`, :meth:`phase_probabilities`, :meth:`population_critical_scale`,
    :meth:`predict_family`.
    ``diagnostics`` gates every summary: check ``result.diagnostics.ok``.
    """

    def critical_scales(self, prob: float = 0.95) -> pd.DataFrame:
        """Posterior N_c per family (see :func:`bayescape.analysis.critical_scales`)."""
        return _critical.critical_scales(self, prob)

    def covariate_effects(self, prob: float = 0.95) -> pd.DataFrame:
        """Covariate effects on log10 N_c in decades.

        See :func:`bayescape.analysis.covariate_effects`.
        """
        return _critical.covariate_effects(self, prob)

    def phase_probabilities(self, threshold: float = 0.95) -> pd.DataFrame:
        """P(tax) and P(bonus) for every model."""
        return _critical.phase_probabilities(self, threshold)

    def population_critical_scale(self, prob: float = 0.95) -> dict[str, float]:
        """N_c of an average family (or the pooled N_c)."""
        return _critical.population_critical_scale(self, prob)

    def predict_family(
        self,
        family: str | _new_family.NewFamily | Mapping[str, float] | None = None,
        sizes: Sequence[float] | None = None,
        *,
        data: str | Path | pd.DataFrame | None = None,
        initial: Mapping[str, float] | pd.Series | None = None,
        prob: float | None = None,
        seed: int = 0,
        **kwargs: Any,
    ) -> pd.DataFrame | _predict.FamilyPrediction:
        """Posterior predictive scores of a family the fit has not seen, for either model kind.

        Dynamics model: :func:`bayescape.analysis.predict_dynamics_family` (a family of
        ``data`` named by ``family``, started from its smallest model, or ``initial`` scores of
        a new family's smallest model); returns its DataFrame with errors and coverage.

        Phase model: :func:`bayescape.analysis.predict_family`. ``family`` may name a family of
        ``data`` (default: the fit's dataset): it is described by its own covariates and
        conditioned on its smallest model only, so its other models are genuinely predicted
        (default ``sizes``: all its models). Returns a
        :class:`~bayescape.analysis.FamilyPrediction`.
        ``prob`` defaults to each function's own (0.9 dynamics, 0.95 phase); other keyword
        arguments go to the function called.
        """
        options: dict[str, Any] = {"seed": seed, "data": data, "initial": initial, **kwargs}
        if prob is not None:
            options["prob"] = prob
        predict = _PREDICTORS[self.kind.new_family_from]  # what a new family starts from
        return predict(self, family, sizes, options)


def _predict_from_initial_state(result: Result, family: Any, sizes: Any, options: dict) -> Any:
    """:meth:`Result.predict_family` of a kind that starts a new family from its smallest model."""
    return _dynamics.predict_dynamics_family(result, family, sizes=sizes, **options)


def _predict_from_covariates(result: Result, family: Any, sizes: Any, options: dict) -> Any:
    """:meth:`Result.predict_family` of a kind that describes a new family by its covariates."""
    data, initial = options.pop("data"), options.pop("initial")
    if initial is not None:
        raise BayescapeError(
            "initial= is for the dynamics model; describe a new phase-model family with "
            "a NewFamily (covariates and any measured models)"
        )
    if isinstance(family, str):
        family, measured_sizes = _new_family.held_out_family(result, family, data)
        sizes = measured_sizes if sizes is None else sizes
    if sizes is None:
        sizes = (1e9, 7e9, 70e9)
    return _predict.predict_family(result, family, sizes, **options)


_PREDICTORS = {"covariates": _predict_from_covariates, "initial_state": _predict_from_initial_state}
""":meth:`Result.predict_family` by :attr:`~bayescape.models.ModelKind.new_family_from`."""


@forwards_to(fit_model)
def fit(*args: Any, **kwargs: Any) -> Result:
    """Fit a model to a dataset and return a :class:`Result`.

    >>> import bayescape
    >>> result = bayescape.fit("phase", "leaderboard_v1", random_seed=1)  # doctest: +SKIP
    >>> result.critical_scales()[["family", "nc_median", "p_below", "p_above"]]  # doctest: +SKIP

    Takes the arguments of :func:`bayescape.inference.fit_model`, with its defaults (they are
    written there once; ``help(bayescape.fit)`` shows them): ``model`` and ``data``, then
    keyword-only ``sampler``, ``draws``, ``tune``, ``chains``, ``random_seed``,
    ``target_accept``, ``chain_method``, ``device``, ``exclude_families`` and ``progressbar``.
    For the phase models (``phase``, ``phase_no_transition``, ``quadratic``) ``result.idata``
    also holds the ``log_likelihood`` and ``posterior_predictive`` groups ArviZ reads
    (replicates seeded with ``random_seed``; see :func:`bayescape.analysis.add_predictive_groups`).
    """
    base = fit_model(*args, **kwargs)
    result = Result(idata=base.idata, data=base.data, spec=base.spec, info=base.info)
    return add_predictive_groups(result, base.info["seed"])


def refit(
    spec: ModelSpec,
    data: pd.DataFrame,
    fit_kwargs: Mapping[str, Any],
    exclude_families: Iterable[str] = (),
) -> Result:
    """A fit inside a study's batch task (leave-family-out, comparison, sensitivity).

    No progress bar, and the data's notes silenced: the study loaded the data, and said them,
    once. Divergence and Pareto-k warnings still pass.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return fit(spec, data, exclude_families=exclude_families, progressbar=False, **fit_kwargs)


def load(path: str | os.PathLike) -> Result:
    """Load a result saved with ``result.save(path)`` or ``bayescape fit --out``."""
    return Result.load(path)
