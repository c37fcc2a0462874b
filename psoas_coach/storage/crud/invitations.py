"""Team invitations: a member invites a coach by e-mail; the coach accepts or declines.

An invitation is no membership: the invited coach sees nothing of the team until
:func:`accept` makes them a member.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from psoas_coach.storage.crud.accounts import normalize_email
from psoas_coach.storage.crud.roster import add_member
from psoas_coach.storage.models import Coach, Membership, Team, TeamInvitation


def invite(db: Session, *, team: Team, email: str, invited_by: Coach) -> TeamInvitation | None:
    """Invite ``email`` to ``team``, whether or not it has an account; ``None`` when that
    coach is a member already. Inviting twice keeps the first invitation."""
    email = normalize_email(email)
    member = db.scalar(
        select(Membership.id)
        .join(Coach, Membership.coach_id == Coach.id)
        .where(Membership.team_id == team.id, Coach.email == email)
    )
    if member is not None:
        return None
    existing = _pending(db, team=team, email=email)
    if existing is not None:
        return existing
    invitation = TeamInvitation(team_id=team.id, email=email, invited_by_id=invited_by.id)
    db.add(invitation)
    try:
        db.commit()
    except IntegrityError:  # the same invitation, made at the same moment by another request
        db.rollback()
        return _pending(db, team=team, email=email)
    return invitation


def _pending(db: Session, *, team: Team, email: str) -> TeamInvitation | None:
    query = select(TeamInvitation).where(
        TeamInvitation.team_id == team.id, TeamInvitation.email == email
    )
    return db.scalar(query)


def team_invitations(db: Session, *, team: Team) -> list[TeamInvitation]:
    """The pending invitations of ``team``, oldest first."""
    query = (
        select(TeamInvitation).where(TeamInvitation.team_id == team.id).order_by(TeamInvitation.id)
    )
    return list(db.scalars(query))


def coach_invitations(db: Session, *, coach: Coach) -> list[TeamInvitation]:
    """The pending invitations addressed to ``coach``'s e-mail, oldest first."""
    query = (
        select(TeamInvitation)
        .where(TeamInvitation.email == coach.email)
        .order_by(TeamInvitation.id)
    )
    return list(db.scalars(query))


def get_for_coach(db: Session, *, invitation_id: int, coach: Coach) -> TeamInvitation | None:
    """Invitation ``invitation_id`` if it is addressed to ``coach``, else ``None``."""
    query = select(TeamInvitation).where(
        TeamInvitation.id == invitation_id, TeamInvitation.email == coach.email
    )
    return db.scalar(query)


def get_for_team(db: Session, *, invitation_id: int, team: Team) -> TeamInvitation | None:
    """Invitation ``invitation_id`` if it is one of ``team``'s, else ``None``."""
    query = select(TeamInvitation).where(
        TeamInvitation.id == invitation_id, TeamInvitation.team_id == team.id
    )
    return db.scalar(query)


def accept(db: Session, *, invitation: TeamInvitation, coach: Coach) -> Membership:
    """Make ``coach`` (the invitee) a member of the invitation's team; the invitation ends."""
    team = invitation.team
    db.delete(invitation)
    membership = add_member(db, team=team, coach=coach)
    db.commit()  # also when the coach was a member already and add_member wrote nothing
    return membership


def remove(db: Session, *, invitation: TeamInvitation) -> None:
    """End an invitation without a membership (declined, or withdrawn by the team)."""
    db.delete(invitation)
    db.commit()
