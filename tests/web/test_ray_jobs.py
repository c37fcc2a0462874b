"""``psoas serve --ray ADDRESS`` with PostgreSQL: uploads queued in the database, analysed as
tasks on a real local Ray head (two worker processes), results as ``psoas analyze`` gives.
(Keypoint uploads only: a video's pose runs in the same task code, and the batch tests run
real videos on the cluster.)"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from psoas_coach.cli.__main__ import main
from tests.ray_head import RayHead
from tests.storage.databases import fresh_postgres_database, postgres_server_url
from tests.web.helpers import Api, synthetic_csv

START_TIMEOUT_S = 120.0


@pytest.fixture
def ray_server(ray_cluster: RayHead, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``psoas serve --ray`` on a fresh PostgreSQL database; its URL and its log file."""
    log_path = tmp_path / "serve.log"
    with fresh_postgres_database(postgres_server_url()) as url, log_path.open("w") as log:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        command = [sys.executable, "-m", "psoas_coach.cli", "serve", "--ray", ray_cluster.address]
        command += ["--database-url", url, "--data-dir", str(tmp_path / "data")]
        command += ["--port", str(port), "--analysis-workers", "2"]
        server = subprocess.Popen(
            command, env=ray_cluster.env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(base, server, log_path)
            yield base, log_path
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(90)


def _wait_for(base: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert server.poll() is None, log_path.read_text()
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"psoas serve --ray did not start:\n{log_path.read_text()}")


def test_uploads_run_as_ray_tasks(ray_server: tuple[str, Path], tmp_path: Path) -> None:
    base, log_path = ray_server
    inputs = [
        synthetic_csv(tmp_path / "march.csv.gz", seed=21, n_reps=3),
        synthetic_csv(tmp_path / "other.csv.gz", seed=22, n_reps=2, fault_rate=0.5),
    ]
    reference = tmp_path / "reference"
    assert main(["analyze", *map(str, inputs), "--out", str(reference), "-q"]) == 0
    api = Api(base)
    try:
        api.signup(f"coach-{uuid.uuid4().hex[:10]}@example.org")
        athlete = api.athlete(api.team()["id"], name="Ana")
        session_id = api.session(athlete["id"])["id"]
        uploaded = {}
        for path in inputs:
            response = api.upload(session_id, path.name, path.read_bytes())
            assert response.status_code == 202, response.text
            uploaded[path.name.split(".")[0]] = response.json()["id"]
        status = api.wait(session_id)
        assert [job["status"] for job in status["jobs"]] == ["done", "done"], status
        for stem, recording_id in uploaded.items():
            result = api.ok("GET", f"/api/recordings/{recording_id}")["result"]
            report = api.ok("GET", f"/api/results/{result['id']}/files/json")
            expected = json.loads((reference / f"{stem}.json").read_text())
            assert report["reps"] == expected["reps"], stem
            assert report["summary"] == expected["summary"], stem
    finally:
        api.close()
    log = log_path.read_text()
    assert "analyses on:    Ray cluster at" in log
    assert log.count("as a task") == 2, log
