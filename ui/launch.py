"""``retrofit-app``: start the Streamlit app from the project folder (the console entry point).

The app's scripts (``app.py``, ``app_pages/``), its ``.streamlit/config.toml`` and the shipped
``data/`` live in the project folder beside this package, so the package is installed in
editable mode (``pip install -e .``) and the app runs from there. Extra arguments go to
``streamlit run`` (e.g. ``retrofit-app --server.port 8502``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(argv: list[str] | None = None) -> list[str]:
    """The ``streamlit run`` command line the entry point runs."""
    return ["streamlit", "run", str(ROOT / "app.py"), *(sys.argv[1:] if argv is None else argv)]


def main(argv: list[str] | None = None) -> int:
    if not (ROOT / "app.py").exists():
        print(f"retrofit-app: app.py is not in {ROOT}; install the project with 'pip install -e .' "
              "from its folder", file=sys.stderr)
        return 2
    from streamlit.web import cli

    os.chdir(ROOT)  # .streamlit/config.toml is read from the working folder
    sys.argv = command(argv)
    cli.main()
    return 0
