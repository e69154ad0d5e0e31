r"""Truth steering: a true-minus-false direction added to the residual stream, and a held-out
multiple-choice test of whether it makes a model's answers more truthful.

- :func:`truth_direction`: :math:`v_\ell` = mean over statement pairs of the output of decoder
  layer :math:`\ell` at the last token of ``question + true`` minus that of
  ``question + false``. ``layer="auto"`` chooses :math:`\ell` by 2-fold cross-validation on
  the same pairs (:func:`~bayescape.internals._stats.layer_scores`).
- :func:`steering`: a forward hook on decoder layer :math:`\ell` that adds
  :math:`s\,v_\ell` to its output at every position; removed on exit.
- :func:`steer`: greedy generation with and without the hook (deterministic).
- :func:`steer_eval`: the direction (and the layer) from one split of the statements, MC
  scoring on the other split with and without steering, exact intervals and McNemar's test.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from . import _stats
from ._coupling import _json_ready
from ._data import StatementPair, load_statements
from ._errors import InternalsError
from ._load import LoadedModel


def _progress(items, desc: str, progress: bool):
    return tqdm(items, desc=desc, unit="item", disable=None if progress else True)


def _layer_index(loaded: LoadedModel, layer: int) -> int:
    n = len(loaded.decoder_layers())
    if not -n <= int(layer) < n:
        raise InternalsError(f"layer {layer} out of range: {loaded.architecture} has {n} layers")
    return int(layer) % n


# ---------------------------------------------------------------------------------------------
# Tokens of a question and a completion


def _split_ids(loaded: LoadedModel, context: str, completion: str) -> tuple[list[int], int]:
    """Token ids of ``context + " " + completion`` and how many belong to the context.

    The whole string is tokenized once (so the completion is tokenized as it would be read);
    the context is the longest common prefix with the context's own tokens, at least one token
    and leaving at least one for the completion.
    """
    whole = loaded.encode(f"{context} {completion}")
    ctx = loaded.encode(context)
    k = 0
    while k < min(len(whole), len(ctx)) and whole[k] == ctx[k]:
        k += 1
    k = min(max(k, 1), len(whole) - 1)
    if k < 1:
        raise InternalsError(f"cannot split {context!r} + {completion!r} into two parts")
    return whole, k


# ---------------------------------------------------------------------------------------------
# Residual stream: read and add


def residual_states(
    loaded: LoadedModel,
    texts: Sequence[list[int]],
    *,
    layers: Sequence[int] | None = None,
    progress: bool = True,
    desc: str = "statements",
) -> np.ndarray:
    """Outputs of decoder layers at the last token of each token sequence.

    Read by forward hooks on the decoder blocks (the same place :func:`steering` adds to), so
    the last layer is read before the model's final normalisation.

    Returns
    -------
    numpy.ndarray
        ``(len(texts), len(layers), d)`` float32.
    """
    blocks = loaded.decoder_layers()
    chosen = (
        list(range(len(blocks))) if layers is None else [_layer_index(loaded, i) for i in layers]
    )
    captured: dict[int, torch.Tensor] = {}

    def make_hook(index: int):
        def hook(module, args, output):
            hidden = output[0] if isinstance(output, tuple | list) else output
            captured[index] = hidden.detach()[0, -1]

        return hook

    handles = [blocks[i].register_forward_hook(make_hook(i)) for i in chosen]
    out: np.ndarray | None = None
    try:
        for row, ids in enumerate(_progress(texts, desc, progress)):
            captured.clear()
            with torch.inference_mode():
                loaded.model(input_ids=loaded.tensor(list(ids)), use_cache=False)
            if out is None:
                out = np.empty((len(texts), len(chosen), captured[chosen[0]].shape[-1]), np.float32)
            for j, i in enumerate(chosen):
                out[row, j] = captured[i].float().cpu().numpy()
    finally:
        for handle in handles:
            handle.remove()
        captured.clear()
    assert out is not None
    return out


@contextlib.contextmanager
def steering(
    loaded: LoadedModel, layer: int, vector: np.ndarray | torch.Tensor, strength: float
) -> Iterator[None]:
    r"""Add ``strength * vector`` to the output of decoder layer ``layer`` (every position).

    A forward hook on the block, registered on entry and removed on exit (also when the body
    raises). With ``strength=0`` the model's outputs are unchanged bit for bit.

    Parameters
    ----------
    loaded
        The model.
    layer
        Decoder layer, 0-based (negative counts from the end).
    vector
        ``(d,)``, e.g. :attr:`TruthDirection.vector`.
    strength
        The multiple :math:`s` of the vector that is added.
    """
    block = loaded.decoder_layers()[_layer_index(loaded, layer)]
    delta = torch.as_tensor(np.asarray(vector, dtype=np.float32) * float(strength))
    delta = delta.to(device=loaded.device, dtype=loaded.dtype)

    def hook(module, args, output):
        if isinstance(output, tuple):
            return (output[0] + delta, *output[1:])
        if isinstance(output, torch.Tensor):
            return output + delta
        raise InternalsError(
            f"decoder layer {layer} of {loaded.architecture} returns {type(output).__name__}; "
            "cannot add to it"
        )

    handle = block.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


# ---------------------------------------------------------------------------------------------
# The direction


@dataclass(frozen=True)
class TruthDirection:
    """Mean true-minus-false activation at one decoder layer.

    Attributes
    ----------
    layer
        Decoder layer (0-based).
    vector
        ``(d,)`` float32: the mean difference itself (not normalised), so strength 1 moves an
        activation by one average true-minus-false gap.
    n_pairs
        Statement pairs it was built from.
    rule
        How the layer was chosen.
    scores
        Per-layer cross-validated separation (``layer="auto"``), else empty.
    """

    layer: int
    vector: np.ndarray
    n_pairs: int
    rule: str
    scores: tuple[_stats.LayerScore, ...] = ()

    @property
    def norm(self) -> float:
        """Euclidean norm of :attr:`vector`."""
        return float(np.linalg.norm(self.vector))


AUTO_RULE = (
    "auto: best 2-fold cross-validated separation of true and false statements "
    "(held-out accuracy {accuracy:.2f}, standardized difference {effect:.2f})"
)


def truth_direction(
    loaded: LoadedModel,
    pairs: Sequence[StatementPair] | None = None,
    layer: int | str = "auto",
    *,
    progress: bool = True,
) -> TruthDirection:
    r"""Build the truth direction from statement pairs.

    Parameters
    ----------
    loaded
        The model.
    pairs
        Statement pairs; ``None``: the shipped ones (:func:`load_statements`).
    layer
        Decoder layer (0-based), or ``"auto"``: the layer with the highest 2-fold
        cross-validated accuracy of the projection on the pairs (pair :math:`i` is correct when
        :math:`\langle \delta_i, v_{\text{other fold}}\rangle > 0`), ties broken by the
        held-out standardized mean difference.

    Returns
    -------
    TruthDirection
    """
    pairs = list(load_statements() if pairs is None else pairs)
    if not pairs:
        raise InternalsError("no statement pairs to build a direction from")
    auto = isinstance(layer, str)
    if auto and layer != "auto":
        raise InternalsError(f"layer must be an integer or 'auto', got {layer!r}")
    layers = None if auto else [int(layer)]
    ids_true = [_split_ids(loaded, p.context, p.true)[0] for p in pairs]
    ids_false = [_split_ids(loaded, p.context, p.false)[0] for p in pairs]
    true_states = residual_states(
        loaded, ids_true, layers=layers, progress=progress, desc="true statements"
    )
    false_states = residual_states(
        loaded, ids_false, layers=layers, progress=progress, desc="false statements"
    )
    if auto:
        scores = tuple(_stats.layer_scores(true_states - false_states))
        chosen = _stats.best_layer(list(scores))
        vector = _stats.mean_difference(true_states[:, chosen], false_states[:, chosen])
        rule = AUTO_RULE.format(accuracy=scores[chosen].accuracy, effect=scores[chosen].effect)
        return TruthDirection(chosen, vector.astype(np.float32), len(pairs), rule, scores)
    index = _layer_index(loaded, int(layer))
    vector = _stats.mean_difference(true_states[:, 0], false_states[:, 0])
    return TruthDirection(index, vector.astype(np.float32), len(pairs), f"given: layer {index}")


# ---------------------------------------------------------------------------------------------
# Generation


@dataclass(frozen=True)
class SteerResult:
    """Greedy continuations of one prompt with and without steering."""

    prompt: str
    baseline: str
    steered: str
    layer: int
    strength: float
    direction_norm: float
    rule: str
    max_new_tokens: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return _json_ready(dataclasses.asdict(self))

    def format(self) -> str:
        """Plain-text report."""
        same = "identical" if self.baseline == self.steered else "different"
        return "\n".join(
            [
                f"Steering: layer {self.layer} ({self.rule}); strength {self.strength:g} x the "
                f"true-minus-false mean difference (norm {self.direction_norm:.4g})",
                f"Greedy decoding, at most {self.max_new_tokens} new tokens; the two "
                f"continuations are {same} (a change is not evidence of more truthful answers: "
                "use 'bayescape internals steer-eval')",
                f"Prompt:           {self.prompt}",
                f"Without steering: {self.baseline}",
                f"With steering:    {self.steered}",
            ]
        )


def generate(loaded: LoadedModel, prompt: str, max_new_tokens: int = 40) -> tuple[list[int], str]:
    """Greedy continuation of ``prompt`` (``do_sample=False``, one beam, no sampling settings
    taken from the checkpoint), as token ids and decoded text."""
    from transformers import GenerationConfig

    ids = loaded.encode(prompt)
    tok = loaded.tokenizer
    base = getattr(loaded.model, "generation_config", None)
    eos = getattr(base, "eos_token_id", None) or getattr(tok, "eos_token_id", None)
    pad = getattr(tok, "pad_token_id", None)
    config = GenerationConfig(
        max_new_tokens=int(max_new_tokens),
        do_sample=False,
        num_beams=1,
        eos_token_id=eos,
        pad_token_id=pad if pad is not None else (eos[0] if isinstance(eos, list) else eos),
    )
    input_ids = loaded.tensor(ids)
    with torch.inference_mode():
        out = loaded.model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            generation_config=config,
        )
    new = out[0, len(ids) :].tolist()
    return new, tok.decode(new, skip_special_tokens=True).strip()


def steer(
    loaded: LoadedModel,
    prompt: str,
    direction: TruthDirection,
    strength: float = 1.0,
    *,
    max_new_tokens: int = 40,
) -> SteerResult:
    """Greedy continuations of ``prompt`` without and with ``strength * direction.vector``
    added at ``direction.layer``.
    """
    _, base = generate(loaded, prompt, max_new_tokens)
    with steering(loaded, direction.layer, direction.vector, strength):
        _, steered = generate(loaded, prompt, max_new_tokens)
    return SteerResult(
        prompt=prompt,
        baseline=base,
        steered=steered,
        layer=direction.layer,
        strength=float(strength),
        direction_norm=direction.norm,
        rule=direction.rule,
        max_new_tokens=int(max_new_tokens),
    )


# ---------------------------------------------------------------------------------------------
# Multiple-choice scoring


def _completion_log_likelihood(loaded: LoadedModel, ids: list[int], n_context: int) -> float:
    with torch.inference_mode():
        logits = loaded.model(input_ids=loaded.tensor(ids), use_cache=False).logits[0]
    logp = torch.log_softmax(logits.float(), dim=-1)
    targets = torch.tensor(ids[n_context:], device=logp.device)
    return float(logp[n_context - 1 : len(ids) - 1].gather(1, targets[:, None]).sum())


def mc_log_likelihoods(
    loaded: LoadedModel,
    pairs: Sequence[StatementPair],
    *,
    steer_with: tuple[int, np.ndarray, float] | None = None,
    progress: bool = True,
) -> np.ndarray:
    r"""Summed log-likelihood of the true and of the false completion of every pair.

    :math:`\sum_k \log p(c_k \mid \text{context}, c_{<k})` over the completion's tokens, the
    context being ``Q: {question}\nA:``.

    Parameters
    ----------
    steer_with
        ``(layer, vector, strength)`` to score under :func:`steering`; ``None``: the model as is.

    Returns
    -------
    numpy.ndarray
        ``(n_pairs, 2)``: column 0 the true completion, column 1 the false one.
    """
    split = [
        (_split_ids(loaded, p.context, p.true), _split_ids(loaded, p.context, p.false))
        for p in pairs
    ]
    out = np.empty((len(split), 2))
    hook = steering(loaded, *steer_with) if steer_with else contextlib.nullcontext()
    with hook:
        desc = "MC scoring (steered)" if steer_with else "MC scoring"
        for row, both in enumerate(_progress(split, desc, progress)):
            for col, (ids, k) in enumerate(both):
                out[row, col] = _completion_log_likelihood(loaded, ids, k)
    return out


# ---------------------------------------------------------------------------------------------
# The held-out evaluation


@dataclass(frozen=True)
class SteerEvalResult:
    """Held-out multiple-choice accuracy with and without steering.

    Attributes
    ----------
    correct_base, correct_steered
        Per held-out pair: the true completion has the higher summed log-likelihood (a tie
        counts as wrong).
    margin_base, margin_steered
        Per held-out pair: log-likelihood of the true minus the false completion.
    """

    model: str
    layer: int
    rule: str
    strength: float
    direction_norm: float
    n_train: int
    n_test: int
    split_seed: int
    prob: float
    n_boot: int
    accuracy_base: float
    accuracy_base_interval: tuple[float, float]
    accuracy_steered: float
    accuracy_steered_interval: tuple[float, float]
    difference: float
    difference_interval: tuple[float, float]
    gained: int
    lost: int
    mcnemar_p: float
    margin_change: float
    margin_change_interval: tuple[float, float]
    ties: int
    test_questions: tuple[str, ...]
    correct_base: tuple[bool, ...]
    correct_steered: tuple[bool, ...]
    margin_base: tuple[float, ...]
    margin_steered: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return _json_ready(dataclasses.asdict(self))

    def format(self) -> str:
        """Plain-text report."""
        pct = f"{self.prob:.0%}"

        def acc(p: float, ci: tuple[float, float]) -> str:
            k = round(p * self.n_test)
            return f"{p:.3f} ({k}/{self.n_test}) [{pct} exact: {ci[0]:.3f}, {ci[1]:.3f}]"

        return "\n".join(
            [
                f"Truth steering, held-out multiple choice: {self.model}",
                f"Split: the direction{' and the layer' if self.rule.startswith('auto') else ''}"
                f" were built on {self.n_train} statement pairs; scored on the other "
                f"{self.n_test} pairs (held out, no question in both; split seed "
                f"{self.split_seed})",
                f"Direction: layer {self.layer} ({self.rule}); strength {self.strength:g} x "
                f"the true-minus-false mean difference (norm {self.direction_norm:.4g})",
                "Scoring: correct when the summed log-likelihood of the true completion "
                "exceeds that of the false one (ties count as wrong"
                f"{f'; {self.ties} tie(s)' if self.ties else ''})",
                "",
                "Accuracy without steering: "
                f"{acc(self.accuracy_base, self.accuracy_base_interval)}",
                "Accuracy with steering:    "
                f"{acc(self.accuracy_steered, self.accuracy_steered_interval)}",
                f"Difference: {self.difference:+.3f} [{pct} paired bootstrap: "
                f"{self.difference_interval[0]:+.3f}, {self.difference_interval[1]:+.3f}]",
                f"McNemar exact test: {self.gained} pair(s) wrong->right, {self.lost} "
                f"right->wrong, p = {self.mcnemar_p:.3g}",
                f"Mean change of the log-likelihood margin (true - false): "
                f"{self.margin_change:+.3f} [{pct}: {self.margin_change_interval[0]:+.3f}, "
                f"{self.margin_change_interval[1]:+.3f}]",
            ]
        )


def split_pairs(
    pairs: Sequence[StatementPair], train_share: float, seed: int
) -> tuple[list[StatementPair], list[StatementPair]]:
    """Shuffle the pairs with ``seed`` and cut them into a direction split and a test split."""
    if not 0 < train_share < 1:
        raise InternalsError(f"split must be in (0, 1), got {train_share}")
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_train = round(train_share * len(pairs))
    train = [pairs[i] for i in order[:n_train]]
    test = [pairs[i] for i in order[n_train:]]
    if len(train) < 4 or len(test) < 1:
        raise InternalsError(
            f"{len(pairs)} pairs split {train_share:g}: {len(train)} to build the direction "
            f"(at least 4) and {len(test)} to score (at least 1)"
        )
    questions = {p.question for p in train}
    if any(p.question in questions for p in test):
        raise InternalsError("a question is in both splits; make the questions unique")
    return train, test


def steer_eval(
    loaded: LoadedModel,
    pairs: Sequence[StatementPair] | None = None,
    *,
    layer: int | str = "auto",
    strength: float = 1.0,
    split: float = 0.5,
    seed: int = 0,
    n_boot: int = 2000,
    prob: float = 0.95,
    progress: bool = True,
) -> SteerEvalResult:
    """Does steering make answers more truthful? Held-out multiple-choice evaluation.

    The pairs are shuffled (``seed``) and split: the first ``split`` share builds the direction
    (and chooses the layer when ``layer="auto"``), the rest is scored with and without
    steering, so nothing scored was seen when building the direction.

    Parameters
    ----------
    loaded
        The model.
    pairs
        Statement pairs; ``None``: the shipped 80.
    layer, strength
        As in :func:`truth_direction` and :func:`steering`.
    split
        Share of pairs used to build the direction.
    seed
        Seed of the split and of the bootstrap.
    n_boot, prob
        Bootstrap resamples and interval width (accuracies get exact Clopper-Pearson
        intervals; the paired difference and the margin change get percentile intervals over
        resampled held-out pairs).

    Returns
    -------
    SteerEvalResult
    """
    pairs = list(load_statements() if pairs is None else pairs)
    train, test = split_pairs(pairs, split, seed)
    direction = truth_direction(loaded, train, layer, progress=progress)
    base = mc_log_likelihoods(loaded, test, progress=progress)
    steered = mc_log_likelihoods(
        loaded, test, steer_with=(direction.layer, direction.vector, strength), progress=progress
    )
    margin_base = base[:, 0] - base[:, 1]
    margin_steered = steered[:, 0] - steered[:, 1]
    correct_base = margin_base > 0
    correct_steered = margin_steered > 0
    n = len(test)
    k_base, k_steer = int(correct_base.sum()), int(correct_steered.sum())
    diff, diff_ci = _stats.paired_bootstrap_mean(
        correct_steered.astype(float) - correct_base.astype(float), n_boot, prob, seed
    )
    change, change_ci = _stats.paired_bootstrap_mean(
        margin_steered - margin_base, n_boot, prob, seed + 1
    )
    gained, lost, p_value = _stats.mcnemar_exact(correct_base, correct_steered)
    return SteerEvalResult(
        model=loaded.name,
        layer=direction.layer,
        rule=direction.rule,
        strength=float(strength),
        direction_norm=direction.norm,
        n_train=len(train),
        n_test=n,
        split_seed=seed,
        prob=prob,
        n_boot=n_boot,
        accuracy_base=k_base / n,
        accuracy_base_interval=_stats.exact_binomial_interval(k_base, n, prob),
        accuracy_steered=k_steer / n,
        accuracy_steered_interval=_stats.exact_binomial_interval(k_steer, n, prob),
        difference=diff,
        difference_interval=diff_ci,
        gained=gained,
        lost=lost,
        mcnemar_p=p_value,
        margin_change=change,
        margin_change_interval=change_ci,
        ties=int(np.sum(margin_base == 0) + np.sum(margin_steered == 0)),
        test_questions=tuple(pair.question for pair in test),
        correct_base=tuple(bool(x) for x in correct_base),
        correct_steered=tuple(bool(x) for x in correct_steered),
        margin_base=tuple(float(x) for x in margin_base),
        margin_steered=tuple(float(x) for x in margin_steered),
    )
