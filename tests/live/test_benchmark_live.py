"""The load benchmark's machinery (``scripts/benchmark_live.py --sessions``) end to end with
three keypoint clients for a few seconds: a real ``psoas live --serve`` process, every answer
received and every set's report checked. Correctness only: no timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "benchmark_live.py"


def test_three_keypoint_clients_get_every_answer_and_the_right_reports() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sessions", "3", "--seconds", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    sessions = [line for line in lines if line[:3] in ("00:", "01:", "02:")]
    assert len(sessions) == 3
    assert all(line.split()[1] == "120" for line in sessions), sessions  # 4 s at 30 fps
    assert all(line.endswith("identical, offline agrees") for line in sessions), sessions
    assert any("server CPU" in line and "per session-second" in line for line in lines)
    assert any(line.startswith("clients (this process) CPU") for line in lines)
    assert "reports identical to the same engine fed the same messages here: 3/3" in done.stdout
