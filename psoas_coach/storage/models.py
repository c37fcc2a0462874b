"""The dashboard's tables: Coach → Team (Membership) → Athlete → Session → Recording → AnalysisJob
→ Result, with RepOverride beside a Result and TeamInvitation beside a Team.

Times are naive UTC datetimes (the same on SQLite and PostgreSQL); durations in seconds, angles in
degrees. Stored files are paths relative to the data directory with generated names. The schema
is created and changed by the Alembic migrations in ``psoas_coach/storage/migrations`` only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column, relationship

#: Athletes younger than this (years, by birth year) are youth athletes.
ADULT_AGE_YEARS = 18
#: Job states, in the order a job goes through them.
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time as a naive UTC datetime (what every time column holds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base with constraint naming that migrations can rely on."""

    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        dt.datetime: DateTime(),
    }


def _fk(target: str, *, nullable: bool = False, on_delete: str = "CASCADE") -> MappedColumn[Any]:
    """An indexed foreign key to ``target`` that follows deletions of the parent row."""
    return mapped_column(ForeignKey(target, ondelete=on_delete), index=True, nullable=nullable)


class Coach(Base):
    """A coach's account. ``email`` is stored lower-case; the password only as an argon2 hash."""

    __tablename__ = "coaches"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginSession(Base):
    """A server-side login: the cookie holds a random token, this row only its SHA-256."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    coach_id: Mapped[int] = _fk("coaches.id")
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    coach: Mapped[Coach] = relationship(lazy="joined")


class Team(Base):
    """A squad. ``preset`` and ``config_overrides`` are analysis settings for all its athletes;
    ``language`` (a code of :data:`psoas_coach.faults.words.LANGUAGES`) the language of the
    athletes' cues, spoken and in reports."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    preset: Mapped[str | None] = mapped_column(String(20), default=None)
    config_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )
    athletes: Mapped[list[Athlete]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )


