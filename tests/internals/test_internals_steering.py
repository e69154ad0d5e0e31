"""Steering on tiny models: zero strength is a no-op, planted directions are recovered and flip
the multiple-choice answer, hooks go away, the held-out evaluation is consistent."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch not installed: make test-internals installs it")
pytest.importorskip("transformers", reason="transformers not installed")

import torch
from tiny_models import build_model, hooks, no_hooks_left

from bayescape.internals import (
    InternalsError,
    StatementPair,
    TruthDirection,
    load_statements,
    mc_log_likelihoods,
    steer,
    steer_eval,
    steering,
    truth_direction,
    wrap_model,
)
from bayescape.internals._steering import generate, split_pairs

pytestmark = pytest.mark.behaviour

QUESTIONS = [
    "is the cat red",
    "is the dog blue",
    "is paris in london",
    "is the answer green",
    "is the cat a dog",
    "is the sun hot",
    "is the moon blue",
    "is the dog red",
]


def _cos(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.mark.parametrize("arch", ["gpt_neox", "llama", "opt"])
def test_zero_strength_changes_nothing(arch, tiny_loaded):
    loaded = tiny_loaded[arch]
    ids = loaded.tensor(loaded.encode("the cat sat on the mat and"))
    vector = np.random.default_rng(0).normal(size=32).astype(np.float32)
    with torch.inference_mode():
        plain = loaded.model(input_ids=ids).logits
        with steering(loaded, 1, vector, 0.0):
            zero = loaded.model(input_ids=ids).logits
        with steering(loaded, 1, vector, 3.0):
            moved = loaded.model(input_ids=ids).logits
    assert torch.equal(plain, zero)
    assert not torch.equal(plain, moved)
    base_ids, _ = generate(loaded, "the cat sat on the mat and", max_new_tokens=8)
    with steering(loaded, 0, vector, 0.0):
        zero_ids, _ = generate(loaded, "the cat sat on the mat and", max_new_tokens=8)
    assert base_ids == zero_ids
    assert no_hooks_left(loaded.model)


def test_the_steering_hook_goes_away_even_on_error(tiny_loaded):
    loaded = tiny_loaded["llama"]
    before = hooks(loaded.model)
    with pytest.raises(ValueError, match="inside"), steering(loaded, 0, np.ones(32), 1.0):
        assert hooks(loaded.model) != before
        raise ValueError("inside")
    assert hooks(loaded.model) == before
    with pytest.raises(InternalsError, match="out of range"):
        with steering(loaded, 5, np.ones(32), 1.0):
            pass


@pytest.fixture
def tokenizer_ids(tiny_tokenizer):
    vocab = tiny_tokenizer.get_vocab()
    return vocab["yes"], vocab["no"]


def test_a_planted_truth_direction_is_recovered(tiny_tokenizer, tokenizer_ids):
    """Blocks that barely write to the residual stream: the last token's residual is its
    embedding (plus a little), so true ('yes') minus false ('no') is the planted vector."""
    model = build_model("llama", len(tiny_tokenizer), seed=1)
    yes, no = tokenizer_ids
    planted = torch.randn(32, generator=torch.Generator().manual_seed(2)) * 0.05
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.mul_(1e-2)
            layer.mlp.down_proj.weight.mul_(1e-2)
        emb = model.get_input_embeddings().weight
        emb[yes] = emb[no] + planted
    loaded = wrap_model(model, tiny_tokenizer, device="cpu", name="planted")
    pairs = [StatementPair(q, "yes", "no") for q in QUESTIONS]
    for layer in (0, 1):
        direction = truth_direction(loaded, pairs, layer, progress=False)
        assert direction.layer == layer and direction.n_pairs == len(pairs)
        assert _cos(direction.vector, planted) > 0.99
    auto = truth_direction(loaded, pairs, "auto", progress=False)
    assert auto.rule.startswith("auto") and len(auto.scores) == 2
    assert all(s.accuracy == 1.0 for s in auto.scores)
    assert _cos(auto.vector, planted) > 0.99
    assert no_hooks_left(model)


def test_adding_a_planted_direction_flips_the_mc_choice(tiny_tokenizer, tokenizer_ids):
    model = build_model("llama", len(tiny_tokenizer), seed=3)
    loaded = wrap_model(model, tiny_tokenizer, device="cpu", name="tiny")
    yes, no = tokenizer_ids
    (ll,) = mc_log_likelihoods(loaded, [StatementPair(QUESTIONS[0], "yes", "no")], progress=False)
    # call 'true' the completion the model likes less, so it starts wrong
    true_word, false_word = ("yes", "no") if ll[0] < ll[1] else ("no", "yes")
    pair = StatementPair(QUESTIONS[0], true_word, false_word)
    ids = {"yes": yes, "no": no}
    w = model.get_output_embeddings().weight.detach()
    u = (w[ids[true_word]] - w[ids[false_word]]).numpy()
    u /= np.linalg.norm(u)
    (base,) = mc_log_likelihoods(loaded, [pair], progress=False)
    (steered,) = mc_log_likelihoods(loaded, [pair], steer_with=(1, u, 20.0), progress=False)
    assert base[0] < base[1]  # wrong without steering
    assert steered[0] > steered[1]  # right with it
    # the same vector drives greedy generation towards the true word
    direction = TruthDirection(layer=1, vector=w[ids[true_word]].numpy(), n_pairs=1, rule="planted")
    result = steer(loaded, pair.context, direction, 200.0, max_new_tokens=3)
    assert result.steered.split()[0] == true_word
    assert result.baseline != result.steered
    assert "steer-eval" in result.format()
    assert no_hooks_left(model)


def test_steer_eval_is_held_out_and_consistent(tiny_loaded):
    loaded = tiny_loaded["gpt_neox"]
    pairs = load_statements()[:24]
    train, test = split_pairs(pairs, 0.5, seed=3)
    assert {p.question for p in train}.isdisjoint(p.question for p in test)
    assert sorted(p.question for p in train + test) == sorted(p.question for p in pairs)
    result = steer_eval(loaded, pairs, strength=4.0, seed=3, n_boot=200, progress=False)
    assert (result.n_train, result.n_test) == (12, 12)
    assert set(result.test_questions) == {p.question for p in test}
    base = np.array(result.correct_base)
    steered = np.array(result.correct_steered)
    assert result.accuracy_base == base.mean() and result.accuracy_steered == steered.mean()
    assert (result.gained, result.lost) == (
        int(np.sum(~base & steered)),
        int(np.sum(base & ~steered)),
    )
    lo, hi = result.accuracy_base_interval
    assert lo <= result.accuracy_base <= hi
    assert result.difference == pytest.approx(result.accuracy_steered - result.accuracy_base)
    text = result.format()
    assert "held out" in text and "McNemar" in text and "12 statement pairs" in text
    assert no_hooks_left(loaded.model)


def test_steer_eval_with_zero_strength_changes_no_answer(tiny_loaded):
    loaded = tiny_loaded["opt"]
    result = steer_eval(loaded, load_statements()[:10], layer=0, strength=0.0, n_boot=50)
    assert result.correct_base == result.correct_steered
    assert result.margin_base == result.margin_steered
    assert (result.gained, result.lost, result.mcnemar_p) == (0, 0, 1.0)
    assert result.rule == "given: layer 0"


def test_bad_direction_arguments(tiny_loaded):
    loaded = tiny_loaded["llama"]
    pairs = load_statements()[:6]
    with pytest.raises(InternalsError, match="out of range"):
        truth_direction(loaded, pairs, 7, progress=False)
    with pytest.raises(InternalsError, match="integer or 'auto'"):
        truth_direction(loaded, pairs, "best", progress=False)
    with pytest.raises(InternalsError, match="at least 4"):
        steer_eval(loaded, pairs, split=0.5, progress=False)
