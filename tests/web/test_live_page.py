"""The live page in the dashboard: access like every route (page and WebSocket), and a set sent
over the WebSocket saved as a new session of the athlete with a done result."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from psoas_coach.live.hosting import ProcessHost
from psoas_coach.live.hub import LiveHub
from psoas_coach.live.protocol import encode_picture
from psoas_coach.live.replay import decoded_pose, pose_messages, session_report
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.csv_io import read_keypoints
from psoas_coach.reps.types import Rep
from psoas_coach.synth.generator import generate
from psoas_coach.web.security import SESSION_COOKIE
from tests.live.conftest import real_frames, short_spec
from tests.web.helpers import Api, Served


@pytest.fixture(scope="module")
def backend() -> str:
    """One database back-end is enough here (the access table covers both)."""
    return "sqlite"


def _socket(served: Served, api: Api | None, athlete_id: int, query: str = "") -> ClientConnection:
    url = served.url.replace("http", "ws") + f"/athletes/{athlete_id}/live/ws" + query
    headers = {"Origin": served.url}
    if api is not None:
        headers["Cookie"] = f"{SESSION_COOKIE}={api.http.cookies[SESSION_COOKIE]}"
    return connect(url, additional_headers=headers, open_timeout=30)


def _receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=120))
    assert isinstance(message, dict)
    return message


def test_other_teams_athlete_is_refused(served: Served, new_api: Callable[[], Api]) -> None:
    owner, other = new_api(), new_api()
    athlete = owner.athlete(owner.team("Live")["id"])
    page = owner.request("GET", f"/athletes/{athlete['id']}/live")
    assert page.status_code == 200
    assert f'data-ws="/athletes/{athlete["id"]}/live/ws"' in page.text
    assert "connect-src 'self' ws:" in page.headers["content-security-policy"]
    assert 'data-pose-base="/static/live/pose/"' in page.text
    assert other.request("GET", f"/athletes/{athlete['id']}/live").status_code == 404
    for client in (other, None):
        with pytest.raises(InvalidStatus) as refused:
            _socket(served, client, athlete["id"])
        assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        url = served.url.replace("http", "ws") + f"/athletes/{athlete['id']}/live/ws"
        cookie = f"{SESSION_COOKIE}={owner.http.cookies[SESSION_COOKIE]}"
        connect(url, additional_headers={"Origin": "http://evil.example", "Cookie": cookie})
    for unknown in (999_999, 2**63, -(2**70)):  # beyond a database integer: refused alike
        with pytest.raises(InvalidStatus) as refused:
            _socket(served, owner, unknown)
        assert refused.value.response.status_code == 403


def test_a_live_set_is_saved_as_a_session(served: Served, api: Api) -> None:
    athlete = api.athlete(api.team("Live set")["id"])
    assert (
        f"/athletes/{athlete['id']}/live" in api.request("GET", f"/athletes/{athlete['id']}").text
    )
    pictures = real_frames("glute_bridge.mp4", 1.0, 320)
    with _socket(served, api, athlete["id"]) as ws:
        assert _receive(ws)["type"] == "ready"
        for n, image in enumerate(pictures):
            ws.send(encode_picture(n / 30.0, image))
            assert _receive(ws)["type"] == "frame"
        ws.send(json.dumps({"type": "end"}))
        report = _receive(ws)
    assert report["type"] == "report"
    saved = report["saved"]
    assert saved["url"] == f"/sessions/{saved['session_id']}"
    sessions = api.ok("GET", f"/api/athletes/{athlete['id']}/sessions")
    assert [s["id"] for s in sessions] == [saved["session_id"]]
    assert sessions[0]["coach_comments"] == "live set"
    status = api.ok("GET", f"/api/sessions/{saved['session_id']}/status")
    assert status["finished"], status
    detail = api.ok("GET", f"/api/sessions/{saved['session_id']}")
    (recording,) = detail["recordings"]
    assert recording["latest_job"]["status"] == "done"
    result = api.ok("GET", f"/api/recordings/{recording['id']}")["result"]
    assert {"json", "html", "keypoints", "angles"} <= set(result["files"])
    assert api.request("GET", result["files"]["keypoints"]).status_code == 200
    assert "<svg" in api.request("GET", result["files"]["angles"]).text
    page = api.request("GET", f"/sessions/{saved['session_id']}")
    assert page.status_code == 200 and "<svg" in page.text  # the saved set's plots are shown


def test_a_saved_set_keeps_every_landmark_and_gives_its_reps_again(
    served: Served, api: Api, tmp_path: Path
) -> None:
    athlete = api.athlete(api.team("Keypoints kept")["id"])
    messages = pose_messages(generate(short_spec(12, n_reps=2)).pose)
    with _socket(served, api, athlete["id"]) as ws:
        assert _receive(ws)["type"] == "ready"
        start = time.monotonic()
        for n, text in enumerate(messages):
            time.sleep(max(0.0, start + n / 50 - time.monotonic()))  # under the rate limit
            ws.send(text)
            answer = _receive(ws)
            assert answer["type"] == "frame", answer
        ws.send(json.dumps({"type": "end"}))
        report = _receive(ws)
    detail = api.ok("GET", f"/api/sessions/{report['saved']['session_id']}")
    recording = detail["recordings"][0]
    result = api.ok("GET", f"/api/recordings/{recording['id']}")["result"]
    body = api.request("GET", result["files"]["keypoints"]).content
    path = tmp_path / ("set.csv.gz" if body[:2] == b"\x1f\x8b" else "set.csv")
    path.write_bytes(body)
    saved, sent = read_keypoints(path), decoded_pose(messages)
    assert len(saved) == len(sent)
    assert np.isfinite(saved.xy).all(axis=2).any(axis=0).all()  # all 33 landmarks, not 8
    np.testing.assert_allclose(saved.xy, sent.xy, atol=0.006)  # as received, 2 decimals
    live = [Rep.from_dict(r) for r in report["report"]["reps"]]
    again = analyze_pose(saved).report.reps
    assert len(live) >= 1 and [r.side for r in again] == [r.side for r in live]
    for figure in ("start_s", "end_s", "hold_s"):
        got, want = (np.array([r.figure(figure) for r in x], float) for x in (again, live))
        np.testing.assert_allclose(got, want, atol=0.04, err_msg=figure)  # a frame


def _resumed(served: Served, api: Api, athlete_id: int, token: str) -> bool:
    """Open the athlete's socket with ``?resume=token``: whether the set was resumed (a
    fresh set is closed normally, so it is not kept)."""
    with _socket(served, api, athlete_id, f"?resume={token}") as ws:
        ready = _receive(ws)
        assert ready["type"] == "ready"
        return bool(ready["resumed"])


def test_a_dropped_keypoint_set_resumes_for_the_same_athlete_and_login_only(
    served: Served, api: Api
) -> None:
    team = api.team("Squad")["id"]
    athlete, teammate = api.athlete(team), api.athlete(team)
    messages = pose_messages(generate(short_spec(12, n_reps=2)).pose)[:120]
    with _socket(served, api, athlete["id"]) as ws:
        token = _receive(ws)["session"]
        for text in messages[:60]:
            ws.send(text)
            assert _receive(ws)["type"] == "frame"
        ws.close(code=4000)  # the line dropped
    hub: LiveHub = served.app.state.live_hub
    assert isinstance(hub.host, ProcessHost), "the dashboard's sets run in engine processes"
    assert [pid for pid in hub.host.pids if pid not in (None, os.getpid())]
    deadline = time.monotonic() + 10
    while not hub.is_parked(token):
        assert time.monotonic() < deadline, "the dropped set was not parked"
        time.sleep(0.02)
    assert not _resumed(served, api, teammate["id"], token), "another athlete"
    again = Api(served.url)
    again.login(api.coach["email"])
    assert not _resumed(served, again, athlete["id"], token), "another login"
    again.close()
    with _socket(served, api, athlete["id"], f"?resume={token}") as ws:
        assert _receive(ws)["resumed"] is True
        for text in messages[60:]:
            ws.send(text)
            assert _receive(ws)["type"] == "frame"
        ws.send(json.dumps({"type": "end"}))
        report = _receive(ws)
    assert report["report"] == session_report(messages).report.to_dict()
    saved = api.ok("GET", f"/api/sessions/{report['saved']['session_id']}")
    assert saved["recordings"][0]["latest_job"]["status"] == "done"


@pytest.mark.parametrize(
    ("name", "status", "media_type"),
    [
        ("pose_solution_wasm_bin.wasm", 200, "application/wasm"),
        ("pose_landmark_full.tflite", 200, "application/octet-stream"),
        ("index.d.ts", 404, None),
    ],
)
def test_the_browser_pose_files_are_served(
    api: Api, name: str, status: int, media_type: str | None
) -> None:
    answer = api.request("GET", f"/static/live/pose/{name}")
    assert answer.status_code == status
    if media_type is not None:
        assert answer.headers["content-type"] == media_type
        assert len(answer.content) > 1_000_000  # the whole runtime or model
