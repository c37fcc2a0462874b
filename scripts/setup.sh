#!/usr/bin/env bash
# Creates .venv with Python 3.11 and installs Psoas Coach into it (idempotent).
# Usage: bash scripts/setup.sh [extra]   e.g. `bash scripts/setup.sh dev` for the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
"$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version.split()[0]}"'
[ -x .venv/bin/python ] || "$py" -m venv .venv
spec="."
[ -n "${1:-}" ] && spec=".[$1]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
# The live page's in-browser pose (?pose=browser): MediaPipe's @mediapipe/pose from the npm
# registry into node_modules/ (models and WebAssembly inside the package; the servers serve them).
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq nodejs npm
  else
    echo "setup: npm missing: install Debian's nodejs and npm (as root), then run this again" >&2
    exit 1
  fi
fi
npm ls --silent @mediapipe/pose >/dev/null 2>&1 \
  || npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
# The package unpacks with files other users cannot read (mode 754): the server must read them.
chmod -R a+rX node_modules
# BlazePose heavy for `psoas analyze --pose-model heavy`: MediaPipe's own model file from that npm
# package, copied beside the full model inside the installed wheel, where MediaPipe's graph reads
# it (the project refuses the model rather than let MediaPipe download a missing one).
.venv/bin/python - <<'PY'
import shutil
from pathlib import Path

import mediapipe

target = Path(mediapipe.__file__).parent / "modules" / "pose_landmark" / "pose_landmark_heavy.tflite"
source = Path("node_modules/@mediapipe/pose/pose_landmark_heavy.tflite")
if not target.is_file() or target.stat().st_size != source.stat().st_size:
    shutil.copyfile(source, target)
PY
