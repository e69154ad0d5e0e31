"""``bayescape internals coupling|steer|steer-eval``: inside open-weight models (optional extra).

torch and transformers are imported only when one of these commands runs (through
``bayescape.internals``); without them the command prints one line saying what to install and
exits with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from types import ModuleType

from bayescape.cli import _options as opt
from bayescape.errors import BayescapeError

MISSING_EXTRA = "bayescape internals needs the optional extra: pip install 'bayescape[internals]'"
_DTYPES = ("float32", "bfloat16", "float16", "auto")


def _layer(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'auto', got {value!r}") from None


def _model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        required=True,
        metavar="HF_ID_OR_PATH",
        help="a causal LM: hub id (e.g. EleutherAI/pythia-160m; downloaded or from the cache) "
        "or a folder written by save_pretrained",
    )
    p.add_argument(
        "--device",
        default="auto",
        help="auto (a CUDA GPU when present, else the CPU), cpu, cuda, cuda:1 ... (default auto)",
    )
    p.add_argument(
        "--dtype",
        default="float32",
        choices=_DTYPES,
        help="weights and activations (default float32; auto: the checkpoint's own)",
    )
    p.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="let transformers run the model repository's own code (some architectures need it)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``internals`` command group."""
    p = sub.add_parser(
        "internals",
        help="coupling and truth steering inside open-weight models (optional extra)",
        description="Measure the coupling of reasoning and truthfulness inside a causal "
        "language model (per layer and head) and steer it along a truth direction. Needs the "
        "optional extra: pip install 'bayescape[internals]' (torch, transformers).",
    )
    group = p.add_subparsers(dest="internals_command", metavar="SUBCOMMAND", required=True)

    c = group.add_parser(
        "coupling",
        help="per-layer and per-head coupling of reasoning and truthfulness prompts",
        description="Per layer (and per attention head where the architecture exposes the "
        "head outputs): the cosine between the mean representations of reasoning and of "
        "truthfulness prompts, each minus the mean of baseline prompts; the share of prompt "
        "pairs whose cosine is below the threshold and the units where it exceeds the "
        "fraction (competing: the paper's rule is -0.5 and half); the same after the "
        "unembedding; percentile bootstrap intervals over prompts.",
    )
    _model_arguments(c)
    c.add_argument(
        "--prompts",
        nargs=2,
        metavar=("REASONING", "TRUTHFULNESS"),
        default=None,
        help="two text files, one prompt per line (default: the shipped sets, 62 each)",
    )
    c.add_argument(
        "--baseline",
        default="neutral",
        help="prompts whose mean is subtracted before every cosine: neutral (the shipped 60 "
        "neutral sentences; default), none (raw means, the paper's definition), or a file",
    )
    c.add_argument(
        "--pool",
        default="last",
        choices=("last", "mean"),
        help="one vector per prompt: the last token's (default) or the mean over its tokens",
    )
    c.add_argument(
        "--threshold", type=opt.real, default=-0.5, help="competing: pairwise cosine below this"
    )
    c.add_argument(
        "--fraction",
        type=opt.probability,
        default=0.5,
        help="competing: for more than this share of the pairs (default 0.5)",
    )
    c.add_argument("--no-heads", action="store_true", help="layers only (skip the heads)")
    c.add_argument("--no-unembed", action="store_true", help="skip the logits")
    c.add_argument("--show-heads", action="store_true", help="print one row per head too")
    c.add_argument(
        "--bootstrap",
        type=opt.positive_int,
        default=1000,
        help="bootstrap resamples (default 1000)",
    )
    opt.seed_and_prob(c)
    c.set_defaults(func=_coupling)

    s = group.add_parser(
        "steer",
        help="generate with and without a truth direction added to the residual stream",
        description="Build a truth direction (mean activation of true minus false "
        "statements at one decoder layer's output, last token), add STRENGTH times it to that "
        "layer's output at every position, and print greedy continuations of the prompt with "
        "and without it. Whether steering makes answers more truthful is measured by "
        "'bayescape internals steer-eval', not by a changed output.",
    )
    _model_arguments(s)
    s.add_argument("--prompt", required=True, help="the text to continue")
    _direction_arguments(s)
    s.add_argument(
        "--max-new-tokens",
        type=opt.positive_int,
        default=40,
        help="length of each continuation (default 40)",
    )
    s.set_defaults(func=_steer)

    e = group.add_parser(
        "steer-eval",
        help="held-out multiple-choice accuracy with and without steering",
        description="Split the labelled statement pairs (question, true completion, false "
        "completion): build the direction (and choose the layer) on one part, and on the "
        "other compare the summed log-likelihoods of the true and the false completion with "
        "and without steering. Reports both accuracies with exact binomial intervals, their "
        "paired bootstrap difference and McNemar's exact test.",
    )
    _model_arguments(e)
    _direction_arguments(e)
    e.add_argument(
        "--split",
        type=opt.probability,
        default=0.5,
        help="share of the pairs that builds the direction (default 0.5)",
    )
    e.add_argument("--seed", type=opt.seed, default=0, help="seed of the split and the bootstrap")
    e.add_argument("--bootstrap", type=opt.positive_int, default=2000, help="bootstrap resamples")
    e.add_argument(
        "--prob", type=opt.probability, default=0.95, help="interval width (default 0.95)"
    )
    e.set_defaults(func=_steer_eval)


