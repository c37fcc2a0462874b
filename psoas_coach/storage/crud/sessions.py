"""Training sessions and their recordings, seen through a coach's memberships."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from psoas_coach.storage.crud.roster import apply_changes, visible_team_ids
from psoas_coach.storage.models import (
    AnalysisJob,
    Athlete,
    Recording,
    Result,
    TrainingSession,
    utcnow,
)

#: Session fields a coach may set.
SESSION_FIELDS = frozenset(
    {"date", "band", "sets", "reps", "hold_s", "rpe", "pain_notes", "coach_comments"}
)


def list_sessions(db: Session, *, athlete: Athlete) -> list[TrainingSession]:
    """The athlete's sessions by date (then creation), with recordings, jobs and results."""
    query = (
        select(TrainingSession)
        .where(TrainingSession.athlete_id == athlete.id)
        .options(
            selectinload(TrainingSession.recordings)
            .selectinload(Recording.jobs)
            .selectinload(AnalysisJob.result)
        )
        .order_by(TrainingSession.date, TrainingSession.id)
    )
    return list(db.scalars(query))


def get_session(db: Session, *, session_id: int, coach_id: int) -> TrainingSession | None:
    """Session ``session_id`` if its athlete is in one of ``coach_id``'s teams."""
    query = (
        select(TrainingSession)
        .join(Athlete)
        .where(TrainingSession.id == session_id, Athlete.team_id.in_(visible_team_ids(coach_id)))
    )
    return db.scalar(query)


def create_session(db: Session, *, athlete: Athlete, fields: Mapping[str, Any]) -> TrainingSession:
    """A new session of ``athlete`` (``fields`` keys from :data:`SESSION_FIELDS`)."""
    session = TrainingSession(athlete_id=athlete.id)
    apply_changes(session, fields, SESSION_FIELDS)
    db.add(session)
    db.commit()
    return session


def update_session(
    db: Session, *, session: TrainingSession, changes: Mapping[str, Any]
) -> TrainingSession:
    """Apply ``changes`` (keys from :data:`SESSION_FIELDS`)."""
    apply_changes(session, changes, SESSION_FIELDS)
    db.commit()
    return session


def delete_session(db: Session, *, session: TrainingSession) -> None:
    """Delete the session with its recordings, jobs, results and overrides (rows only)."""
    db.delete(session)
    db.commit()


def get_recording(db: Session, *, recording_id: int, coach_id: int) -> Recording | None:
    """Recording ``recording_id`` if its athlete is in one of ``coach_id``'s teams."""
    query = (
        select(Recording)
        .join(TrainingSession)
        .join(Athlete)
        .where(Recording.id == recording_id, Athlete.team_id.in_(visible_team_ids(coach_id)))
    )
    return db.scalar(query)


def create_recording(
    db: Session,
    *,
    session: TrainingSession,
    kind: str,
    original_name: str,
    stored_path: str | None,
    size_bytes: int,
) -> Recording:
    """A new recording of ``session`` whose file is already in place at ``stored_path``
    (``None``: no file, e.g. a live set without frames)."""
    recording = Recording(
        session_id=session.id,
        kind=kind,
        original_name=original_name,
        stored_path=stored_path,
        size_bytes=size_bytes,
    )
    db.add(recording)
    db.flush()
    return recording


def delete_recording(db: Session, *, recording: Recording) -> None:
    """Delete the recording with its jobs, results and overrides (rows only)."""
    db.delete(recording)
    db.commit()


def mark_raw_deleted(db: Session, *, recording_id: int) -> str | None:
    """Forget the raw file of a recording (keypoints-only policy); its former path, to delete."""
    recording = db.get(Recording, recording_id)
    if recording is None or recording.stored_path is None:
        return None
    path = recording.stored_path
    recording.stored_path = None
    recording.raw_deleted_at = utcnow()
    return path


def forget_pictures(db: Session, *, athlete: Athlete) -> list[str]:
    """Forget every picture of ``athlete`` that the keypoints-only policy would not have kept:
    the raw videos of analysed recordings and the annotated videos drawn over them. Returns
    their former paths, for the caller to delete after committing. Keypoints, reports and
    plots stay; a video not yet analysed keeps its raw file until its analysis succeeds."""
    paths: list[str] = []
    for session in athlete.sessions:
        for recording in session.recordings:
            if recording.kind != "video":
                continue
            results = [job.result for job in recording.jobs if job.result is not None]
            if results and (raw := mark_raw_deleted(db, recording_id=recording.id)):
                paths.append(raw)
            for result in results:
                if result.annotated_video is not None:
                    paths.append(result.annotated_video)
                    result.annotated_video = None
    return paths


def recording_files(recording: Recording) -> list[str]:
    """Every stored path of a recording: its raw file and every result folder."""
    paths = [recording.stored_path] if recording.stored_path else []
    return paths + [job.result.folder for job in recording.jobs if job.result is not None]


def session_files(session: TrainingSession) -> list[str]:
    """Every stored path of a session's recordings."""
    return [path for rec in session.recordings for path in recording_files(rec)]


def athlete_files(db: Session, *, athlete: Athlete) -> list[str]:
    """Every stored path of an athlete's recordings (raw files and result folders)."""
    return [path for s in list_sessions(db, athlete=athlete) for path in session_files(s)]


def latest_result(recording: Recording) -> Result | None:
    """The result of the recording's newest finished analysis."""
    done = [job.result for job in recording.jobs if job.result is not None]
    return max(done, key=lambda r: r.id) if done else None


def all_stored_paths(db: Session) -> list[str]:
    """Every raw upload and result folder the database refers to (all teams; start-up sweep)."""
    raw = db.scalars(select(Recording.stored_path).where(Recording.stored_path.is_not(None)))
    folders = db.scalars(select(Result.folder))
    return [p for p in raw if p is not None] + list(folders)
