"""Fixtures of the internals tests: tiny random models of three layouts saved to folders.

They skip with a reason when torch or transformers is not installed, except under
``BAYESCAPE_REQUIRE_INTERNALS=1`` (``make test-internals``), where a missing extra stops the run
instead of turning every test into a skip.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from tiny_models import ARCHITECTURES, EXTRA, build_model, build_tokenizer, require_extra


def pytest_configure(config: pytest.Config) -> None:
    """Under ``BAYESCAPE_REQUIRE_INTERNALS=1`` a missing extra is a usage error, not a skip."""
    if os.environ.get("BAYESCAPE_REQUIRE_INTERNALS") != "1":
        return
    missing = [name for name in EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise pytest.UsageError(
            f"BAYESCAPE_REQUIRE_INTERNALS=1 but {', '.join(missing)} not installed: run "
            "'make test-internals' (it installs the internals extra) or "
            "pip install -e '.[internals]'"
        )


@pytest.fixture(scope="session")
def tiny_tokenizer():
    require_extra()
    return build_tokenizer()


@pytest.fixture(scope="session")
def tiny_model_dirs(tiny_tokenizer, tmp_path_factory) -> dict[str, Path]:
    """``{arch: folder}``: each folder holds a saved tiny model and the tokenizer."""
    import torch

    torch.set_num_threads(1)
    dirs = {}
    for arch in ARCHITECTURES:
        folder = tmp_path_factory.mktemp(f"tiny_{arch}")
        build_model(arch, len(tiny_tokenizer)).save_pretrained(folder)
        tiny_tokenizer.save_pretrained(folder)
        dirs[arch] = folder
    return dirs


@pytest.fixture(scope="session")
def tiny_loaded(tiny_model_dirs):
    """``{arch: LoadedModel}`` loaded back from the folders on the CPU."""
    from transformers.utils import logging as hf_logging

    from bayescape.internals import load_model

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return {arch: load_model(str(path), device="cpu") for arch, path in tiny_model_dirs.items()}
