"""The live page of an athlete: the live coaching page (:mod:`psoas_coach.live.server`) served
by the dashboard, its WebSocket checked like every route (login cookie, same origin, the
athlete's team). Each finished set is saved as a session of the athlete: a keypoint CSV
recording and a done job with its result, stored exactly as the analysis worker stores one.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from html import escape
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, WebSocket
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis
from psoas_coach.live.analyzer import CoachSettings
from psoas_coach.live.browser_pose import WASM_SCRIPT_SRC
from psoas_coach.live.hub import LiveHub
from psoas_coach.live.server import STATIC_DIR as LIVE_STATIC_DIR
from psoas_coach.live.server import LiveSettings, serve_connection
from psoas_coach.outputs import write_outputs
from psoas_coach.storage.crud import accounts, jobs, roster, sessions
from psoas_coach.storage.files import DataDir
from psoas_coach.storage.models import Athlete, LoginSession
from psoas_coach.web.deps import AthleteDep, LoginDep, ObjectId
from psoas_coach.web.middleware import PAGE_CSP
from psoas_coach.web.runner import STEM, RunOutput
from psoas_coach.web.security import SESSION_COOKIE, token_hash
from psoas_coach.web.services import check_consent, check_upload_allowed, consent_missing
from psoas_coach.web.worker import publish_output

log = logging.getLogger("psoas_coach.web.live")
router = APIRouter()
#: Where the dashboard serves the live page's script and style.
LIVE_STATIC_URL = "/static/live"
#: The live page may open its WebSocket, use the camera and compile the in-browser pose
#: model's WebAssembly (served from this server, :mod:`psoas_coach.live.browser_pose`).
LIVE_CSP = PAGE_CSP.replace(
    "default-src 'self';", "default-src 'self'; connect-src 'self' ws: wss:;"
).replace("script-src 'self'", WASM_SCRIPT_SRC)
#: Live sets running the pose estimator on the server at once (each needs a core).
MAX_LIVE_SETS = 4
#: Other live sets open at once (pose in the athlete's browser: a few per cent of a core each).
MAX_BROWSER_SETS = 40
#: Close code of a refused WebSocket (before the handshake: answered HTTP 403).
POLICY_VIOLATION = 1008
#: What a live set does, in the consent refusal.
LIVE_ACTION = "coaching a live set"


@router.get("/athletes/{athlete_id}/live", response_class=HTMLResponse)
def live_page(athlete: AthleteDep, login: LoginDep) -> HTMLResponse:
    """The live coaching page, its WebSocket pointed at this athlete's endpoint; 409 (a page
    saying to record the guardian's consent first) for a youth athlete without it."""
    check_consent(athlete, LIVE_ACTION)
    page = (LIVE_STATIC_DIR / "index.html").read_text(encoding="utf-8")
    name = escape(athlete.name)
    for old, new in (
        ('href="live.css"', f'href="{LIVE_STATIC_URL}/live.css"'),
        ('src="live.js"', f'src="{LIVE_STATIC_URL}/live.js"'),
        ('src="browser_pose.js"', f'src="{LIVE_STATIC_URL}/browser_pose.js"'),
        ('data-ws="ws"', f'data-ws="/athletes/{athlete.id}/live/ws"'),
        ('data-pose-base="pose/"', f'data-pose-base="{LIVE_STATIC_URL}/pose/"'),
        ('class="brand" href="./"', 'class="brand" href="/teams"'),
        ("<h1>Live set</h1>", f"<h1>Live set · {name}</h1>"),
        ("<span>Live set</span></nav>", f"{_crumbs(athlete)}</nav>\n  {_who(login)}"),
    ):
        page = page.replace(old, new)
    headers = {"Content-Security-Policy": LIVE_CSP, "Permissions-Policy": "camera=(self)"}
    return HTMLResponse(page, headers=headers)


def _crumbs(athlete: Athlete) -> str:
    """The top bar's trail, as on the athlete's page, ending in the live set."""
    team = athlete.team
    return (
        f'<a href="/teams">Teams</a><a href="/teams/{team.id}">{escape(team.name)}</a>'
        f'<a href="/athletes/{athlete.id}">{escape(athlete.name)}</a><span>Live set</span>'
    )


def _who(login: LoginSession) -> str:
    """The top bar's coach name and log-out button (base.html's ``.who``)."""
    return (
        f'<div class="who"><a class="coach-name" href="/account">{escape(login.coach.name)}</a>'
        '<form method="post" action="/logout" class="inline">'
        f'<input type="hidden" name="csrf_token" value="{escape(login.csrf_token)}">'
        '<button type="submit" class="link">Log out</button></form></div>'
    )


