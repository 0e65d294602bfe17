"""Take the README's screenshots: the browser tests that take them, writing into docs/screenshots.

    python scripts/screenshots.py          # about 5 minutes; needs Chromium at /usr/bin/chromium

A plain test run writes its screenshots to the untracked tests/artifacts/screenshots instead, so it
never changes a tracked file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The browser tests that take the README's screenshots.
TAKING = ["tests/e2e/test_browser.py", "tests/e2e/test_app_state.py", "tests/e2e/test_plan_pages.py",
          "tests/e2e/test_doubt_pages.py", "tests/e2e/test_results.py"]


def main() -> int:
    environment = {**os.environ, "RETROFIT_SCREENSHOTS": "docs"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TAKING], cwd=ROOT,
                          env=environment)
    print(f"screenshots in {ROOT / 'docs' / 'screenshots'}" if done.returncode == 0 else "a test failed")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
