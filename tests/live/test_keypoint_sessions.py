"""Live sets fed keypoints (pose run in the browser) over real WebSockets: the one engine's
answers and report, no pose estimator started, the rules that close a connection (each with
its code and reason, other clients undisturbed) and resuming a dropped set."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from psoas_coach.exceptions import PoseBackendError
from psoas_coach.live.hub import LiveHub
from psoas_coach.live.replay import pose_messages, session_report
from psoas_coach.live.server import LiveSettings, create_app
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.backend import PoseBackend
from psoas_coach.synth.generator import generate
from tests.live.conftest import short_spec
from tests.serving import serve_app


def _no_estimator() -> PoseBackend:
    raise PoseBackendError("a keypoint set must not start a pose estimator")


@pytest.fixture(scope="module")
def messages() -> list[str]:
    """A synthetic march (two repetitions) as 30 fps pose messages."""
    return pose_messages(generate(short_spec(11, n_reps=2)).pose)


@pytest.fixture(scope="module")
def replay_site() -> Iterator[tuple[str, FastAPI]]:
    """A live server that takes replays as fast as it can answer, its sets spread over two
    engine processes."""
    settings = LiveSettings(backend_factory=_no_estimator, max_frame_rate=1e6, engine_processes=2)
    app = create_app(settings)
    try:
        with serve_app(app) as url:
            yield url, app
    finally:
        app.state.live_hub.host.close()


@pytest.fixture(scope="module")
def strict() -> Iterator[tuple[str, FastAPI]]:
    """A live server with the default frame rate limit, a short idle limit and grace."""
    app = create_app(LiveSettings(backend_factory=_no_estimator, idle_s=1.5, resume_s=1.5))
    with serve_app(app) as url:
        yield url, app


@contextmanager
def _open(url: str, query: str = "") -> Iterator[tuple[ClientConnection, dict[str, Any]]]:
    with connect(url.replace("http", "ws") + "/live/ws" + query, open_timeout=30) as ws:
        ready = _receive(ws)
        assert ready["type"] == "ready"
        yield ws, ready


def _receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=60))
    assert isinstance(message, dict)
    return message


def _send(ws: ClientConnection, text: str) -> dict[str, Any]:
    ws.send(text)
    return _receive(ws)


def _end(ws: ClientConnection) -> dict[str, Any]:
    reply = _send(ws, json.dumps({"type": "end"}))
    assert reply["type"] == "report"
    report: dict[str, Any] = reply["report"]
    return report


def test_a_keypoint_set_is_the_engines_set_without_an_estimator(
    replay_site: tuple[str, FastAPI], messages: list[str]
) -> None:
    with _open(replay_site[0]) as (ws, ready):
        assert ready["pose_modes"] == ["server", "browser"] and ready["resumed"] is False
        assert len(ready["session"]) >= 20 and ready["resume_s"] == 120.0
        replies = [_send(ws, m) for m in messages]
        assert {r["type"] for r in replies} == {"frame"}
        assert replies[-1]["status"]["counts"] == {"left": 1, "right": 1}
        assert sum(p is not None for p in replies[-1]["landmarks"]) > 20
        report = _end(ws)
    assert report == session_report(messages).report.to_dict()
    offline = analyze_pose(generate(short_spec(11, n_reps=2)).pose).report
    assert [r["side"] for r in report["reps"]] == [r.side for r in offline.reps]


def _drain(ws: ClientConnection) -> tuple[int, str]:
    """Read until the server closes; its close code and reason."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def _garbage(ws: ClientConnection, messages: list[str]) -> None:
    for _ in range(20):
        ws.send("nonsense")


def _backwards(ws: ClientConnection, messages: list[str]) -> None:
    ws.send(messages[5])
    ws.send(messages[4])


def _too_fast(ws: ClientConnection, messages: list[str]) -> None:
    """Frames stamped 6000 a second, sent at once. Judged by their capture times, however
    slowly a busy server reads them. (Its arrival clock sees the pace the server takes them
    at: a server handling a frame in under 1/240 s, as the engine now does, would see them
    too fast by arrival first if they were stamped only 240 a second; ``test_guard.py``
    covers that clock.)"""
    for k, m in enumerate(messages[:300]):
        ws.send(json.dumps(json.loads(m) | {"time_s": k / 6000}))


def _idle(ws: ClientConnection, messages: list[str]) -> None:
    ws.send(messages[0])


RULES = [
    (
        _garbage,
        1003,
        "20 unusable messages in a row; last: control message: not JSON (Expecting value)",
    ),
    (_backwards, 1008, "frame times must increase: 0.133 s came after 0.167 s"),
    (_too_fast, 1008, "too fast: over 60 frames a second (capture times)"),
    (_idle, 1001, "idle: nothing received for 1.5 s"),
]


