"""Soak benchmark of the dashboard under hostile input: ``psoas serve`` (a real process, its
real settings) takes rounds of good uploads, gzip bombs, broken files, chunked floods without
a login and wrong passwords for ``--minutes``; each round prints the server's resident memory
(its own and its analysis children's at their largest), the jobs done and failed and any
server error (5xx). At the end it checks the server still answers and prints the peaks.

Examples::

    python scripts/soak.py                    # 2 minutes
    python scripts/soak.py --minutes 20 --max-upload-mb 50
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from proc_stats import tree_rss_bytes

from psoas_coach.pose.csv_io import write_keypoints
from psoas_coach.synth import hostile
from psoas_coach.synth.generator import generate
from psoas_coach.synth.spec import SynthSpec

HEADERS = {"X-Requested-With": "soak"}


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` and all its descendants, megabytes."""
    return tree_rss_bytes(pid) / 1e6


def inputs(folder: Path) -> dict[str, Path]:
    """The files of a round: one good recording and the hostile ones."""
    good = folder / "good.csv.gz"
    write_keypoints(generate(SynthSpec(seed=1, n_reps=4)).pose, good)
    return {
        "good": good,
        "bomb_1gb": hostile.zero_bomb(folder / "bomb.csv.gz", inflated_bytes=1_000_000_000),
        "rows_86mb": hostile.rows_bomb(folder / "rows.csv.gz", inflated_bytes=86_000_000),
        "long_75mb": hostile.rows_bomb(folder / "long.csv.gz", inflated_bytes=75_000_000),
        "corrupt": hostile.corrupt_gzip(folder / "corrupt.csv.gz"),
        "truncated": hostile.truncated_gzip(folder / "truncated.csv.gz"),
    }


def flood(port: int, megabytes: int) -> None:
    """A chunked upload without a login, until the server answers or closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/sessions/1/recordings HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\nContent-Type: multipart/form-data; boundary=b\r\n\r\n"
        )
        chunk = b"10000\r\n" + b"0" * 0x10000 + b"\r\n"
        try:
            for _ in range(megabytes * 16):
                sock.sendall(chunk)
        except OSError:
            pass


def main() -> int:
    """Run the soak; 0 when the server never answered 5xx and still answers at the end."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="how long (default: 2)")
    parser.add_argument("--port", type=int, default=8765 + os.getpid() % 1000, help="port")
    parser.add_argument("--max-upload-mb", type=float, default=5.0, help="upload limit")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="psoas-soak-"))
    files = inputs(folder / "in")
    env = {**os.environ, "PSOAS_MAX_UPLOAD_MB": str(args.max_upload_mb)}
    command = [sys.executable, "-m", "psoas_coach.cli", "serve", "--port", str(args.port)]
    server = subprocess.Popen(
        [*command, "--data-dir", str(folder / "data")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    errors = 0
    peak = 0.0
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=120)
        for _ in range(200):
            try:
                client.get("/api/health")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        account = {"email": "soak@example.org", "name": "Soak", "password": "soak soak soak"}
        client.post("/api/auth/signup", json=account, headers=HEADERS)
        me = client.post(
            "/api/auth/login",
            json={"email": account["email"], "password": account["password"]},
            headers=HEADERS,
        ).json()
        client.headers["X-CSRF-Token"] = me["csrf_token"]
        team = client.post("/api/teams", json={"name": "Soak"}).json()
        athlete = client.post(f"/api/teams/{team['id']}/athletes", json={"name": "A"}).json()
        print("round  elapsed_s  server_rss_mb  done  failed  5xx", flush=True)
        start, round_number = time.monotonic(), 0
        while time.monotonic() - start < args.minutes * 60:
            round_number += 1
            session = client.post(f"/api/athletes/{athlete['id']}/sessions", json={}).json()
            for path in files.values():
                answer = client.post(
                    f"/api/sessions/{session['id']}/recordings",
                    files={"file": (path.name, path.read_bytes())},
                )
                errors += answer.status_code >= 500
            flood(args.port, 50)
            for _ in range(3):
                answer = client.post(
                    "/api/auth/login",
                    json={"email": "soak@example.org", "password": "wrong"},
                    headers=HEADERS,
                )
                errors += answer.status_code >= 500
            while True:
                status = client.get(f"/api/sessions/{session['id']}/status").json()
                peak = max(peak, rss_mb(server.pid))
                if status["finished"]:
                    break
                time.sleep(0.2)
            states = [job["status"] for job in status["jobs"]]
            print(
                f"{round_number:5d}  {time.monotonic() - start:9.0f}  {rss_mb(server.pid):13.0f}"
                f"  {states.count('done'):4d}  {states.count('failed'):6d}  {errors:3d}",
                flush=True,
            )
        alive = client.get("/api/health").status_code == 200
        print(f"peak resident memory (server and children): {peak:.0f} MB; answering: {alive}")
        return 0 if alive and errors == 0 else 1
    finally:
        server.terminate()
        server.wait(60)


if __name__ == "__main__":
    sys.exit(main())
