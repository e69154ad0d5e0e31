"""Inference layer: sampling backends, diagnostics, results and their storage."""

from bayescape.inference._sampling import DEFAULT_SAMPLER, SAMPLERS, sample

__all__ = ["DEFAULT_SAMPLER", "SAMPLERS", "sample"]
