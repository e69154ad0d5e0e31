"""Give a function that forwards its arguments the signature of the function it forwards to."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def forwards_to[**P, R](source: Callable[P, Any]) -> Callable[[Callable[..., R]], Callable[P, R]]:
    """Decorate a function that passes its arguments on to ``source`` unchanged.

    The decorated function keeps its own body, name, docstring and return type, and takes
    ``source``'s parameters: type checkers read them through the ``ParamSpec``, and ``help``
    and :func:`inspect.signature` show them (``__signature__``). The parameters are written
    once, in ``source``.

    Parameters
    ----------
    source
        The function whose parameters the forwarder takes.

    Returns
    -------
    Callable
        The decorator.
    """

    def decorate(forwarder: Callable[..., R]) -> Callable[P, R]:
        returns = inspect.signature(forwarder).return_annotation
        forwarder.__signature__ = inspect.signature(source).replace(  # type: ignore[attr-defined]
            return_annotation=returns
        )
        return forwarder

    return decorate
