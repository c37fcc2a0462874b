#!/usr/bin/env bash
# Fresh machine to green suite: installs Psoas Coach with its test tools, Debian's PostgreSQL and
# Chromium (for the dashboard's database and browser tests; needs root), then runs every test
# (ruff and mypy run inside the suite, see tests/test_code_quality.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
eval "$(bash scripts/services.sh)"
exec .venv/bin/python -m pytest "$@"
