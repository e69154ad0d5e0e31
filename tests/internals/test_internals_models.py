"""Activations of tiny models of three layouts: shapes, head outputs, hooks removed, loading."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch not installed: make test-internals installs it")
pytest.importorskip("transformers", reason="transformers not installed")

import torch
from tiny_models import hooks, no_hooks_left

from bayescape.internals import (
    InternalsError,
    ModelLoadError,
    internal_coupling,
    load_model,
    resolve_device,
)
from bayescape.internals import _load as load_module
from bayescape.internals._coupling import collect_activations
from bayescape.internals._load import find_head_layout

pytestmark = pytest.mark.behaviour

PROMPTS = [
    "the cat sat on the mat .",
    "a man dips the roller into the tray and",
    "what happens if you swallow chewing gum ?",
    "the library opens at nine in the morning .",
    "two children are building a sandcastle",
]
PROJECTIONS = {
    "gpt_neox": "attention.dense",
    "llama": "self_attn.o_proj",
    "opt": "self_attn.out_proj",
}


@pytest.mark.parametrize("arch", ["gpt_neox", "llama", "opt"])
def test_heads_are_found_and_activations_have_the_right_shapes(arch, tiny_loaded):
    loaded = tiny_loaded[arch]
    layout, reason = find_head_layout(loaded)
    assert reason is None
    assert layout.names == (PROJECTIONS[arch],) * 2
    assert (layout.n_heads, layout.head_dim) == (4, 8)
    acts = collect_activations(loaded, PROMPTS, layout=layout, progress=False)
    assert [a.shape for a in acts.layers] == [(5, 32)] * 3
    assert [h.shape for h in acts.heads] == [(5, 4, 8)] * 2
    assert acts.logits.shape == (5, len(loaded.tokenizer))
    np.testing.assert_allclose(acts.logits.mean(axis=1), 0, atol=1e-5)  # centred per prompt
    assert no_hooks_left(loaded.model)


def test_the_hooks_are_as_before_the_call(tiny_loaded):
    loaded = tiny_loaded["llama"]
    layout, _ = find_head_layout(loaded)
    with torch.inference_mode():  # let transformers install its own hooks first
        loaded.model(input_ids=loaded.tensor(loaded.encode(PROMPTS[0])), output_hidden_states=True)
    before = hooks(loaded.model)
    collect_activations(loaded, PROMPTS[:2], layout=layout, progress=False)
    internal_coupling(loaded, PROMPTS[:2], PROMPTS[2:4], n_boot=5, progress=False)
    assert hooks(loaded.model) == before
    assert no_hooks_left(loaded.model)


def test_layer_vectors_are_the_hidden_states_and_heads_the_projection_input(tiny_loaded):
    loaded = tiny_loaded["llama"]
    layout, _ = find_head_layout(loaded)
    acts = collect_activations(loaded, PROMPTS[:2], layout=layout, progress=False)
    ids = loaded.encode(PROMPTS[1])
    seen = {}
    handle = layout.modules[1].register_forward_pre_hook(
        lambda m, args: seen.setdefault("x", args[0])
    )
    try:
        with torch.inference_mode():
            out = loaded.model(input_ids=loaded.tensor(ids), output_hidden_states=True)
    finally:
        handle.remove()
    for k, state in enumerate(out.hidden_states):
        np.testing.assert_array_equal(acts.layers[k][1], state[0, -1].numpy())
    np.testing.assert_array_equal(acts.heads[1][1].reshape(-1), seen["x"][0, -1].numpy())
    # the projection's output is W_o times the concatenated heads: head h uses columns h*8:(h+1)*8
    w = layout.modules[1].weight.detach().numpy()
    by_head = sum(w[:, 8 * h : 8 * (h + 1)] @ acts.heads[1][1, h] for h in range(4))
    with torch.inference_mode():
        direct = layout.modules[1](seen["x"][0, -1]).numpy()
    np.testing.assert_allclose(by_head, direct, rtol=1e-5, atol=1e-6)


def test_mean_pooling_skips_special_tokens(tiny_loaded):
    loaded = tiny_loaded["gpt_neox"]
    acts = collect_activations(loaded, PROMPTS[:1], pool="mean", unembed=False, progress=False)
    ids = loaded.encode(PROMPTS[0])
    assert ids[0] == loaded.tokenizer.bos_token_id
    with torch.inference_mode():
        out = loaded.model(input_ids=loaded.tensor(ids), output_hidden_states=True)
    want = out.hidden_states[2][0, 1:].mean(0).numpy()
    np.testing.assert_allclose(acts.layers[2][0], want, rtol=1e-5, atol=1e-6)
    assert acts.heads is None and acts.logits is None


def test_hooks_are_removed_when_a_forward_pass_fails(tiny_loaded, monkeypatch):
    loaded = tiny_loaded["opt"]
    layout, _ = find_head_layout(loaded)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(loaded.model, "forward", broken)
    with pytest.raises(RuntimeError, match="boom"):
        collect_activations(loaded, PROMPTS, layout=layout, progress=False)
    monkeypatch.undo()
    assert no_hooks_left(loaded.model)


def test_coupling_cosines_match_numpy_on_the_hidden_states(tiny_loaded):
    loaded = tiny_loaded["gpt_neox"]
    reasoning, truth, base = PROMPTS[:2], PROMPTS[2:4], [PROMPTS[4], "the cat ."]
    result = internal_coupling(
        loaded, reasoning, truth, baseline=base, n_boot=20, progress=False, threshold=0.0
    )
    assert no_hooks_left(loaded.model)
    with torch.inference_mode():
        states = [
            loaded.model(input_ids=loaded.tensor(loaded.encode(p)), output_hidden_states=True)
            for p in [*reasoning, *truth, *base]
        ]
    for k, unit in enumerate(result.layers()):
        x = np.stack([s.hidden_states[k][0, -1].double().numpy() for s in states])
        b = x[4:].mean(0)
        dr, dt = x[:2].mean(0) - b, x[2:4].mean(0) - b
        assert unit.cosine == pytest.approx(dr @ dt / np.linalg.norm(dr) / np.linalg.norm(dt))
        pairs = [
            (x[i] - b) @ (x[j] - b) / np.linalg.norm(x[i] - b) / np.linalg.norm(x[j] - b) < 0
            for i in range(2)
            for j in range(2, 4)
        ]
        assert unit.pair_fraction == pytest.approx(np.mean(pairs))
        assert unit.competing == (np.mean(pairs) > 0.5)
    assert len(result.layers()) == 3 and len(result.heads()) == 8
    assert result.competing_layers() == [u for u in result.layers() if u.competing]
    assert json.loads(json.dumps(result.to_dict()))["sizes"] == {
        "reasoning": 2,
        "truthfulness": 2,
        "baseline": 2,
    }
    op = result.output_projection
    assert op["hidden"][0] == pytest.approx(result.layers()[-1].cosine)
    assert op["difference"][0] == pytest.approx(op["logits"][0] - op["hidden"][0])


def test_an_architecture_without_findable_heads_reports_layers_only(tiny_loaded, monkeypatch):
    loaded = tiny_loaded["llama"]
    monkeypatch.setattr(load_module, "OUTPUT_PROJECTION_NAMES", ("no_such_projection",))
    layout, reason = find_head_layout(loaded)
    assert layout is None
    assert "LlamaForCausalLM" in reason and "no attention output projection" in reason
    result = internal_coupling(loaded, PROMPTS[:2], PROMPTS[2:4], n_boot=10, progress=False)
    assert result.heads() == [] and len(result.layers()) == 3
    text = result.format()
    assert "Per-head outputs: LlamaForCausalLM: no attention output projection" in text
    assert "reporting layers only" in text


def test_load_errors_are_one_line(tmp_path):
    with pytest.raises(ModelLoadError, match="no such folder"):
        load_model(str(tmp_path / "missing"), device="cpu")
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        load_model(str(tmp_path), device="cpu")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelLoadError) as info:
        load_model(str(tmp_path), device="cpu")
    assert "\n" not in str(info.value)
    with pytest.raises(InternalsError, match="unknown dtype"):
        load_model(str(tmp_path), dtype="float8")


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    if torch.cuda.is_available():
        assert resolve_device("auto").type == "cuda"
    else:
        assert resolve_device("auto").type in {"cpu", "mps"}
        with pytest.raises(InternalsError, match="no CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(InternalsError, match="unknown device"):
        resolve_device("warp-drive")


def _in_memory(arch: str, vocab_size: int):
    from transformers import (
        AutoModelForCausalLM,
        BloomConfig,
        GemmaConfig,
        GPT2Config,
        MistralConfig,
        Qwen2Config,
    )

    ids = {"vocab_size": vocab_size, "bos_token_id": 2, "eos_token_id": 3, "pad_token_id": 1}
    decoder = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4}
    configs = {
        "bloom": lambda: BloomConfig(hidden_size=32, n_layer=2, n_head=4, **ids),
        "gpt2": lambda: GPT2Config(n_embd=32, n_layer=2, n_head=4, n_positions=64, **ids),
        "qwen2": lambda: Qwen2Config(num_key_value_heads=2, intermediate_size=64, **decoder, **ids),
        "mistral": lambda: MistralConfig(
            num_key_value_heads=2, intermediate_size=64, **decoder, **ids
        ),
        "gemma": lambda: GemmaConfig(
            num_key_value_heads=1, head_dim=16, intermediate_size=64, **decoder, **ids
        ),
    }
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(configs[arch]())


@pytest.mark.parametrize(
    ("arch", "projection", "head_dim"),
    [
        ("bloom", "self_attention.dense", 8),  # decoder layers return tuples
        ("gpt2", "attn.c_proj", 8),  # Conv1D projection
        ("qwen2", "self_attn.o_proj", 8),
        ("mistral", "self_attn.o_proj", 8),
        ("gemma", "self_attn.o_proj", 16),  # heads * head_dim != hidden size
    ],
)
def test_other_layouts(arch, projection, head_dim, tiny_tokenizer):
    from bayescape.internals import steering, wrap_model

    loaded = wrap_model(_in_memory(arch, len(tiny_tokenizer)), tiny_tokenizer, device="cpu")
    layout, reason = find_head_layout(loaded)
    assert reason is None and layout.names == (projection, projection)
    acts = collect_activations(loaded, PROMPTS[:2], layout=layout, progress=False)
    assert [h.shape for h in acts.heads] == [(2, 4, head_dim)] * 2
    ids = loaded.tensor(loaded.encode(PROMPTS[0]))
    vector = np.ones(32, np.float32)
    with torch.inference_mode():
        plain = loaded.model(input_ids=ids).logits
        with steering(loaded, 1, vector, 0.0):
            zero = loaded.model(input_ids=ids).logits
        with steering(loaded, 0, vector, 1.0):
            moved = loaded.model(input_ids=ids).logits
    assert torch.equal(plain, zero) and not torch.equal(plain, moved)
    assert no_hooks_left(loaded.model)


def test_weights_missing_from_the_checkpoint_are_reported(tiny_tokenizer, tmp_path):
    from transformers import LlamaConfig, LlamaModel

    config = LlamaConfig(
        vocab_size=len(tiny_tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
    )
    LlamaModel(config).save_pretrained(tmp_path)  # no language-model head
    tiny_tokenizer.save_pretrained(tmp_path)
    (note,) = load_model(str(tmp_path), device="cpu").notes
    assert "lm_head.weight" in note and "initialised at random" in note


def test_saved_tiny_models_load_without_notes(tiny_loaded):
    assert all(loaded.notes == [] for loaded in tiny_loaded.values())
