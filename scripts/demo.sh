#!/usr/bin/env bash
# Fresh machine to first report: installs Psoas Coach and analyses the bundled samples
# (a synthetic march recording and a real glute-bridge video) into out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/psoas analyze samples/march_synthetic.csv.gz samples/glute_bridge.mp4 --out out/demo --video
echo "Open out/demo/march_synthetic.html (and out/demo/glute_bridge.html) in a browser."
