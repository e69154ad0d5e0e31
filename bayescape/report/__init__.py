"""Report layer: text and JSON summaries (tables, figures and HTML come here too)."""

from bayescape.report._summary import format_params, summary_json, summary_text

__all__ = ["format_params", "summary_json", "summary_text"]
