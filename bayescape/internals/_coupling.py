r"""Internal coupling: how reasoning and truthfulness prompts sit relative to each other, per
layer and per attention head, with bootstrap intervals over prompts.

For every *unit* (the hidden state after each decoder layer, each head's output, and the
centred logits after the unembedding) every prompt is represented by one vector (the last
token's by default), and :func:`~bayescape.internals._stats.coupling_from_grams` computes the
cosine of the mean differences and the competing rule on the prompts' Gram matrix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from . import _stats
from ._data import DEFAULT_SETS, load_prompts
from ._errors import InternalsError
from ._load import HeadLayout, LoadedModel, find_head_layout

POOLS = ("last", "mean")
_POOL_WORDS = {
    "last": "the last token's vector",
    "mean": "the mean over the prompt's tokens (BOS, EOS, padding excluded)",
}


@dataclass(frozen=True)
class UnitCoupling:
    """Coupling statistics of one unit.

    Attributes
    ----------
    kind
        ``"layer"`` (hidden state), ``"head"`` (one head's output) or ``"logits"`` (the last
        hidden state after the unembedding, centred per prompt).
    layer
        Decoder layer, 0-based; ``-1`` is the embedding output; ``None`` for the logits.
    head
        Head index within the layer (``None`` unless ``kind == "head"``).
    cosine, cosine_interval
        Cosine of the mean differences and its bootstrap percentile interval.
    pair_fraction, pair_fraction_interval
        Share of (reasoning, truthfulness) prompt pairs whose cosine is below the threshold.
    competing
        ``pair_fraction`` above the rule's share (the paper's rule: below -0.5 for more than
        half of the pairs).
    competing_support
        Share of bootstrap resamples in which the unit is competing.
    """

    kind: str
    layer: int | None
    head: int | None
    cosine: float
    cosine_interval: tuple[float, float]
    pair_fraction: float
    pair_fraction_interval: tuple[float, float]
    competing: bool
    competing_support: float

    @property
    def label(self) -> str:
        """``emb``, ``layer 3``, ``layer 3 head 5`` or ``logits``."""
        if self.kind == "logits":
            return "logits"
        if self.layer == -1:
            return "emb"
        if self.kind == "head":
            return f"layer {self.layer} head {self.head}"
        return f"layer {self.layer}"


@dataclass
class CouplingResult:
    """What :func:`internal_coupling` measured, with the settings that define it.

    ``units`` holds every layer (embedding output first, then one per decoder layer; the last
    one is, as transformers returns it, usually after the model's final normalisation), every
    head (when the architecture exposes the head outputs) and the logits.
    """

    model: str
    architecture: str
    device: str
    dtype: str
    n_layers: int
    n_heads: int | None
    sizes: dict[str, int]
    sources: dict[str, str]
    pool: str
    n_boot: int
    prob: float
    threshold: float
    fraction: float
    seed: int
    units: list[UnitCoupling]
    heads_note: str | None = None
    output_projection: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def baseline(self) -> bool:
        """Whether a baseline mean was subtracted (``False``: raw means, the paper's)."""
        return self.sizes.get("baseline", 0) > 0

    def layers(self) -> list[UnitCoupling]:
        """Layer units (embedding output first)."""
        return [u for u in self.units if u.kind == "layer"]

    def heads(self) -> list[UnitCoupling]:
        """Head units (empty when the head outputs were not found or not asked for)."""
        return [u for u in self.units if u.kind == "head"]

    def competing_layers(self) -> list[UnitCoupling]:
        """Layers that meet the competing rule."""
        return [u for u in self.layers() if u.competing]

    def competing_heads(self) -> list[UnitCoupling]:
        """Heads that meet the competing rule."""
        return [u for u in self.heads() if u.competing]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (NaN becomes ``None``)."""
        data = dataclasses.asdict(self)
        data["baseline"] = self.baseline
        data["competing_rule"] = self.rule()
        data["competing_layers"] = [u.label for u in self.competing_layers()]
        data["competing_heads"] = [u.label for u in self.competing_heads()]
        return _json_ready(data)

    def rule(self) -> str:
        """The competing rule in words."""
        return (
            f"pairwise cosine < {self.threshold:g} for more than {self.fraction:.0%} of "
            "(reasoning, truthfulness) prompt pairs"
        )

    def format(self, show_heads: bool = False) -> str:
        """A plain-text report: settings, one row per layer, counts, output projection."""
        pct = f"{self.prob:.0%}"
        lines = [
            f"Internal coupling of reasoning and truthfulness prompts: {self.model} "
            f"({self.architecture}, {self.n_layers} layers, "
            f"{self.n_heads if self.n_heads else '?'} heads; {self.device}, {self.dtype})",
            f"Prompts: {self.sizes['reasoning']} reasoning ({self.sources['reasoning']}), "
            f"{self.sizes['truthfulness']} truthfulness ({self.sources['truthfulness']})",
            (
                f"Baseline: mean of {self.sizes['baseline']} prompts "
                f"({self.sources['baseline']}) subtracted from every vector"
                if self.baseline
                else "Baseline: none (raw means, the paper's definition; dominated by what all "
                "prompts share)"
            ),
            f"Representation: {_POOL_WORDS.get(self.pool, self.pool)}",
            f"Intervals: {pct} percentile bootstrap over prompts ({self.n_boot} resamples "
            f"within each set, seed {self.seed})",
            f"Competing rule: {self.rule()}",
        ]
        if self.heads_note:
            lines.append(f"Per-head outputs: {self.heads_note}; reporting layers only")
        lines.append("")
        heads_by_layer: dict[int, list[UnitCoupling]] = {}
        for unit in self.heads():
            heads_by_layer.setdefault(int(unit.layer), []).append(unit)
        header = (
            f"{'layer':<7} {'cosine [' + pct + ' interval]':<28} "
            f"{'pairs < ' + format(self.threshold, 'g') + ' [' + pct + ']':<26} "
            f"{'competing':<10} heads competing"
        )
        lines += [header, "-" * len(header)]
        last = self.layers()[-1].layer if self.layers() else None
        for unit in self.layers():
            name = "emb" if unit.layer == -1 else str(unit.layer)
            heads = heads_by_layer.get(int(unit.layer), [])
            count = f"{sum(h.competing for h in heads)}/{len(heads)}" if heads else "-"
            note = "  (after the final norm)" if unit.layer == last else ""
            lines.append(_row(name, unit, count) + note)
        if show_heads and self.heads():
            lines += ["", "Heads (layer.head)", "------------------"]
            lines += [_row(f"{u.layer}.{u.head}", u, "") for u in self.heads()]
        lines.append("")
        n_heads_total = len(self.heads())
        competing_heads = self.competing_heads()
        summary = f"Competing layers: {len(self.competing_layers())} of {len(self.layers())}"
        if n_heads_total:
            summary += f"; competing heads: {len(competing_heads)} of {n_heads_total}"
        if competing_heads:
            summary += " (" + ", ".join(u.label for u in competing_heads[:12])
            summary += ", ...)" if len(competing_heads) > 12 else ")"
        lines.append(summary)
        if self.output_projection:
            op = self.output_projection
            lines.append(
                "Output projection (last hidden state vs after the unembedding, centred logits): "
                f"cosine {_ci(op['hidden'])} vs {_ci(op['logits'])}; "
                f"difference {_ci(op['difference'])}"
            )
            logits = next(u for u in self.units if u.kind == "logits")
            lines.append(
                f"  pairs < {self.threshold:g} after the unembedding: "
                f"{_ci((logits.pair_fraction, *logits.pair_fraction_interval))}"
                f"{'  competing' if logits.competing else ''}"
            )
        return "\n".join(lines)


def _fmt(value: float, digits: int = 3) -> str:
    return "nan" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _ci(triple: Sequence[float], digits: int = 3) -> str:
    point, lo, hi = triple
    return f"{_fmt(point, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def _row(name: str, unit: UnitCoupling, count: str) -> str:
    cos = _ci((unit.cosine, *unit.cosine_interval))
    frac = _ci((unit.pair_fraction, *unit.pair_fraction_interval), 2)
    flag = "yes" if unit.competing else "no"
    return f"{name:<7} {cos:<28} {frac:<26} {flag:<10} {count}".rstrip()


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------------------------------------
# Activations


@dataclass
class Activations:
    """One vector per prompt in every unit.

    Attributes
    ----------
    layers
        ``n_layers + 1`` arrays ``(N, d)``: ``output_hidden_states`` (embeddings first).
    heads
        One ``(N, n_heads, head_dim)`` array per decoder layer, or ``None``.
    logits
        ``(N, vocab)`` logits centred per prompt (log-probabilities up to a constant), or
        ``None``.
    """

    layers: list[np.ndarray]
    heads: list[np.ndarray] | None
    logits: np.ndarray | None


def _positions(loaded: LoadedModel, ids: list[int], pool: str) -> torch.Tensor:
    """Token positions pooled: the last one, or for ``mean`` every token but the special ones
    (BOS, EOS, padding; an unknown-word token is content and stays)."""
    if pool == "last":
        return torch.tensor([len(ids) - 1])
    special = set(getattr(loaded.tokenizer, "all_special_ids", None) or [])
    special.discard(getattr(loaded.tokenizer, "unk_token_id", None))
    keep = [i for i, token in enumerate(ids) if token not in special]
    return torch.tensor(keep or list(range(len(ids))))


def collect_activations(
    loaded: LoadedModel,
    prompts: Sequence[str],
    *,
    pool: str = "last",
    layout: HeadLayout | None = None,
    unembed: bool = True,
    progress: bool = True,
) -> Activations:
    """Run every prompt through the model (one at a time, no padding) and keep one vector per
    prompt in every unit.

    Hidden states come from ``output_hidden_states=True``; head outputs from a forward
    pre-hook on each layer's attention output projection (its input is the concatenated head
    outputs, split into ``n_heads`` pieces); the hooks are removed before returning, also when
    a forward pass fails.
    """
    if pool not in POOLS:
        raise InternalsError(f"unknown pooling {pool!r}; use one of {POOLS}")
    n = len(prompts)
    captured: dict[int, torch.Tensor] = {}

    def make_hook(index: int):
        def hook(module, args, kwargs):
            value = args[0] if args else next(iter(kwargs.values()))
            captured[index] = value.detach()

        return hook

    handles = []
    layers: list[np.ndarray] | None = None
    heads: list[np.ndarray] | None = None
    logits: np.ndarray | None = None
    try:
        if layout is not None:
            handles = [
                module.register_forward_pre_hook(make_hook(i), with_kwargs=True)
                for i, module in enumerate(layout.modules)
            ]
        for row, prompt in enumerate(
            tqdm(prompts, desc="prompts", unit="prompt", disable=None if progress else True)
        ):
            ids = loaded.encode(prompt)
            where = _positions(loaded, ids, pool)
            captured.clear()
            with torch.inference_mode():
                out = loaded.model(
                    input_ids=loaded.tensor(ids), output_hidden_states=True, use_cache=False
                )
            states = out.hidden_states
            if states is None:
                raise InternalsError(
                    f"{loaded.architecture} returned no hidden states (output_hidden_states)"
                )
            if layers is None:
                layers = [np.empty((n, s.shape[-1]), np.float32) for s in states]
            if len(states) != len(layers):
                raise InternalsError("the number of hidden states changed between prompts")
            for k, state in enumerate(states):
                layers[k][row] = _pooled(state, where)
            if layout is not None:
                if heads is None:
                    shape = (n, layout.n_heads, layout.head_dim)
                    heads = [np.empty(shape, np.float32) for _ in layout.modules]
                for k in range(len(layout.modules)):
                    if k not in captured:
                        raise InternalsError(
                            f"the hook on {layout.names[k]} of layer {k} saw no input; the "
                            f"head outputs of {loaded.architecture} cannot be read"
                        )
                    heads[k][row] = _pooled(captured[k], where).reshape(
                        layout.n_heads, layout.head_dim
                    )
            if unembed:
                z = _pooled(out.logits, where).astype(np.float64)
                z -= z.mean()
                if logits is None:
                    logits = np.empty((n, z.shape[-1]), np.float32)
                logits[row] = z
    finally:
        for handle in handles:
            handle.remove()
        captured.clear()
    assert layers is not None
    return Activations(layers=layers, heads=heads, logits=logits)


def _pooled(tensor: torch.Tensor, where: torch.Tensor) -> np.ndarray:
    flat = tensor.reshape(-1, tensor.shape[-1])  # batch of one: (seq, width)
    return flat[where.to(flat.device)].float().mean(dim=0).cpu().numpy()


# ---------------------------------------------------------------------------------------------
# The analysis


def _resolve_set(value: Sequence[str] | str | None, default: str) -> tuple[list[str], str]:
    if value is None:
        value = default
    if isinstance(value, str):
        label = f"shipped {value}.txt" if value in DEFAULT_SETS else value
        return load_prompts(value), label
    prompts = [p.strip() for p in value if p.strip()]
    if len(prompts) < 2:
        raise InternalsError(f"{default} prompts: need at least 2, got {len(prompts)}")
    return prompts, "given"


def internal_coupling(
    loaded: LoadedModel,
    reasoning: Sequence[str] | str | None = None,
    truthfulness: Sequence[str] | str | None = None,
    *,
    baseline: Sequence[str] | str | None = "neutral",
    pool: str = "last",
    heads: bool = True,
    unembed: bool = True,
    n_boot: int = 1000,
    prob: float = 0.9,
    threshold: float = -0.5,
    fraction: float = 0.5,
    seed: int = 0,
    progress: bool = True,
) -> CouplingResult:
    r"""Coupling of reasoning and truthfulness prompts inside a model, per layer and head.

    Parameters
    ----------
    loaded
        From :func:`load_model` or :func:`wrap_model`.
    reasoning, truthfulness
        Prompt lists, or a file with one prompt per line; ``None``: the shipped sets.
    baseline
        Prompts whose mean is subtracted before every cosine (``"neutral"``: the shipped
        neutral sentences; a list or a file), or ``None`` for raw means (the paper's
        definition). Without a baseline the cosine of two means is dominated by what every
        prompt shares (the mean activation), so it is near 1 in most layers whatever the
        prompts; subtracting a neutral baseline measures the directions that the two prompt
        sets add.
    pool
        ``"last"`` (the last token's vector; default) or ``"mean"`` (mean over the prompt's
        non-special tokens).
    heads
        Also measure every head (where the head outputs can be found).
    unembed
        Also measure the logits (the output projection's effect on the coupling).
    n_boot, prob, seed
        Bootstrap resamples, interval width, random seed.
    threshold, fraction
        The competing rule: pairwise cosine below ``threshold`` for more than ``fraction`` of
        the pairs (paper: -0.5 and 0.5).
    progress
        Progress bar over prompts (on a terminal).

    Returns
    -------
    CouplingResult
    """
    if not 0 < prob < 1:
        raise InternalsError(f"prob must be in (0, 1), got {prob}")
    if n_boot < 1:
        raise InternalsError(f"n_boot must be at least 1, got {n_boot}")
    if not -1 <= threshold <= 1 or not 0 <= fraction < 1:
        raise InternalsError("the competing rule needs threshold in [-1, 1], fraction in [0, 1)")
    reasoning_prompts, reasoning_src = _resolve_set(reasoning, "reasoning")
    truth_prompts, truth_src = _resolve_set(truthfulness, "truthfulness")
    if baseline is None:
        base_prompts, base_src = [], "none"
    else:
        base_prompts, base_src = _resolve_set(baseline, "neutral")
    sizes = _stats.GroupSizes(len(reasoning_prompts), len(truth_prompts), len(base_prompts))

    layout, heads_note = (None, "not asked for") if not heads else find_head_layout(loaded)
    acts = collect_activations(
        loaded,
        [*reasoning_prompts, *truth_prompts, *base_prompts],
        pool=pool,
        layout=layout,
        unembed=unembed,
        progress=progress,
    )
    weights = _stats.bootstrap_weights(sizes, n_boot, seed)
    centre = sizes.baseline > 0

    def analyse(grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _stats.coupling_from_grams(grams, sizes, weights, threshold)

    def units_from(cos: np.ndarray, frac: np.ndarray, kinds) -> list[UnitCoupling]:
        cos_ci = _stats.percentile_interval(cos[:, 1:], prob)
        frac_ci = _stats.percentile_interval(frac[:, 1:], prob)
        support = (frac[:, 1:] > fraction).mean(axis=1)
        return [
            UnitCoupling(
                kind=kind,
                layer=layer,
                head=head,
                cosine=float(cos[u, 0]),
                cosine_interval=(float(cos_ci[u, 0]), float(cos_ci[u, 1])),
                pair_fraction=float(frac[u, 0]),
                pair_fraction_interval=(float(frac_ci[u, 0]), float(frac_ci[u, 1])),
                competing=bool(frac[u, 0] > fraction),
                competing_support=float(support[u]),
            )
            for u, (kind, layer, head) in enumerate(kinds)
        ]

    layer_grams = np.stack([_stats.gram(x, centre) for x in acts.layers])
    layer_cos, layer_frac = analyse(layer_grams)
    units = units_from(
        layer_cos, layer_frac, [("layer", k - 1, None) for k in range(len(acts.layers))]
    )
    if acts.heads is not None and layout is not None:
        for k, x in enumerate(acts.heads):
            grams = _stats.gram(np.moveaxis(x, 1, 0), centre)  # (H, N, N)
            cos, frac = analyse(grams)
            units += units_from(cos, frac, [("head", k, h) for h in range(layout.n_heads)])
    output_projection = None
    if acts.logits is not None:
        cos, frac = analyse(_stats.gram(acts.logits, centre)[None])
        units += units_from(cos, frac, [("logits", None, None)])
        hidden = layer_cos[-1]
        diff = cos[0] - hidden
        output_projection = {
            "hidden": _triple(hidden, prob),
            "logits": _triple(cos[0], prob),
            "difference": _triple(diff, prob),
        }
    n_layers = len(acts.layers) - 1
    return CouplingResult(
        model=loaded.name,
        architecture=loaded.architecture,
        device=str(loaded.device),
        dtype=str(loaded.dtype).removeprefix("torch."),
        n_layers=n_layers,
        n_heads=loaded.n_heads,
        sizes={
            "reasoning": sizes.reasoning,
            "truthfulness": sizes.truthfulness,
            "baseline": sizes.baseline,
        },
        sources={"reasoning": reasoning_src, "truthfulness": truth_src, "baseline": base_src},
        pool=pool,
        n_boot=n_boot,
        prob=prob,
        threshold=threshold,
        fraction=fraction,
        seed=seed,
        units=units,
        heads_note=None if layout is not None else heads_note,
        output_projection=output_projection,
    )


def _triple(values: np.ndarray, prob: float) -> tuple[float, float, float]:
    lo, hi = _stats.percentile_interval(values[1:], prob)
    return (float(values[0]), float(lo), float(hi))
