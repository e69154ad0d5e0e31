"""Exceptions raised by bayescape.

Every error a user can cause derives from :class:`BayescapeError`, so a CLI or a notebook can
catch one type and show the message, which always says what is wrong and how to fix it.
"""

from __future__ import annotations


class BayescapeError(Exception):
    """Base class of every error bayescape raises on purpose."""


class DataValidationError(BayescapeError, ValueError):
    """A dataset failed validation.

    Parameters
    ----------
    problems
        One message per problem, each naming file, row, column, the bad value and the fix.
    source
        The file (or dataset name) that was checked.
    """

    def __init__(self, problems: list[str], source: str = "<data>") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: {len(self.problems)} problem(s) found"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in self.problems))


class SpecError(BayescapeError, ValueError):
    """A model specification file is malformed or names unknown things."""


class ResultMismatchError(BayescapeError):
    """A saved result does not belong to the model or data it is being used with."""
