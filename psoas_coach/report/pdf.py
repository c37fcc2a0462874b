"""Print a self-contained HTML report to an A4 PDF with headless Chromium, offline.

Chromium (Debian's ``chromium``, which ``scripts/services.sh`` installs) lays the page out
exactly as a browser prints it, so the report's ``@media print`` / ``@page`` styles are the
one place the PDF's look is decided. Nothing is fetched: the HTML carries its styles and
figures inline and Chromium runs with its network features off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from psoas_coach.exceptions import PdfError

#: Where Chromium is looked for: ``PSOAS_CHROMIUM``, then ``chromium`` on the PATH, then Debian's.
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
#: Longest a PDF may take to print, seconds.
PRINT_TIMEOUT_S = 60.0
#: Headless Chromium with no background connections (nothing leaves the machine).
HEADLESS_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
_ARGS = (*HEADLESS_ARGS, "--no-pdf-header-footer")


def chromium_path() -> Path | None:
    """The Chromium program to print with, or ``None`` when none is installed."""
    configured = os.environ.get("PSOAS_CHROMIUM")
    if configured:
        return Path(configured)
    found = shutil.which("chromium")
    if found:
        return Path(found)
    return DEBIAN_CHROMIUM if DEBIAN_CHROMIUM.exists() else None


def html_to_pdf(html: str, *, timeout_s: float = PRINT_TIMEOUT_S) -> bytes:
    """The PDF bytes of ``html`` (a complete, self-contained page) printed on A4.

    Raises:
        PdfError: Chromium is not installed, fails, times out or writes no PDF.
    """
    program = chromium_path()
    if program is None:
        raise PdfError(
            "PDF export: Chromium is not installed (scripts/services.sh installs it); "
            "print the report page from the browser instead"
        )
    with tempfile.TemporaryDirectory(prefix="psoas-pdf-") as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            str(program),
            *_ARGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"PDF export: Chromium took over {timeout_s:.0f} s") from None
        except OSError as err:
            raise PdfError(f"PDF export: {program} cannot run ({err.strerror})") from None
        if not pdf.exists() or pdf.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise PdfError(f"PDF export: Chromium wrote no PDF (exit {done.returncode}: {tail[0]})")
        return pdf.read_bytes()
