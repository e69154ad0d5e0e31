"""JAX configuration shared by the packages that compile to JAX.

Double precision must be switched on before the first JAX array or ``pytensor.wrap_jax`` call,
otherwise wrapped outputs silently become float32.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)
