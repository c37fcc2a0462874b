"""The session page: recordings with live job state, the report (rep table, plots, annotated
video) and the coach's per-rep reviews; uploads, edits, re-runs and deletions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from psoas_coach.storage.crud import jobs, sessions
from psoas_coach.storage.files import DataDir
from psoas_coach.storage.models import LoginSession, TrainingSession
from psoas_coach.web import insights, services, views
from psoas_coach.web.deps import (
    DataDirDep,
    JobDep,
    LoginDep,
    RecordingDep,
    ResultDep,
    SessionDep,
    SettingsDep,
    TrainingSessionDep,
    WorkerDep,
)
from psoas_coach.web.forms import OverrideIn, SessionUpdate, SideForm
from psoas_coach.web.pages.common import notice_of, redirect
from psoas_coach.web.schemas import RecordingOut, ResultDetailOut
from psoas_coach.web.services import consent_missing
from psoas_coach.web.settings import Settings
from psoas_coach.web.templating import render

router = APIRouter()


@dataclass
class RecordingView:
    """A recording as the session page shows it: state, report and plots (inline SVG)."""

    recording: RecordingOut
    report: ResultDetailOut | None = None
    angles_svg: str = ""
    holds_svg: str = ""


def recording_views(session: TrainingSession, data: DataDir) -> list[RecordingView]:
    """Every recording of ``session`` with its newest report and plots, newest upload first
    (a fresh upload and its progress sit at the top of the page)."""
    out = []
    newest_first = sorted(session.recordings, key=lambda r: (r.created_at, r.id), reverse=True)
    for recording in newest_first:
        view = RecordingView(views.recording_out(recording))
        result = sessions.latest_result(recording)
        if result is not None:
            view.report = views.result_detail(data, result)
            view.angles_svg = _read(data, result.angles_svg)
            view.holds_svg = _read(data, result.holds_svg)
        out.append(view)
    return out


def _read(data: DataDir, stored: str | None) -> str:
    """A stored SVG plot (written by the worker from the report's plot code)."""
    return data.path(stored).read_text(encoding="utf-8") if stored else ""


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(
    request: Request,
    session: TrainingSessionDep,
    login: LoginDep,
    data: DataDirDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The session with each recording's job state and report."""
    return _session_page(request, session, login, data, settings)


def _session_page(
    request: Request,
    session: TrainingSession,
    login: LoginSession,
    data: DataDir,
    settings: Settings,
    *,
    upload_error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The session page, with a refused upload's reason in the upload card when given."""
    detail = views.session_out(session)
    context = {
        "detail": detail,
        "session_flags": insights.flags(detail.summary, session) if detail.summary.analysed else [],
        "language": session.athlete.team.language,
        "recordings": recording_views(session, data),
        "session": session,
        "athlete": session.athlete,
        "team": session.athlete.team,
        "max_upload_bytes": settings.max_upload_bytes,
        "notice": notice_of(request),
        "upload_error": upload_error,
        "consent_needed": consent_missing(session.athlete, "uploading") is not None,
    }
    return render(request, "session.html", login, context, status)


@router.post("/sessions/{session_id}/edit")
def edit_session(
    session: TrainingSessionDep, data: Annotated[SessionUpdate, Form()], db: SessionDep
) -> Response:
    """Save the session's details."""
    changes = {k: v for k, v in data.model_dump().items() if k != "date" or v is not None}
    sessions.update_session(db, session=session, changes=changes)
    return redirect(f"/sessions/{session.id}", "saved")


@router.post("/sessions/{session_id}/recordings")
def upload(
    request: Request,
    session: TrainingSessionDep,
    files: Annotated[list[UploadFile], File()],
    login: LoginDep,
    db: SessionDep,
    data: DataDirDep,
    settings: SettingsDep,
    worker: WorkerDep,
) -> Response:
    """Store each chosen file and queue its analysis; back to the page at once. A refused
    file (wrong type, too large, consent missing) does not stop the others: the session page
    comes back with the reasons in its upload card (status of the first refusal)."""
    chosen = [f for f in files if f.filename]
    if not chosen:
        raise HTTPException(status_code=400, detail="choose a video or keypoint CSV to upload")
    refused: list[HTTPException] = []
    for upload_file in chosen:
        try:
            services.upload_recording(
                db,
                session=session,
                source=upload_file.file,
                name=upload_file.filename or "upload",
                data=data,
                settings=settings,
                worker=worker,
            )
        except HTTPException as err:
            refused.append(err)
    if not refused:
        return redirect(f"/sessions/{session.id}", "uploaded", "#recordings")
    db.expire_all()
    reason = " · ".join(str(err.detail) for err in refused)
    return _session_page(
        request, session, login, data, settings, upload_error=reason, status=refused[0].status_code
    )


@router.post("/sessions/{session_id}/reanalyze")
def reanalyze_session(session: TrainingSessionDep, db: SessionDep, worker: WorkerDep) -> Response:
    """Re-run the session's recordings with the athlete's current settings."""
    queued = services.reanalyze(db, session.recordings, worker)
    notice = "reanalyzing" if queued else "nothing-to-rerun"
    return redirect(f"/sessions/{session.id}", notice, "#recordings")


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job: JobDep, db: SessionDep) -> Response:
    """Stop a queued or running analysis; back to its session."""
    stopped = jobs.cancel_job(db, job=job)
    session_id = job.recording.session_id
    return redirect(
        f"/sessions/{session_id}", "cancelled" if stopped else "already-ended", "#recordings"
    )


@router.post("/sessions/{session_id}/delete")
def delete_session(session: TrainingSessionDep, db: SessionDep, data: DataDirDep) -> Response:
    """Delete the session with its recordings and files; back to the athlete."""
    athlete_id = session.athlete_id
    services.delete_session(db, session, data)
    return redirect(f"/athletes/{athlete_id}", "deleted")


@router.post("/recordings/{recording_id}/delete")
def delete_recording(recording: RecordingDep, db: SessionDep, data: DataDirDep) -> Response:
    """Delete one recording with its results and files."""
    session_id = recording.session_id
    services.delete_recording(db, recording, data)
    return redirect(f"/sessions/{session_id}", "deleted", "#recordings")


@router.post("/results/{result_id}/reps/{rep_index}/review")
def review_rep(
    result: ResultDep,
    rep_index: int,
    data: Annotated[OverrideIn, Form()],
    login: LoginDep,
    db: SessionDep,
    files: DataDirDep,
) -> Response:
    """Save the coach's review of one rep (confirm or override, and a comment)."""
    services.review_rep(db, files, result, rep_index, data, login.coach_id)
    session_id = result.job.recording.session_id
    return redirect(f"/sessions/{session_id}", "review-saved", f"#rep-{result.id}-{rep_index}")


@router.post("/results/{result_id}/reps/{rep_index}/side")
def set_rep_side(
    result: ResultDep,
    rep_index: int,
    data: Annotated[SideForm, Form()],
    login: LoginDep,
    db: SessionDep,
    files: DataDirDep,
) -> Response:
    """Save the leg the coach says a rep was made with; the figures and trends follow."""
    side = None if data.side == "automatic" else data.side
    services.set_rep_side(db, files, result, rep_index, side, login.coach_id)
    session_id = result.job.recording.session_id
    return redirect(f"/sessions/{session_id}", "side-saved", f"#rep-{result.id}-{rep_index}")
