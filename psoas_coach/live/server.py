"""The live page: the browser's webcam, coached by the server over a WebSocket.

:func:`build_live_router` gives a FastAPI router with the page (``GET /``), its script and
style, and the WebSocket (``/ws``, protocol in :mod:`psoas_coach.live.protocol`); mount it
into any app under any prefix (the page finds its WebSocket relative to its own address;
the dashboard serves the page per athlete and runs :func:`serve_connection` behind its own
access checks). Each connection gets its own pose estimator and
:class:`~psoas_coach.live.analyzer.LiveAnalyzer`; pictures are processed in a worker thread, one
at a time per connection, so one client's slow or bad pictures never hold up another's.
``on_report`` (async) receives each finished set, e.g. to save it as an athlete's session; a
dict it returns is sent to the browser with the report (``saved``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import PsoasError
from psoas_coach.live.analyzer import CoachSettings
from psoas_coach.live.browser_pose import LIVE_PAGE_CSP, build_pose_files_router
from psoas_coach.live.engine import mediapipe_backend
from psoas_coach.live.protocol import PROTOCOL, ProtocolError, decode_control
from psoas_coach.live.recorder import LiveAnalysis
from psoas_coach.live.session import LiveSession
from psoas_coach.pose.backend import PoseBackend

log = logging.getLogger("psoas_coach.live")

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Pictures per second the page sends at most (it also waits for each answer).
MAX_FPS = 20.0
#: Bad messages in a row after which a connection is closed (1003: unsupported data).
MAX_BAD_MESSAGES = 20
#: uvicorn's WebSocket implementation: the sans-I/O one (its default one uses the deprecated
#: ``websockets.legacy``).
WS_IMPLEMENTATION = "websockets-sansio"

ReportHook = Callable[[LiveAnalysis], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class LiveSettings:
    """How the live page coaches.

    Attributes:
        config: thresholds, as for ``psoas analyze``.
        coach: cue, setup and lag settings.
        backend_factory: makes one pose estimator per connection (BlazePose by default).
        max_sessions: connections served at once (more are refused: each needs a core).
        on_report: called with each finished set (see the module docstring).
    """

    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    coach: CoachSettings = field(default_factory=CoachSettings)
    backend_factory: Callable[[], PoseBackend] = mediapipe_backend
    max_sessions: int = 4
    on_report: ReportHook | None = None


def build_live_router(settings: LiveSettings | None = None) -> APIRouter:
    """The live page's routes: ``/`` (page), ``/live.js``, ``/browser_pose.js``, ``/live.css``,
    ``/pose/*`` (in-browser BlazePose, :mod:`psoas_coach.live.browser_pose`), ``/ws``."""
    live = settings or LiveSettings()
    router = APIRouter()
    router.include_router(build_pose_files_router(), prefix="/pose")
    active: set[int] = set()

    @router.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        headers = {"Content-Security-Policy": LIVE_PAGE_CSP}
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=headers)

    @router.get("/live.js", include_in_schema=False)
    async def script() -> FileResponse:
        return FileResponse(STATIC_DIR / "live.js", media_type="text/javascript")

    @router.get("/browser_pose.js", include_in_schema=False)
    async def pose_script() -> FileResponse:
        return FileResponse(STATIC_DIR / "browser_pose.js", media_type="text/javascript")

    @router.get("/live.css", include_in_schema=False)
    async def style() -> FileResponse:
        return FileResponse(STATIC_DIR / "live.css", media_type="text/css")

    @router.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        if len(active) >= live.max_sessions:
            await _refuse(websocket, f"server busy: {live.max_sessions} live sets running")
            return
        active.add(id(websocket))
        try:
            await serve_connection(websocket, live)
        finally:
            active.discard(id(websocket))

    return router


def create_app(settings: LiveSettings | None = None) -> FastAPI:
    """A stand-alone app serving the live page at ``/live/`` (``/`` redirects there)."""
    app = FastAPI(title="Psoas Coach live", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(build_live_router(settings), prefix="/live")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/live/")

    return app


def serve(config: AnalysisConfig, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the stand-alone live page until interrupted (``psoas live --serve``)."""
    import uvicorn

    print(f"live page: http://{host}:{port}/live/  (Ctrl+C stops)", flush=True)
    app = create_app(LiveSettings(config=config))
    uvicorn.run(app, host=host, port=port, log_level="warning", ws=WS_IMPLEMENTATION)


async def _refuse(websocket: WebSocket, message: str) -> None:
    await websocket.send_json({"type": "error", "message": message})
    await websocket.close(code=1013)


async def serve_connection(websocket: WebSocket, live: LiveSettings) -> None:
    """One browser's live sets, until it leaves (or sends too many bad messages)."""
    session = LiveSession(live.config, live.coach, live.backend_factory, fps=MAX_FPS)
    try:
        await websocket.send_json(_ready_message(session))
        await _message_loop(websocket, session, live)
    except WebSocketDisconnect:
        log.info("live: a browser left")
    except RuntimeError as err:  # sending after the browser went away
        log.info("live: connection lost (%s)", err)
    except PsoasError as err:  # the pose estimator failed: this connection cannot go on
        log.error("live: %s", err)
        await websocket.send_json({"type": "error", "message": str(err)})
        await websocket.close(code=1011)
    finally:
        await run_in_threadpool(session.close)


def _ready_message(session: LiveSession) -> dict[str, Any]:
    hold = session.hold_targets()
    return {"type": "ready", "protocol": PROTOCOL, "max_fps": MAX_FPS, "hold": hold}


async def _message_loop(websocket: WebSocket, session: LiveSession, live: LiveSettings) -> None:
    bad = 0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(int(message.get("code") or 1000))
        try:
            reply = await _handle(message, session, live)
            bad = 0
        except ProtocolError as err:
            bad += 1
            log.warning("live: bad message from a browser: %s", err)
            reply = {"type": "error", "message": str(err)}
            if bad >= MAX_BAD_MESSAGES:
                await websocket.send_json(reply)
                await websocket.close(code=1003)
                return
        await websocket.send_json(reply)


async def _handle(
    message: MutableMapping[str, Any], session: LiveSession, live: LiveSettings
) -> dict[str, Any]:
    """The answer to one message (a picture in a worker thread, or a control)."""
    if message.get("bytes") is not None:
        return await run_in_threadpool(session.picture, message["bytes"])
    control = decode_control(str(message.get("text") or ""))
    if control["type"] == "mute":
        session.mute(bool(control["muted"]))
        return {"type": "muted", "muted": session.muted}
    if control["type"] == "reset":
        await run_in_threadpool(session.reset)
        return {"type": "reset"}
    analysis, events = await run_in_threadpool(session.end)
    reply: dict[str, Any] = {"type": "report", "report": analysis.report.to_dict()}
    reply["events"] = [e.to_dict() for e in events]
    if live.on_report is not None:
        reply["saved"] = await live.on_report(analysis)
    return reply
