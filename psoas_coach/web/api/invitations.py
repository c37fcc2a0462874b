"""``/api/invitations``: the logged-in coach's pending team invitations, to accept or decline."""

from __future__ import annotations

from fastapi import APIRouter

from psoas_coach.storage.crud import invitations
from psoas_coach.web import services, views
from psoas_coach.web.deps import InvitationDep, LoginDep, SessionDep
from psoas_coach.web.schemas import InvitationOut, TeamOut

router = APIRouter(prefix="/invitations", tags=["teams"])


@router.get("", response_model=list[InvitationOut])
def list_invitations(login: LoginDep, db: SessionDep) -> list[InvitationOut]:
    """Invitations to teams addressed to the coach's e-mail, waiting for an answer."""
    found = invitations.coach_invitations(db, coach=login.coach)
    return [views.invitation_out(i) for i in found]


@router.post("/{invitation_id}/accept", response_model=TeamOut)
def accept(invitation: InvitationDep, login: LoginDep, db: SessionDep) -> TeamOut:
    """Join the team of the invitation; returns the team."""
    return views.team_out(services.accept_invitation(db, invitation, login.coach_id))


@router.post("/{invitation_id}/decline", status_code=204)
def decline(invitation: InvitationDep, db: SessionDep) -> None:
    """Decline the invitation: it ends and the team stays closed to the coach."""
    invitations.remove(db, invitation=invitation)
