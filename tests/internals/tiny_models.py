"""Helpers of the internals tests: tiny random causal LMs, an offline tokenizer, hook checks.

Nothing is downloaded: the tokenizer is built with ``tokenizers`` from the words of the shipped
prompt files, and each model from a config (hidden 32, 2 layers, 4 heads).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

SPECIAL = ["<unk>", "<pad>", "<s>", "</s>"]
ARCHITECTURES = ("gpt_neox", "llama", "opt")
EXTRA_WORDS = "yes no true false red blue green cat dog paris london the answer is".split()


EXTRA = ("torch", "transformers", "tokenizers")
"""The modules of the internals extra the tests need."""


def require_extra() -> None:
    """Skip unless the internals extra (torch, transformers, tokenizers) is installed."""
    for name in EXTRA:
        pytest.importorskip(name, reason=f"{name} not installed: make test-internals installs it")


def _vocabulary() -> list[str]:
    from bayescape.internals._data import PROMPT_DIR

    words: set[str] = set(EXTRA_WORDS)
    for path in PROMPT_DIR.iterdir():
        words |= set(re.findall(r"\w+|[^\w\s]+", path.read_text(encoding="utf-8").lower()))
    return SPECIAL + sorted(words)


def build_tokenizer():
    """A word-level fast tokenizer (lower-cased, ``<s>`` prepended), wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {word: i for i, word in enumerate(_vocabulary())}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", vocab["<s>"])]
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
    )


def build_model(arch: str, vocab_size: int, seed: int = 0):
    """A tiny random causal LM: hidden 32, 2 layers, 4 heads."""
    import torch
    from transformers import AutoModelForCausalLM, GPTNeoXConfig, LlamaConfig, OPTConfig

    common = {
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 256,
        "bos_token_id": 2,
        "eos_token_id": 3,
        "pad_token_id": 1,
    }
    if arch == "gpt_neox":
        config = GPTNeoXConfig(intermediate_size=64, **common)
    elif arch == "llama":
        config = LlamaConfig(intermediate_size=64, num_key_value_heads=2, **common)
    elif arch == "opt":
        config = OPTConfig(ffn_dim=64, word_embed_proj_dim=32, **common)
    else:
        raise ValueError(arch)
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config).eval()


def hooks(model: Any) -> dict[tuple[str, str], tuple]:
    """Every forward (pre-)hook of every module, by module name and kind."""
    out = {}
    for name, module in model.named_modules():
        for kind in ("_forward_hooks", "_forward_pre_hooks"):
            if getattr(module, kind):
                out[(name, kind)] = tuple(getattr(module, kind).values())
    return out


def no_hooks_left(model: Any) -> bool:
    """None of bayescape's hooks is left on any module.

    transformers 5 installs hooks of its own on the first forward pass (it records hidden states
    with them) and keeps them, so the hook dictionaries are not empty after a forward pass even
    of an untouched model; ours are the ones whose code lives in bayescape.
    """
    return not any(
        getattr(fn, "__module__", "").startswith("bayescape")
        for fns in hooks(model).values()
        for fn in fns
    )
