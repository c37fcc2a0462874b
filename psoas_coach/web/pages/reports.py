"""The printable session report: athlete, date, session summary, every recording's plots and
reps with the faults and cues (in the team's language) and the coach's reviews; as a page
(``/sessions/{id}/report``, A4 print styles) and as an A4 PDF a coach can mail
(``/sessions/{id}/report.pdf``, printed by headless Chromium, :mod:`psoas_coach.report.pdf`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from psoas_coach.exceptions import PdfError
from psoas_coach.report.pdf import html_to_pdf
from psoas_coach.storage.files import DataDir
from psoas_coach.storage.models import TrainingSession
from psoas_coach.web import insights, views
from psoas_coach.web.deps import DataDirDep, LoginDep, TrainingSessionDep
from psoas_coach.web.pages.sessions import recording_views
from psoas_coach.web.templating import render_text

router = APIRouter()


def report_context(session: TrainingSession, data: DataDir) -> dict[str, Any]:
    """What ``session_report.html`` shows of ``session``."""
    detail = views.session_out(session)
    summary = detail.summary
    return {
        "detail": detail,
        "athlete": session.athlete,
        "team": session.athlete.team,
        "language": session.athlete.team.language,
        "session_flags": insights.flags(summary, session) if summary.analysed else [],
        "recordings": list(reversed(recording_views(session, data))),
        "made_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }


def report_filename(session: TrainingSession) -> str:
    """``psoas-<athlete>-<date>.pdf`` with only safe characters in the athlete's part."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", session.athlete.name).strip("-") or "athlete"
    return f"psoas-{name[:40]}-{session.date.isoformat()}.pdf"


@router.get("/sessions/{session_id}/report", response_class=HTMLResponse)
def session_report(session: TrainingSessionDep, login: LoginDep, data: DataDirDep) -> HTMLResponse:
    """The session report as a page (print it, or get the PDF)."""
    return HTMLResponse(render_text("session_report.html", report_context(session, data)))


@router.get("/sessions/{session_id}/report.pdf")
def session_report_pdf(session: TrainingSessionDep, login: LoginDep, data: DataDirDep) -> Response:
    """The session report as an A4 PDF; 503 with the reason when it cannot be printed (runs in
    the server's thread pool, Chromium in a child process)."""
    html = render_text("session_report.html", report_context(session, data))
    try:
        pdf = html_to_pdf(html)
    except PdfError as err:
        raise HTTPException(status_code=503, detail=str(err)) from None
    disposition = f'attachment; filename="{report_filename(session)}"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
