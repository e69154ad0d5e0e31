"""Every example in README.md and docs/ runs, and the documentation site builds with --strict.

- Each page's ```python blocks are concatenated and executed in a fresh namespace, in a temp
  directory holding the page's example ```csv files (a block right after a line naming
  `NAME.csv`). ``bayescape.fit`` is capped at 2 chains x 200 draws (300 tuning steps) and the
  phase model on leaderboard_v1 is fitted once for the whole module (shared across xdist workers
  through a file lock), so the file stays fast.
- Each ``$ bayescape ...`` line of a ```console block runs through ``bayescape.cli.main`` and
  must exit 0, or the codes stated by ``<!-- exit-codes: 1 0 -->`` right before the block (one
  per command, in order).
- ``<!-- skip-test -->`` right before a block skips it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytestmark = pytest.mark.behaviour

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
MAX_DRAWS, MAX_TUNE, MAX_CHAINS = 200, 300, 2
SHARED_FIT = ("phase", "leaderboard_v1")
EXIT_CODES = re.compile(r"<!--\s*exit-codes:\s*([\d\s]+?)\s*-->")
SKIP = "<!-- skip-test -->"


@dataclasses.dataclass
class Block:
    lang: str
    body: str
    before: str  # the last non-blank line before the opening fence
    line: int  # 1-based line of the opening fence


def blocks(page: Path) -> list[Block]:
    found, before, current = [], "", None
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if current is None:
            fence = re.match(r"^```\s*([\w+-]*)", line)
            if fence:
                current = Block(fence.group(1).lower(), "", before, number)
            elif line.strip():
                before = line.strip()
        elif line.startswith("```"):
            found.append(current)
            current, before = None, ""
        else:
            current.body += line + "\n"
    return [block for block in found if block.before != SKIP]


def example_files(page: Path) -> dict[str, str]:
    files = {}
    for block in blocks(page):
        name = re.search(r"`([\w.-]+\.csv)`", block.before)
        if block.lang == "csv" and name:
            files[name.group(1)] = block.body
    return files


def console_commands(page: Path) -> list[tuple[list[str], int, str]]:
    commands = []
    for block in blocks(page):
        if block.lang != "console":
            continue
        lines = re.findall(r"^\$ (bayescape\b(?:.*\\\n)*.*)", block.body, re.M)
        stated = EXIT_CODES.search(block.before)
        codes = [int(c) for c in stated.group(1).split()] if stated else [0] * len(lines)
        assert len(codes) == len(lines), (
            f"{page.name}:{block.line}: <!-- exit-codes --> states {len(codes)} codes "
            f"for {len(lines)} commands"
        )
        for line, code in zip(lines, codes, strict=True):
            argv = shlex.split(line.replace("\\\n", " "))
            commands.append((argv[1:], code, f"{page.relative_to(ROOT)}:{block.line}"))
    return commands


def pages_with(lang: str) -> list[Path]:
    return [page for page in PAGES if any(block.lang == lang for block in blocks(page))]


def page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


# ---------------------------------------------------------------------------------------------
# One small fit, shared


def _capped(value: int | None, cap: int) -> int:
    return cap if value is None else min(value, cap)


def _shared_fit(tmp_path_factory) -> Path:
    """The capped phase fit on leaderboard_v1, made once per test session (all workers)."""
    from bayescape.analysis._result import fit  # the real one, even while small_fits patches

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # this session's folder, the same for every xdist worker
    path = shared / "docs_phase_leaderboard_v1.nc"
    with open(str(path) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fit(
                    *SHARED_FIT,
                    draws=MAX_DRAWS,
                    tune=MAX_TUNE,
                    chains=MAX_CHAINS,
                    random_seed=1,
                    progressbar=False,
                )
            result.save(path)
    return path


@pytest.fixture(scope="module")
def shared_result_path(tmp_path_factory) -> Path:
    return _shared_fit(tmp_path_factory)


@pytest.fixture(scope="module")
def small_fits(tmp_path_factory):
    """Patch ``bayescape.fit`` (and the frontier fit) to small draws, reusing earlier fits."""
    import bayescape
    import bayescape.analysis as analysis
    from bayescape.analysis import replication

    real_fit, real_frontier = analysis.fit, replication.fit_frontier
    cache = {}

    @functools.wraps(real_fit)
    def fit(model="phase", data="leaderboard_v1", **options):
        key = (str(model), str(data)) if isinstance(data, str | os.PathLike) else None
        if options.get("exclude_families"):
            key = None
        if key in cache:
            return cache[key]
        if key == SHARED_FIT:  # fitted (or loaded) only when a page asks for it
            cache[key] = bayescape.load(_shared_fit(tmp_path_factory))
            return cache[key]
        for name, cap in (("draws", MAX_DRAWS), ("tune", MAX_TUNE), ("chains", MAX_CHAINS)):
            options[name] = _capped(options.get(name), cap)
        options["progressbar"] = False
        result = real_fit(model, data, **options)
        if key is not None:
            cache[key] = result
        return result

    @functools.wraps(real_frontier)
    def fit_frontier(*, draws=1000, tune=1000, chains=2, **options):
        return real_frontier(
            draws=min(draws, MAX_DRAWS), tune=min(tune, MAX_TUNE), chains=min(chains, 2), **options
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(analysis, "fit", fit)
        patch.setattr(replication, "fit_frontier", fit_frontier)
        yield


@pytest.fixture
def example_dir(tmp_path, monkeypatch):
    def enter(page: Path) -> Path:
        for name, text in example_files(page).items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return enter


# ---------------------------------------------------------------------------------------------
# Tests


def test_the_pages_have_examples():
    python_pages = {page_id(page) for page in pages_with("python")}
    assert {"README.md", "docs/tutorial.md", "docs/data.md"} <= python_pages
    assert console_commands(ROOT / "docs" / "data.md")


@pytest.mark.parametrize("page", pages_with("python"), ids=page_id)
def test_python_blocks_run(page, small_fits, example_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    example_dir(page)
    code = "\n".join(block.body for block in blocks(page) if block.lang == "python")
    namespace = {"__name__": "__docs__"}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        exec(compile(code, str(page), "exec"), namespace)
    plt.close("all")


@pytest.mark.parametrize(
    ("argv", "code", "where"),
    [command for page in PAGES for command in console_commands(page)],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_console_commands_exit_as_stated(argv, code, where, small_fits, example_dir, capsys):
    from bayescape.cli import main

    example_dir(ROOT / where.split(":")[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = main(argv)
    output = capsys.readouterr()
    assert got == code, f"{where}: bayescape {' '.join(argv)} exited {got}\n{output.err}"


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None,
    reason='mkdocs is not installed: pip install -e ".[docs]"',
)
def test_site_builds_strict(tmp_path, shared_result_path):
    env = {**os.environ, "BAYESCAPE_DOCS_RESULT": str(shared_result_path)}
    env["NO_MKDOCS_2_WARNING"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    cli = (tmp_path / "cli" / "index.html").read_text(encoding="utf-8")
    assert "bayescape data validate" in cli and "--exclude-family" in cli
    assert (tmp_path / "figures" / "critical_scale_forest.svg").is_file()
    assert (tmp_path / "javascripts" / "mathjax" / "tex-svg.js").is_file()
