# Two commands do all set-up on a fresh machine:
#   make demo   fit the default phase model on the shipped leaderboard_v1 data, print N_c per family
#   make test   run the default test suite
# Both create .venv with Python 3.12 (PyMC 6 needs >= 3.12) and install the locked versions.

VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?= -m "not slow" -n 2

# python3.12 may be a pyenv shim that refuses to run without PYENV_VERSION: try it, then pyenv's own copies.
PY312 := $(shell for c in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
            $$c -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo $$c; break; }; done)

# Debian packages for the report tests (HTML report rendered in headless Chromium, LaTeX tables
# compiled with booktabs + siunitx). Installed by `make test` only when missing and run as root;
# otherwise those two tests skip with a reason.
TEST_DEBS := chromium texlive-latex-base texlive-latex-recommended texlive-science

.PHONY: demo test test-deps lint venv clean

$(STAMP): pyproject.toml requirements.lock
	@test -n "$(PY312)" || { echo "error: Python 3.12 not found (tried python3.12 and ~/.pyenv/versions/3.12*)"; exit 1; }
	$(PY312) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev,docs,internals]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/bayescape fit --out results/phase_leaderboard_v1.nc

test-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 \
	    && kpsewhich siunitx.sty >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(TEST_DEBS) for the report tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $(TEST_DEBS) >/dev/null; \
	else echo "note: chromium or LaTeX missing; the HTML and LaTeX rendering tests will skip"; fi

test: $(STAMP) test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bayescape tests benchmarks data
	$(BIN)/ruff format --check bayescape tests benchmarks data

clean:
	rm -rf $(VENV) results
