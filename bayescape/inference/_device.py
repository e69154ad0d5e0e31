"""Which device JAX runs on: chosen once per process, before JAX initialises a backend."""

from __future__ import annotations

from bayescape.errors import BayescapeError

PLATFORMS: dict[str, tuple[str, ...]] = {"cpu": ("cpu",), "gpu": ("cuda", "rocm"), "tpu": ("tpu",)}
"""JAX platforms behind each ``--device`` choice, tried in order (``"auto"``: JAX's default)."""


def use_device(device: str) -> str:
    """Point JAX at ``device`` and describe the device it will run on.

    Parameters
    ----------
    device
        ``"auto"`` (JAX's default: an accelerator when one is found, else the CPU), ``"cpu"``,
        ``"gpu"`` (CUDA, then ROCm) or ``"tpu"``.

    Returns
    -------
    str
        ``"PLATFORM: DEVICE KIND x COUNT"``, e.g. ``"gpu: NVIDIA H100 80GB HBM3 x 1"``.

    Raises
    ------
    BayescapeError
        The device is not available, or JAX already runs on another platform in this process
        (a platform can only be chosen before JAX's first computation).
    """
    import jax
    from jax._src import xla_bridge

    import bayescape._jax  # noqa: F401  (x64 before any JAX work)

    if device != "auto" and device not in PLATFORMS:
        raise BayescapeError(
            f"unknown device {device!r}; choose one of auto, {', '.join(PLATFORMS)}"
        )
    if xla_bridge.backends_are_initialized():
        running = _platform_of(jax.devices()[0])
        if device not in ("auto", running):
            raise BayescapeError(
                f"JAX already runs on {running} in this process, so it cannot move to "
                f"{device}: choose the device before any JAX work (e.g. in a fresh process)"
            )
        return describe_device()
    if device == "auto":
        return describe_device()
    errors = []
    for platform in PLATFORMS[device]:
        jax.config.update("jax_platforms", platform)
        try:
            jax.devices()
        except (RuntimeError, AssertionError) as exc:  # no GPU visible: JAX asserts
            reason = str(exc).split(" (set JAX_PLATFORMS")[0] or "no device found"
            errors.append(f"{platform}: {reason}")
            xla_bridge._clear_backends()  # a failed start leaves JAX half set up: undo it
            continue
        return describe_device()
    jax.config.update("jax_platforms", None)
    raise BayescapeError(
        f"no {device} is available to JAX here ({'; '.join(errors)}); use --device cpu or "
        f"auto, or install a jaxlib with {device} support"
    )


def describe_device() -> str:
    """The device JAX computes on by default: ``"PLATFORM: DEVICE KIND x COUNT"``."""
    import jax

    devices = jax.devices()
    return f"{_platform_of(devices[0])}: {devices[0].device_kind} x {len(devices)}"


def _platform_of(device) -> str:
    """``cpu``, ``gpu`` or ``tpu`` (JAX names GPUs by their runtime: cuda, rocm)."""
    platform = device.platform
    return next((name for name, runtimes in PLATFORMS.items() if platform in runtimes), platform)
