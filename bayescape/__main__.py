"""``python -m bayescape`` runs the command-line interface."""

import sys

from bayescape.cli import main

sys.exit(main())
