"""``/api/teams``: the coach's teams, roster, settings, members and invitations, athletes and
re-runs."""

from __future__ import annotations

from fastapi import APIRouter

from psoas_coach.storage.crud import invitations, roster
from psoas_coach.storage.models import Coach
from psoas_coach.web import services, views
from psoas_coach.web.deps import LoginDep, SessionDep, TeamDep, TeamInvitationDep, WorkerDep
from psoas_coach.web.forms import AthleteIn, MemberIn, TeamIn, TeamUpdate
from psoas_coach.web.schemas import (
    AthleteOut,
    ReanalyzeOut,
    RosterEntry,
    TeamDetailOut,
    TeamOut,
)

router = APIRouter(prefix="/teams", tags=["teams"])


@router.get("", response_model=list[TeamOut])
def list_teams(login: LoginDep, db: SessionDep) -> list[TeamOut]:
    """The teams the coach belongs to."""
    return [views.team_out(t) for t in roster.list_teams(db, coach_id=login.coach_id)]


@router.post("", response_model=TeamOut, status_code=201)
def create_team(data: TeamIn, login: LoginDep, db: SessionDep) -> TeamOut:
    """Create a team with the coach as its owner."""
    coach = db.get(Coach, login.coach_id)
    assert coach is not None
    return views.team_out(roster.create_team(db, name=data.name, owner=coach))


@router.get("/{team_id}", response_model=TeamDetailOut)
def get_team(team: TeamDep, db: SessionDep) -> TeamDetailOut:
    """A team with its members and roster (last session and flags per athlete)."""
    return views.team_detail(db, team)


@router.patch("/{team_id}", response_model=TeamOut)
def update_team(team: TeamDep, data: TeamUpdate, db: SessionDep) -> TeamOut:
    """Rename a team or change its analysis preset and threshold overrides."""
    changes = data.model_dump(exclude_unset=True)
    return views.team_out(roster.update_team(db, team=team, changes=changes))


@router.post("/{team_id}/members", response_model=TeamDetailOut)
def add_member(team: TeamDep, data: MemberIn, login: LoginDep, db: SessionDep) -> TeamDetailOut:
    """Invite the coach with this e-mail to the team: they join when they accept
    (``/api/invitations``). The same answer whether or not the e-mail has an account yet."""
    services.invite_coach(db, team, data.email, login.coach_id)
    return views.team_detail(db, team)


@router.delete("/{team_id}/invitations/{invitation_id}", status_code=204)
def withdraw_invitation(invitation: TeamInvitationDep, db: SessionDep) -> None:
    """Withdraw a pending invitation of the team."""
    invitations.remove(db, invitation=invitation)


@router.get("/{team_id}/athletes", response_model=list[RosterEntry])
def list_athletes(team: TeamDep, db: SessionDep) -> list[RosterEntry]:
    """The team's roster."""
    return [views.roster_entry(db, a) for a in roster.list_athletes(db, team=team)]


@router.post("/{team_id}/athletes", response_model=AthleteOut, status_code=201)
def create_athlete(team: TeamDep, data: AthleteIn, db: SessionDep) -> AthleteOut:
    """Add an athlete to the team (keypoints-only by default for youth athletes)."""
    athlete = roster.create_athlete(db, team=team, fields=data.model_dump(exclude_unset=True))
    return views.athlete_out(athlete)


@router.post("/{team_id}/reanalyze", response_model=ReanalyzeOut, status_code=202)
def reanalyze_team(team: TeamDep, db: SessionDep, worker: WorkerDep) -> ReanalyzeOut:
    """Re-run the analysis of every recording of the team with the current settings."""
    queued = services.reanalyze(db, services.team_recordings(db, team), worker)
    return ReanalyzeOut(queued=[views.job_out(j) for j in queued])
