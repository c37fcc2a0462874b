"""The live page's server over real WebSockets: pictures in, landmarks and events out; bad
messages and dropped browsers get a clear message while other browsers keep being served."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from psoas_coach.cli.serve import server_config
from psoas_coach.engine import Analysis
from psoas_coach.live.protocol import HEADER, MAX_FRAME_BYTES, PROTOCOL, encode_picture
from psoas_coach.live.server import LiveSettings, build_live_router, create_app
from psoas_coach.web.settings import Settings
from tests.live.conftest import real_frames
from tests.serving import serve_app

Image = npt.NDArray[np.uint8]


@pytest.fixture(scope="module")
def pictures() -> list[Image]:
    """One second of a real supine athlete, 320 px wide."""
    return real_frames("glute_bridge.mp4", 1.0, 320)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The stand-alone live app (``psoas live --serve``)."""
    with serve_app(create_app()) as url:
        yield url


@contextmanager
def _open(url: str, path: str = "/live/ws") -> Iterator[ClientConnection]:
    """A connection that has received the server's ``ready`` message."""
    with connect(url.replace("http", "ws") + path, open_timeout=30) as ws:
        ready = _receive(ws)
        assert ready["type"] == "ready" and ready["protocol"] == PROTOCOL
        assert ready["hold"] == {"min_s": 2.0, "max_s": 3.0, "target_s": 2.0}
        yield ws


def _receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=60))
    assert isinstance(message, dict)
    return message


def _send_picture(ws: ClientConnection, time_s: float, image: Image) -> dict[str, Any]:
    ws.send(encode_picture(time_s, image))
    return _receive(ws)


def test_page_script_and_style_are_served(site: str) -> None:
    with httpx.Client(base_url=site) as http:
        page = http.get("/live/")
        assert page.status_code == 200 and '<canvas id="overlay"' in page.text
        assert http.get("/live/live.js").headers["content-type"].startswith("text/javascript")
        assert http.get("/live/live.css").status_code == 200
        assert http.get("/", follow_redirects=False).headers["location"] == "/live/"


def test_pictures_give_landmarks_status_and_events(site: str, pictures: list[Image]) -> None:
    with _open(site) as ws:
        replies = [_send_picture(ws, k / 30, image) for k, image in enumerate(pictures[:10])]
    assert all(r["type"] == "frame" for r in replies)
    last = replies[-1]
    assert len(last["landmarks"]) == 33
    seen = [p for p in last["landmarks"] if p is not None]
    assert len(seen) > 20 and all(0 <= x <= 1.05 and 0 <= y <= 1.05 for x, y in seen)
    assert last["status"]["ready"] is False and last["status"]["setup_message"]
    assert replies[0]["events"][0]["type"] == "setup"
    assert last["ms"]["total"] > 0


BAD_MESSAGES: list[tuple[str | bytes, str]] = [
    ("not json", "control message: not JSON"),
    ('{"type": "dance"}', "control message: expected an object with type pose, mute, end or"),
    ('{"type": "mute"}', "control message: mute needs a true/false 'muted'"),
    (b"1234", "picture message: expected a time and an image, found 4 B"),
    (HEADER.pack(1.0) + b"not a jpeg", "picture message: the image is not a readable JPEG or PNG"),
    (HEADER.pack(float("nan")) + b"x", "picture message: time must be a non-negative number"),
    (b"\0" * (MAX_FRAME_BYTES + 1), f"picture message: {MAX_FRAME_BYTES + 1} B is over"),
]


def test_malformed_messages_get_an_error_and_the_connection_stays(
    site: str, pictures: list[Image]
) -> None:
    with _open(site) as ws:
        for message, expected in BAD_MESSAGES:
            ws.send(message)
            reply = _receive(ws)
            assert reply["type"] == "error" and reply["message"].startswith(expected)
        assert _send_picture(ws, 0.0, pictures[0])["type"] == "frame"


def test_a_dropped_browser_does_not_disturb_another(site: str, pictures: list[Image]) -> None:
    with _open(site) as keeper, _open(site) as dropper:
        _send_picture(dropper, 0.0, pictures[0])
        dropper.send(encode_picture(0.1, pictures[1]))  # in flight when the line goes dead
        dropper.socket.shutdown(socket.SHUT_RDWR)
        dropper.socket.close()
        replies = [_send_picture(keeper, k / 30, image) for k, image in enumerate(pictures)]
        assert [r["type"] for r in replies] == ["frame"] * len(pictures)
        with _open(site) as newcomer:
            assert _send_picture(newcomer, 0.0, pictures[0])["type"] == "frame"


