"""Adding a coach to a team is an invitation the coach accepts or declines: nothing of the team
is visible to them before, and the answer to the inviter is the same whether or not the e-mail
has an account."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.web.helpers import Api, csrf_of


def _invite(api: Api, team_id: int, email: str) -> Any:
    return api.ok("POST", f"/api/teams/{team_id}/members", json={"email": email})


def _sees_team(api: Api, team_id: int, athlete_id: int) -> bool:
    team = api.request("GET", f"/api/teams/{team_id}").status_code
    athlete = api.request("GET", f"/api/athletes/{athlete_id}").status_code
    listed = team_id in [t["id"] for t in api.ok("GET", "/api/teams")]
    assert {team, athlete} <= {200, 404} and (team == 200) == (athlete == 200) == listed
    return team == 200


def test_invitee_sees_nothing_until_accepting(new_api: Callable[[], Api]) -> None:
    owner, invitee, stranger = new_api(), new_api(), new_api()
    team = owner.team("Shared")
    athlete = owner.athlete(team["id"])
    detail = _invite(owner, team["id"], invitee.coach["email"].upper())
    assert [m["role"] for m in detail["members"]] == ["owner"]
    assert [i["email"] for i in detail["invitations"]] == [invitee.coach["email"]]
    assert not _sees_team(invitee, team["id"], athlete["id"])
    [invitation] = invitee.ok("GET", "/api/invitations")
    assert (invitation["team_name"], invitation["invited_by"]) == ("Shared", "Coach")
    assert stranger.ok("GET", "/api/invitations") == []
    stolen = stranger.request("POST", f"/api/invitations/{invitation['id']}/accept")
    assert stolen.status_code == 404
    joined = invitee.ok("POST", f"/api/invitations/{invitation['id']}/accept")
    assert joined["id"] == team["id"]
    assert _sees_team(invitee, team["id"], athlete["id"])
    assert invitee.ok("GET", "/api/invitations") == []
    detail = owner.ok("GET", f"/api/teams/{team['id']}")
    assert [m["role"] for m in detail["members"]] == ["owner", "coach"]
    assert detail["invitations"] == []
    assert not _sees_team(stranger, team["id"], athlete["id"])


def test_declined_or_withdrawn_invitations_give_nothing(new_api: Callable[[], Api]) -> None:
    owner, invitee = new_api(), new_api()
    team = owner.team()
    athlete = owner.athlete(team["id"])
    _invite(owner, team["id"], invitee.coach["email"])
    [invitation] = invitee.ok("GET", "/api/invitations")
    invitee.ok("POST", f"/api/invitations/{invitation['id']}/decline", 204)
    assert invitee.request("POST", f"/api/invitations/{invitation['id']}/accept").status_code == 404
    assert not _sees_team(invitee, team["id"], athlete["id"])
    [again] = _invite(owner, team["id"], invitee.coach["email"])["invitations"]
    owner.ok("DELETE", f"/api/teams/{team['id']}/invitations/{again['id']}", 204)
    assert invitee.ok("GET", "/api/invitations") == []
    assert invitee.request("POST", f"/api/invitations/{again['id']}/accept").status_code == 404
    assert not _sees_team(invitee, team["id"], athlete["id"])


def test_inviting_answers_the_same_with_or_without_an_account(
    server: str, new_api: Callable[[], Api]
) -> None:
    owner, existing = new_api(), new_api()
    team = owner.team()
    athlete = owner.athlete(team["id"])
    later = f"later-{uuid.uuid4().hex[:8]}@example.org"
    answers = [
        owner.request("POST", f"/api/teams/{team['id']}/members", json={"email": email})
        for email in (existing.coach["email"], later)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    shapes = [{k: len(v) for k, v in a.json().items() if k != "team"} for a in answers]
    assert shapes[0]["members"] == shapes[1]["members"] == 1
    invited = [i["email"] for i in answers[1].json()["invitations"]]
    assert invited == [existing.coach["email"], later]
    newcomer = Api(server)
    newcomer.signup(later)  # the invitation waited for the account
    [invitation] = newcomer.ok("GET", "/api/invitations")
    assert not _sees_team(newcomer, team["id"], athlete["id"])
    newcomer.ok("POST", f"/api/invitations/{invitation['id']}/accept")
    assert _sees_team(newcomer, team["id"], athlete["id"])
    newcomer.close()


def test_pages_invite_accept_and_decline(new_api: Callable[[], Api]) -> None:
    owner, invitee = new_api(), new_api()
    teams = [owner.team(name) for name in ("Accepted", "Declined")]
    token = csrf_of(owner.http.get(f"/teams/{teams[0]['id']}").text)
    for team in teams:
        form = {"email": invitee.coach["email"], "csrf_token": token}
        sent = owner.http.post(f"/teams/{team['id']}/members", data=form)
        assert sent.headers["location"] == f"/teams/{team['id']}?notice=invited#members"
    roster = owner.http.get(f"/teams/{teams[0]['id']}").text
    assert invitee.coach["email"] in roster and "waiting for an answer" in roster
    page = invitee.http.get("/teams").text
    assert "Invitations" in page and "Accepted" in page and "Declined" in page
    mine = {i["team_name"]: i["id"] for i in invitee.ok("GET", "/api/invitations")}
    token = csrf_of(page)
    accept = invitee.http.post(
        f"/invitations/{mine['Accepted']}/accept", data={"csrf_token": token}
    )
    assert accept.headers["location"] == f"/teams/{teams[0]['id']}?notice=joined"
    decline = invitee.http.post(
        f"/invitations/{mine['Declined']}/decline", data={"csrf_token": token}
    )
    assert decline.headers["location"] == "/teams?notice=declined"
    assert invitee.http.get(f"/teams/{teams[0]['id']}").status_code == 200
    assert invitee.http.get(f"/teams/{teams[1]['id']}").status_code == 404
    assert "Invitations" not in invitee.http.get("/teams").text
