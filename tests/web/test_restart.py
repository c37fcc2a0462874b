"""Restart: ``psoas serve`` killed (SIGKILL, with its helper processes) while a real video is
being analysed; started again, the job is picked up and completes, and no half-written result
was ever visible."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from psoas_coach.storage.db import make_engine, make_session_factory
from psoas_coach.storage.models import AnalysisJob, Result
from tests.web.helpers import Api


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServeProcess:
    """``python -m psoas_coach.cli serve`` in its own process group."""

    def __init__(self, data_dir: Path, port: int, log: Path) -> None:
        """Start the server and wait until it answers."""
        self.url = f"http://127.0.0.1:{port}"
        self.log = log.open("ab")
        command = [sys.executable, "-m", "psoas_coach.cli", "serve"]
        command += ["--data-dir", str(data_dir), "--port", str(port)]
        env = {**os.environ, "PSOAS_DATABASE_URL": ""}
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "psoas serve did not start"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server and every process it started (a crash, not a shutdown)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    def stop(self) -> None:
        """Ask the server to stop (SIGTERM) and wait."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """The data directory shared by both server runs."""
    yield tmp_path / "data"


def test_a_job_interrupted_by_a_crash_completes_after_restart(
    data_dir: Path, real_video: Path, tmp_path: Path
) -> None:
    port = free_port()
    first = ServeProcess(data_dir, port, tmp_path / "serve.log")
    try:
        api = Api(first.url)
        api.signup("restart@example.org")
        session = api.session(api.athlete(api.team()["id"])["id"])
        recording = api.upload(session["id"], "bridge.mp4", real_video.read_bytes()).json()
        job_id = recording["latest_job"]["id"]
        wait_until_running(api, job_id)
        api.close()
    finally:
        first.kill()
    assert_nothing_published(data_dir, job_id)
    second = ServeProcess(data_dir, port, tmp_path / "serve.log")
    try:
        api = Api(second.url)
        assert api.login("restart@example.org").status_code == 200
        status = api.wait(session["id"])
        job = api.ok("GET", f"/api/jobs/{job_id}")
        assert status["jobs"][0]["id"] == job_id
        assert job["status"] == "done" and job["attempts"] == 2, job
        result = api.ok("GET", f"/api/recordings/{recording['id']}")["result"]
        assert (
            result is not None and api.request("GET", result["files"]["video"]).status_code == 200
        )
        assert list((data_dir / "work").iterdir()) == []
        api.close()
    finally:
        second.stop()
    assert "re-queued" in (tmp_path / "serve.log").read_text(errors="replace")


def wait_until_running(api: Api, job_id: int) -> None:
    """Poll until the job is being analysed."""
    deadline = time.monotonic() + 60
    while api.ok("GET", f"/api/jobs/{job_id}")["status"] != "running":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    time.sleep(1.0)  # well into pose estimation


def assert_nothing_published(data_dir: Path, job_id: int) -> None:
    """After the crash: the job is still 'running' in the database and has no result."""
    engine = make_engine(f"sqlite:///{data_dir / 'psoas.db'}")
    try:
        with make_session_factory(engine)() as db:
            job = db.get(AnalysisJob, job_id)
            assert job is not None and job.status == "running"
            assert db.scalars(select(Result).where(Result.job_id == job_id)).first() is None
    finally:
        engine.dispose()
