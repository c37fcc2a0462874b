"""Analysis jobs: queueing, atomic claiming by workers, progress, completion and restart.

A job goes ``queued`` → ``running`` (claimed: one conditional UPDATE, so two workers never take
the same job) → ``done`` (with its :class:`Result`) or ``failed`` (with a one-line reason).
``attempts`` counts claims; a worker finishes a job only while it is still running under the
attempt it claimed, so a job re-queued after a crash is never finished twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from psoas_coach import __version__
from psoas_coach.config import AnalysisConfig, load_config
from psoas_coach.storage.crud.roster import visible_team_ids
from psoas_coach.storage.crud.sessions import latest_result, mark_raw_deleted
from psoas_coach.storage.models import (
    AnalysisJob,
    Athlete,
    Recording,
    Result,
    TrainingSession,
    utcnow,
)

ACTIVE_STATES = ("queued", "running")


@dataclass(frozen=True)
class JobTicket:
    """What a worker needs to run a claimed job, detached from the database session.

    ``input_path`` is relative to the data directory: the raw upload, or the keypoint CSV of the
    newest result when the raw video was deleted (keypoints-only policy). ``kind`` is the kind
    of that input (``video`` or ``keypoints``).
    """

    job_id: int
    attempt: int
    recording_id: int
    kind: str
    input_path: str
    original_name: str
    config: dict[str, float]
    keypoints_only: bool
    blur_faces: bool
    language: str = "en"


@dataclass(frozen=True)
class Completion:
    """Outcome of :func:`complete_job`: ``kept`` False when the job was gone or taken over
    (the caller then discards its files); ``delete_raw``: the raw upload to delete now."""

    kept: bool
    delete_raw: str | None = None


def effective_config(athlete: Athlete) -> AnalysisConfig:
    """The athlete's analysis settings: preset (athlete's, else team's, else ``youth`` for a
    youth athlete), then the team's overrides, then the athlete's own."""
    team = athlete.team
    preset = athlete.preset or team.preset or ("youth" if athlete.is_youth() else None)
    overrides = {**team.config_overrides, **athlete.config_overrides}
    return load_config(preset=preset, overrides=overrides)


def analysis_input(recording: Recording) -> tuple[str, str] | None:
    """``(path, kind)`` to analyse ``recording`` from: its raw file, else the keypoint CSV of
    its newest result; ``None`` when there is neither."""
    if recording.stored_path is not None:
        return recording.stored_path, recording.kind
    result = latest_result(recording)
    if result is not None and result.keypoints_csv is not None:
        return result.keypoints_csv, "keypoints"
    return None


def enqueue_job(db: Session, *, recording: Recording, config: AnalysisConfig) -> AnalysisJob:
    """Queue an analysis of ``recording`` with ``config`` (committed by the caller)."""
    job = AnalysisJob(
        recording_id=recording.id,
        status="queued",
        config=config.to_dict(),
        analysis_version=__version__,
    )
    db.add(job)
    db.flush()
    return job


def start_job(
    db: Session, *, recording: Recording, config: AnalysisConfig, step: str
) -> AnalysisJob:
    """A job for ``recording`` that is already running (first attempt), at ``step``: its
    result comes from elsewhere (a live set analysed as it happened), not from the queue."""
    job = enqueue_job(db, recording=recording, config=config)
    job.status, job.attempts, job.started_at, job.step = "running", 1, utcnow(), step
    db.flush()
    return job


def reanalyze(db: Session, *, recordings: Iterable[Recording]) -> list[AnalysisJob]:
    """Queue a new analysis, with the athlete's current settings, of every recording that has an
    input and no queued or running job. Returns the new jobs (committed)."""
    jobs = []
    for recording in recordings:
        busy = any(job.status in ACTIVE_STATES for job in recording.jobs)
        if busy or analysis_input(recording) is None:
            continue
        config = effective_config(recording.session.athlete)
        jobs.append(enqueue_job(db, recording=recording, config=config))
    db.commit()
    return jobs


def claim_next_job(db: Session) -> JobTicket | None:
    """Take the oldest queued job (``queued`` → ``running``), or ``None`` when there is none."""
    for _ in range(10):
        job_id = db.scalar(
            select(AnalysisJob.id)
            .where(AnalysisJob.status == "queued")
            .order_by(AnalysisJob.id)
            .limit(1)
        )
        if job_id is None:
            db.rollback()
            return None
        claimed = db.execute(
            update(AnalysisJob)
            .where(AnalysisJob.id == job_id, AnalysisJob.status == "queued")
            .values(
                status="running",
                attempts=AnalysisJob.attempts + 1,
                started_at=utcnow(),
                progress=0.0,
                step="starting",
            )
        )
        if getattr(claimed, "rowcount", 0) == 1:
            ticket = _ticket(db, job_id)
            db.commit()
            if ticket is not None:
                return ticket
            continue
        db.rollback()
    return None


def note_queued(db: Session, step: str) -> None:
    """Say ``step`` (why they wait) on every queued job that does not say it yet."""
    step = step[:100]
    db.execute(
        update(AnalysisJob)
        .where(AnalysisJob.status == "queued", AnalysisJob.step != step)
        .values(step=step)
    )
    db.commit()


def _ticket(db: Session, job_id: int) -> JobTicket | None:
    job = db.get(AnalysisJob, job_id, populate_existing=True)
    assert job is not None
    recording = job.recording
    source = analysis_input(recording)
    if source is None:
        _set_failed(job, "nothing to analyse: the recording's file was deleted")
        return None
    athlete = recording.session.athlete
    return JobTicket(
        job_id=job.id,
        attempt=job.attempts,
        recording_id=recording.id,
        kind=source[1],
        input_path=source[0],
        original_name=recording.original_name,
        config={k: float(v) for k, v in job.config.items()},
        keypoints_only=athlete.keypoints_only,
        blur_faces=athlete.blur_faces,
        language=athlete.team.language,
    )


def _running(db: Session, job_id: int, attempt: int) -> AnalysisJob | None:
    job = db.get(AnalysisJob, job_id, populate_existing=True)
    if job is None or job.status != "running" or job.attempts != attempt:
        return None
    return job


def set_progress(db: Session, *, job_id: int, attempt: int, progress: float, step: str) -> bool:
    """Record a running job's progress (share 0..1 and step); False when it is no longer ours."""
    job = _running(db, job_id, attempt)
    if job is not None:
        job.progress, job.step = max(0.0, min(progress, 1.0)), step[:100]
    db.commit()
    return job is not None


