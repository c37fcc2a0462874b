"""``/api/athletes/{athlete_id}``: an athlete's history and trends, edits, sessions, re-runs,
export and deletion."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import FileResponse

from psoas_coach.storage.crud import sessions
from psoas_coach.web import services, views
from psoas_coach.web.deps import AthleteDep, DataDirDep, SessionDep, WorkerDep
from psoas_coach.web.export import export_response
from psoas_coach.web.forms import AthleteUpdate, SessionIn
from psoas_coach.web.schemas import (
    AthleteDetailOut,
    AthleteOut,
    ReanalyzeOut,
    SessionOut,
    TrendPoint,
)

router = APIRouter(prefix="/athletes", tags=["athletes"])


@router.get("/{athlete_id}", response_model=AthleteDetailOut)
def get_athlete(
    athlete: AthleteDep, db: SessionDep, include_unassessable: bool = False
) -> AthleteDetailOut:
    """The athlete with every session, trend points and current flags. Recordings that could
    not be assessed stay out of the figures and trends unless ``include_unassessable``."""
    return views.athlete_detail(db, athlete, include_unassessable=include_unassessable)


@router.patch("/{athlete_id}", response_model=AthleteOut)
def update_athlete(
    athlete: AthleteDep, data: AthleteUpdate, db: SessionDep, files: DataDirDep
) -> AthleteOut:
    """Change an athlete's details, consent, privacy policy or analysis settings. Turning
    ``keypoints_only`` on (or a birth year making the athlete a youth) deletes the raw videos
    and the annotated videos over the picture stored before."""
    services.update_athlete(db, athlete, data.model_dump(exclude_unset=True), files)
    return views.athlete_out(athlete)


@router.delete("/{athlete_id}", status_code=204)
def delete_athlete(athlete: AthleteDep, db: SessionDep, data: DataDirDep) -> None:
    """Delete the athlete with every session, recording, result and file."""
    services.delete_athlete(db, athlete, data)


@router.get("/{athlete_id}/trends", response_model=list[TrendPoint])
def trends(
    athlete: AthleteDep, db: SessionDep, include_unassessable: bool = False
) -> list[TrendPoint]:
    """One point per analysed session: hold, extension, fault rate per side, asymmetry
    (recordings that could not be assessed left out unless ``include_unassessable``)."""
    return views.athlete_detail(db, athlete, include_unassessable=include_unassessable).trends


@router.get("/{athlete_id}/sessions", response_model=list[SessionOut])
def list_sessions(athlete: AthleteDep, db: SessionDep) -> list[SessionOut]:
    """The athlete's sessions, oldest first."""
    return [views.session_out(s) for s in sessions.list_sessions(db, athlete=athlete)]


@router.post("/{athlete_id}/sessions", response_model=SessionOut, status_code=201)
def create_session(athlete: AthleteDep, data: SessionIn, db: SessionDep) -> SessionOut:
    """Record a training session (upload its recordings next)."""
    created = sessions.create_session(db, athlete=athlete, fields=data.model_dump())
    return views.session_out(created)


@router.post("/{athlete_id}/reanalyze", response_model=ReanalyzeOut, status_code=202)
def reanalyze_athlete(athlete: AthleteDep, db: SessionDep, worker: WorkerDep) -> ReanalyzeOut:
    """Re-run the analysis of all the athlete's recordings with the current settings."""
    queued = services.reanalyze(db, services.athlete_recordings(db, athlete), worker)
    return ReanalyzeOut(queued=[views.job_out(j) for j in queued])


@router.get(
    "/{athlete_id}/export",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "zip of JSON and CSV"}},
)
def export(
    athlete: AthleteDep, db: SessionDep, data: DataDirDep, tasks: BackgroundTasks
) -> FileResponse:
    """Everything stored about the athlete as a zip of JSON and CSV files."""
    return export_response(db, athlete, data, tasks)
