"""What every browser test shares: Debian's Chromium, its headless options, the artefacts folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psoas_coach.report.pdf import DEBIAN_CHROMIUM, HEADLESS_ARGS

#: Debian's ``chromium`` package; Playwright never downloads a browser of its own.
CHROMIUM = DEBIAN_CHROMIUM
#: Headless, and no background connections (this machine's network is closed): the product's.
CHROMIUM_ARGS = list(HEADLESS_ARGS)


def collect_errors(page: Any, errors: list[str]) -> list[str]:
    """Append to ``errors`` every console error and uncaught script error of ``page`` (a
    Playwright page); returns ``errors``."""
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


#: Screenshots of the browser tests.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
