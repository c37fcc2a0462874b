"""Teams and the roster: athletes with their last session and flags, team settings, members
and invitations (sent by a team's members, answered by the invited coach)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from psoas_coach.storage.crud import invitations, roster
from psoas_coach.storage.models import Coach
from psoas_coach.web import services, views
from psoas_coach.web.deps import (
    InvitationDep,
    LoginDep,
    SessionDep,
    TeamDep,
    TeamInvitationDep,
    WorkerDep,
)
from psoas_coach.web.forms import AthleteIn, MemberIn, TeamIn
from psoas_coach.web.pages.common import notice_of, redirect, settings_form
from psoas_coach.web.templating import render

router = APIRouter()
SettingsForm = Annotated[dict[str, Any], Depends(settings_form)]


@router.get("/")
def home(login: LoginDep) -> Response:
    """The teams page (the login page first for a visitor)."""
    return RedirectResponse("/teams", status_code=303)


@router.get("/teams", response_class=HTMLResponse)
def teams_page(request: Request, login: LoginDep, db: SessionDep) -> HTMLResponse:
    """The coach's teams, and a form for a new one."""
    teams = roster.list_teams(db, coach_id=login.coach_id)
    rows = [(t, len(roster.list_athletes(db, team=t))) for t in teams]
    invited = [
        views.invitation_out(i) for i in invitations.coach_invitations(db, coach=login.coach)
    ]
    context = {"teams": rows, "invitations": invited, "notice": notice_of(request)}
    return render(request, "teams.html", login, context)


@router.post("/invitations/{invitation_id}/accept")
def accept_invitation(invitation: InvitationDep, login: LoginDep, db: SessionDep) -> Response:
    """Join the invitation's team and open it."""
    team = services.accept_invitation(db, invitation, login.coach_id)
    return redirect(f"/teams/{team.id}", "joined")


@router.post("/invitations/{invitation_id}/decline")
def decline_invitation(invitation: InvitationDep, db: SessionDep) -> Response:
    """Decline the invitation."""
    invitations.remove(db, invitation=invitation)
    return redirect("/teams", "declined")


@router.post("/teams")
def create_team(data: Annotated[TeamIn, Form()], login: LoginDep, db: SessionDep) -> Response:
    """Create a team and open it."""
    coach = db.get(Coach, login.coach_id)
    assert coach is not None
    team = roster.create_team(db, name=data.name, owner=coach)
    return redirect(f"/teams/{team.id}")


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(request: Request, team: TeamDep, login: LoginDep, db: SessionDep) -> HTMLResponse:
    """The roster: every athlete with last session, reps per side and flags."""
    detail = views.team_detail(db, team)
    context = {"detail": detail, "team": team, "notice": notice_of(request)}
    return render(request, "team.html", login, context)


@router.post("/teams/{team_id}/athletes")
def create_athlete(team: TeamDep, data: Annotated[AthleteIn, Form()], db: SessionDep) -> Response:
    """Add an athlete and open their page."""
    athlete = roster.create_athlete(db, team=team, fields=data.model_dump(exclude_unset=True))
    return redirect(f"/athletes/{athlete.id}")


@router.post("/teams/{team_id}/settings")
def team_settings(team: TeamDep, changes: SettingsForm, db: SessionDep) -> Response:
    """Save the team's analysis preset and threshold overrides."""
    roster.update_team(db, team=team, changes=changes)
    return redirect(f"/teams/{team.id}", "saved", "#settings")


@router.post("/teams/{team_id}/rename")
def rename_team(team: TeamDep, data: Annotated[TeamIn, Form()], db: SessionDep) -> Response:
    """Rename the team."""
    roster.update_team(db, team=team, changes={"name": data.name})
    return redirect(f"/teams/{team.id}", "saved")


@router.post("/teams/{team_id}/members")
def add_member(
    team: TeamDep, data: Annotated[MemberIn, Form()], login: LoginDep, db: SessionDep
) -> Response:
    """Invite a coach by e-mail; they join when they accept."""
    services.invite_coach(db, team, data.email, login.coach_id)
    return redirect(f"/teams/{team.id}", "invited", "#members")


@router.post("/teams/{team_id}/invitations/{invitation_id}/withdraw")
def withdraw_invitation(team: TeamDep, invitation: TeamInvitationDep, db: SessionDep) -> Response:
    """Withdraw a pending invitation of the team."""
    invitations.remove(db, invitation=invitation)
    return redirect(f"/teams/{team.id}", "invitation-withdrawn", "#members")


@router.post("/teams/{team_id}/reanalyze")
def reanalyze_team(team: TeamDep, db: SessionDep, worker: WorkerDep) -> Response:
    """Re-run every recording of the team with the current settings."""
    queued = services.reanalyze(db, services.team_recordings(db, team), worker)
    return redirect(f"/teams/{team.id}", "reanalyzing" if queued else "nothing-to-rerun")
