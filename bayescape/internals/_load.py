"""Load a causal language model and its tokenizer; choose the device; find layers and heads.

Every failure a user can cause becomes a :class:`ModelLoadError` or :class:`InternalsError`
with a one-line message (the CLI prints it and exits with code 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import transformers
from packaging.version import Version
from torch import nn

from ._errors import InternalsError, ModelLoadError, one_line

DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}
# Last name of the attention output projection (its input is the concatenated head outputs)
OUTPUT_PROJECTION_NAMES = ("o_proj", "out_proj", "dense", "c_proj", "wo", "o", "proj")
ATTENTION_WORDS = ("attn", "attention")


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"``: the first CUDA GPU when present, else Apple's MPS when present, else the CPU.

    Raises
    ------
    InternalsError
        A device that is named but not available (``"cuda"`` on a machine without a GPU).
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except RuntimeError as exc:
        raise InternalsError(f"unknown device {device!r}: {one_line(exc)}") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise InternalsError(f"device {device!r} asked for, but torch sees no CUDA GPU")
    return chosen


def _text_config(config: Any) -> Any:
    getter = getattr(config, "get_text_config", None)
    return getter() if callable(getter) else config


@dataclass
class LoadedModel:
    """A causal LM in eval mode, its tokenizer, and where it runs.

    Attributes
    ----------
    model, tokenizer
        The transformers objects.
    device
        Where the model's parameters are (inputs are moved there).
    name
        The hub id or path it was loaded from (or a label given to :func:`wrap_model`).
    notes
        Warnings from loading (weights missing from the checkpoint, initialised at random).
    """

    model: Any
    tokenizer: Any
    device: torch.device
    name: str
    notes: list[str] = field(default_factory=list)
    _layers: list[nn.Module] | None = field(default=None, repr=False)

    @property
    def architecture(self) -> str:
        """Class name of the model (``LlamaForCausalLM`` ...)."""
        return type(self.model).__name__

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the model's parameters."""
        return next(self.model.parameters()).dtype

    @property
    def n_heads(self) -> int | None:
        """Attention heads per layer, from the model's config (``None`` when it has none)."""
        value = getattr(_text_config(self.model.config), "num_attention_heads", None)
        return int(value) if isinstance(value, int) else None

    def decoder_layers(self) -> list[nn.Module]:
        """The decoder blocks, in order (the ``ModuleList`` whose length is the layer count).

        Raises
        ------
        InternalsError
            No such list in the model (steering needs the blocks' outputs).
        """
        if self._layers is None:
            self._layers = find_decoder_layers(self.model)
        return self._layers

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` as the model reads it (with the tokenizer's special tokens)."""
        ids = self.tokenizer(text)["input_ids"]
        if not ids:
            raise InternalsError(f"the tokenizer turns {text[:60]!r} into no tokens")
        return list(ids)

    def tensor(self, ids: list[int]) -> torch.Tensor:
        """``(1, len(ids))`` LongTensor on the model's device."""
        return torch.tensor([ids], dtype=torch.long, device=self.device)


def find_decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The decoder blocks of a transformers causal LM, found by structure, not by name.

    The blocks are the ``nn.ModuleList`` whose length equals ``config.num_hidden_layers``
    (``model.layers`` in Llama/Qwen/Mistral/Gemma, ``gpt_neox.layers``, ``decoder.layers`` in
    OPT, ``transformer.h`` in BLOOM/GPT-2); when several qualify, the first whose blocks hold an
    attention module.
    """
    n_layers = getattr(_text_config(model.config), "num_hidden_layers", None)
    lists = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, nn.ModuleList) and len(module) > 0
    ]
    if isinstance(n_layers, int):
        lists = [(name, module) for name, module in lists if len(module) == n_layers]
    with_attention = [
        (name, module)
        for name, module in lists
        if any(
            any(word in part.lower() for word in ATTENTION_WORDS)
            for sub, _ in module[0].named_modules()
            for part in sub.split(".")
        )
    ]
    chosen = with_attention or lists
    if not chosen:
        raise InternalsError(
            f"cannot find the decoder layers of {type(model).__name__}: no ModuleList of "
            f"{n_layers} blocks; steering needs them"
        )
    return list(chosen[0][1])


def _in_features(module: nn.Module) -> int | None:
    if isinstance(module, nn.Linear):
        return int(module.in_features)
    if type(module).__name__ == "Conv1D":  # GPT-2 style: weight is (in, out)
        weight = getattr(module, "weight", None)
        return int(weight.shape[0]) if weight is not None else None
    value = getattr(module, "in_features", None)
    return int(value) if isinstance(value, int) else None


@dataclass(frozen=True)
class HeadLayout:
    """Where the head outputs are: one attention output projection per decoder layer.

    The input of that projection is the concatenation of the ``n_heads`` head outputs
    (``n_heads * head_dim`` features), split into heads in order.
    """

    modules: tuple[nn.Module, ...]
    names: tuple[str, ...]
    n_heads: int
    head_dim: int


def find_head_layout(loaded: LoadedModel) -> tuple[HeadLayout | None, str | None]:
    """Find the attention output projection of every decoder layer, generically.

    In each block, the first submodule whose own name is one of ``o_proj``, ``out_proj``,
    ``dense``, ``c_proj``, ``wo``, ``o``, ``proj``, whose path goes through a module named like
    ``attn``/``attention``, and whose input width is a multiple of the head count.

    Returns
    -------
    layout : HeadLayout or None
        ``None`` when the heads cannot be found in every layer.
    reason : str or None
        Why not (one line), else ``None``.
    """
    arch = loaded.architecture
    n_heads = loaded.n_heads
    if not n_heads:
        return None, f"{arch}: the config has no num_attention_heads"
    try:
        layers = loaded.decoder_layers()
    except InternalsError as exc:
        return None, str(exc)
    modules, names, widths = [], [], set()
    for index, layer in enumerate(layers):
        found = None
        for name, module in layer.named_modules():
            parts = name.split(".")
            if parts[-1] not in OUTPUT_PROJECTION_NAMES:
                continue
            if not any(w in p.lower() for p in parts[:-1] for w in ATTENTION_WORDS):
                continue
            width = _in_features(module)
            if width and width % n_heads == 0:
                found = (name, module, width)
                break
        if found is None:
            return None, (
                f"{arch}: no attention output projection (o_proj, out_proj, dense, c_proj ... "
                f"under an attention module, input a multiple of {n_heads} heads) in layer "
                f"{index}"
            )
        names.append(found[0])
        modules.append(found[1])
        widths.add(found[2])
    if len(widths) != 1:
        return None, f"{arch}: the attention output projections differ in width ({widths})"
    width = widths.pop()
    return HeadLayout(tuple(modules), tuple(names), n_heads, width // n_heads), None


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~", ".\\")) or Path(name).expanduser().exists()


def _dtype_argument(dtype: torch.dtype | str) -> dict[str, Any]:
    key = "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"
    return {key: dtype}


def load_model(
    name_or_path: str,
    *,
    device: str = "auto",
    dtype: str = "float32",
    trust_remote_code: bool = False,
) -> LoadedModel:
    """Load a causal LM and its tokenizer with transformers, in eval mode, on one device.

    Parameters
    ----------
    name_or_path
        A hub id (``EleutherAI/pythia-70m``; downloaded or taken from the local cache) or a
        folder written by ``save_pretrained`` (``config.json``, weights, tokenizer files).
    device
        ``"auto"`` (CUDA when present, else MPS, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``.
    dtype
        ``"float32"`` (default, exact on CPU), ``"bfloat16"``, ``"float16"``, or ``"auto"`` (the
        checkpoint's own).
    trust_remote_code
        Passed to transformers (needed by architectures that ship their own code).

    Returns
    -------
    LoadedModel

    Raises
    ------
    ModelLoadError
        The folder does not exist or is not a model, the hub id cannot be reached (offline,
        ``HF_HUB_OFFLINE=1``, or not in the cache), or the files cannot be read; one line.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype != "auto" and dtype not in DTYPES:
        raise InternalsError(f"unknown dtype {dtype!r}; use one of {[*DTYPES, 'auto']}")
    torch_device = resolve_device(device)
    name = str(name_or_path)
    source: str | Path = name
    if _looks_like_path(name):
        path = Path(name).expanduser()
        if not path.exists():
            raise ModelLoadError(f"cannot load model {name!r}: no such folder")
        if path.is_dir() and not (path / "config.json").is_file():
            raise ModelLoadError(
                f"cannot load model {name!r}: the folder has no config.json (give a folder "
                "written by save_pretrained, or a hub id)"
            )
        source = path
    hint = ""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        hint = " (HF_HUB_OFFLINE is set: only local folders and models in the cache load)"
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
        model, info = AutoModelForCausalLM.from_pretrained(
            source,
            trust_remote_code=trust_remote_code,
            output_loading_info=True,
            **_dtype_argument(DTYPES.get(dtype, "auto")),
        )
    except (OSError, ValueError, KeyError, ImportError, RuntimeError, TypeError) as exc:
        raise ModelLoadError(f"cannot load model {name!r}: {one_line(exc)}{hint}") from None
    loaded = wrap_model(model, tokenizer, device=torch_device, name=name)
    missing = sorted((info or {}).get("missing_keys") or [])
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        loaded.notes.append(
            f"{len(missing)} weight(s) of {loaded.architecture} are not in the checkpoint and "
            f"were initialised at random ({shown}); results on them mean nothing"
        )
    return loaded


def wrap_model(
    model: Any,
    tokenizer: Any,
    *,
    device: torch.device | str | None = None,
    name: str | None = None,
) -> LoadedModel:
    """Wrap a model and tokenizer already in memory (puts the model in eval mode).

    Parameters
    ----------
    model
        A transformers causal LM (``...ForCausalLM``).
    tokenizer
        Its tokenizer.
    device
        Move the model there; ``None`` keeps it where it is.
    name
        A label for reports (default: the model's ``name_or_path``).
    """
    if device is not None:
        model = model.to(resolve_device(str(device)) if isinstance(device, str) else device)
    model.eval()
    where = next(model.parameters()).device
    label = name or getattr(model, "name_or_path", None) or type(model).__name__
    return LoadedModel(model=model, tokenizer=tokenizer, device=where, name=str(label))
