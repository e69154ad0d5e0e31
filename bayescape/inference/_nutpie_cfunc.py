"""Faster-to-compile C wrappers for nutpie's Numba backend (same arithmetic, same draws).

nutpie hands nuts-rs two C callbacks, ``numba.cfunc`` wrappers around the compiled PyTensor
log density (with its gradient) and around the deterministics. nutpie 0.16 writes the
gradient into nuts-rs's buffer with ``out[...] = grad`` and checks it with
``np.all(np.isfinite(out))``. Numba compiles those generic array operations from scratch in
every process and cannot cache a ``cfunc``; on the 2-core machine that costs 1.5-2 s of the
default fit's 7 s of compilation (a wrapper around a trivial function: 1.9 s with
``out[...] =``, 0.4 s with an element loop; measured 2026-12-08). The wrappers below copy
and check element by element instead: the same values reach the sampler, so the draws are
bit-identical (tested in ``tests/test_sampling.py``).

:func:`fast_cfunc_wrappers` swaps them in for the duration of one compile and only for the
nutpie versions they were checked against; any other version compiles with its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

CHECKED_VERSIONS = ("0.16.",)
"""nutpie versions whose private wrapper builders these replace (same names, same
signatures, same return codes)."""


def _c_signature(sizes: int, arrays: int) -> Any:
    """``int64(uint64 x sizes, double* x arrays, void*)``: nutpie's C callback signatures."""
    import numba

    t = numba.types
    return t.int64(*[t.uint64] * sizes, *[t.CPointer(t.double)] * arrays, t.voidptr)


def _make_c_logp_func(
    n_dim: int, logp_fn: Any, user_data: Any, shared_keys: Any, shared_data: Any
) -> tuple[Any, Any]:
    """nutpie's ``_make_c_logp_func`` with element loops instead of whole-array operations."""
    import numba
    from nutpie.compile_pymc import make_extraction_fn

    extract = make_extraction_fn(logp_fn, shared_data, shared_keys, user_data.dtype)
    c_sig = _c_signature(sizes=1, arrays=3)  # (dim, x, gradient, logp, user data)

    def logp_numba(dim, x_, out_, logp_, user_data_):  # pragma: no cover (compiled)
        if dim != n_dim:
            return -1
        try:
            x = numba.carray(x_, (n_dim,))
            out = numba.carray(out_, (n_dim,))
            logp = numba.carray(logp_, ())
            logp_val, grad = extract(x, user_data_)
            logp[()] = logp_val
            finite = True
            for i in range(n_dim):
                out[i] = grad[i]
                finite = finite and np.isfinite(grad[i])
            if not finite:
                return 3
            if not np.isfinite(logp[()]):
                return 4
        except Exception:  # nutpie's return code for any error
            return 1
        return 0

    return logp_numba, c_sig


def _make_c_expand_func(
    n_dim: int,
    n_expanded: int,
    expand_fn: Any,
    user_data: Any,
    shared_var_keys: Any,
    shared_data: Any,
) -> tuple[Any, Any]:
    """nutpie's ``_make_c_expand_func`` with an element loop instead of ``out[...] =``."""
    import numba
    from nutpie.compile_pymc import make_extraction_fn

    extract = make_extraction_fn(expand_fn, shared_data, shared_var_keys, user_data.dtype)
    c_sig = _c_signature(sizes=2, arrays=2)  # (dim, expanded, x, out, user data)

    def expand_numba(dim, expanded, x_, out_, user_data_):  # pragma: no cover (compiled)
        if dim != n_dim:
            return -1
        if expanded != n_expanded:
            return -1
        try:
            x = numba.carray(x_, (n_dim,))
            out = numba.carray(out_, (n_expanded,))
            (values,) = extract(x, user_data_)
            for i in range(n_expanded):
                out[i] = values[i]
        except Exception:
            return -2
        return 0

    return expand_numba, c_sig


@contextmanager
def fast_cfunc_wrappers() -> Iterator[bool]:
    """Use the wrappers above inside the block; yields whether they are in use.

    Only for the nutpie versions in :data:`CHECKED_VERSIONS` (an unknown version keeps its
    own wrappers); nutpie's functions are restored on exit.
    """
    import nutpie
    import nutpie.compile_pymc as compile_pymc

    names = ("_make_c_logp_func", "_make_c_expand_func")
    usable = str(nutpie.__version__).startswith(CHECKED_VERSIONS) and all(
        hasattr(compile_pymc, n) for n in names
    )
    if not usable:
        yield False
        return
    saved = {n: getattr(compile_pymc, n) for n in names}
    compile_pymc._make_c_logp_func = _make_c_logp_func
    compile_pymc._make_c_expand_func = _make_c_expand_func
    try:
        yield True
    finally:
        for n, f in saved.items():
            setattr(compile_pymc, n, f)
