"""``/api/sessions``, ``/api/recordings`` and ``/api/jobs``: a session with its recordings,
uploads (answered at once; the analysis runs in the background), live job state and re-runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile

from psoas_coach.storage.crud import jobs, sessions
from psoas_coach.storage.crud.jobs import ACTIVE_STATES
from psoas_coach.web import services, views
from psoas_coach.web.deps import (
    DataDirDep,
    JobDep,
    RecordingDep,
    SessionDep,
    SettingsDep,
    TrainingSessionDep,
    WorkerDep,
)
from psoas_coach.web.forms import SessionUpdate
from psoas_coach.web.schemas import (
    ErrorOut,
    JobOut,
    ReanalyzeOut,
    RecordingOut,
    SessionOut,
    SessionStatusOut,
)

router = APIRouter(tags=["sessions"])

UPLOAD_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "empty file"},
    409: {"model": ErrorOut, "description": "youth athlete without guardian consent"},
    413: {"model": ErrorOut, "description": "file over the upload limit"},
    415: {"model": ErrorOut, "description": "not a video or keypoint CSV"},
}


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(session: TrainingSessionDep) -> SessionOut:
    """A session with its recordings, their jobs and newest results."""
    return views.session_out(session)


@router.patch("/sessions/{session_id}", response_model=SessionOut)
def update_session(session: TrainingSessionDep, data: SessionUpdate, db: SessionDep) -> SessionOut:
    """Change a session's date, band, prescription, RPE, pain notes or comments."""
    changes = data.model_dump(exclude_unset=True)
    return views.session_out(sessions.update_session(db, session=session, changes=changes))


@router.delete("/sessions/{session_id}", status_code=204)
def delete_session(session: TrainingSessionDep, db: SessionDep, data: DataDirDep) -> None:
    """Delete the session with its recordings, results and files."""
    services.delete_session(db, session, data)


@router.post(
    "/sessions/{session_id}/recordings",
    response_model=RecordingOut,
    status_code=202,
    responses=UPLOAD_ERRORS,
)
def upload_recording(
    session: TrainingSessionDep,
    file: Annotated[UploadFile, File(description="video or keypoint CSV")],
    db: SessionDep,
    data: DataDirDep,
    settings: SettingsDep,
    worker: WorkerDep,
) -> RecordingOut:
    """Upload a video or keypoint CSV; its analysis is queued and the answer comes at once."""
    recording = services.upload_recording(
        db,
        session=session,
        source=file.file,
        name=file.filename or "upload",
        data=data,
        settings=settings,
        worker=worker,
    )
    return views.recording_out(recording)


@router.get("/sessions/{session_id}/status", response_model=SessionStatusOut)
def session_status(session: TrainingSessionDep) -> SessionStatusOut:
    """The newest job of each recording; ``finished`` once none is queued or running."""
    latest = [r.jobs[-1] for r in session.recordings if r.jobs]
    return SessionStatusOut(
        session_id=session.id,
        jobs=[views.job_out(j) for j in latest],
        finished=all(j.status not in ACTIVE_STATES for j in latest),
    )


@router.post("/sessions/{session_id}/reanalyze", response_model=ReanalyzeOut, status_code=202)
def reanalyze_session(
    session: TrainingSessionDep, db: SessionDep, worker: WorkerDep
) -> ReanalyzeOut:
    """Re-run the analysis of the session's recordings with the athlete's current settings."""
    queued = services.reanalyze(db, session.recordings, worker)
    return ReanalyzeOut(queued=[views.job_out(j) for j in queued])


@router.get("/recordings/{recording_id}", response_model=RecordingOut)
def get_recording(recording: RecordingDep) -> RecordingOut:
    """A recording with its jobs and newest result."""
    return views.recording_out(recording)


@router.delete("/recordings/{recording_id}", status_code=204)
def delete_recording(recording: RecordingDep, db: SessionDep, data: DataDirDep) -> None:
    """Delete a recording with its results and files."""
    services.delete_recording(db, recording, data)


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job: JobDep) -> JobOut:
    """An analysis job's state: queued, running (with progress), done, failed or cancelled
    (reason)."""
    return views.job_out(job)


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(job: JobDep, db: SessionDep) -> JobOut:
    """Stop a queued or running analysis (409 when it has already ended); nothing of it is kept."""
    if not jobs.cancel_job(db, job=job):
        raise HTTPException(
            status_code=409, detail=f"job {job.id} has already ended ({job.status})"
        )
    return views.job_out(job)
