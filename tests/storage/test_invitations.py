"""Team invitations and account changes in the database, on both back-ends: an invitation gives
no access until it is accepted; a taken e-mail gets no second account; a new password ends
the account's other logins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from psoas_coach.storage.crud import accounts, invitations, roster
from psoas_coach.storage.models import Coach, LoginSession, Membership, Team, TeamInvitation

Factory = sessionmaker[Session]


def _coach(db: Session, email: str) -> Coach:
    coach = accounts.create_coach(db, email=email, name=email, password_hash="x")
    assert coach is not None
    return coach


def _team_with_athlete(db: Session, owner: Coach) -> tuple[Team, int]:
    team = roster.create_team(db, name=f"team of {owner.email}", owner=owner)
    athlete = roster.create_athlete(db, team=team, fields={"name": "A", "birth_year": 1990})
    return team, athlete.id


def test_an_invitation_gives_access_only_once_accepted(factory: Factory) -> None:
    with factory() as db:
        owner, invitee = _coach(db, "own@x.org"), _coach(db, "inv@x.org")
        team, athlete_id = _team_with_athlete(db, owner)
        invitation = invitations.invite(db, team=team, email=" INV@x.org", invited_by=owner)
        assert invitation is not None and invitation.email == "inv@x.org"
        again = invitations.invite(db, team=team, email="inv@x.org", invited_by=owner)
        assert again is not None and again.id == invitation.id
        assert roster.get_team(db, team_id=team.id, coach_id=invitee.id) is None
        assert roster.get_athlete(db, athlete_id=athlete_id, coach_id=invitee.id) is None
        assert roster.list_teams(db, coach_id=invitee.id) == []
        assert [i.id for i in invitations.coach_invitations(db, coach=invitee)] == [invitation.id]
        assert invitations.get_for_coach(db, invitation_id=invitation.id, coach=owner) is None
        invitations.accept(db, invitation=invitation, coach=invitee)
        assert roster.get_athlete(db, athlete_id=athlete_id, coach_id=invitee.id) is not None
        assert invitations.coach_invitations(db, coach=invitee) == []
        assert invitations.invite(db, team=team, email="inv@x.org", invited_by=owner) is None


def test_an_invitation_waits_for_an_account_and_declining_ends_it(factory: Factory) -> None:
    with factory() as db:
        owner = _coach(db, "own@x.org")
        team, athlete_id = _team_with_athlete(db, owner)
        invitations.invite(db, team=team, email="later@x.org", invited_by=owner)
        later = _coach(db, "later@x.org")
        [invitation] = invitations.coach_invitations(db, coach=later)
        assert invitation.team.name == team.name and invitation.invited_by == owner
        invitations.remove(db, invitation=invitation)
        assert roster.get_athlete(db, athlete_id=athlete_id, coach_id=later.id) is None
        assert db.scalar(select(func.count()).select_from(TeamInvitation)) == 0
        members = db.scalar(select(func.count()).select_from(Membership))
        assert members == 1


def test_a_taken_email_gets_no_second_account(factory: Factory) -> None:
    with factory() as db:
        first = _coach(db, "ana@x.org")
        assert accounts.create_coach(db, email="ANA@x.org ", name="B", password_hash="y") is None
        assert db.scalar(select(func.count()).select_from(Coach)) == 1
        db.refresh(first)
        assert (first.name, first.password_hash) == ("ana@x.org", "x")


def test_a_new_password_ends_the_other_logins(factory: Factory) -> None:
    with factory() as db:
        coach, other = _coach(db, "ana@x.org"), _coach(db, "bea@x.org")
        for token in ("t1", "t2", "t3"):
            accounts.create_login(
                db, coach=coach, token_hash=token, csrf_token="c", lifetime=dt.timedelta(days=1)
            )
        accounts.create_login(
            db, coach=other, token_hash="t4", csrf_token="c", lifetime=dt.timedelta(days=1)
        )
        ended = accounts.change_password(db, coach=coach, password_hash="new", keep_token_hash="t1")
        assert ended == 2
        left = set(db.scalars(select(LoginSession.token_hash)))
        assert left == {"t1", "t4"}
        assert accounts.change_password(db, coach=coach, password_hash="newer") == 1
        assert set(db.scalars(select(LoginSession.token_hash))) == {"t4"}
        db.refresh(coach)
        assert coach.password_hash == "newer"
