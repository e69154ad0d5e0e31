r"""Credible intervals computed here, so tables never depend on another library's labels.

One convention throughout the package: equal-tailed intervals (ETI), which, unlike the
highest-density interval, are the same whether computed on :math:`\log_{10} N_c` or on
:math:`N_c`.
"""

from __future__ import annotations

import numpy as np


def eti(samples: np.ndarray, prob: float = 0.95) -> tuple[float, float]:
    r"""Equal-tailed interval: the :math:`(1-p)/2` and :math:`(1+p)/2` sample quantiles."""
    tail = (1.0 - prob) / 2.0
    low, high = np.quantile(np.asarray(samples, dtype=float).ravel(), [tail, 1.0 - tail])
    return float(low), float(high)
