"""A real local Ray head for the cluster tests: ``ray start --head --block`` with two worker
CPUs (two worker processes for one-core tasks), no dashboard, a small object store and a
token of its own, stopped (with every process it started) when the block ends."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Worker CPUs of the test head: two tasks at once.
HEAD_CPUS = 2
#: Seconds the head gets to answer, and to stop.
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RayHead:
    """A running head: its ``address`` (``127.0.0.1:PORT``) and the environment a client
    (``psoas batch --ray``, ``psoas serve --ray``) needs to join it."""

    address: str
    env: dict[str, str]


@contextmanager
def ray_head() -> Iterator[RayHead]:
    """Start a Ray head for the block; yields it. Its processes share one session (started
    with ``setsid``); at the end the head is asked to stop and whatever of that session is
    left is killed."""
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="psoas-ray-", dir="/tmp"))  # short: socket paths
    env = client_environment()
    ray = Path(sys.executable).with_name("ray")
    command = [
        str(ray), "start", "--head", "--block", f"--port={port}",
        "--node-ip-address=127.0.0.1", f"--num-cpus={HEAD_CPUS}", "--include-dashboard=false",
        "--object-store-memory=100000000", f"--temp-dir={temp}", "--disable-usage-stats",
    ]  # fmt: skip
    log = (temp / "head.log").open("w")
    head = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_until_up(head, port, temp)
        yield RayHead(f"127.0.0.1:{port}", env)
    finally:
        _stop(head)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def client_environment() -> dict[str, str]:
    """This process's environment with this checkout first on the path, Ray quiet, and a
    fresh cluster token (the head and its clients must share it)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="token",
        RAY_AUTH_TOKEN=secrets.token_hex(32),
    )
    return env


def _free_port() -> int:
    """A free TCP port outside Ray's worker port range (10002-19999)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if not 10002 <= port <= 19999:
            return port


def _wait_until_up(head: subprocess.Popen[bytes], port: int, temp: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"ray start failed:\n{(temp / 'head.log').read_text()[-3000:]}")
        if "Ray runtime started" in (temp / "head.log").read_text():
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"the Ray head did not start in {START_TIMEOUT_S:.0f} s")


def _stop(head: subprocess.Popen[bytes]) -> None:
    """SIGTERM the ``ray start`` process (it stops the head's processes), then kill what is
    left of its session."""
    head.send_signal(signal.SIGTERM)
    try:
        head.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        head.kill()
        head.wait()
    for pid in session_pids(head.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


def session_pids(session: int) -> list[int]:
    """Processes of the session ``session`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == session:
                found.append(int(entry.name))
        except (ProcessLookupError, PermissionError):
            continue
    return found