@pytest.mark.parametrize(
    ("misuse", "code", "reason"), RULES, ids=["garbage", "backwards", "too-fast", "idle"]
)
def test_misuse_closes_with_a_reason_and_others_go_on(
    strict: tuple[str, FastAPI], messages: list[str], misuse: Any, code: int, reason: str
) -> None:
    url, _ = strict
    sent = messages[:75]  # 2.5 s at 30 fps, while the other client misbehaves
    with _open(url) as (good, _), _open(url) as (bad, _):
        with ThreadPoolExecutor(1) as pool:
            answers = pool.submit(_paced, good, sent)
            misuse(bad, messages)
            assert _drain(bad) == (code, reason)
            assert answers.result() == ["frame"] * len(sent)
        assert _end(good) == session_report(sent).report.to_dict()


def _paced(ws: ClientConnection, messages: list[str]) -> list[str]:
    """Send ``messages`` at 30 a second, each after the last answer; the answers' types."""
    start = time.monotonic()
    types = []
    for k, m in enumerate(messages):
        time.sleep(max(0.0, start + k / 30 - time.monotonic()))
        types.append(_send(ws, m)["type"])
    return types


def _wait_parked(app: FastAPI, count: int) -> None:
    hub: LiveHub = app.state.live_hub
    deadline = time.monotonic() + 10
    while hub.parked != count:
        assert time.monotonic() < deadline, "the dropped set was not parked"
        time.sleep(0.02)


def test_a_dropped_set_resumes_within_the_grace_period_and_not_after(
    strict: tuple[str, FastAPI], messages: list[str]
) -> None:
    url, app = strict
    first, rest = messages[:50], messages[50:100]
    with _open(url) as (ws, ready):
        assert all(_send(ws, m)["type"] == "frame" for m in first)
        ws.close(code=1001)  # the page went away (a normal close, 1000, keeps nothing)
    _wait_parked(app, 1)
    token = ready["session"]
    with _open(url, f"?resume={token}") as (ws, again):
        assert again["resumed"] is True and again["session"] == token
        assert again["last_time_s"] == json.loads(first[-1])["time_s"]
        assert all(_send(ws, m)["type"] == "frame" for m in rest)
        ws.close(code=1001)
    _wait_parked(app, 1)
    time.sleep(1.6)
    assert app.state.live_hub.parked == 0
    with _open(url, f"?resume={token}") as (ws, late):
        assert late["resumed"] is False and late["session"] != token
        assert _end(ws)["reps"] == []


def test_a_resumed_set_reports_every_frame_of_both_connections(
    replay_site: tuple[str, FastAPI], messages: list[str]
) -> None:
    url, app = replay_site
    half = len(messages) // 2
    with _open(url) as (ws, ready):
        for m in messages[:half]:
            _send(ws, m)
        ws.close(code=4000)  # any close but a normal one keeps the set
    _wait_parked(app, 1)
    with _open(url, f"?resume={ready['session']}") as (ws, again):
        assert again["resumed"] is True
        for m in messages[half:]:
            _send(ws, m)
        assert _end(ws) == session_report(messages).report.to_dict()


def test_a_killed_engine_process_closes_its_sets_only_and_is_replaced(
    replay_site: tuple[str, FastAPI], messages: list[str]
) -> None:
    url, app = replay_site
    host = app.state.live_hub.host
    with _open(url) as (first, _), _open(url) as (second, _):
        assert _send(first, messages[0])["type"] == "frame"
        assert _send(second, messages[0])["type"] == "frame"
        victim = host.pids[0]
        assert victim is not None and len(host.pids) == 2
        os.kill(victim, signal.SIGKILL)
        replies = [_send(ws, messages[1]) for ws in (first, second)]
        assert sorted(r["type"] for r in replies) == ["error", "frame"], replies
        lost = first if replies[0]["type"] == "error" else second
        code, reason = _drain(lost)
        assert code == 1011 and reason.startswith("live engine process stopped"), reason
        kept = second if lost is first else first
        assert _send(kept, messages[2])["type"] == "frame"
    with _open(url) as (ws, _), _open(url) as (other, _):
        assert _send(ws, messages[0])["type"] == "frame"
        assert _send(other, messages[0])["type"] == "frame"
    assert victim not in host.pids


def test_resuming_a_set_whose_old_connection_looks_open_takes_it_over(
    strict: tuple[str, FastAPI], messages: list[str]
) -> None:
    url, _ = strict
    with _open(url) as (old, ready):
        assert all(_send(old, m)["type"] == "frame" for m in messages[:30])
        with _open(url, f"?resume={ready['session']}") as (new, again):
            assert again["resumed"] is True and again["session"] == ready["session"]
            assert _drain(old) == (4000, "replaced by a newer connection of this set")
            assert all(_send(new, m)["type"] == "frame" for m in messages[30:60])
            assert _end(new) == session_report(messages[:60]).report.to_dict()
