"""Credible intervals computed here, so tables never depend on another library's labels."""

from __future__ import annotations

import numpy as np


def eti(samples: np.ndarray, prob: float = 0.95) -> tuple[float, float]:
    r"""Equal-tailed interval: the :math:`(1-p)/2` and :math:`(1+p)/2` sample quantiles."""
    tail = (1.0 - prob) / 2.0
    low, high = np.quantile(np.asarray(samples, dtype=float).ravel(), [tail, 1.0 - tail])
    return float(low), float(high)


def hdi(samples: np.ndarray, prob: float = 0.95) -> tuple[float, float]:
    r"""Highest-density interval: the shortest interval holding a fraction ``prob`` of draws.

    For sorted draws :math:`s_{(1)} \le \dots \le s_{(n)}` and :math:`k = \lceil p n \rceil`,
    it is :math:`[s_{(j)}, s_{(j+k-1)}]` with :math:`j` minimising the width (unimodal case).
    """
    s = np.sort(np.asarray(samples, dtype=float).ravel())
    n = len(s)
    k = int(np.ceil(prob * n))
    if n == 0 or k < 1:
        raise ValueError("hdi needs at least one draw")
    k = min(k, n)
    widths = s[k - 1 :] - s[: n - k + 1]
    j = int(np.argmin(widths))
    return float(s[j]), float(s[j + k - 1])
