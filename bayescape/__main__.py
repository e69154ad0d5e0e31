"""``python -m bayescape`` runs the command-line interface."""

from bayescape.cli import run

run()
