"""``python -m optimizer``: the command line (see :mod:`optimizer.cli.main`)."""

import os
import sys

from optimizer.cli.main import main

code = main()
# Output flushed, the process ends without the interpreter's teardown, which only frees memory the
# operating system takes back anyway: each of a model's PuLP objects one by one (0.07 s at 10,000
# projects, about 0.6 s at 100,000). Files the commands write are closed by then.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
