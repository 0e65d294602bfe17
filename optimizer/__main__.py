"""``python -m optimizer``: the command line (see :mod:`optimizer.cli`)."""

import sys

from .cli import main

sys.exit(main())
