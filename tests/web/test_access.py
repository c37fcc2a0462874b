"""Access, table-driven over every route of the app: a coach gets 404 for any object of a team
they are not a member of, on every method of every route; nobody but a logged-in coach gets
anything except login, sign-up, health and static files.

A new route is covered automatically when its path names an object (``{team_id}``, ...); a
route without one must be listed in ``NO_OBJECT_ROUTES`` or this test fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from tests.web.helpers import Api, Served

OBJECT_PARAMS = (
    "team_id",
    "athlete_id",
    "session_id",
    "recording_id",
    "job_id",
    "result_id",
    "invitation_id",
)
FIXED_PARAMS = {"rep_index": "1", "kind": "json", "name": "pose.js"}
#: Routes whose path names no team-owned object (method, path).
NO_OBJECT_ROUTES = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/signup"),
    ("POST", "/signup"),
    ("POST", "/logout"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("GET", "/teams"),
    ("POST", "/teams"),
    ("GET", "/openapi.json"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),
    ("GET", "/api/auth/me"),
    ("GET", "/api/invitations"),
    ("GET", "/api/health"),
    ("GET", "/api/faults"),
    ("GET", "/api/teams"),
    ("POST", "/api/teams"),
    ("GET", "/static/live/pose/{name}"),  # the in-browser pose model (login needed)
}
#: Routes open without login.
PUBLIC_ROUTES = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/signup"),
    ("POST", "/signup"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/health"),
}


def all_routes(served: Served) -> list[tuple[str, str]]:
    """``(method, path template)`` of every route, included routers flattened (the static
    files mount has no methods and is left out)."""
    found = []
    for route in iter_route_contexts(served.app.routes):
        if route.methods and route.path:
            found += [(m, route.path) for m in sorted(route.methods) if m != "HEAD"]
    return found


def params_of(path: str) -> list[str]:
    """The ``{names}`` of a path template."""
    return re.findall(r"{(\w+)}", path)


def fill(path: str, ids: dict[str, int]) -> str:
    """The path with object ids and fixed values put in."""
    values = {**FIXED_PARAMS, **{k: str(v) for k, v in ids.items()}}
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def world(api: Api, csv_bytes: bytes) -> dict[str, int]:
    """A team with an athlete, a session, an analysed recording and an invitation of an
    e-mail without an account; every object's id."""
    team = api.team("Owned")
    invited = {"email": f"invited-{api.coach['id']}@example.org"}
    detail = api.ok("POST", f"/api/teams/{team['id']}/members", json=invited)
    athlete = api.athlete(team["id"])
    session = api.session(athlete["id"])
    recording = api.upload(session["id"], "m.csv.gz", csv_bytes).json()
    api.wait(session["id"])
    invitation_id = detail["invitations"][0]["id"]
    detail = api.ok("GET", f"/api/recordings/{recording['id']}")
    return {
        "team_id": team["id"],
        "athlete_id": athlete["id"],
        "session_id": session["id"],
        "recording_id": recording["id"],
        "job_id": detail["latest_job"]["id"],
        "result_id": detail["result"]["id"],
        "invitation_id": invitation_id,
    }


@pytest.fixture(scope="module")
def two_coaches(served: Served, short_csv: Path) -> Iterator[dict[str, Any]]:
    """Coaches A and B, each with their own team and objects; B has also invited A to their
    team, and A has not answered: a pending invitation opens nothing."""
    coaches: dict[str, Any] = {}
    for name in ("a", "b"):
        api = Api(served.url)
        api.signup(f"access-{name}@example.org")
        coaches[name] = api
        coaches[f"{name}_ids"] = world(api, short_csv.read_bytes())
    team_b = coaches["b_ids"]["team_id"]
    coaches["b"].ok("POST", f"/api/teams/{team_b}/members", json={"email": "access-a@example.org"})
    assert [i["team_id"] for i in coaches["a"].ok("GET", "/api/invitations")] == [team_b]
    yield coaches
    coaches["a"].close()
    coaches["b"].close()


def test_every_route_is_classified(served: Served) -> None:
    unknown = [
        (m, p)
        for m, p in all_routes(served)
        if not set(params_of(p)) & set(OBJECT_PARAMS) and (m, p) not in NO_OBJECT_ROUTES
    ]
    assert unknown == [], "routes without an object id: add to NO_OBJECT_ROUTES or test them"
    odd = {n for _, p in all_routes(served) for n in params_of(p)}
    assert odd <= set(OBJECT_PARAMS) | set(FIXED_PARAMS), "unknown path parameter"


def test_other_teams_objects_are_404_on_every_route(
    served: Served, two_coaches: dict[str, Any]
) -> None:
    a, theirs, mine = two_coaches["a"], two_coaches["b_ids"], two_coaches["a_ids"]
    checked = []
    for method, path in all_routes(served):
        if not set(params_of(path)) & set(OBJECT_PARAMS):
            continue
        response = a.request(method, fill(path, theirs))
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        checked.append((method, path))
        if method == "GET":
            own = a.request(method, fill(path, mine))
            assert own.status_code == 200, f"{method} {path} (own objects): {own.status_code}"
    assert len(checked) >= 30
    b = two_coaches["b"]
    for key in ("team_id", "athlete_id", "session_id", "recording_id", "result_id"):
        url = {"team_id": "/api/teams/{}", "athlete_id": "/api/athletes/{}"}.get(
            key, f"/api/{key.removesuffix('_id')}s/{{}}"
        )
        assert b.request("GET", url.format(theirs[key])).status_code == 200, key


@pytest.mark.parametrize("method_path", ["GET /teams", "GET /api/teams"])
def test_anonymous_requests_need_a_login(served: Served, method_path: str) -> None:
    method, path = method_path.split()
    response = httpx.request(method, served.url + path, follow_redirects=False)
    assert response.status_code in (303, 401)


def test_every_route_needs_a_login(served: Served, two_coaches: dict[str, Any]) -> None:
    ids = two_coaches["a_ids"]
    with httpx.Client(base_url=served.url, follow_redirects=False) as anonymous:
        for method, path in all_routes(served):
            if (method, path) in PUBLIC_ROUTES:
                continue
            response = anonymous.request(method, fill(path, ids))
            if path.startswith("/api/") or path == "/openapi.json":
                assert response.status_code == 401, f"{method} {path}"
            else:
                assert response.status_code == 303, f"{method} {path}"
                assert response.headers["location"].startswith("/login")


def test_openapi_lists_every_api_operation(served: Served, api: Api) -> None:
    schema = api.ok("GET", "/openapi.json")
    listed = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    api_routes = {(m, p) for m, p in all_routes(served) if p.startswith("/api/")}
    assert api_routes == listed
    assert len(api_routes) >= 30
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert op.get("description") or op.get("summary"), f"{method} {path}"
