"""Package-wide constants that the CLI needs without importing the heavy layers."""

SAMPLERS: tuple[str, ...] = ("numpyro", "nutpie", "blackjax", "pymc")
"""NUTS backends :func:`bayescape.inference.sample` accepts."""

CHAIN_METHODS: tuple[str, ...] = ("sequential", "vectorized", "parallel", "processes")
"""How a backend runs its chains (``bayescape fit --chain-method``): numpyro sequential or
vectorized, blackjax vectorized, nutpie parallel (threads) or processes."""

DEVICES: tuple[str, ...] = ("auto", "cpu", "gpu", "tpu")
"""Where the JAX samplers compute (``bayescape fit --device``)."""

EXECUTORS: tuple[str, ...] = ("sequential", "local", "dask")
"""Where the batch commands run their fits (:func:`bayescape.inference.run_batch`)."""

TABLES: tuple[str, ...] = ("critical-scales", "covariates", "phases", "diagnostics")
"""Tables of a result (``bayescape table --what``, :func:`bayescape.report.render_table`)."""

TABLE_FORMATS: tuple[str, ...] = ("latex", "markdown", "csv", "json")
"""Output formats of a table (``bayescape table --format``)."""

FIGURE_NAMES: dict[str, tuple[str, ...]] = {
    "phase": ("phase-diagram", "coupling", "forest", "ppc", "prior"),
    "dynamics": ("trajectories", "inclusion", "eigenvalues"),
}
"""Figure kinds of each figure set (a model kind's ``figure_set``; ``bayescape plot --kind``);
:data:`bayescape.report.FIGURES` and ``DYNAMICS_FIGURES`` draw them."""

FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf", "svg")
"""File types a figure is saved as."""
