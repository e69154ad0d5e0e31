"""Prompt sets and labelled statement pairs shipped with the internals extra.

``prompts/`` holds plain-text files, one prompt per line (blank lines and lines starting with
``#`` are skipped):

- ``reasoning.txt``: commonsense continuations in the style of HellaSwag (a context that stops
  mid-activity);
- ``truthfulness.txt``: questions about common misconceptions in the style of TruthfulQA;
- ``neutral.txt``: plain descriptive sentences with no task, the baseline that is subtracted;
- ``statements.tsv``: ``question<TAB>true<TAB>false``, a question with a true and a false
  completion, for the truth direction and the multiple-choice evaluation.

All were written for bayescape; none is copied from a benchmark.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ._errors import InternalsError

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
DEFAULT_SETS = ("reasoning", "truthfulness", "neutral")
QUESTION_FORMAT = "Q: {question}\nA:"


@dataclass(frozen=True)
class StatementPair:
    """A question with a true and a false completion.

    Parameters
    ----------
    question
        The question, formatted as ``Q: {question}\\nA:`` when shown to a model.
    true, false
        The true and the false completion (each follows the formatted question after a space).
    """

    question: str
    true: str
    false: str

    @property
    def context(self) -> str:
        """The question as the model reads it (``Q: ...`` newline ``A:``)."""
        return QUESTION_FORMAT.format(question=self.question)


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InternalsError(f"{path}: no such prompt file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InternalsError(f"{path}: cannot read the prompt file ({exc})") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def load_prompts(source: str | Path) -> list[str]:
    """Read a prompt set: a shipped name (``"reasoning"``, ``"truthfulness"``, ``"neutral"``)
    or a plain-text file with one prompt per line.

    Parameters
    ----------
    source
        Name of a shipped set, or a path.

    Returns
    -------
    list of str
        The prompts, in file order, without blank and ``#`` comment lines.

    Raises
    ------
    InternalsError
        The file does not exist, cannot be read, or holds fewer than two prompts (a mean and
        its bootstrap need at least two).
    """
    path = PROMPT_DIR / f"{source}.txt" if str(source) in DEFAULT_SETS else Path(source)
    prompts = _read_lines(path)
    if len(prompts) < 2:
        raise InternalsError(
            f"{path}: {len(prompts)} prompt(s); a prompt set needs at least 2 (one per line)"
        )
    return prompts


def default_prompts() -> dict[str, list[str]]:
    """The shipped prompt sets, by name: ``reasoning``, ``truthfulness`` and ``neutral``."""
    return {name: load_prompts(name) for name in DEFAULT_SETS}


def load_statements(path: str | Path | None = None) -> list[StatementPair]:
    """Read labelled statement pairs (a TSV file with columns ``question``, ``true``, ``false``).

    Parameters
    ----------
    path
        A TSV file with that header; ``None`` reads the shipped ``statements.tsv`` (80 pairs).

    Returns
    -------
    list of StatementPair

    Raises
    ------
    InternalsError
        The file is missing, lacks a column, has an empty cell, a row whose true and false
        completions are equal, or the same question twice (a repeated question could fall on
        both sides of a train/test split).
    """
    path = PROMPT_DIR / "statements.tsv" if path is None else Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    except FileNotFoundError:
        raise InternalsError(f"{path}: no such statements file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InternalsError(f"{path}: cannot read the statements file ({exc})") from None
    needed = ("question", "true", "false")
    if not rows or any(col not in rows[0] for col in needed):
        raise InternalsError(
            f"{path}: needs a header line 'question<TAB>true<TAB>false' and at least one row"
        )
    pairs, seen = [], set()
    for number, row in enumerate(rows, start=2):
        cells = [(row.get(col) or "").strip() for col in needed]
        if not all(cells):
            raise InternalsError(f"{path}:{number}: empty question, true or false cell")
        if cells[1] == cells[2]:
            raise InternalsError(f"{path}:{number}: the true and false completions are equal")
        if cells[0] in seen:
            raise InternalsError(f"{path}:{number}: question repeated: {cells[0]!r}")
        seen.add(cells[0])
        pairs.append(StatementPair(*cells))
    return pairs
