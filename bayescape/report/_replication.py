"""Rendering of the replication table (the paper's numbers beside the posteriors)."""

from __future__ import annotations

import pandas as pd

from bayescape.analysis.replication import COLUMNS
from bayescape.report._format import latex_escape


def format_latex(table: pd.DataFrame, *, caption: str | None = None) -> str:
    r"""Render a replication table as a booktabs ``tabular``, every cell escaped.

    The output needs ``\usepackage{booktabs}`` in the preamble.

    Parameters
    ----------
    table
        Output of :func:`replication_table`.
    caption
        Optional caption; wraps the tabular in a ``table`` environment.

    Returns
    -------
    str
    """
    cols = list(COLUMNS)
    spec = (
        "p{0.2\\linewidth}p{0.12\\linewidth}p{0.14\\linewidth}p{0.18\\linewidth}p{0.26\\linewidth}"
    )
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(latex_escape(c.capitalize()) for c in cols) + r" \\",
        "\\midrule",
    ]
    for _, row in table.iterrows():
        lines.append(" & ".join(latex_escape(row[c]) for c in cols) + r" \\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    body = "\n".join(lines)
    if caption is None:
        return body + "\n"
    return (
        "\\begin{table}[ht]\n\\centering\\small\n"
        + body
        + f"\n\\caption{{{latex_escape(caption)}}}\n\\end{{table}}\n"
    )


def format_markdown(table: pd.DataFrame) -> str:
    """Render a replication table as a GitHub-flavoured Markdown table (``|`` escaped).

    Parameters
    ----------
    table
        Output of :func:`replication_table`.

    Returns
    -------
    str
    """

    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    cols = list(COLUMNS)
    lines = ["| " + " | ".join(c for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(row[c]) for c in cols) + " |" for _, row in table.iterrows()]
    return "\n".join(lines) + "\n"
