r"""The score likelihood: a benchmark accuracy is a fraction in [0, 1].

Maths
-----
A model's score :math:`y` on a benchmark of :math:`n` items, whose expected score under the
model's curve is :math:`\mu`, is measured with binomial sampling variance
:math:`\mu(1-\mu)/n` plus extra noise :math:`\sigma^2` (model misfit, harness differences):

.. math::
    s^2 = p(1 - p)/n + \sigma^2, \qquad p = \min(\max(\mu, 10^{-3}), 1 - 10^{-3}),

    y \sim \mathcal{N}_{[0, 1]}(\mu, s), \qquad
    \log p(y) = \log\phi\!\left(\frac{y - \mu}{s}\right) - \log s
              - \log\!\left[\Phi\!\left(\frac{1 - \mu}{s}\right)
                           - \Phi\!\left(\frac{-\mu}{s}\right)\right],

a normal truncated to [0, 1]. Away from the ends of [0, 1] it is the plain normal approximation
to the binomial (on ``leaderboard_v1`` the normaliser differs from 1 by less than
:math:`10^{-26}` for TruthfulQA, and by up to 0.03 for the best HellaSwag scores, about 0.9,
where the bound rightly matters); a replicated, prior-predictive or predicted score can never
fall outside [0, 1]. The mean curve keeps its
natural scale, so the running-coupling law with linear reasoning is still exactly the paper's
quadratic.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from scipy.special import log_ndtr, ndtri_exp

_P_MIN = 1e-3
"""Binomial variance uses p clipped to [1e-3, 1 - 1e-3]: a curve at 0 or 1 still has noise."""


def score_sd(mu, n_items, sigma, clip=np.clip, sqrt=np.sqrt):
    r"""Scale :math:`s = \sqrt{p(1-p)/n + \sigma^2}` of a score (binomial plus extra noise).

    ``clip`` and ``sqrt`` default to numpy's; pass PyTensor's to build the PyMC graph.
    """
    p = clip(mu, _P_MIN, 1 - _P_MIN)
    return sqrt(p * (1 - p) / n_items + sigma**2)


def _standardised_ends(mu, s, where):
    r"""Ends :math:`(1 - \mu)/s` and :math:`-\mu/s` of [0, 1], reflected when :math:`\mu < 0`.

    Reflected, the interval's mass sits in the lower tail, where it is a difference of two small
    probabilities without cancellation. ``where`` is ``np.where`` or ``pytensor``'s ``switch``.
    """
    hi, lo = (1.0 - mu) / s, -mu / s
    flip = lo > 0
    return where(flip, -lo, hi), where(flip, -hi, lo)


_FAR = 30.0
"""Beyond this many noise SDs outside [0, 1] the truncation mass uses its tail series."""


def _log_tail_mass(h, log=np.log, log1p=np.log1p):
    r""":math:`\log\Phi(h)` for :math:`h \le -30` by the Mills-ratio series.

    .. math:: \log\Phi(h) = -\tfrac{h^2}{2} - \log(-h) - \tfrac12\log 2\pi
              + \log\!\left(1 - h^{-2} + 3h^{-4} - 15h^{-6}\right) + O(h^{-8}),

    relative error below :math:`105 / 30^8 \approx 2\times10^{-10}` at :math:`h = -30`.
    """
    q = 1.0 / h**2
    return (
        -0.5 * h**2 - log(-h) - 0.5 * np.log(2 * np.pi) + log1p(q * (-1.0 + q * (3.0 - 15.0 * q)))
    )


def _pytensor_logp(value, mu, s):
    r"""Truncated-normal log density in PyTensor (two ``erfc`` per score).

    The interval's ends are reflected as in :func:`_standardised_ends`, so its mass is
    :math:`\Phi(h) - \Phi(l)` with :math:`l < h` and no cancellation. Within 30 noise SDs of
    [0, 1] that difference is computed from ``erfc`` (exact to rounding); beyond, where
    ``erfc`` underflows near 37 SDs, from the tail series of :math:`\log\Phi(h)`
    (:func:`_log_tail_mass`; :math:`\Phi(l)/\Phi(h) < e^{-30/s}` is negligible there).
    An earlier version floored the mass at 1e-300 instead: on the prior predictive of the
    default model 45 of 200 simulated TruthfulQA panels have a curve more than 37 SDs outside
    [0, 1], where that floor made the fitted density differ from the generating one.
    Sampling time of the default fit against the untruncated normal, each pair measured in one
    process: PyMC's ``TruncatedNormal`` 6.3 s vs 2.6 s, an ``erfcx`` version of this density
    4.1 s vs 2.1 s, the ``erfc`` form 2.9 s vs 2.5 s.
    """
    import pytensor.tensor as pt

    hi, lo = _standardised_ends(mu, s, pt.switch)
    mass = 0.5 * (pt.erfc(-hi / np.sqrt(2.0)) - pt.erfc(-lo / np.sqrt(2.0)))
    # both branches are evaluated: each is kept finite where it is not used (max, minimum)
    log_mass = pt.switch(
        hi < -_FAR,
        _log_tail_mass(pt.minimum(hi, -_FAR), pt.log, pt.log1p),
        pt.log(pt.maximum(mass, 1e-300)),
    )
    z = (value - mu) / s
    return -0.5 * z**2 - 0.5 * np.log(2 * np.pi) - pt.log(s) - log_mass


def _pytensor_random(mu, s, rng=None, size=None):
    return _truncated_draws(np.asarray(mu), np.asarray(s), rng, size)


def score_likelihood(name: str, mu, observed: np.ndarray, n_items: np.ndarray, sigma) -> None:
    """Add the observed scores to the current PyMC model: normal truncated to [0, 1]."""
    import pymc as pm
    import pytensor.tensor as pt

    pm.CustomDist(
        name,
        mu,
        score_sd(mu, n_items, sigma, clip=pt.clip, sqrt=pt.sqrt),
        logp=_pytensor_logp,
        random=_pytensor_random,
        observed=observed,
        dims="model",
    )


def _log_mass(mu: np.ndarray, s: np.ndarray) -> np.ndarray:
    r""":math:`\log[\Phi((1-\mu)/s) - \Phi(-\mu/s)]`, stable in both tails."""
    hi, lo = _standardised_ends(mu, s, np.where)
    log_hi, log_lo = log_ndtr(hi), log_ndtr(lo)
    return log_hi + np.log1p(-np.exp(np.minimum(log_lo - log_hi, 0.0)))


def score_logpdf(y, mu, n_items, sigma) -> np.ndarray:
    """Log density of scores ``y`` under the truncated-normal likelihood (broadcasting)."""
    mu = np.asarray(mu, dtype=float)
    s = score_sd(mu, n_items, sigma)
    z = (np.asarray(y, dtype=float) - mu) / s
    return -0.5 * z**2 - 0.5 * np.log(2 * np.pi) - np.log(s) - _log_mass(mu, s)


@contextmanager
def forward_sampling() -> Iterator[None]:
    """Context for PyMC's forward samplers on a model with this likelihood.

    Its draws run in Python (scipy's truncated normal), which PyTensor announces as Numba
    "object mode": expected for forward sampling (the log density stays compiled), so silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba will use object mode")
        yield


def _truncated_draws(mu, s, rng, size=None) -> np.ndarray:
    r"""Draws of :math:`\mathcal{N}_{[0,1]}(\mu, s)` by inverting the CDF in log space.

    With the ends standardised and reflected into the lower tail
    (:func:`_standardised_ends`: :math:`l < h`, mass never cancelling), a uniform :math:`u`
    maps to :math:`z = \Phi^{-1}\big((1-u)\,\Phi(l) + u\,\Phi(h)\big)`, computed as
    ``ndtri_exp(logaddexp(log1p(-u) + log_ndtr(l), log(u) + log_ndtr(h)))``: exact in both
    tails, even for a curve hundreds of noise SDs outside [0, 1], and vectorised (scipy's
    ``truncnorm.rvs`` took 0.9 s for the 588,000 replicates of the default fit).
    """
    mu, s = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(s, dtype=float))
    if size is not None:
        mu, s = np.broadcast_to(mu, size), np.broadcast_to(s, size)
    rng = rng if rng is not None else np.random.default_rng()
    hi, lo = _standardised_ends(mu, s, np.where)
    flip = mu < 0  # the ends were reflected (s > 0): the draw is -z
    u = rng.random(mu.shape)
    with np.errstate(divide="ignore"):
        log_cdf = np.logaddexp(np.log1p(-u) + log_ndtr(lo), np.log(u) + log_ndtr(hi))
    z = np.clip(ndtri_exp(np.minimum(log_cdf, 0.0)), lo, hi)
    return np.clip(mu + s * np.where(flip, -z, z), 0.0, 1.0)  # clip: the last ulp of mu + s z


def sample_scores(mu, n_items, sigma, rng: np.random.Generator) -> np.ndarray:
    """Draw scores from the likelihood (every draw lies in [0, 1]); shapes broadcast."""
    mu = np.asarray(mu, dtype=float)
    return _truncated_draws(mu, score_sd(mu, n_items, sigma), rng)
