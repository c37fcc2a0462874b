"""Hostile HTTP over a real server: request bodies counted as they arrive (chunked or not)
and refused at the limit, anonymous state-changing requests refused before their body is
read, and no page or API answer kept in the browser's cache."""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.web.helpers import Api, Served

LIMIT_MB = 1.0
#: What a test sends at most: far over every limit.
FLOOD_BYTES = 60_000_000
#: Bytes the client may have pushed before the answer (limit, slack and socket buffers).
SENT_BOUND = 12_000_000
CHUNK = b"0" * 65536
BOUNDARY = "psoasflood"


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """A 1 MB upload limit."""
    return {"max_upload_mb": LIMIT_MB, "skeleton_video": False}


def flood(base_url: str, path: str, *, cookie: str = "", form: bool = False) -> tuple[int, int]:
    """POST an endless chunked body to ``path`` until the server answers (or
    :data:`FLOOD_BYTES` went out); returns (status, bytes sent before the answer)."""
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=30)
    media = (
        "application/x-www-form-urlencoded" if form else f"multipart/form-data; boundary={BOUNDARY}"
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: {media}\r\nX-Requested-With: pytest\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + "\r\n"
    )
    opening = (
        b"email="
        if form
        else (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\ntime_s,nose_x\n"
        ).encode()
    )
    sock.sendall(head.encode() + _chunk(opening))
    sent = 0
    with sock:
        while sent < FLOOD_BYTES:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break
            try:
                sent += sock.send(_chunk(CHUNK)) and len(CHUNK)
            except (BrokenPipeError, ConnectionResetError):
                break
        return _status(sock), sent


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _status(sock: socket.socket) -> int:
    answer = b""
    deadline = time.monotonic() + 30
    while b"\r\n" not in answer and time.monotonic() < deadline:
        try:
            part = sock.recv(4096)
        except ConnectionResetError:
            break
        if not part:
            break
        answer += part
    assert answer.startswith(b"HTTP/1.1 "), f"no HTTP answer: {answer[:100]!r}"
    return int(answer.split()[1])


def stored(data_dir: Path) -> set[Path]:
    """Every file under uploads/, results/ and work/."""
    return {p for folder in ("uploads", "results", "work") for p in (data_dir / folder).rglob("*")}


def test_anonymous_chunked_upload_is_refused_before_its_body(served: Served) -> None:
    status, sent = flood(served.url, "/api/sessions/1/recordings")
    assert status == 401
    assert sent < SENT_BOUND
    status, sent = flood(served.url, "/sessions/1/recordings")
    assert status == 303  # to the login page
    assert sent < SENT_BOUND


def test_chunked_upload_over_the_limit_is_refused_as_it_arrives(api: Api, served: Served) -> None:
    session = api.session(api.athlete(api.team()["id"])["id"])
    cookie = "; ".join(f"{k}={v}" for k, v in api.http.cookies.items())
    before = stored(served.settings.data_dir)
    # the CSRF header is not sent: the size is refused first, whatever the route would say
    status, sent = flood(served.url, f"/api/sessions/{session['id']}/recordings", cookie=cookie)
    assert status == 413
    assert sent < SENT_BOUND
    assert stored(served.settings.data_dir) == before
    assert api.ok("GET", f"/api/sessions/{session['id']}")["recordings"] == []


@pytest.mark.parametrize("path", ["/login", "/signup", "/api/auth/login"])
def test_prelogin_forms_take_a_small_body_only(served: Served, path: str) -> None:
    status, sent = flood(served.url, path, form=True)
    assert status == 413
    assert sent < SENT_BOUND


def test_declared_length_over_the_form_limit_is_refused_at_once(api: Api) -> None:
    team = api.team()
    response = api.request("PATCH", f"/api/teams/{team['id']}", json={"name": "x" * 1_100_000})
    assert response.status_code == 413
    assert "request too large" in response.json()["detail"]


def test_nothing_personal_is_cached(api: Api) -> None:
    athlete = api.athlete(api.team()["id"])
    for path in (f"/athletes/{athlete['id']}", f"/api/athletes/{athlete['id']}", "/login"):
        assert api.http.get(path).headers["cache-control"] == "no-store", path
    assert api.request("POST", "/api/auth/logout").headers["cache-control"] == "no-store"
    assert "no-store" not in api.http.get("/static/style.css").headers.get("cache-control", "")
