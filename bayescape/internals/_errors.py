"""Errors of the internals extra (subclasses of :class:`~bayescape.errors.BayescapeError`)."""

from __future__ import annotations

from bayescape.errors import BayescapeError


class InternalsError(BayescapeError):
    """A model, prompt file or option cannot be used by ``bayescape internals``."""


class ModelLoadError(InternalsError):
    """A model or its tokenizer cannot be loaded (bad path, hub id not reachable, bad files)."""


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The first non-empty line of an exception's message, shortened to ``limit`` characters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
