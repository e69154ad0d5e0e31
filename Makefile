# Set-up on a fresh machine, one profile per goal (each a layer on the previous, in one .venv):
#   make demo            core only: fit the default phase model on leaderboard_v1, print N_c per family
#   make test            core + dev + docs extras: run the default test suite (the README's command)
#   make test-internals  core + dev + internals extras (torch, transformers): run tests/internals
#   make docs            the documentation site (test profile), into site/
# Python 3.12 (PyMC 6 needs >= 3.12); every install is constrained by requirements.lock.

VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet -c requirements.lock
PYTEST_ARGS ?= -m "not slow" -n 2
INTERNALS_PYTEST_ARGS ?= -m "not slow" -n 2

# One stamp per profile: a profile is reinstalled when pyproject.toml or requirements.lock change.
CORE      := $(VENV)/.installed-core
TESTING   := $(VENV)/.installed-test
INTERNALS := $(VENV)/.installed-internals

# python3.12 may be a pyenv shim that refuses to run without PYENV_VERSION: try it, then pyenv's own copies.
PY312 := $(shell for c in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
            $$c -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo $$c; break; }; done)

# Debian packages for the report tests (HTML report rendered in headless Chromium, LaTeX tables
# compiled with booktabs + siunitx). Installed by `make test` only when missing and run as root;
# otherwise those two tests skip with a reason.
TEST_DEBS := chromium texlive-latex-base texlive-latex-recommended texlive-science

.PHONY: demo test test-internals test-deps docs lint venv clean

$(BIN)/python:
	@test -n "$(PY312)" || { echo "error: Python 3.12 not found (tried python3.12 and ~/.pyenv/versions/3.12*)"; exit 1; }
	$(PY312) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(CORE): pyproject.toml requirements.lock | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(TESTING): $(CORE)
	$(PIP) -e ".[dev,docs]"
	@touch $@

# PyPI's torch for Linux x86_64 is its CUDA build (5.4 GB in the venv with the nvidia-* and triton
# wheels it needs even on a CPU; no CPU-only wheel is on PyPI), so only this profile installs it.
$(INTERNALS): $(CORE)
	$(PIP) -e ".[dev,internals]"
	@touch $@

venv: $(CORE)

demo: $(CORE)
	$(BIN)/bayescape fit --out results/phase_leaderboard_v1.nc

test-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 \
	    && kpsewhich siunitx.sty >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(TEST_DEBS) for the report tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $(TEST_DEBS) >/dev/null; \
	else echo "note: chromium or LaTeX missing; the HTML and LaTeX rendering tests will skip"; fi

test: $(TESTING) test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The internals tests skip when torch is missing (as in `make test` on the lean profile); here a
# missing extra is an error instead (tests/internals/conftest.py reads BAYESCAPE_REQUIRE_INTERNALS).
test-internals: $(INTERNALS)
	BAYESCAPE_REQUIRE_INTERNALS=1 $(BIN)/python -m pytest tests/internals $(INTERNALS_PYTEST_ARGS)

# The site, into site/. NO_MKDOCS_2_WARNING=1 silences mkdocs-material's end-of-life notice
# (9.x is pinned until 2027-05-05; docs/_hooks/README.md says why and when to look again).
docs: $(TESTING)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(TESTING)
	$(BIN)/ruff check bayescape tests benchmarks data
	$(BIN)/ruff format --check bayescape tests benchmarks data

clean:
	rm -rf $(VENV) results
