"""Server-rendered pages over HTTP (no browser): login redirects, CSRF on forms, the form flows
and what the session page says about a failed analysis."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.web.helpers import Api, csrf_of


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """Quick jobs."""
    return {"skeleton_video": False}


def test_pages_send_visitors_to_login_and_back(server: str) -> None:
    with httpx.Client(base_url=server) as browser:
        first = browser.get("/sessions/1?tab=x")
        assert first.status_code == 303
        assert first.headers["location"] == "/login?next=%2Fsessions%2F1%3Ftab%3Dx"
        login = browser.get(first.headers["location"])
        assert login.status_code == 200 and 'name="next" value="/sessions/1?tab=x"' in login.text
        assert "psoas_csrf" in browser.cookies


def test_signup_and_login_forms_need_their_csrf_cookie(server: str) -> None:
    with httpx.Client(base_url=server) as browser:
        token = csrf_of(browser.get("/signup").text)
        form = {"name": "Page Coach", "email": "page@example.org", "password": "long enough"}
        forged = browser.post("/signup", data={**form, "csrf_token": "forged"})
        assert forged.status_code == 403
        created = browser.post("/signup", data={**form, "csrf_token": token})
        assert created.status_code == 303
        assert created.headers["location"] == "/login?notice=signed-up"
        assert browser.get("/teams", follow_redirects=False).status_code == 303
    with httpx.Client(base_url=server) as other:
        token = csrf_of(other.get("/login").text)
        wrong = other.post(
            "/login", data={"email": "page@example.org", "password": "nope", "csrf_token": token}
        )
        assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.text
        evil_next = {"email": "page@example.org", "password": "long enough", "csrf_token": token}
        right = other.post("/login", data={**evil_next, "next": "//evil.example/"})
        assert right.status_code == 303 and right.headers["location"] == "/teams"


def test_forms_need_the_login_csrf_token(api: Api) -> None:
    html = api.http.get("/teams").text
    refused = api.http.post("/teams", data={"name": "No token"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    made = api.http.post("/teams", data={"name": "With token", "csrf_token": csrf_of(html)})
    assert made.status_code == 303 and re.fullmatch(r"/teams/\d+", made.headers["location"])


def test_form_flow_and_failed_job_reason(api: Api, corrupt_video: bytes) -> None:
    token = csrf_of(api.http.get("/teams").text)
    team_url = api.http.post("/teams", data={"name": "Forms", "csrf_token": token}).headers[
        "location"
    ]
    athlete = api.http.post(
        f"{team_url}/athletes",
        data={"name": "Ünal", "birth_year": "", "keypoints_only": "", "csrf_token": token},
    )
    athlete_url = athlete.headers["location"]
    page = api.http.get(athlete_url)
    assert (
        page.status_code == 200 and "Ünal" in page.text and "birth year not recorded" in page.text
    )
    invalid = api.http.post(
        f"{athlete_url}/sessions", data={"date": "2026-03-01", "rpe": "11", "csrf_token": token}
    )
    assert invalid.status_code == 422 and "rpe" in invalid.text
    session = api.http.post(
        f"{athlete_url}/sessions",
        data={"date": "2026-03-01", "band": "blue", "rpe": "5", "csrf_token": token},
    )
    session_url = session.headers["location"]
    uploaded = api.http.post(
        f"{session_url}/recordings",
        data={"csrf_token": token},
        files={"files": ("broken.mp4", corrupt_video)},
    )
    assert uploaded.status_code == 303
    api.wait(int(session_url.rsplit("/", 1)[1]))
    shown = api.http.get(session_url).text
    assert "Analysis failed: " in shown and "broken.mp4" in shown
    settings = api.http.post(
        f"{athlete_url}/settings",
        data={
            "preset": "youth",
            "cfg_min_hold_s": "2.5",
            "cfg_max_hold_s": "",
            "csrf_token": token,
        },
    )
    assert settings.status_code == 303
    detail = api.ok("GET", f"/api/athletes/{athlete_url.rsplit('/', 1)[1]}")["athlete"]
    assert detail["preset"] == "youth" and detail["config_overrides"] == {"min_hold_s": 2.5}
    bad = api.http.post(
        f"{athlete_url}/settings", data={"cfg_min_hold_s": "-1", "csrf_token": token}
    )
    assert bad.status_code == 422


def test_error_pages_are_pages(api: Api) -> None:
    missing = api.http.get("/athletes/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Not found" in missing.text
    assert "default-src 'self'" in missing.headers["content-security-policy"]
    assert missing.headers["x-frame-options"] == "DENY"
