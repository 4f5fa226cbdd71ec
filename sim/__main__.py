"""``python -m sim`` runs the planners' command line (worksim)."""

import sys

from .cli import main

sys.exit(main())
