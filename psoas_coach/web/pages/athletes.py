"""The athlete page: details, privacy, trend plots, sessions; edits, export and deletion."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from psoas_coach.storage.crud import roster, sessions
from psoas_coach.web import services, views
from psoas_coach.web.deps import AthleteDep, DataDirDep, LoginDep, SessionDep, WorkerDep
from psoas_coach.web.export import export_response
from psoas_coach.web.forms import AthleteUpdate, SessionIn
from psoas_coach.web.pages.common import notice_of, redirect, settings_form
from psoas_coach.web.pages.trends import trend_charts
from psoas_coach.web.templating import render

router = APIRouter()
SettingsForm = Annotated[dict[str, Any], Depends(settings_form)]
#: Check boxes of the athlete form: absent from a submitted form means unchecked.
CHECKBOXES = ("guardian_consent", "keypoints_only", "blur_faces")


@router.get("/athletes/{athlete_id}", response_class=HTMLResponse)
def athlete_page(
    request: Request,
    athlete: AthleteDep,
    login: LoginDep,
    db: SessionDep,
    include_unassessable: bool = False,
) -> HTMLResponse:
    """History over sessions with trend plots, flags, and the athlete's forms (recordings
    that could not be assessed left out of the trends unless ``include_unassessable``)."""
    detail = views.athlete_detail(db, athlete, include_unassessable=include_unassessable)
    context = {
        "detail": detail,
        "include_unassessable": include_unassessable,
        "unassessable": sum(
            1
            for s in detail.sessions
            for rec in s.recordings
            if rec.result is not None and not rec.result.assessable
        ),
        "athlete": athlete,
        "team": athlete.team,
        "charts": trend_charts(detail),
        "today": dt.date.today().isoformat(),
        "notice": notice_of(request),
    }
    return render(request, "athlete.html", login, context)


@router.post("/athletes/{athlete_id}/edit")
def edit_athlete(
    athlete: AthleteDep, data: Annotated[AthleteUpdate, Form()], db: SessionDep, files: DataDirDep
) -> Response:
    """Save details, consent and privacy (unchecked boxes mean off)."""
    changes = data.model_dump(exclude={"preset", "config_overrides"})
    for box in CHECKBOXES:
        changes[box] = bool(changes[box])
    changes = {k: v for k, v in changes.items() if v is not None or k == "birth_year"}
    services.update_athlete(db, athlete, changes, files)
    return redirect(f"/athletes/{athlete.id}", "saved")


@router.post("/athletes/{athlete_id}/settings")
def athlete_settings(athlete: AthleteDep, changes: SettingsForm, db: SessionDep) -> Response:
    """Save the athlete's analysis preset and threshold overrides."""
    roster.update_athlete(db, athlete=athlete, changes=changes)
    return redirect(f"/athletes/{athlete.id}", "saved", "#settings")


@router.post("/athletes/{athlete_id}/sessions")
def create_session(
    athlete: AthleteDep, data: Annotated[SessionIn, Form()], db: SessionDep
) -> Response:
    """Record a session and open it (to upload its recordings)."""
    created = sessions.create_session(db, athlete=athlete, fields=data.model_dump())
    return redirect(f"/sessions/{created.id}")


@router.post("/athletes/{athlete_id}/reanalyze")
def reanalyze_athlete(athlete: AthleteDep, db: SessionDep, worker: WorkerDep) -> Response:
    """Re-run all the athlete's recordings with the current settings."""
    queued = services.reanalyze(db, services.athlete_recordings(db, athlete), worker)
    return redirect(f"/athletes/{athlete.id}", "reanalyzing" if queued else "nothing-to-rerun")


@router.post("/athletes/{athlete_id}/delete")
def delete_athlete(athlete: AthleteDep, db: SessionDep, data: DataDirDep) -> Response:
    """Delete the athlete with everything stored about them; back to the roster."""
    team_id = athlete.team_id
    services.delete_athlete(db, athlete, data)
    return redirect(f"/teams/{team_id}", "deleted")


@router.get("/athletes/{athlete_id}/export")
def export_athlete(
    athlete: AthleteDep, db: SessionDep, data: DataDirDep, tasks: BackgroundTasks
) -> FileResponse:
    """The athlete's export zip (as ``GET /api/athletes/{id}/export``)."""
    return export_response(db, athlete, data, tasks)
