"""Youth rules over a real server: a birth year corrected to a youth one turns keypoints-only
on (API and page), and a youth athlete without guardian consent is not coached live (page and
WebSocket refuse before any picture, saying what to do)."""

from __future__ import annotations

import datetime as dt
import json
from html import unescape

import pytest
from websockets.sync.client import connect

from psoas_coach.web.security import SESSION_COOKIE
from tests.web.helpers import Api, Served, csrf_of

YOUTH_YEAR = dt.date.today().year - 13


@pytest.fixture(scope="module")
def backend() -> str:
    """The rules are the app's; the crud tests cover both databases."""
    return "sqlite"


def test_corrected_birth_year_applies_the_youth_rules(api: Api) -> None:
    team = api.team()
    athlete = api.athlete(team["id"], birth_year=1995)
    assert not athlete["keypoints_only"]
    changed = api.ok("PATCH", f"/api/athletes/{athlete['id']}", json={"birth_year": YOUTH_YEAR})
    assert changed["youth"] and changed["keypoints_only"]
    # the athlete page's form (the keypoints-only box unticked, as it was for the adult)
    other = api.athlete(team["id"], name="Form", birth_year=1995)
    page = api.http.get(f"/athletes/{other['id']}")
    form = {"name": "Form", "birth_year": str(YOUTH_YEAR), "csrf_token": csrf_of(page.text)}
    assert api.http.post(f"/athletes/{other['id']}/edit", data=form).status_code == 303
    assert api.ok("GET", f"/api/athletes/{other['id']}")["athlete"]["keypoints_only"]


def test_youth_without_consent_is_not_coached_live(api: Api, served: Served) -> None:
    team = api.team()
    athlete = api.athlete(team["id"], name="Junior", birth_year=YOUTH_YEAR)
    page = api.request("GET", f"/athletes/{athlete['id']}/live")
    assert page.status_code == 409
    assert "record the guardian's consent on the athlete's page" in unescape(page.text)
    url = served.url.replace("http", "ws") + f"/athletes/{athlete['id']}/live/ws"
    cookie = f"{SESSION_COOKIE}={api.http.cookies[SESSION_COOKIE]}"
    with connect(url, additional_headers={"Origin": served.url, "Cookie": cookie}) as ws:
        message = json.loads(ws.recv(timeout=30))
    assert message["type"] == "error"
    assert message["message"] == (
        "Junior is under 18: record the guardian's consent on the athlete's page before "
        "coaching a live set"
    )
    api.ok("PATCH", f"/api/athletes/{athlete['id']}", json={"guardian_consent": True})
    assert api.request("GET", f"/athletes/{athlete['id']}/live").status_code == 200
    with connect(url, additional_headers={"Origin": served.url, "Cookie": cookie}) as ws:
        assert json.loads(ws.recv(timeout=60))["type"] == "ready"