@router.websocket("/athletes/{athlete_id}/live/ws")
async def live_socket(websocket: WebSocket, athlete_id: ObjectId) -> None:
    """The live protocol (:mod:`psoas_coach.live.protocol`) for a logged-in coach of the
    athlete's team; refused (HTTP 403) otherwise. A youth athlete without recorded guardian
    consent gets an ``error`` message saying so, before any picture is taken, and the socket
    closes. Each ended set is saved (``saved``). ``?resume=TOKEN`` continues a dropped set of
    the same athlete and login (:func:`~psoas_coach.live.server.serve_connection`)."""
    access = await run_in_threadpool(_authorize, websocket, athlete_id)
    if access is None:
        await websocket.close(code=POLICY_VIOLATION)
        return
    config, language, login_key = access
    await websocket.accept()
    if isinstance(config, str):
        await websocket.send_json({"type": "error", "message": config})
        await websocket.close(code=POLICY_VIOLATION)
        return
    factory: sessionmaker[Session] = websocket.app.state.session_factory
    data: DataDir = websocket.app.state.data_dir

    async def save(analysis: Analysis) -> dict[str, Any]:
        try:
            return await run_in_threadpool(
                save_live_set, factory, data, athlete_id, config, analysis, language
            )
        except HTTPException as err:
            return {"error": str(err.detail)}
        except Exception as err:
            log.exception("live set of athlete %d: saving failed", athlete_id)
            return {"error": f"saving the set failed ({type(err).__name__})"}

    settings = LiveSettings(
        config=config,
        coach=CoachSettings(language=language),  # cues in the team's language
        on_report=save,
        max_sessions=MAX_LIVE_SETS,
        max_browser_sessions=MAX_BROWSER_SETS,
    )
    await serve_connection(websocket, settings, live_hub(websocket), owner=(athlete_id, login_key))


def new_live_hub(engine_processes: int) -> LiveHub:
    """The dashboard's one :class:`LiveHub` (room and resumable sets), its sets spread over
    ``engine_processes`` processes; made with the app, closed with it."""
    return LiveSettings(
        max_sessions=MAX_LIVE_SETS,
        max_browser_sessions=MAX_BROWSER_SETS,
        engine_processes=engine_processes,
    ).new_hub()


def live_hub(websocket: WebSocket) -> LiveHub:
    """The app's :class:`LiveHub`."""
    hub: LiveHub = websocket.app.state.live_hub
    return hub


def _authorize(
    websocket: WebSocket, athlete_id: int
) -> tuple[AnalysisConfig | str, str, str] | None:
    """The athlete's analysis settings, their team's cue language and the login's id if the
    request may open their live page, None if it may not; the reason instead of the settings
    if the athlete may not be recorded (consent missing)."""
    origin = websocket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != websocket.headers.get("host"):
        return None
    token = websocket.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with websocket.app.state.session_factory() as db:
        login = accounts.get_login(db, token_hash=token_hash(token))
        if login is None:
            return None
        athlete = roster.get_athlete(db, athlete_id=athlete_id, coach_id=login.coach_id)
        if athlete is None:
            return None
        config = consent_missing(athlete, LIVE_ACTION) or jobs.effective_config(athlete)
        return config, athlete.team.language, login.token_hash


def save_live_set(
    session_factory: sessionmaker[Session],
    data: DataDir,
    athlete_id: int,
    config: AnalysisConfig,
    analysis: Analysis,
    language: str = "en",
) -> dict[str, Any]:
    """Save a finished set as a new session of the athlete (today, comment "live set") with
    a keypoint CSV recording (when the set has frames: the keypoints as received, all 33
    landmarks) and a done result (its HTML report's fault names and cues in the team's
    ``language``); its id and URL."""
    work = data.new_work_folder("live")
    stored: str | None = None
    try:
        out = work / "out"
        written = write_outputs(analysis, out, STEM, keypoints=".csv.gz", language=language)
        output = RunOutput(out, analysis.report, {role: p.name for role, p in written.items()})
        size = 0
        if "keypoints" in written:
            upload = data.new_upload(".csv.gz")
            shutil.copyfile(written["keypoints"], upload)
            stored, size = data.relative(upload), upload.stat().st_size
        with session_factory() as db:
            athlete = db.get(Athlete, athlete_id)
            if athlete is None:
                raise HTTPException(status_code=404, detail="athlete not found")
            check_upload_allowed(athlete)
            fields = {"date": dt.date.today(), "coach_comments": "live set"}
            session = sessions.create_session(db, athlete=athlete, fields=fields)
            recording = sessions.create_recording(
                db,
                session=session,
                kind="keypoints",
                original_name="live set.csv.gz",
                stored_path=stored,
                size_bytes=size,
            )
            job = jobs.start_job(db, recording=recording, config=config, step="live")
            session_id, job_id = session.id, job.id
            db.commit()
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if stored is not None:
            data.remove(stored)
        raise
    publish_output(session_factory, data, job_id=job_id, attempt=1, output=output)
    return {"session_id": session_id, "url": f"/sessions/{session_id}"}
