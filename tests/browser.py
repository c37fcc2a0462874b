"""What every browser test shares: Debian's Chromium, its headless options, the artefacts folder."""

from __future__ import annotations

from pathlib import Path

#: Debian's ``chromium`` package; Playwright never downloads a browser of its own.
CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and no background connections (this machine's network is closed).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Screenshots of the browser tests.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
