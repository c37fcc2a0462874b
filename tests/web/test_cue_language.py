"""A team's cue language reaches the live page: the ready message names it (for the browser's
speech) and the set-up messages and cues come in it, over the dashboard's real WebSocket with
the real pose estimator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from psoas_coach.faults.words import fault_cue, fault_name, translate
from psoas_coach.live.protocol import encode_picture
from psoas_coach.live.setup import MESSAGES, READY_MESSAGE
from psoas_coach.web.security import SESSION_COOKIE
from tests.live.conftest import real_frames
from tests.web.helpers import Api, Served


@pytest.fixture(scope="module")
def backend() -> str:
    """One database back-end is enough here."""
    return "sqlite"


def _socket(served: Served, api: Api, athlete_id: int) -> ClientConnection:
    url = served.url.replace("http", "ws") + f"/athletes/{athlete_id}/live/ws"
    cookie = f"{SESSION_COOKIE}={api.http.cookies[SESSION_COOKIE]}"
    return connect(url, additional_headers={"Origin": served.url, "Cookie": cookie})


def _receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=120))
    assert isinstance(message, dict)
    return message


@pytest.mark.parametrize("language", ["en", "fr"])
def test_live_cues_come_in_the_teams_language(served: Served, api: Api, language: str) -> None:
    team = api.team(f"Cues {language}")
    api.ok("PATCH", f"/api/teams/{team['id']}", json={"language": language})
    athlete = api.athlete(team["id"])
    expected = {translate(m, language) for m in [*MESSAGES.values(), READY_MESSAGE, "Hold"]}
    with _socket(served, api, athlete["id"]) as ws:
        ready = _receive(ws)
        assert ready["type"] == "ready" and ready["lang"] == language
        shown = set()
        for n, image in enumerate(real_frames("glute_bridge.mp4", 0.5, 320)):
            ws.send(encode_picture(n / 30.0, image))
            frame = _receive(ws)
            shown.add(frame["status"]["setup_message"])
            shown |= {e["text"] for e in frame["events"] if e["type"] == "cue"}
            shown |= {e["message"] for e in frame["events"] if e["type"] == "setup"}
    shown.discard("")
    assert shown and shown <= expected


def test_the_analysis_report_speaks_the_teams_language(api: Api, march_csv: Path) -> None:
    """An upload's HTML report names faults and gives cues in the team's language."""
    team = api.team("Rapport")
    api.ok("PATCH", f"/api/teams/{team['id']}", json={"language": "fr"})
    session = api.session(api.athlete(team["id"])["id"])
    answer = api.upload(session["id"], "march.csv.gz", march_csv.read_bytes())
    assert answer.status_code == 202, answer.text
    assert [j["status"] for j in api.wait(session["id"])["jobs"]] == ["done"]
    result = api.ok("GET", f"/api/recordings/{answer.json()['id']}")["result"]
    report = api.ok("GET", result["files"]["json"])
    faults = sorted({code for rep in report["reps"] for code in rep["faults"]})
    assert faults, "the sample should hold a faulty rep"
    page = api.request("GET", result["files"]["html"]).text
    assert '<html lang="fr">' in page
    assert all(fault_name(code, "fr").capitalize() in page for code in faults)
    assert all(fault_cue(code, "fr") in page for code in faults)
