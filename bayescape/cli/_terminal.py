"""Terminal output of the command line: 100-column tables, one-line warnings, JSON, streams.

Results go to stdout, everything else (progress, warnings, "wrote FILE") to stderr, so that
``bayescape fit > out.txt`` holds the results only. Nothing here computes a number: the
commands pass strings already formatted from the library's tables.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import textwrap
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

WIDTH = 100
"""Every line of the default output fits in this many columns (``--wide`` lifts the limit)."""

INTERVAL_KIND = "equal-tailed"
"""The one interval convention of the command line (invariant under N_c <-> log10 N_c)."""

_MARKS = "abcdefghijklmnopqrstuvwxyz"


def interval_label(prob: float) -> str:
    """``0.95 -> "95% equal-tailed"``: the interval kind and probability, for headers."""
    return f"{100 * prob:g}% {INTERVAL_KIND}"


# ---------------------------------------------------------------------------------------------
# Warnings


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


@contextlib.contextmanager
def cli_warnings() -> Iterator[None]:
    """Show every warning as one line ``warning: MESSAGE`` on stderr, for the block only.

    Installed by :func:`bayescape.cli.main` alone: library users keep Python's own format.
    """

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        stream = file if file is not None else sys.stderr
        try:
            stream.write(f"warning: {_one_line(str(message))}\n")
        except (OSError, ValueError):  # the stream went away; a warning is not worth a crash
            pass

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send what a sampler prints (progress tables) to stderr, at the Python and the fd level.

    Samplers draw their progress on stdout, from Python (rich) or from compiled code (fd 1);
    results must be the only thing on stdout.
    """
    sys.stdout.flush()
    try:
        out_fd = sys.stdout.fileno()
        err_fd = sys.stderr.fileno()
    except (OSError, ValueError, AttributeError):  # not real files (captured in tests)
        out_fd = err_fd = -1
    saved = -1
    if out_fd >= 0 and err_fd >= 0 and out_fd != err_fd:
        saved = os.dup(out_fd)
        os.dup2(err_fd, out_fd)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved >= 0:
            os.dup2(saved, out_fd)
            os.close(saved)


# ---------------------------------------------------------------------------------------------
# Text


def wrap(text: str, *, width: int | None = WIDTH, indent: str = "", prefix: str = "") -> str:
    """``text`` wrapped to ``width`` columns (None: not wrapped); continuation lines indented."""
    if width is None:
        return prefix + text
    return textwrap.fill(
        text,
        width=width,
        initial_indent=prefix,
        subsequent_indent=prefix + indent,
        break_on_hyphens=False,
        break_long_words=True,
    )


@dataclass(frozen=True)
class Column:
    """One column of a terminal table.

    Attributes
    ----------
    header
        Its heading.
    cells
        One string per row, already formatted.
    align
        ``"<"`` (text) or ``">"`` (numbers).
    shrink
        May be cut (with "…") when the table is wider than the limit.
    """

    header: str
    cells: Sequence[str]
    align: str = ">"
    shrink: bool = False


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def table(columns: Sequence[Column], *, width: int | None = WIDTH, gap: int = 2) -> list[str]:
    """Lines of a table with a header row; shrinkable columns are cut to fit ``width``."""
    widths = [max([len(c.header), *(len(s) for s in c.cells)]) for c in columns]
    if width is not None:
        excess = sum(widths) + gap * (len(columns) - 1) - width
        for i, c in enumerate(columns):
            if excess <= 0:
                break
            if c.shrink:
                cut = min(excess, widths[i] - max(len(c.header), 6))
                if cut > 0:
                    widths[i] -= cut
                    excess -= cut
    n_rows = len(columns[0].cells) if columns else 0
    space = " " * gap

    def row(cells: Sequence[str]) -> str:
        parts = [
            f"{_fit(s, w):{c.align}{w}}" for s, w, c in zip(cells, widths, columns, strict=True)
        ]
        return space.join(parts).rstrip()

    lines = [row([c.header for c in columns])]
    lines += [row([c.cells[i] for c in columns]) for i in range(n_rows)]
    return lines


def footnote_marks(notes: Sequence[str], *, sep: str = "; ") -> tuple[list[str], list[str]]:
    """One short mark per row for its notes, and the legend explaining each mark once.

    ``notes`` holds each row's notes joined by ``sep`` (``""`` for none). Marks are letters in
    order of first appearance: ``(["a", "", "a b"], ["a  one model ...", "b  ..."])``.
    """
    mark_of: dict[str, str] = {}
    marks = []
    for text in notes:
        found = []
        for note in (n.strip() for n in str(text or "").split(sep)):
            if not note:
                continue
            if note not in mark_of:
                mark_of[note] = _MARKS[len(mark_of) % len(_MARKS)]
            found.append(mark_of[note])
        marks.append(" ".join(found))
    legend = [f"{m}  {note}" for note, m in mark_of.items()]
    return marks, legend


# ---------------------------------------------------------------------------------------------
# JSON


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN and infinities to null, containers walked."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def print_json(doc: Any) -> None:
    """Print ``doc`` as strict JSON (no NaN) to stdout."""
    print(json.dumps(_plain(doc), indent=2, allow_nan=False))