def _direction_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layer",
        type=_layer,
        default="auto",
        help="decoder layer, 0-based, or auto: the layer whose direction best separates "
        "held-out statement pairs (2-fold cross-validation; default auto)",
    )
    p.add_argument(
        "--strength",
        type=opt.real,
        default=1.0,
        help="multiple of the true-minus-false mean difference that is added (default 1)",
    )
    p.add_argument(
        "--statements",
        default=None,
        help="TSV file with columns question, true, false (default: the shipped 80 pairs)",
    )


def _api() -> ModuleType:
    """``bayescape.internals``, or a one-line error when torch/transformers are missing."""
    try:
        api = importlib.import_module("bayescape.internals")
    except ImportError as exc:
        if isinstance(exc, BayescapeError):
            raise
        raise BayescapeError(f"{MISSING_EXTRA} ({exc})") from None
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # config notes; missing weights are reported by load_model
    hf_logging.disable_progress_bar()  # the bars of weight loading
    return api


def _load(api: ModuleType, args: argparse.Namespace):
    loaded = api.load_model(
        args.model, device=args.device, dtype=args.dtype, trust_remote_code=args.trust_remote_code
    )
    for note in loaded.notes:
        print(f"warning: {note}", file=sys.stderr)
    return loaded


def _print(result, args: argparse.Namespace, **options) -> None:
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.format(**options))


def _coupling(args: argparse.Namespace) -> int:
    api = _api()
    reasoning, truthfulness = args.prompts if args.prompts else (None, None)
    baseline = None if args.baseline == "none" else args.baseline
    # load the prompt files before the model, so a typo fails fast
    for source in (reasoning, truthfulness, baseline):
        if source is not None:
            api.load_prompts(source)
    loaded = _load(api, args)
    result = api.internal_coupling(
        loaded,
        reasoning,
        truthfulness,
        baseline=baseline,
        pool=args.pool,
        heads=not args.no_heads,
        unembed=not args.no_unembed,
        n_boot=args.bootstrap,
        prob=args.prob,
        threshold=args.threshold,
        fraction=args.fraction,
        seed=args.seed,
        progress=not args.no_progress,
    )
    _print(result, args, show_heads=args.show_heads)
    return 0


def _steer(args: argparse.Namespace) -> int:
    api = _api()
    pairs = api.load_statements(args.statements)
    loaded = _load(api, args)
    direction = api.truth_direction(loaded, pairs, args.layer, progress=not args.no_progress)
    result = api.steer(
        loaded, args.prompt, direction, args.strength, max_new_tokens=args.max_new_tokens
    )
    _print(result, args)
    return 0


def _steer_eval(args: argparse.Namespace) -> int:
    api = _api()
    pairs = api.load_statements(args.statements)
    loaded = _load(api, args)
    result = api.steer_eval(
        loaded,
        pairs,
        layer=args.layer,
        strength=args.strength,
        split=args.split,
        seed=args.seed,
        n_boot=args.bootstrap,
        prob=args.prob,
        progress=not args.no_progress,
    )
    _print(result, args)
    return 0