def test_end_returns_the_report_and_a_new_set_starts(site: str, pictures: list[Image]) -> None:
    with _open(site) as ws:
        for k, image in enumerate(pictures[:15]):
            _send_picture(ws, k / 30, image)
        ws.send(json.dumps({"type": "mute", "muted": True}))
        assert _receive(ws) == {"type": "muted", "muted": True}
        ws.send(json.dumps({"type": "end"}))
        report = _receive(ws)
        assert report["type"] == "report"
        assert report["report"]["schema"] == "psoas-coach/report@1"
        assert report["report"]["summary"]["reps"] == {"left": 0, "right": 0}
        assert report["report"]["duration_s"] == pytest.approx(0.5, abs=0.05)
        again = _send_picture(ws, 0.0, pictures[0])
        assert again["status"]["counts"] == {"left": 0, "right": 0}
        assert again["status"]["muted"] is True


def test_too_many_bad_messages_close_the_connection(site: str) -> None:
    with _open(site) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(50):
                ws.send(b"garbage!garbage")
                _receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


def test_mounted_in_another_app_with_a_report_hook(pictures: list[Image]) -> None:
    saved: list[Analysis] = []

    async def save(analysis: Analysis) -> dict[str, Any]:
        saved.append(analysis)
        return {"session_id": 7}

    app = FastAPI()
    app.include_router(
        build_live_router(LiveSettings(on_report=save, max_sessions=1)), prefix="/athletes/3/live"
    )
    with serve_app(app) as url, _open(url, "/athletes/3/live/ws") as ws:
        assert httpx.get(url + "/athletes/3/live/").status_code == 200
        _send_picture(ws, 0.0, pictures[0])
        with _open(url, "/athletes/3/live/ws") as second:  # room for pose in the browser
            busy = _send_picture(second, 0.0, pictures[0])
            assert busy["type"] == "error" and busy["message"].startswith(
                "server busy: 1 live sets use server pose"
            )
            with pytest.raises(ConnectionClosed) as closed:
                second.recv(timeout=30)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        ws.send(json.dumps({"type": "end"}))
        assert _receive(ws)["saved"] == {"session_id": 7}
    assert len(saved) == 1 and saved[0].report.source == "browser webcam"


def test_psoas_live_serve_runs_the_page(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = "from psoas_coach.cli.__main__ import entry; entry()"
    command = [sys.executable, "-c", entry, "live", "--serve", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/live/")
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert page.status_code == 200
        # The client offers compression (as browsers do); the server declines it: one small
        # JSON message a frame is cheaper sent as it is.
        with connect(f"ws://127.0.0.1:{port}/live/ws", open_timeout=30) as ws:
            assert _receive(ws)["type"] == "ready"
            assert ws.response is not None
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
    assert f"live page: http://127.0.0.1:{port}/live/" in out


def test_the_dashboards_server_declines_websocket_compression(tmp_path: Path) -> None:
    """``psoas serve``'s uvicorn settings, serving the live page: a client offering
    permessage-deflate gets plain messages."""
    app = create_app()
    config = server_config(app, Settings(data_dir=tmp_path), host="127.0.0.1", port=0)
    with serve_app(app, config=config) as url, _open(url) as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


def test_pictures_in_an_engine_process(pictures: list[Image]) -> None:
    """As ``psoas live --serve`` runs sets: in an engine process, BlazePose started there."""
    app = create_app(LiveSettings(engine_processes=1, max_sessions=1))
    try:
        with serve_app(app) as url, _open(url) as ws:
            replies = [_send_picture(ws, k / 30, image) for k, image in enumerate(pictures[:5])]
            assert [r["type"] for r in replies] == ["frame"] * 5
            assert sum(p is not None for p in replies[-1]["landmarks"]) > 20
            assert app.state.live_hub.server_pose_sets == 1
            ws.send(json.dumps({"type": "end"}))
            assert _receive(ws)["report"]["source"] == "browser webcam"
    finally:
        app.state.live_hub.host.close()