class Membership(Base):
    """A coach belongs to a team (``role``: ``owner`` for its creator, else ``coach``)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "coach_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = _fk("teams.id")
    coach_id: Mapped[int] = _fk("coaches.id")
    role: Mapped[str] = mapped_column(String(20), default="coach")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    team: Mapped[Team] = relationship(back_populates="memberships")
    coach: Mapped[Coach] = relationship()


class TeamInvitation(Base):
    """A coach invited to a team by e-mail, until they accept (and become a member) or decline.

    ``email`` is stored lower-case and need not have an account yet: the invitation waits for
    one. An invitation gives no access to the team; only the membership made on acceptance does.
    """

    __tablename__ = "team_invitations"
    __table_args__ = (UniqueConstraint("team_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = _fk("teams.id")
    email: Mapped[str] = mapped_column(String(254), index=True)
    invited_by_id: Mapped[int | None] = _fk("coaches.id", nullable=True, on_delete="SET NULL")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    team: Mapped[Team] = relationship(lazy="joined")
    invited_by: Mapped[Coach | None] = relationship(lazy="joined")


class Athlete(Base):
    """An athlete: name or code, birth year (youth derived), dominance, privacy and settings.

    ``keypoints_only``: the raw video is deleted once its analysis succeeds, and the annotated
    video shows the skeleton on a blank background. ``blur_faces``: the face is blurred in an
    annotated video made from the raw picture.
    """

    __tablename__ = "athletes"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = _fk("teams.id")
    name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(Integer, default=None)
    dominant_side: Mapped[str] = mapped_column(String(10), default="unknown")
    notes: Mapped[str] = mapped_column(Text, default="")
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    guardian_name: Mapped[str] = mapped_column(String(200), default="")
    consent_recorded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    keypoints_only: Mapped[bool] = mapped_column(Boolean, default=False)
    blur_faces: Mapped[bool] = mapped_column(Boolean, default=False)
    preset: Mapped[str | None] = mapped_column(String(20), default=None)
    config_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    team: Mapped[Team] = relationship(back_populates="athletes")
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="athlete",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TrainingSession.date",
    )

    def age_years(self, today: dt.date | None = None) -> int | None:
        """Age in whole years by birth year (``None`` when the birth year is unknown)."""
        if self.birth_year is None:
            return None
        return (today or dt.date.today()).year - self.birth_year

    def is_youth(self, today: dt.date | None = None) -> bool:
        """True for athletes under :data:`ADULT_AGE_YEARS` (by birth year)."""
        age = self.age_years(today)
        return age is not None and age < ADULT_AGE_YEARS


class TrainingSession(Base):
    """One training session of an athlete: prescription, load, how it felt, coach comments.

    ``hold_s`` is the prescribed hold in seconds, ``rpe`` the rating of perceived exertion 0-10.
    """

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = _fk("athletes.id")
    date: Mapped[dt.date] = mapped_column(Date)
    band: Mapped[str] = mapped_column(String(100), default="")
    sets: Mapped[int | None] = mapped_column(Integer, default=None)
    reps: Mapped[int | None] = mapped_column(Integer, default=None)
    hold_s: Mapped[float | None] = mapped_column(Float, default=None)
    rpe: Mapped[int | None] = mapped_column(Integer, default=None)
    pain_notes: Mapped[str] = mapped_column(Text, default="")
    coach_comments: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    athlete: Mapped[Athlete] = relationship(back_populates="sessions")
    recordings: Mapped[list[Recording]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Recording.id",
    )


class Recording(Base):
    """An uploaded file: ``kind`` ``video`` or ``keypoints`` (CSV).

    ``stored_path`` is relative to the data directory; ``None`` once the raw file is deleted
    (keypoints-only policy), with ``raw_deleted_at`` saying when.
    """

    __tablename__ = "recordings"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = _fk("sessions.id")
    kind: Mapped[str] = mapped_column(String(10))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str | None] = mapped_column(String(255), default=None)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    raw_deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    session: Mapped[TrainingSession] = relationship(back_populates="recordings")
    jobs: Mapped[list[AnalysisJob]] = relationship(
        back_populates="recording",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AnalysisJob.id",
    )


class AnalysisJob(Base):
    """One analysis of a recording: state (:data:`JOB_STATES`), reason when failed, attempts.

    ``config`` is the full :class:`~psoas_coach.config.AnalysisConfig` used; ``progress`` the
    share done, 0..1, with ``step`` naming the current step.
    """

    __tablename__ = "analysis_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = _fk("recordings.id")
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    analysis_version: Mapped[str] = mapped_column(String(40), default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    recording: Mapped[Recording] = relationship(back_populates="jobs")
    result: Mapped[Result | None] = relationship(
        back_populates="job", cascade="all, delete-orphan", passive_deletes=True
    )


class Result(Base):
    """The files of a finished analysis (paths relative to the data directory) and the summary
    figures the roster and trends read: reps, mean hold/extension (s) and faulty reps per side,
    asymmetry (percent, positive when left is longer) and ``fault_counts[side][code]``, with
    the coach's side corrections applied. ``assessable`` is False (with the reason) when the
    pose was too poor to judge: such results stay out of summaries and trends by default;
    ``uncertain_reps`` counts the reps whose side is unsure.
    """

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_jobs.id", ondelete="CASCADE"), unique=True
    )
    recording_id: Mapped[int] = _fk("recordings.id")
    folder: Mapped[str] = mapped_column(String(255))
    report_json: Mapped[str] = mapped_column(String(255))
    report_html: Mapped[str] = mapped_column(String(255))
    keypoints_csv: Mapped[str | None] = mapped_column(String(255), default=None)
    annotated_video: Mapped[str | None] = mapped_column(String(255), default=None)
    angles_svg: Mapped[str | None] = mapped_column(String(255), default=None)
    holds_svg: Mapped[str | None] = mapped_column(String(255), default=None)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    reps_left: Mapped[int] = mapped_column(Integer, default=0)
    reps_right: Mapped[int] = mapped_column(Integer, default=0)
    mean_hold_left_s: Mapped[float | None] = mapped_column(Float, default=None)
    mean_hold_right_s: Mapped[float | None] = mapped_column(Float, default=None)
    mean_extension_left_s: Mapped[float | None] = mapped_column(Float, default=None)
    mean_extension_right_s: Mapped[float | None] = mapped_column(Float, default=None)
    faulty_reps_left: Mapped[int] = mapped_column(Integer, default=0)
    faulty_reps_right: Mapped[int] = mapped_column(Integer, default=0)
    hold_asymmetry_pct: Mapped[float | None] = mapped_column(Float, default=None)
    extension_asymmetry_pct: Mapped[float | None] = mapped_column(Float, default=None)
    fault_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assessable: Mapped[bool] = mapped_column(Boolean, default=True)
    not_assessable_reason: Mapped[str] = mapped_column(Text, default="")
    uncertain_reps: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[str]] = mapped_column(default=list)
    analysis_version: Mapped[str] = mapped_column(String(40), default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    job: Mapped[AnalysisJob] = relationship(back_populates="result")
    overrides: Mapped[list[RepOverride]] = relationship(
        back_populates="result",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RepOverride.rep_index",
    )


class RepOverride(Base):
    """A coach's review of one rep of a result, kept apart from the automatic faults.

    ``verdict``: ``confirmed`` (the automatic faults are right), ``overridden`` (``faults``
    holds the coach's list instead) or empty (no review of the faults). ``side``: the leg the
    coach says the rep was made with, when it is not the automatic one (the result's summary
    follows it); ``None``: the automatic side.
    """

    __tablename__ = "rep_overrides"
    __table_args__ = (UniqueConstraint("result_id", "rep_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = _fk("results.id")
    rep_index: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(12))
    faults: Mapped[list[str]] = mapped_column(default=list)
    side: Mapped[str | None] = mapped_column(String(10), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    coach_id: Mapped[int | None] = _fk("coaches.id", nullable=True, on_delete="SET NULL")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    result: Mapped[Result] = relationship(back_populates="overrides")
    coach: Mapped[Coach | None] = relationship()
