r"""Internal coupling and truth steering of open-weight causal language models (optional extra).

Install with ``pip install 'bayescape[internals]'`` (torch and transformers). Nothing else in
bayescape imports torch or transformers: only this subpackage does, and importing it without them
raises :class:`MissingExtraError`, whose message says what to install.

Public API
----------
load_model
    Load a causal LM and its tokenizer (hub id or local folder) onto a device; clear one-line
    errors (:class:`ModelLoadError`) when it cannot be loaded.
internal_coupling
    Per layer (and per attention head where the architecture exposes the head outputs), the
    cosine between the mean representations of reasoning and truthfulness prompts, the
    competing rule, bootstrap intervals over prompts, and the effect of the unembedding.
truth_direction, steer, steer_eval
    The truth direction (mean representation of true minus false statements at one decoder
    layer), greedy generation with and without it added to the residual stream, and a held-out
    multiple-choice evaluation of whether adding it makes answers more truthful.

Notes
-----
Let :math:`x_u(p)` be the vector of prompt :math:`p` in unit :math:`u` (a layer's hidden state,
one head's output, or the centred logits), taken at the last token. With the mean
:math:`\bar x_B` of baseline prompts subtracted (zero without a baseline, the paper's
definition), the coupling of a unit is the cosine of the mean differences
:math:`c_u = \cos(\bar x_R - \bar x_B,\ \bar x_T - \bar x_B)` of reasoning prompts :math:`R`
and truthfulness prompts :math:`T`. A unit is *competing* when the pairwise cosine
:math:`\cos(x_i - \bar x_B,\ x_j - \bar x_B)` of a reasoning prompt :math:`i` and a
truthfulness prompt :math:`j` is below -0.5 for more than half of the :math:`|R|\,|T|` pairs.
Intervals are percentiles of the same statistics on resamples of the prompts (with
replacement, within each set).

The truth direction at decoder layer :math:`\ell` is
:math:`v_\ell = \frac1n \sum_i [h_\ell(q_i, t_i) - h_\ell(q_i, f_i)]` over statement pairs
(question :math:`q_i`, true completion :math:`t_i`, false completion :math:`f_i`), and steering
adds :math:`s\,v_\ell` to the output of that layer at every position. An answer is correct when
the summed log-likelihood of the true completion exceeds that of the false one. The
documentation page "Inside models" gives the details.
"""

from __future__ import annotations

from bayescape.errors import BayescapeError

MISSING_EXTRA = "bayescape internals needs the optional extra: pip install 'bayescape[internals]'"


class MissingExtraError(BayescapeError, ImportError):
    """torch or transformers is not installed (or cannot be imported)."""


try:
    import torch  # noqa: F401
    import transformers  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised by a test that hides torch
    raise MissingExtraError(f"{MISSING_EXTRA} ({_exc})") from _exc

from ._coupling import CouplingResult, UnitCoupling, internal_coupling  # noqa: E402
from ._data import (  # noqa: E402
    StatementPair,
    default_prompts,
    load_prompts,
    load_statements,
)
from ._errors import InternalsError, ModelLoadError  # noqa: E402
from ._load import LoadedModel, load_model, resolve_device, wrap_model  # noqa: E402
from ._steering import (  # noqa: E402
    SteerEvalResult,
    SteerResult,
    TruthDirection,
    mc_log_likelihoods,
    steer,
    steer_eval,
    steering,
    truth_direction,
)

__all__ = [
    "MISSING_EXTRA",
    "CouplingResult",
    "InternalsError",
    "LoadedModel",
    "MissingExtraError",
    "ModelLoadError",
    "StatementPair",
    "SteerEvalResult",
    "SteerResult",
    "TruthDirection",
    "UnitCoupling",
    "default_prompts",
    "internal_coupling",
    "load_model",
    "load_prompts",
    "load_statements",
    "mc_log_likelihoods",
    "resolve_device",
    "steer",
    "steer_eval",
    "steering",
    "truth_direction",
    "wrap_model",
]