def cancel_job(db: Session, *, job: AnalysisJob) -> bool:
    """Stop a queued or running job: it ends ``cancelled``. A running job's worker sees that at
    its next progress write and drops its work (nothing of it is stored). False when the job
    had already ended."""
    if job.status not in ACTIVE_STATES:
        return False
    job.status, job.finished_at, job.step = "cancelled", utcnow(), "cancelled"
    job.reason = "cancelled by the coach"
    db.commit()
    return True


def fail_job(db: Session, *, job_id: int, attempt: int, reason: str) -> None:
    """Mark a running job failed with ``reason`` (one line)."""
    job = _running(db, job_id, attempt)
    if job is not None:
        _set_failed(job, reason)
    db.commit()


def _set_failed(job: AnalysisJob, reason: str) -> None:
    job.status, job.finished_at = "failed", utcnow()
    job.reason = " ".join(reason.split())[:1000]


def complete_job(
    db: Session, *, job_id: int, attempt: int, result_fields: dict[str, Any]
) -> Completion:
    """Store the result of a running job and mark it done, in one transaction.

    Under the keypoints-only policy, the recording's raw video is forgotten in the same
    transaction and its path returned, for the caller to delete after this commit.
    """
    job = _running(db, job_id, attempt)
    if job is None:
        db.rollback()
        return Completion(kept=False)
    db.add(Result(job_id=job.id, recording_id=job.recording_id, **result_fields))
    job.status, job.finished_at, job.progress, job.step = "done", utcnow(), 1.0, "done"
    recording = job.recording
    delete_raw = None
    if recording.kind == "video" and recording.session.athlete.keypoints_only:
        delete_raw = mark_raw_deleted(db, recording_id=recording.id)
    db.commit()
    return Completion(kept=True, delete_raw=delete_raw)


def requeue_interrupted(db: Session, *, max_attempts: int) -> tuple[int, int]:
    """At start-up: jobs left ``running`` by a crash go back to the queue, or fail once they have
    been tried ``max_attempts`` times. Returns ``(requeued, failed)``."""
    stuck = list(db.scalars(select(AnalysisJob).where(AnalysisJob.status == "running")))
    failed = 0
    for job in stuck:
        if job.attempts >= max_attempts:
            _set_failed(job, f"analysis interrupted {job.attempts} times; giving up")
            failed += 1
        else:
            job.status, job.progress, job.step = "queued", 0.0, "re-queued after a restart"
    db.commit()
    return len(stuck) - failed, failed


def get_job(db: Session, *, job_id: int, coach_id: int) -> AnalysisJob | None:
    """Job ``job_id`` if its athlete is in one of ``coach_id``'s teams."""
    query = (
        select(AnalysisJob)
        .join(Recording)
        .join(TrainingSession)
        .join(Athlete)
        .where(AnalysisJob.id == job_id, Athlete.team_id.in_(visible_team_ids(coach_id)))
    )
    return db.scalar(query)


def count_jobs(db: Session, *, status: str) -> int:
    """Number of jobs in ``status`` (all teams; for health and tests)."""
    return len(list(db.scalars(select(AnalysisJob.id).where(AnalysisJob.status == status))))
