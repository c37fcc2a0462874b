"""Analyses run in a child process under a memory limit: an input that needs more fails with
that reason, the server and its next analyses carry on (a real server, real files)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from psoas_coach.synth import hostile
from tests.web.helpers import Api, Served

LIMIT_MB = 600.0


@pytest.fixture(scope="module")
def backend() -> str:
    """The limit is the worker's; one database back-end is enough."""
    return "sqlite"


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """A small memory limit per analysis."""
    return {"analysis_memory_mb": LIMIT_MB, "skeleton_video": False}


def test_an_analysis_over_the_memory_limit_fails_and_the_server_goes_on(
    api: Api, served: Served, tmp_path: Path, march_csv: Path
) -> None:
    # 140 000 valid rows (78 minutes at 30 fps): within the CSV limits, 0.6 MB compressed,
    # about 600 MB of memory to analyse
    long = hostile.rows_bomb(tmp_path / "long.csv.gz", inflated_bytes=140_000 * 536)
    session = api.session(api.athlete(api.team()["id"])["id"])
    server_memory = _rss_kb()
    assert api.upload(session["id"], "long.csv.gz", long.read_bytes()).status_code == 202
    (job,) = api.wait(session["id"])["jobs"]
    assert job["status"] == "failed"
    assert job["reason"] == (
        f"the analysis needed more than {LIMIT_MB:g} MB of memory, the server's limit for one "
        "analysis ($PSOAS_ANALYSIS_MEMORY_MB), and was stopped"
    )
    assert _rss_kb() - server_memory < 100_000, "the server itself held the analysis's data"
    assert not any((served.settings.data_dir / "work").iterdir())
    assert api.upload(session["id"], "m.csv.gz", march_csv.read_bytes()).status_code == 202
    assert [j["status"] for j in api.wait(session["id"])["jobs"]] == ["failed", "done"]


def _rss_kb() -> int:
    """Resident memory of this process (the test server runs in it), kilobytes."""
    with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1])
