"""MkDocs hook: every generated part of the documentation site is made here, at build time.

- ``<!-- generated: cli-reference -->``: the ``--help`` of every ``bayescape`` command, taken
  from :func:`bayescape.cli.build_parser` (nothing typed by hand).
- ``<!-- generated: benchmark-results -->``: ``benchmarks/RESULTS.md`` when it exists, otherwise
  how to make it.
- ``<!-- generated: figure NAME -->``: a figure drawn by ``bayescape.report.NAME`` from a phase
  model result: ``$BAYESCAPE_DOCS_RESULT`` or ``results/phase_leaderboard_v1.nc`` (what
  ``make demo`` writes) when present, otherwise a small fit made here.
- ``<!-- include: PATH -->``: the repository file PATH (e.g. ``data/README.md``), headings
  demoted one level, so the site shows the datasheet and measured results without copies.
- ``docs/replication.md``: the paper table of ``bayescape replicate --no-bayes`` is inserted after
  the page's ``<!-- generated at doc build time ... -->`` comment.
- MathJax is copied from the ``django-static-mathjax`` wheel, so the site builds and renders
  maths offline.
- Links from a page to a repository file outside ``docs/`` (``../../models/phase.toml``) are
  pointed at a copy of that file served with the site.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import posixpath
import re
import tempfile
import warnings
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.bayescape")

ROOT = Path(__file__).resolve().parents[2]
CLI_MARKER = "<!-- generated: cli-reference -->"
BENCHMARK_MARKER = "<!-- generated: benchmark-results -->"
FIGURE_MARKER = re.compile(r"<!-- generated: figure (\w+) -->")
REPLICATION_MARKER = re.compile(r"<!-- generated at doc build time.*?-->", re.S)
LINK = re.compile(r"(\]\()([^)\s#]+)([^)]*\))")
FIGURES = {
    "critical_scale_forest": "N_c of every family (posterior median, 50% and 95% intervals)",
    "coupling_curves": "Posterior coupling curves of a few families",
}
HELP_WIDTH = "100"

_outside_links: dict[tuple[str, str], str] = {}  # (page src_uri, link) -> site uri of the copy
_figures: dict[str, str] = {}  # figure name -> site uri


# ---------------------------------------------------------------------------------------------
# CLI reference


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    seen: set[int] = set()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # aliases map to the same parser
                    seen.add(id(sub))
                    found.append((name, sub))
    return found


def cli_reference() -> str:
    """Markdown: one section per command, its ``--help`` verbatim, walked from the parser."""
    from bayescape.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH  # argparse wraps at the terminal width
    try:
        sections: list[str] = []

        def walk(parser: argparse.ArgumentParser, words: list[str], depth: int) -> None:
            title = "#" * min(depth + 2, 6)
            sections.append(f"{title} `{' '.join(words)}`\n\n```text\n{parser.format_help()}```\n")
            for name, sub in _subcommands(parser):
                walk(sub, [*words, name], depth + 1)

        walk(build_parser(), ["bayescape"], 0)
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(sections)


# ---------------------------------------------------------------------------------------------
# Benchmarks and the replication table


INCLUDE_MARKER = re.compile(r"<!-- include: ([\w./-]+) -->")


def include_file(relative: str) -> str:
    """A repository file's text with its headings demoted one level (the page has a title)."""
    path = ROOT / relative
    if not path.is_file():
        raise FileNotFoundError(f"<!-- include: {relative} -->: no such file {path}")
    return re.sub(r"^(#{1,5}) ", r"#\1 ", path.read_text(encoding="utf-8"), flags=re.M)


def benchmark_results() -> str:
    if (ROOT / "benchmarks" / "RESULTS.md").is_file():
        text = include_file("benchmarks/RESULTS.md")
        if (ROOT / "benchmarks" / "NOTES.md").is_file():
            text += "\n" + include_file("benchmarks/NOTES.md")
        return text
    return (
        "`benchmarks/RESULTS.md` does not exist yet. Generate it with "
        "`.venv/bin/python -m benchmarks run` (`--quick` for a short run; never part of the "
        "tests) and rebuild the site."
    )


def replication_markdown() -> str:
    from bayescape.analysis.replication import replication_table
    from bayescape.report import format_replication_markdown as format_markdown

    with contextlib.redirect_stdout(io.StringIO()):
        table = replication_table()
    return format_markdown(table)


# ---------------------------------------------------------------------------------------------
# Figures


