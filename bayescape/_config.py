"""Package-wide constants that the CLI needs without importing the heavy layers."""

SAMPLERS: tuple[str, ...] = ("numpyro", "nutpie", "blackjax", "pymc")
"""NUTS backends :func:`bayescape.inference.sample` accepts."""

EXECUTORS: tuple[str, ...] = ("sequential", "local", "dask")
"""Where the batch commands run their fits (:func:`bayescape.inference.run_batch`)."""
