"""The JSON API over a real server and database (SQLite file and PostgreSQL): accounts, CSRF,
teams, athletes, sessions, uploads analysed in the background, reviews, re-runs, export and
deletion."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.helpers import Api, Served


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """No skeleton videos for keypoint uploads here: quicker jobs (videos: test_privacy)."""
    return {"max_upload_mb": 5.0, "skeleton_video": False}


UNICODE_NAMES = [
    "Zoë Ångström-Łukasiewicz",
    "李小龙",
    "محمد",
    "🏃‍♀️ sprinter",
    "e\u0301 combining",
    "'; DROP TABLE athletes; --",
]


def test_health_needs_no_login(server: str) -> None:
    health = httpx.get(f"{server}/api/health").json()
    assert health["status"] == "ok" and health["worker"] is True


def test_signup_login_logout(server: str) -> None:
    api = Api(server)
    api.signup("Mixed.Case@Example.org", name="Ana")
    assert api.ok("GET", "/api/auth/me")["coach"]["email"] == "mixed.case@example.org"
    cookie = next(c for c in api.http.cookies.jar if c.name == "psoas_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert api.login("mixed.case@example.org", "wrong password").status_code == 401
    assert api.login("nobody@example.org").status_code == 401
    api.ok("POST", "/api/auth/logout", 204)
    assert api.request("GET", "/api/auth/me").status_code == 401
    assert api.login("MIXED.case@example.org").status_code == 200
    assert api.ok("GET", "/api/auth/me")["coach"]["name"] == "Ana"
    api.close()


def test_signup_rules(server: str, api: Api) -> None:
    headers = {"X-Requested-With": "pytest"}
    short = {"email": "s@example.org", "name": "X", "password": "short"}
    assert httpx.post(f"{server}/api/auth/signup", json=short, headers=headers).status_code == 422
    no_header = {"email": "h@example.org", "name": "X", "password": "long enough"}
    assert httpx.post(f"{server}/api/auth/signup", json=no_header).status_code == 422
    not_email = {"email": "nobody", "name": "X", "password": "long enough"}
    answer = httpx.post(f"{server}/api/auth/signup", json=not_email, headers=headers)
    assert answer.status_code == 422


def test_state_changes_need_the_csrf_token(api: Api) -> None:
    bare = api.http.post("/api/teams", json={"name": "T"})
    wrong = api.http.post("/api/teams", json={"name": "T"}, headers={"X-CSRF-Token": "nope"})
    assert (bare.status_code, wrong.status_code) == (403, 403)
    assert api.request("POST", "/api/teams", json={"name": "T"}).status_code == 201


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_any_unicode_in_names_and_notes(api: Api, name: str) -> None:
    team = api.team(name)
    athlete = api.athlete(team["id"], name=name, notes=f"notes: {name}\nline two")
    session = api.session(athlete["id"], band=name[:100], pain_notes=name, coach_comments=name)
    assert api.ok("GET", f"/api/teams/{team['id']}")["team"]["name"] == name
    fetched = api.ok("GET", f"/api/athletes/{athlete['id']}")
    assert fetched["athlete"]["name"] == name
    assert fetched["athlete"]["notes"] == f"notes: {name}\nline two"
    assert api.ok("GET", f"/api/sessions/{session['id']}")["pain_notes"] == name


@pytest.mark.parametrize("text", ["nul \x00 inside", "lone \ud800 surrogate", "", " " * 3])
def test_unstorable_names_are_refused(api: Api, text: str) -> None:
    team = api.team()
    body = json.dumps({"name": text}, ensure_ascii=True)
    response = api.request(
        "POST",
        f"/api/teams/{team['id']}/athletes",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_athlete_youth_consent_and_privacy(api: Api, march_csv: Path) -> None:
    team = api.team()
    youth = api.athlete(team["id"], name="Kid", birth_year=2014)
    assert youth["youth"] and youth["keypoints_only"]
    assert youth["effective_config"]["min_knee_peak_deg"] == 145.0  # youth preset
    session = api.session(youth["id"])
    refused = api.upload(session["id"], "m.csv.gz", march_csv.read_bytes())
    assert refused.status_code == 409 and "consent" in refused.json()["detail"]
    updated = api.ok(
        "PATCH",
        f"/api/athletes/{youth['id']}",
        json={"guardian_consent": True, "guardian_name": "Parent"},
    )
    assert updated["consent_recorded_at"] is not None
    assert api.upload(session["id"], "m.csv.gz", march_csv.read_bytes()).status_code == 202
    assert [j["status"] for j in api.wait(session["id"])["jobs"]] == ["done"]


def test_upload_is_analysed_in_the_background(api: Api, march_csv: Path) -> None:
    team = api.team()
    athlete = api.athlete(team["id"])
    session = api.session(athlete["id"], band="red", sets=3, reps=8, hold_s=3, rpe=6)
    answer = api.upload(session["id"], "séance 1.csv.gz", march_csv.read_bytes())
    assert answer.status_code == 202
    assert answer.json()["latest_job"]["status"] in ("queued", "running")
    status = api.wait(session["id"])
    assert [j["status"] for j in status["jobs"]] == ["done"]
    recording = api.ok("GET", f"/api/recordings/{answer.json()['id']}")
    result = recording["result"]
    assert result["reps"]["left"] + result["reps"]["right"] == 4
    assert result["analysis_version"] and result["config"]["min_hold_s"] == 2.0
    assert set(result["files"]) == {"json", "html", "keypoints", "angles", "holds"}
    detail = api.ok("GET", f"/api/results/{result['id']}")
    assert [r["index"] for r in detail["reps"]] == [1, 2, 3, 4]
    report = api.ok("GET", result["files"]["json"])
    assert report["schema"] == "psoas-coach/report@1" and report["source"] == "séance 1.csv.gz"
    job = api.ok("GET", f"/api/jobs/{status['jobs'][0]['id']}")
    assert job["result_id"] == result["id"] and job["attempts"] == 1


def test_reviews_are_kept_apart_from_the_automatic_result(api: Api, march_csv: Path) -> None:
    session = api.session(api.athlete(api.team()["id"])["id"])
    api.upload(session["id"], "m.csv.gz", march_csv.read_bytes())
    api.wait(session["id"])
    result_id = api.ok("GET", f"/api/sessions/{session['id']}")["recordings"][0]["result"]["id"]
    before = api.ok("GET", f"/api/results/{result_id}")["reps"][0]
    url = f"/api/results/{result_id}/reps/1/override"
    body = {"verdict": "overridden", "faults": ["back_lift"], "comment": "lower back lifted ✔"}
    override = api.ok("PUT", url, json=body)
    assert override["faults"] == ["back_lift"] and override["coach_name"] == api.coach["name"]
    after = api.ok("GET", f"/api/results/{result_id}")["reps"][0]
    assert after["faults"] == before["faults"]  # the automatic result is untouched
    assert after["override"]["comment"] == "lower back lifted ✔"
    api.ok("PUT", url, json={"verdict": "confirmed", "faults": ["back_lift"]})
    assert api.ok("GET", f"/api/results/{result_id}")["reps"][0]["override"]["faults"] == []
    bad = api.request("PUT", url, json={"verdict": "overridden", "faults": ["wobble"]})
    assert bad.status_code == 422
    assert (
        api.request("PUT", f"/api/results/{result_id}/reps/99/override", json=body).status_code
        == 404
    )
    api.ok("DELETE", url, 204)
    assert api.ok("GET", f"/api/results/{result_id}")["reps"][0]["override"] is None


def test_rerun_after_changing_thresholds(api: Api, march_csv: Path) -> None:
    team = api.team()
    athlete = api.athlete(team["id"])
    session = api.session(athlete["id"])
    api.upload(session["id"], "m.csv.gz", march_csv.read_bytes())
    api.wait(session["id"])
    api.ok("PATCH", f"/api/teams/{team['id']}", json={"config_overrides": {"max_hold_s": 9.0}})
    api.ok(
        "PATCH", f"/api/athletes/{athlete['id']}", json={"config_overrides": {"min_hold_s": 0.5}}
    )
    queued = api.ok("POST", f"/api/sessions/{session['id']}/reanalyze", 202)["queued"]
    assert len(queued) == 1 and queued[0]["config"]["max_hold_s"] == 9.0
    assert queued[0]["config"]["min_hold_s"] == 0.5
    api.wait(session["id"])
    recording = api.ok("GET", f"/api/sessions/{session['id']}")["recordings"][0]
    assert len(recording["jobs"]) == 2
    assert recording["result"]["config"]["max_hold_s"] == 9.0
    counts = recording["result"]["fault_counts"]
    assert not any(c.get("long_hold") or c.get("short_hold") for c in counts.values())
    again = api.ok("POST", f"/api/athletes/{athlete['id']}/reanalyze", 202)["queued"]
    assert len(again) == 1
    api.wait(session["id"])
    bad = api.request("PATCH", f"/api/teams/{team['id']}", json={"config_overrides": {"x": 1}})
    assert bad.status_code == 422


def test_roster_trends_and_flags(api: Api, march_csv: Path) -> None:
    team = api.team()
    athlete = api.athlete(team["id"], name="Flagged")
    for day, uploads in (("2026-01-05", 1), ("2026-01-12", 2)):
        session = api.session(athlete["id"], date=day, pain_notes="knee" if uploads > 1 else "")
        for _ in range(uploads):
            api.upload(session["id"], "m.csv.gz", march_csv.read_bytes())
        api.wait(session["id"])
    roster = api.ok("GET", f"/api/teams/{team['id']}/athletes")
    entry = next(e for e in roster if e["athlete"]["id"] == athlete["id"])
    assert entry["last_session_date"] == "2026-01-12" and entry["sessions"] == 2
    assert "pain noted" in entry["flags"]
    assert any("% of left-leg reps" in f or "% of right-leg reps" in f for f in entry["flags"])
    trends = api.ok("GET", f"/api/athletes/{athlete['id']}/trends")
    assert [t["date"] for t in trends] == ["2026-01-05", "2026-01-12"]
    assert all(t["mean_hold_s"]["left"] is not None for t in trends)
    assert [t["reps"]["left"] + t["reps"]["right"] for t in trends] == [4, 8]
    assert api.ok("GET", f"/api/teams/{team['id']}")["roster"][0]["flags"] == entry["flags"]


def stored(data_dir: Path) -> set[Path]:
    """Every upload and result folder of the data directory."""
    return {p for folder in ("uploads", "results") for p in (data_dir / folder).iterdir()}


def test_export_and_delete_athlete(api: Api, march_csv: Path, served: Served) -> None:
    before = stored(served.settings.data_dir)
    team = api.team()
    athlete = api.athlete(team["id"], name="Ève", notes="everything")
    session = api.session(athlete["id"], date="2026-02-01")
    api.upload(session["id"], "m.csv.gz", march_csv.read_bytes())
    api.wait(session["id"])
    result = api.ok("GET", f"/api/sessions/{session['id']}")["recordings"][0]["result"]
    api.ok(
        "PUT",
        f"/api/results/{result['id']}/reps/2/override",
        json={"verdict": "confirmed", "comment": "ok"},
    )
    export = api.request("GET", f"/api/athletes/{athlete['id']}/export")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    names = set(archive.namelist())
    folder = f"results/2026-02-01_recording{result['recording_id']}"
    assert {"README.txt", "athlete.json", "sessions.csv", "reps.csv"} <= names
    assert {f"{folder}/analysis.json", f"{folder}/keypoints.csv.gz"} <= names
    data = json.loads(archive.read("athlete.json"))
    assert (
        data["athlete"]["name"] == "Ève"
        and data["reviews"][str(result["id"])][0]["comment"] == "ok"
    )
    reps = list(csv.DictReader(io.StringIO(archive.read("reps.csv").decode())))
    assert len(reps) == 4 and reps[1]["review"] == "confirmed"
    assert len(stored(served.settings.data_dir) - before) == 2  # the upload, the result
    api.ok("DELETE", f"/api/athletes/{athlete['id']}", 204)
    assert stored(served.settings.data_dir) == before
    for url in (
        f"/api/athletes/{athlete['id']}",
        f"/api/sessions/{session['id']}",
        f"/api/results/{result['id']}",
    ):
        assert api.request("GET", url).status_code == 404
    assert api.request("GET", result["files"]["json"]).status_code == 404


def test_teams_members_and_faults(new_api: Callable[[], Api]) -> None:
    owner, other = new_api(), new_api()
    team = owner.team("Shared")
    assert other.request("GET", f"/api/teams/{team['id']}").status_code == 404
    not_email = owner.request("POST", f"/api/teams/{team['id']}/members", json={"email": "no"})
    assert not_email.status_code == 422
    detail = owner.ok(
        "POST", f"/api/teams/{team['id']}/members", json={"email": other.coach["email"]}
    )
    assert {m["role"] for m in detail["members"]} == {"owner"}
    [invitation] = other.ok("GET", "/api/invitations")
    other.ok("POST", f"/api/invitations/{invitation['id']}/accept")
    members = owner.ok("GET", f"/api/teams/{team['id']}")["members"]
    assert {m["role"] for m in members} == {"owner", "coach"}
    assert other.ok("GET", f"/api/teams/{team['id']}")["team"]["name"] == "Shared"
    assert [t["name"] for t in other.ok("GET", "/api/teams")] == ["Shared"]
    codes = [f["code"] for f in owner.ok("GET", "/api/faults")]
    assert "back_lift" in codes and "same_side_repeat" in codes
