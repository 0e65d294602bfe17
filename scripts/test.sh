#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run the whole suite.
# Used by the README and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" || ! fc-list 2>/dev/null | grep -qi "noto color emoji" \
   || ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji libreoffice-impress poppler-utils >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji libreoffice-impress poppler-utils >/dev/null
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
# Lint and types first: cheap, and they name the line (settings in pyproject.toml).
.venv/bin/ruff check .
.venv/bin/mypy
# Benchmark smoke run (1,000 projects): must finish and print its table; timings are not asserted.
.venv/bin/python benchmarks/run.py --sizes 1000
# The whole suite last, so its summary closes the output.
.venv/bin/python -m pytest -q --durations=25 "$@"
