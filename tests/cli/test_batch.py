"""``psoas batch``: usage errors and an unreachable cluster give one line and exit status 2
before anything starts (the real batches run in tests/cluster/test_batch.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from psoas_coach.cli.__main__ import main


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--retries", "-1"], "--retries at least 0"),
        (["--ray", "head"], "Ray cluster at head: expected HOST:PORT, e.g. head:6379"),
        (["--ray", "127.0.0.1:{port}"], "Ray cluster at 127.0.0.1:{port}: nothing answers there"),
        (["--config", "{tmp}/missing.toml"], "missing.toml"),
    ],
)
def test_refused_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    port = _closed_port()
    filled = [o.format(port=port, tmp=tmp_path) for o in options]
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "x.mp4"), "--out", str(out), *filled]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert message.format(port=port, tmp=tmp_path) in err[0]
    assert not out.exists()
