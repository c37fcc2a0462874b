#!/usr/bin/env bash
# Fresh machine to green suite: installs Psoas Coach with its test tools, then runs every test
# (ruff and mypy run inside the suite, see tests/test_code_quality.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
exec .venv/bin/python -m pytest "$@"
