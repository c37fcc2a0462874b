"""The code-quality tools the suite runs (``tests/test_code_quality.py``).

mypy checks the whole tree from scratch in a fresh clone (about 2.5 minutes here, most of it
in third-party packages), so when its test is collected it is started at once, at the lowest
CPU priority, and runs beside the other tests on the core they leave idle; its test then only
waits for the result. Run alone, the test runs it itself.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The mypy test's node id suffix (``tests/test_code_quality.py``).
MYPY_TEST = "test_tool_is_clean[mypy]"

#: The early mypy run, while one is going: its process and output file.
_EARLY: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}


def tool(name: str) -> str:
    """The path of a tool installed beside this interpreter (the project's venv)."""
    return str(Path(sys.executable).parent / name)


def start_mypy_early() -> None:
    """Start mypy in the background, niced, its output to a temporary file (once)."""
    if _EARLY:
        return
    out = Path(tempfile.mkstemp(prefix="psoas-mypy-", suffix=".txt")[1])
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            ["nice", "-n", "19", tool("mypy")], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    _EARLY["mypy"] = (proc, out)


def stop_mypy_early() -> None:
    """Stop an early mypy whose test did not run (the session ended first)."""
    if _EARLY:
        proc, out = _EARLY.pop("mypy")
        proc.kill()
        proc.wait()
        out.unlink(missing_ok=True)


def run(command: list[str]) -> tuple[int, str]:
    """Run a tool (``command[0]`` from the venv) in the project root: exit status, output.
    mypy's early run is used when there is one."""
    if command == ["mypy"] and _EARLY:
        proc, out = _EARLY.pop("mypy")
        code = proc.wait()
        text = out.read_text(errors="replace")
        out.unlink(missing_ok=True)
        return code, text
    done = subprocess.run(
        [tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout + done.stderr
