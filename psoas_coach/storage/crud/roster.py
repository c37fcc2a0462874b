"""Teams, memberships and athletes, always seen through a coach's memberships."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from psoas_coach.storage.models import Athlete, Coach, Membership, Team, utcnow

#: Athlete fields a coach may change (the rest are derived or managed by the app).
ATHLETE_FIELDS = frozenset(
    {
        "name",
        "birth_year",
        "dominant_side",
        "notes",
        "guardian_consent",
        "guardian_name",
        "keypoints_only",
        "blur_faces",
        "preset",
        "config_overrides",
    }
)
#: Team fields a coach may change.
TEAM_FIELDS = frozenset({"name", "preset", "config_overrides", "language"})


def visible_team_ids(coach_id: int) -> Select[int]:
    """Subquery: ids of the teams ``coach_id`` belongs to."""
    return select(Membership.team_id).where(Membership.coach_id == coach_id)


def list_teams(db: Session, *, coach_id: int) -> list[Team]:
    """The coach's teams, by name."""
    query = select(Team).where(Team.id.in_(visible_team_ids(coach_id))).order_by(Team.name)
    return list(db.scalars(query))


def get_team(db: Session, *, team_id: int, coach_id: int) -> Team | None:
    """Team ``team_id`` if ``coach_id`` is a member, else ``None``."""
    query = select(Team).where(Team.id == team_id, Team.id.in_(visible_team_ids(coach_id)))
    return db.scalar(query)


def create_team(db: Session, *, name: str, owner: Coach) -> Team:
    """A new team with ``owner`` as its first member."""
    team = Team(name=name.strip(), config_overrides={})
    team.memberships.append(Membership(coach_id=owner.id, role="owner"))
    db.add(team)
    db.commit()
    return team


def update_team(db: Session, *, team: Team, changes: Mapping[str, Any]) -> Team:
    """Apply ``changes`` (keys from :data:`TEAM_FIELDS`) to ``team``; a ``language`` of
    ``None`` keeps the team's (a team always has a cue language)."""
    if "language" in changes and changes["language"] is None:
        changes = {k: v for k, v in changes.items() if k != "language"}
    apply_changes(team, changes, TEAM_FIELDS)
    db.commit()
    return team


def team_members(db: Session, *, team: Team) -> list[Membership]:
    """Memberships of ``team`` with their coaches, oldest first."""
    query = (
        select(Membership)
        .where(Membership.team_id == team.id)
        .options(selectinload(Membership.coach))
        .order_by(Membership.id)
    )
    return list(db.scalars(query))


def add_member(db: Session, *, team: Team, coach: Coach) -> Membership:
    """Make ``coach`` a member of ``team`` (no-op when already one)."""
    existing = db.scalar(
        select(Membership).where(Membership.team_id == team.id, Membership.coach_id == coach.id)
    )
    if existing is not None:
        return existing
    membership = Membership(team_id=team.id, coach_id=coach.id, role="coach")
    db.add(membership)
    db.commit()
    return membership


def list_athletes(db: Session, *, team: Team) -> list[Athlete]:
    """The team's athletes by name, with their sessions loaded."""
    query = (
        select(Athlete)
        .where(Athlete.team_id == team.id)
        .options(selectinload(Athlete.sessions))
        .order_by(Athlete.name, Athlete.id)
    )
    return list(db.scalars(query))


def get_athlete(db: Session, *, athlete_id: int, coach_id: int) -> Athlete | None:
    """Athlete ``athlete_id`` if in one of ``coach_id``'s teams, else ``None``."""
    query = select(Athlete).where(
        Athlete.id == athlete_id, Athlete.team_id.in_(visible_team_ids(coach_id))
    )
    return db.scalar(query)


def create_athlete(db: Session, *, team: Team, fields: Mapping[str, Any]) -> Athlete:
    """A new athlete of ``team``. ``keypoints_only`` left out or ``None`` defaults to the
    youth flag (raw videos of young athletes are not kept)."""
    athlete = Athlete(team_id=team.id, config_overrides={})
    apply_changes(
        athlete, {k: v for k, v in fields.items() if k != "keypoints_only"}, ATHLETE_FIELDS
    )
    keypoints_only = fields.get("keypoints_only")
    athlete.keypoints_only = athlete.is_youth() if keypoints_only is None else keypoints_only
    _stamp_consent(athlete)
    db.add(athlete)
    db.commit()
    return athlete


def update_athlete(db: Session, *, athlete: Athlete, changes: Mapping[str, Any]) -> list[str]:
    """Apply ``changes`` (keys from :data:`ATHLETE_FIELDS`); consent is time-stamped.

    An athlete whose corrected birth year makes them a youth athlete gets the youth rules of
    :func:`create_athlete`: ``keypoints_only`` is turned on (whatever the same change says:
    a form sends the box as it was for an adult); the coach may turn it off afterwards.
    When ``keypoints_only`` turns on, the pictures stored before are forgotten in the same
    transaction (:func:`~psoas_coach.storage.crud.sessions.forget_pictures`): returns their
    paths, for the caller to delete after this commit.
    """
    from psoas_coach.storage.crud.sessions import forget_pictures  # sessions imports roster

    had_consent, was_youth = athlete.guardian_consent, athlete.is_youth()
    had_pictures = not athlete.keypoints_only
    apply_changes(athlete, changes, ATHLETE_FIELDS)
    if athlete.is_youth() and not was_youth:
        athlete.keypoints_only = True
    if athlete.guardian_consent != had_consent:
        _stamp_consent(athlete)
    forgotten = (
        forget_pictures(db, athlete=athlete) if had_pictures and athlete.keypoints_only else []
    )
    db.commit()
    return forgotten


def delete_athlete(db: Session, *, athlete: Athlete) -> None:
    """Delete the athlete with every session, recording, job, result and override row.

    The caller deletes the files (see :func:`psoas_coach.storage.crud.sessions.athlete_files`).
    """
    db.delete(athlete)
    db.commit()


def _stamp_consent(athlete: Athlete) -> None:
    athlete.consent_recorded_at = utcnow() if athlete.guardian_consent else None


def apply_changes(row: object, changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Set each of ``changes`` on ``row`` (strings trimmed); keys outside ``allowed`` raise
    :class:`ValueError` (a programming error: schemas only let allowed fields through)."""
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"{type(row).__name__}: fields {sorted(unknown)} cannot be changed")
    for key, value in changes.items():
        setattr(row, key, value.strip() if isinstance(value, str) else value)
