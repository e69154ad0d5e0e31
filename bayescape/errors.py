"""Exceptions raised by bayescape.

Every error a user can cause derives from :class:`BayescapeError`, so a CLI or a notebook can
catch one type and show the message, which always says what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


class DataWarning(UserWarning):
    """Something in a dataset is usable but worth knowing (e.g. a family with one model)."""


class IgnoredInputWarning(DataWarning):
    """Part of what the user gave is not used (a covariate dropped, a column not read).

    The command line shows these even under ``--quiet``: nothing given is left out silently.
    """


def closest(value: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The entry of ``choices`` closest to ``value`` (difflib), or None when none is close."""
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(value: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """``" Did you mean 'x'?"`` for the closest of ``choices`` to ``value``, else ``""``."""
    match = closest(value, choices, cutoff=cutoff)
    return f" Did you mean {match!r}?" if match else ""


def unknown_names(
    given: Iterable[str], known: Iterable[str], *, what: str, where: str
) -> str | None:
    """One message for the names in ``given`` that are not in ``known``; None when all are.

    ``what`` is the kind of thing (``"covariate"``), ``where`` the file and the place in it
    (``"mylm.toml: [covariates]"``). Each unknown name gets its own "did you mean" hint::

        mylm.toml: [covariates]: unknown key 'log10_token_per_param' (did you mean
        'log10_tokens_per_param'?); known keys: ...
    """
    known = [str(k) for k in known]
    bad = [str(g) for g in given if str(g) not in known]
    if not bad:
        return None
    parts = []
    for name in bad:
        match = closest(name, known)
        parts.append(f"{name!r} (did you mean {match!r}?)" if match else repr(name))
    plural = "s" if len(bad) > 1 else ""
    return f"{where}: unknown {what}{plural} {', '.join(parts)}; known {what}s: {', '.join(known)}"