def _result_for_figures():
    import bayescape

    for candidate in (
        os.environ.get("BAYESCAPE_DOCS_RESULT"),
        ROOT / "results" / "phase_leaderboard_v1.nc",
    ):
        if candidate and Path(candidate).is_file():
            log.info("figures from the saved result %s", candidate)
            return bayescape.load(candidate), f"the saved result `{Path(candidate).name}`"
    log.info("figures: no saved result, fitting the phase model with small draws")
    with warnings.catch_warnings():  # the panel's data warnings are documented elsewhere
        warnings.simplefilter("ignore")
        result = bayescape.fit(
            "phase", draws=200, tune=300, chains=2, random_seed=1, progressbar=False
        )
    return result, "a small fit made at build time (2 chains x 200 draws)"


def _make_figures(config, files: Files) -> None:
    names = set()
    for file in files.documentation_pages():
        names.update(FIGURE_MARKER.findall(Path(file.abs_src_path).read_text(encoding="utf-8")))
    if not names:
        return
    unknown = names - set(FIGURES)
    if unknown:
        raise PluginError(f"unknown figure(s) {sorted(unknown)}; known: {sorted(FIGURES)}")
    import matplotlib

    matplotlib.use("Agg")
    import bayescape.report as report

    result, source = _result_for_figures()
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(names):
            fig, _ = getattr(report, name)(result)
            path = report.save_figure(fig, Path(tmp) / f"{name}.svg")
            uri = f"figures/{name}.svg"
            files.append(File.generated(config, uri, content=path.read_bytes()))
            _figures[name] = (uri, source)


# ---------------------------------------------------------------------------------------------
# Links to repository files outside docs/


def _outside_targets(config, files: Files) -> None:
    docs = Path(config["docs_dir"]).resolve()
    added: set[str] = set()
    for file in files.documentation_pages():
        text = Path(file.abs_src_path).read_text(encoding="utf-8")
        for _, link, _ in LINK.findall(text):
            if "://" in link or link.startswith(("/", "mailto:")):
                continue
            target = (Path(file.abs_src_path).parent / link).resolve()
            if target.is_relative_to(docs) or not target.is_relative_to(ROOT):
                continue
            if not target.is_file():
                continue  # left for mkdocs' own link check to report
            uri = "repository/" + target.relative_to(ROOT).as_posix()
            if uri not in added:
                files.append(File.generated(config, uri, abs_src_path=str(target)))
                added.add(uri)
            _outside_links[(file.src_uri, link)] = uri


def _rewrite_outside_links(markdown: str, page_uri: str) -> str:
    def replace(match: re.Match) -> str:
        uri = _outside_links.get((page_uri, match.group(2)))
        if uri is None:
            return match.group(0)
        relative = posixpath.relpath(uri, posixpath.dirname(page_uri) or ".")
        return f"{match.group(1)}{relative}{match.group(3)}"

    return LINK.sub(replace, markdown)


# ---------------------------------------------------------------------------------------------
# MkDocs events


def on_files(files: Files, config) -> Files:
    try:
        import mathjax
    except ImportError as exc:
        raise PluginError(
            "MathJax for the docs comes from the django-static-mathjax package: "
            'pip install -e ".[docs]"'
        ) from exc
    script = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg.js"
    files.append(File.generated(config, "javascripts/mathjax/tex-svg.js", abs_src_path=str(script)))
    _outside_links.clear()
    _figures.clear()
    _outside_targets(config, files)
    _make_figures(config, files)
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if BENCHMARK_MARKER in markdown:
        markdown = markdown.replace(BENCHMARK_MARKER, benchmark_results())
    markdown = INCLUDE_MARKER.sub(lambda m: include_file(m.group(1)), markdown)
    if page.file.src_uri == "replication.md":
        match = REPLICATION_MARKER.search(markdown)
        if match:
            table = replication_markdown()
            markdown = f"{markdown[: match.end()]}\n\n{table}\n{markdown[match.end() :]}"

    def figure(match: re.Match) -> str:
        name = match.group(1)
        uri, source = _figures[name]
        relative = posixpath.relpath(uri, posixpath.dirname(page.file.src_uri) or ".")
        return (
            f"![{FIGURES[name]}]({relative})\n\n"
            f"*Drawn at build time by `bayescape.report.{name}` from {source}.*"
        )

    markdown = FIGURE_MARKER.sub(figure, markdown)
    return _rewrite_outside_links(markdown, page.file.src_uri)
