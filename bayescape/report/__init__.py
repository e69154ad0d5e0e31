"""Report layer: tables for papers, LaTeX macros, figures, HTML, and a JSON summary.

Tables (:func:`render_table`) come as LaTeX (booktabs, siunitx), Markdown, CSV or JSON with our
own column names; :func:`render_macros` writes one ``\\newcommand`` per headline number; the
figure functions return a matplotlib ``(Figure, Axes)``; :func:`write_report` writes one
self-contained HTML page, :func:`write_dashboard` an interactive one (its computations in the
page, from embedded posterior draws); :func:`summary_json` is a fit's summary as data. Every
interval is 95% equal-tailed unless ``prob`` says otherwise. The terminal text of ``bayescape fit``,
``summary``, ``predict`` and ``diagnose`` is the command line's own layout.
"""

from bayescape.report._calibration_figures import rank_histograms
from bayescape.report._dashboard import render_dashboard, write_dashboard
from bayescape.report._dynamics_figures import (
    DYNAMICS_FIGURES,
    dynamics_trajectories,
    eigenvalue_plot,
    term_inclusion_plot,
)
from bayescape.report._figures import (
    FIGURE_FORMATS,
    FIGURES,
    STYLE,
    coupling_curves,
    critical_scale_forest,
    default_families,
    make_figure,
    phase_diagram,
    posterior_predictive_plot,
    prior_predictive_plot,
    save_figure,
)
from bayescape.report._format import latex_escape, macro_name, significant
from bayescape.report._html import render_report, write_report
from bayescape.report._macros import render_macros
from bayescape.report._replication import format_latex as format_replication_latex
from bayescape.report._replication import format_markdown as format_replication_markdown
from bayescape.report._summary import format_params, summary_json
from bayescape.report._tables import FORMATS, TABLES, render_table, table_frame

__all__ = [
    "DYNAMICS_FIGURES",
    "FIGURES",
    "FIGURE_FORMATS",
    "FORMATS",
    "STYLE",
    "TABLES",
    "coupling_curves",
    "critical_scale_forest",
    "default_families",
    "dynamics_trajectories",
    "eigenvalue_plot",
    "format_params",
    "format_replication_latex",
    "format_replication_markdown",
    "latex_escape",
    "macro_name",
    "make_figure",
    "phase_diagram",
    "posterior_predictive_plot",
    "prior_predictive_plot",
    "rank_histograms",
    "render_dashboard",
    "render_macros",
    "render_report",
    "render_table",
    "save_figure",
    "significant",
    "summary_json",
    "table_frame",
    "term_inclusion_plot",
    "write_dashboard",
    "write_report",
]
