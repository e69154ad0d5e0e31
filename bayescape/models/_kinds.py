r"""One interface per model kind: what a kind of model reads, builds and reports.

A specification's ``[model]`` keys ``kind``, ``coupling`` and ``pooling`` name one of the kinds
below; :func:`model_kind` finds it. The layers above ask the kind, never the spec's keys or the
posterior's variable names, what the model has:

=====================  ===========  =================  ===========  ================
kind (``name``)        benchmarks   critical scale     families     builder
=====================  ===========  =================  ===========  ================
``running``            R, T         ``c`` per family   yes          running coupling
``constant``           R, T         none               yes          constant coupling
``pooled``             T            ``c_pooled``       no           quadratic vertex
``dynamics``           the states   along trajectories yes          sparse ODE
=====================  ===========  =================  ===========  ================

A new variant is a subclass of :class:`ModelKind` registered with :func:`register_kind`
(``docs/architecture.md`` works one through).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.random import Generator

from bayescape.data import BENCHMARKS
from bayescape.errors import BayescapeError, SpecError
from bayescape.models import phase
from bayescape.models._panel import FamilyPanel, prepare_panel
from bayescape.models._spec import ModelSpec
from bayescape.models.dynamics import (
    DynamicsPanel,
    build_dynamics_model,
    dynamics_headline_variables,
    dynamics_states,
    likelihood_cells,
    prepare_dynamics_panel,
)

if TYPE_CHECKING:
    import pandas as pd
    import pymc as pm

Draws = Callable[[str], np.ndarray]
"""Posterior draws of a variable by name, chains flattened: shape (draws, ...)."""

_DEFAULTS = {"kind": "phase", "coupling": "running", "pooling": "family"}
"""What a spec means when it leaves a ``[model]`` selector key out."""


class ModelKind:
    """What one kind of model reads, builds and reports; subclasses fill it in.

    Attributes
    ----------
    name
        The kind's registry name (``running``, ``constant``, ``pooled``, ``dynamics``).
    spec_kind
        The spec's ``[model] kind`` of the builder family: ``phase`` or ``dynamics`` (a label;
        nothing dispatches on it).
    description
        A phrase for messages ("running-coupling phase model").
    selector
        The ``[model]`` keys that pick this kind, with their values (missing keys take
        ``kind = "phase"``, ``coupling = "running"``, ``pooling = "family"``).
    critical_scale
        Posterior variable of :math:`\\log_{10} N_c` (``c`` per family, ``c_pooled``), or
        ``None`` for a kind without a changepoint parameter.
    population_scale
        Posterior variable of the population's :math:`\\log_{10} N_c` (``mu_c``: a family with
        average covariates; ``c_pooled``), or ``None``.
    population_variables
        Scalar variables that summarise the population's N_c (prior sensitivity reports them).
    pooled
        One curve for every model, no families.
    family_curves
        Reasoning and truthfulness curves per family (``a``, ``b``, ``t``, ``gamma``).
    new_family_population
        Posterior variables a family the fit has not seen is drawn from (empty: the kind does
        not predict new families from covariates).
    curve_variables
        The parameters of the truthfulness curve, in the order its maths takes them.
    figure_set
        The set of figures the report draws for a fit (a key of
        ``bayescape.report.FIGURES_BY_KIND``: ``phase`` or ``dynamics``).
    score_curves
        A mean score per observed model and draw (:meth:`mean_scores`): the fit gets the
        ``log_likelihood`` and ``posterior_predictive`` groups, and it is a phase model.
    trajectories
        The posterior holds latent state trajectories: the dynamics summaries (library terms,
        eigenvalues, coupling along trajectories) and the refit-free importance-sampling
        leave-family-out apply.
    new_family_from
        What a prediction of a new family starts from, which picks the prediction and the
        leave-family-out fold: ``covariates`` (its covariates and any measured models, through
        :meth:`new_family_truthfulness`) or ``initial_state`` (its smallest model's scores).
    """

    name: ClassVar[str]
    spec_kind: ClassVar[str] = "phase"
    description: ClassVar[str]
    selector: ClassVar[Mapping[str, str]]
    critical_scale: ClassVar[str | None] = None
    population_scale: ClassVar[str | None] = None
    population_variables: ClassVar[tuple[str, ...]] = ()
    pooled: ClassVar[bool] = False
    family_curves: ClassVar[bool] = False
    new_family_population: ClassVar[tuple[str, ...]] = ()
    curve_variables: ClassVar[tuple[str, ...]] = ()
    figure_set: ClassVar[str] = "phase"
    score_curves: ClassVar[bool] = False
    trajectories: ClassVar[bool] = False
    new_family_from: ClassVar[str] = "covariates"

    def __repr__(self) -> str:
        """``<ModelKind running: running-coupling phase model>``."""
        return f"<ModelKind {self.name}: {self.description}>"

    def matches(self, spec: ModelSpec) -> bool:
        """Whether ``spec``'s ``[model]`` keys name this kind."""
        return all(
            spec.model.get(key, _DEFAULTS.get(key)) == value for key, value in self.selector.items()
        )

    @property
    def family_critical_scales(self) -> bool:
        """One N_c per family (a critical scale, and families)."""
        return self.critical_scale is not None and not self.pooled

    # -- data and model ------------------------------------------------------------------------

    def benchmarks(self, spec: ModelSpec) -> list[str]:
        """Benchmarks the model reads (every model of the data must have them scored)."""
        return [
            spec.model.get("reasoning", "hellaswag"),
            spec.model.get("truthfulness", "truthfulqa"),
        ]

    def headline_variables(self, spec: ModelSpec) -> list[str]:
        """Parameters whose convergence gates a fit."""
        raise NotImplementedError

    def prepare_panel(self, df: pd.DataFrame, spec: ModelSpec) -> Any:
        """The arrays the builder reads, from a validated panel ``df``."""
        return prepare_panel(df, spec)

    def build(self, panel: Any, spec: ModelSpec) -> pm.Model:
        """The PyMC model on ``panel`` (from :meth:`prepare_panel`)."""
        raise NotImplementedError

    def panel_benchmarks(self, panel: Any) -> list[tuple[str, list[str]]]:
        """The benchmarks of a panel by role (``reasoning``, ``truthfulness``; ``states``)."""
        return [
            ("reasoning", [panel.reasoning_benchmark]),
            ("truthfulness", [panel.truthfulness_benchmark]),
        ]

    def panel_notes(self, panel: Any) -> list[tuple[str, str]]:
        """What else a data summary says of a panel, as (label, text) rows."""
        rows = [("covariates of N_c", ", ".join(panel.covariates) or "none")]
        if panel.dropped_covariates:
            dropped = "; ".join(f"{n} ({why})" for n, why in panel.dropped_covariates)
            rows.append(("covariates dropped", dropped))
        return rows

    def observed_scores(self, panel: Any) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
        """The observed scores by reported quantity, each as its likelihood term.

        Returns ``{quantity: (variable, columns, observed)}``: the observed variable of the
        model, the indices of its flattened last axis that belong to the quantity, and their
        observed scores (a prior- or posterior-predictive array of ``variable`` reshaped to
        ``(draws, -1)`` and indexed by ``columns`` lines up with ``observed``).
        """
        scores = {"reasoning": panel.reasoning, "truthfulness": panel.truthfulness}
        return {name: (name, np.arange(len(y)), y) for name, y in scores.items()}

    # -- what a posterior holds -----------------------------------------------------------------

    def critical_draws(self, draws: Draws, panel: Any) -> tuple[np.ndarray, list[str]] | None:
        """Draws of log10 N_c, shape (draws, families), and their labels; ``None`` without."""
        return None

    def has_covariate_effects(self, panel: Any) -> bool:
        """Whether the posterior has covariate effects ``beta`` (with this panel's covariates)."""
        return False

    def truthfulness_mean(
        self, x: np.ndarray, floor: float, anchor: Any, params: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        """Mean truthfulness at sizes ``x`` given the curve's parameters (:attr:`curve_variables`).

        ``floor`` is the reasoning benchmark's chance floor and ``anchor`` the family's median
        log10 size (the phase curves' anchor); arrays broadcast against ``x``.
        """
        raise BayescapeError(f"the {self.description} has no truthfulness curve")

    def mean_scores(self, draws: Draws, panel: FamilyPanel) -> dict[str, np.ndarray]:
        """Mean of every observed score under every draw, by observed variable.

        Shape (draws, models), in the order the model observes them (``reasoning``, then
        ``truthfulness``).
        """
        raise BayescapeError(f"the {self.description} has no reasoning and truthfulness curves")

    def population(self, draws: Draws, panel: Any) -> dict[str, np.ndarray]:
        """Draws of :attr:`new_family_population` (a new family is drawn from them)."""
        raise BayescapeError(f"the {self.description} does not predict new families")

    def new_family_parameters(
        self,
        draws: Draws,
        panel: FamilyPanel,
        z: np.ndarray,
        anchor: float,
        n_draws: int,
        rng: Generator,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Curve parameters of new families, one per draw, and their truthfulness noise SDs.

        ``z`` are the family's standardised covariates and ``anchor`` its median log10 size
        (where its levels are read; :func:`~bayescape.models.phase.level_mean`).
        """
        raise BayescapeError(f"the {self.description} does not predict new families")

    def new_family_truthfulness(
        self,
        draws: Draws,
        panel: FamilyPanel,
        x: np.ndarray,
        z: np.ndarray,
        n_draws: int,
        rng: Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean truthfulness of a new family at sizes ``x`` per draw, and the noise SD draws.

        Parameters
        ----------
        draws
            The fit's posterior draws by name.
        panel
            The fit's panel (benchmarks and covariate standardisation).
        x
            log10 sizes of the family's models; their median anchors its intercepts.
        z
            Its standardised covariates (``NaN`` where unknown), in ``panel.covariates`` order.
        n_draws
            New-family draws wanted (the hyperparameter draws are replicated to reach it).
        rng
            Source of the family draws.
        """
        anchor = float(np.median(x))
        params, sigma = self.new_family_parameters(draws, panel, z, anchor, n_draws, rng)
        floor = BENCHMARKS[panel.reasoning_benchmark].floor
        column = {k: v[:, None] for k, v in params.items()}
        return self.truthfulness_mean(x[None, :], floor, anchor, column), sigma


def family_selector(coupling: str) -> dict[str, str]:
    """The ``[model]`` keys of a phase model with one curve per family and this coupling."""
    return {"kind": "phase", "coupling": coupling, "pooling": "family"}


class FamilyCurveKind(ModelKind):
    """A phase model with one reasoning and one truthfulness curve per family."""

    family_curves = True
    score_curves = True

    def mean_scores(self, draws: Draws, panel: FamilyPanel) -> dict[str, np.ndarray]:
        f = panel.family_index
        params = {v: draws(v)[:, f] for v in self.curve_variables}
        floor, m = BENCHMARKS[panel.reasoning_benchmark].floor, panel.anchor[f][None, :]
        return {
            "reasoning": phase.reasoning_curve(
                panel.x[None, :], floor, params["a"], params["b"], m
            ),
            "truthfulness": self.truthfulness_mean(panel.x[None, :], floor, m, params),
        }


class RunningCoupling(FamilyCurveKind):
    """The hierarchical running-coupling phase model (``phase``): N_c per family."""

    name = "running"
    description = "running-coupling phase model"
    selector: ClassVar[Mapping[str, str]] = family_selector("running")
    critical_scale = "c"
    population_scale = "mu_c"
    population_variables = ("mu_c", "tau_c")
    new_family_population = phase.NEW_FAMILY_POPULATION
    curve_variables = ("a", "b", "t", "gamma", "c")

    def headline_variables(self, spec: ModelSpec) -> list[str]:
        return ["c", "mu_c", "beta", "tau_c"]

    def build(self, panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
        return phase.build_running_model(panel, spec)

    def critical_draws(self, draws: Draws, panel: FamilyPanel) -> tuple[np.ndarray, list[str]]:
        return draws("c"), list(panel.families)

    def has_covariate_effects(self, panel: FamilyPanel) -> bool:
        return len(panel.covariates) > 0

    def truthfulness_mean(
        self, x: np.ndarray, floor: float, anchor: Any, params: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        a, b, t, gamma, c = (params[v] for v in self.curve_variables)
        return phase.truthfulness_curve(x, floor, a, b, anchor, t, gamma, c)

    def population(self, draws: Draws, panel: FamilyPanel) -> dict[str, np.ndarray]:
        """Draws of :attr:`new_family_population`, plus ``beta`` (draws x covariates)."""
        out = {n: draws(n) for n in self.new_family_population}
        if self.has_covariate_effects(panel):
            out["beta"] = draws("beta")
        else:
            out["beta"] = np.zeros((len(out["mu_c"]), 0))
        return out

    def new_family_parameters(
        self,
        draws: Draws,
        panel: FamilyPanel,
        z: np.ndarray,
        anchor: float,
        n_draws: int,
        rng: Generator,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        population = self.population(draws, panel)
        rows = replicated_rows(len(population["mu_c"]), n_draws)
        rep = {k: v[rows] for k, v in population.items()}
        theta, _, _ = phase.new_family_draws(rep, z, anchor, rng)
        return phase.family_parameters(theta), population["sigma_truthfulness"][rows]


class ConstantCoupling(FamilyCurveKind):
    """The constant-coupling phase model (``phase_no_transition``): no transition, no N_c."""

    name = "constant"
    description = "constant-coupling (no transition) phase model"
    selector: ClassVar[Mapping[str, str]] = family_selector("constant")
    curve_variables = ("a", "b", "t", "gamma")

    def headline_variables(self, spec: ModelSpec) -> list[str]:
        return ["gamma", "gamma_mu", "gamma_sigma"]

    def build(self, panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
        return phase.build_constant_model(panel, spec)

    def truthfulness_mean(
        self, x: np.ndarray, floor: float, anchor: Any, params: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        a, b, t, gamma = (params[v] for v in self.curve_variables)
        return phase.constant_coupling_curve(x, floor, a, b, anchor, t, gamma)

    def new_family_parameters(
        self,
        draws: Draws,
        panel: FamilyPanel,
        z: np.ndarray,
        anchor: float,
        n_draws: int,
        rng: Generator,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        population = {n: draws(n) for n in phase.CONSTANT_POPULATION}
        return (
            phase.constant_family_draws(population, z, anchor, rng),
            population["sigma_truthfulness"],
        )


class PooledQuadratic(ModelKind):
    """The paper's pooled quadratic-vertex model (``quadratic``): one N_c, no families."""

    name = "pooled"
    description = "pooled quadratic-vertex model"
    selector: ClassVar[Mapping[str, str]] = {"kind": "phase", "pooling": "pooled"}
    critical_scale = "c_pooled"
    population_scale = "c_pooled"
    population_variables = ("c_pooled",)
    pooled = True
    score_curves = True
    curve_variables = ("c_pooled", "curvature", "t_vertex")

    def observed_scores(self, panel: FamilyPanel) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
        y = panel.truthfulness
        return {"truthfulness": ("truthfulness", np.arange(len(y)), y)}

    def benchmarks(self, spec: ModelSpec) -> list[str]:
        return [spec.model.get("truthfulness", "truthfulqa")]

    def headline_variables(self, spec: ModelSpec) -> list[str]:
        return ["c_pooled", "curvature", "t_vertex"]

    def build(self, panel: FamilyPanel, spec: ModelSpec) -> pm.Model:
        return phase.build_pooled_model(panel, spec)

    def critical_draws(self, draws: Draws, panel: FamilyPanel) -> tuple[np.ndarray, list[str]]:
        return draws("c_pooled")[:, None], ["(pooled)"]

    def truthfulness_mean(
        self, x: np.ndarray, floor: float, anchor: Any, params: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        c, curvature, h = (params[v] for v in self.curve_variables)
        return phase.pooled_quadratic_mean(x, c, curvature, h)

    def mean_scores(self, draws: Draws, panel: FamilyPanel) -> dict[str, np.ndarray]:
        params = {v: draws(v)[:, None] for v in self.curve_variables}
        return {"truthfulness": self.truthfulness_mean(panel.x[None, :], 0.0, None, params)}

    def new_family_parameters(
        self, draws: Draws, panel: FamilyPanel, z: np.ndarray, n_draws: int, rng: Generator
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        # no families: a new family's models lie on the one pooled curve
        return {v: draws(v) for v in self.curve_variables}, draws("sigma_truthfulness")


class Dynamics(ModelKind):
    """The sparse dynamics (ODE) model (``dynamics``): scores evolve along log10 size."""

    name = "dynamics"
    spec_kind = "dynamics"
    description = "sparse dynamics (ODE) model"
    selector: ClassVar[Mapping[str, str]] = {"kind": "dynamics"}
    figure_set = "dynamics"
    trajectories = True
    new_family_from = "initial_state"

    def benchmarks(self, spec: ModelSpec) -> list[str]:
        return dynamics_states(spec)

    def headline_variables(self, spec: ModelSpec) -> list[str]:
        return dynamics_headline_variables(spec)

    def prepare_panel(self, df: pd.DataFrame, spec: ModelSpec) -> DynamicsPanel:
        return prepare_dynamics_panel(df, spec)

    def build(self, panel: DynamicsPanel, spec: ModelSpec) -> pm.Model:
        return build_dynamics_model(panel, spec)

    def panel_benchmarks(self, panel: DynamicsPanel) -> list[tuple[str, list[str]]]:
        return [("states", list(panel.states))]

    def panel_notes(self, panel: DynamicsPanel) -> list[tuple[str, str]]:
        return [("families left out", ", ".join(panel.dropped_families) or "none")]

    def observed_scores(
        self, panel: DynamicsPanel
    ) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
        """One quantity per state: the cells of the likelihood's ``scores`` in that column
        (every measured score but each family's smallest model's, which sets the initial
        state)."""
        rows, cols = likelihood_cells(panel)
        return {
            state: ("scores", np.flatnonzero(cols == k), panel.scores[rows[cols == k], k])
            for k, state in enumerate(panel.states)
        }


def replicated_rows(n_posterior: int, n_draws: int) -> np.ndarray:
    """Indices of posterior draws, each repeated so that there are at least ``n_draws``."""
    return np.repeat(np.arange(n_posterior), max(1, -(-n_draws // n_posterior)))


KINDS: dict[str, ModelKind] = {}
"""The registered kinds by name (:func:`register_kind` adds one)."""


def register_kind(kind: ModelKind) -> ModelKind:
    """Add ``kind`` to the registry that :func:`model_kind` searches; returns it.

    Raises
    ------
    SpecError
        When another kind has the same name or the same selector.
    """
    for other in KINDS.values():
        if other.name == kind.name or dict(other.selector) == dict(kind.selector):
            raise SpecError(f"a model kind named {kind.name!r} or selected by the same keys exists")
    KINDS[kind.name] = kind
    return kind


for _kind in (RunningCoupling(), ConstantCoupling(), PooledQuadratic(), Dynamics()):
    register_kind(_kind)


def model_kind(spec: ModelSpec) -> ModelKind:
    """The kind a specification names by its ``[model]`` keys ``kind``, ``coupling``, ``pooling``.

    Raises
    ------
    SpecError
        When no registered kind matches (for example ``coupling = "linear"``): the message
        lists the combinations that exist.
    """
    matching = [k for k in KINDS.values() if k.matches(spec)]
    if len(matching) == 1:
        return matching[0]
    keys = {key: spec.model.get(key, _DEFAULTS.get(key)) for key in _DEFAULTS}
    known = "; ".join(
        ", ".join(f"{key} = {value!r}" for key, value in k.selector.items()) for k in KINDS.values()
    )
    raise SpecError(
        f"{spec.path}: [model] "
        + ", ".join(f"{key} = {value!r}" for key, value in keys.items())
        + f" is {'no' if not matching else 'more than one'} model kind; use one of: {known}"
    )
