"""The live page: the browser's webcam, coached by the server over a WebSocket.

:func:`build_live_router` gives a FastAPI router with the page (``GET /``), its script and
style, and the WebSocket (``/ws``, protocol in :mod:`psoas_coach.live.protocol`); mount it
into any app under any prefix (the page finds its WebSocket relative to its own address;
the dashboard serves the page per athlete and runs :func:`serve_connection` behind its own
access checks). Each connection gets its own
:class:`~psoas_coach.live.analyzer.LiveAnalyzer`, and its own pose estimator once it sends a
picture (a connection sending ``pose`` messages, pose run in the browser, never starts one);
frames are processed in a worker thread, one at a time per connection, so one client's slow
or bad frames never hold up another's. A :class:`~psoas_coach.live.hub.LiveHub` per server
counts the sets running the estimator apart from the others and parks a dropped connection's
set for resuming. A client that breaks the rules (unusable messages, times going backwards,
too fast, silent too long) is closed with a close code and a reason the page shows.
``on_report`` (async) receives each finished set, e.g. to save it as an athlete's session; a
dict it returns is sent to the browser with the report (``saved``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, RedirectResponse

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis
from psoas_coach.exceptions import PsoasError
from psoas_coach.live.analyzer import CoachSettings
from psoas_coach.live.browser_pose import LIVE_PAGE_CSP, build_pose_files_router
from psoas_coach.live.engine import mediapipe_backend
from psoas_coach.live.hosting import HostedSession, ProcessHost, SessionSpec, ThreadHost
from psoas_coach.live.hub import LiveHub
from psoas_coach.live.protocol import (
    PROTOCOL,
    CloseConnectionError,
    ProtocolError,
)
from psoas_coach.live.session import MAX_FRAME_RATE, PICTURE_FPS
from psoas_coach.pose.backend import PoseBackend

log = logging.getLogger("psoas_coach.live")

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Pictures per second the page sends at most (it also waits for each answer).
MAX_FPS = PICTURE_FPS
#: Bad messages in a row after which a connection is closed (1003: unsupported data).
MAX_BAD_MESSAGES = 20
UNSUPPORTED_DATA = 1003
#: Close code of a client that leaves on purpose (its set is not kept for resuming).
NORMAL_CLOSURE = 1000
#: Close code of a connection silent for ``idle_s`` seconds ("going away").
GOING_AWAY = 1001
#: Close code of a connection whose set a newer connection took over (private-use range).
REPLACED = 4000
#: The pose modes the server takes: pictures (pose here) or keypoints (pose in the browser).
POSE_MODES = ("server", "browser")
#: uvicorn's WebSocket implementation: the sans-I/O one (its default one uses the deprecated
#: ``websockets.legacy``).
WS_IMPLEMENTATION = "websockets-sansio"
#: WebSocket compression (permessage-deflate), off: a live set sends one small JSON message a
#: frame each way, and compressing them took about a fifth of the server's own CPU per frame
#: (sampled under 20 keypoint sessions) to save bandwidth a local network does not miss.
WS_COMPRESSION = False


def websocket_options() -> dict[str, Any]:
    """uvicorn's WebSocket settings for every server that serves the live page."""
    return {"ws": WS_IMPLEMENTATION, "ws_per_message_deflate": WS_COMPRESSION}


ReportHook = Callable[[Analysis], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class LiveSettings:
    """How the live page coaches.

    Attributes:
        config: thresholds, as for ``psoas analyze``.
        coach: cue, setup and lag settings.
        backend_factory: makes one pose estimator per connection (BlazePose by default).
        max_sessions: sets running the pose estimator on the server at once (each needs a
            core; the next one sending a picture is told the server is busy).
        max_browser_sessions: other connections open at once (pose in the browser: a few per
            cent of a core each; more are refused).
        idle_s: seconds without any message after which a connection is closed.
        resume_s: seconds a dropped connection's set waits to be resumed.
        engine_processes: engine processes the sessions are spread over (0: the server's
            own process, frames in worker threads; one process can only use one core).
        max_frame_rate: frames (pictures or pose messages) per second a connection may send,
            on average over two seconds.
        on_report: called with each finished set (see the module docstring).
    """

    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    coach: CoachSettings = field(default_factory=CoachSettings)
    backend_factory: Callable[[], PoseBackend] = mediapipe_backend
    max_sessions: int = 4
    max_browser_sessions: int = 40
    idle_s: float = 60.0
    resume_s: float = 120.0
    engine_processes: int = 0
    max_frame_rate: float = MAX_FRAME_RATE
    on_report: ReportHook | None = None

    def spec(self) -> SessionSpec:
        """What each new session of this server is made of."""
        return SessionSpec(
            self.config, self.coach, self.backend_factory, MAX_FPS, self.max_frame_rate
        )

    def new_hub(self) -> LiveHub:
        """The room and resumable sets of a server with these settings."""
        host = ProcessHost(self.engine_processes) if self.engine_processes else ThreadHost()
        return LiveHub(
            host,
            max_server_pose=self.max_sessions,
            max_browser=self.max_browser_sessions,
            resume_s=self.resume_s,
        )


def build_live_router(
    settings: LiveSettings | None = None, hub: LiveHub | None = None
) -> APIRouter:
    """The live page's routes: ``/`` (page), ``/live.js``, ``/browser_pose.js``, ``/live.css``,
    ``/pose/*`` (in-browser BlazePose, :mod:`psoas_coach.live.browser_pose`), ``/ws``; ``hub``
    holds its sets (default: a new one for ``settings``)."""
    live = settings or LiveSettings()
    router = APIRouter()
    router.include_router(build_pose_files_router(), prefix="/pose")
    hub = hub or live.new_hub()

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
        await serve_connection(websocket, live, hub)

    return router


def create_app(settings: LiveSettings | None = None) -> FastAPI:
    """A stand-alone app serving the live page at ``/live/`` (``/`` redirects there); its
    :class:`LiveHub` is ``app.state.live_hub`` (its engine processes stop with the app)."""
    live = settings or LiveSettings()
    hub = live.new_hub()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        hub.host.close()

    app = FastAPI(
        title="Psoas Coach live", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.live_hub = hub
    app.include_router(build_live_router(live, hub), prefix="/live")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/live/")

    return app


def serve(
    config: AnalysisConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    engine_processes: int | None = None,
) -> None:
    """Run the stand-alone live page until interrupted (``psoas live --serve``), its sets
    spread over ``engine_processes`` processes (default: one per CPU core)."""
    import uvicorn

    processes = (os.cpu_count() or 1) if engine_processes is None else engine_processes
    print(f"live page: http://{host}:{port}/live/  (Ctrl+C stops)", flush=True)
    app = create_app(LiveSettings(config=config, engine_processes=processes))
    uvicorn.run(app, host=host, port=port, log_level="warning", **websocket_options())


async def serve_connection(
    websocket: WebSocket, live: LiveSettings, hub: LiveHub, *, owner: Hashable = None
) -> None:
    """One browser's live sets on an accepted ``websocket``, until it leaves or is closed.

    ``?resume=TOKEN`` on the address continues the set of a dropped connection of the same
    ``owner`` (anything comparable: the dashboard passes the athlete and the login) if it is
    still parked in ``hub``; otherwise a fresh set starts. A refused connection gets an
    ``error`` message and close code 1013.
    """
    refused = hub.room_for_connection()
    if refused is not None:
        await _close(websocket, CloseConnectionError(1013, refused))
        return
    try:
        session = await hub.connect(websocket.query_params.get("resume"), owner, live.spec())
    except PsoasError as err:  # the engine process could not take the set
        log.error("live: %s", err)
        await _close(websocket, CloseConnectionError(1011, str(err)))
        return
    park = True
    try:
        await websocket.send_json(await _ready_message(session, live))
        await _message_loop(websocket, session, live)
    except WebSocketDisconnect as err:
        log.info("live: a browser left (%d)", err.code)
        park = err.code != NORMAL_CLOSURE
    except RuntimeError as err:  # sending after the browser went away
        log.info("live: connection lost (%s)", err)
    except CloseConnectionError as err:
        log.info("live: closing a connection (%d %s)", err.code, err.reason)
        await _close(websocket, err)
    except PsoasError as err:  # the pose estimator failed: this connection cannot go on
        log.error("live: %s", err)
        await _close(websocket, CloseConnectionError(1011, str(err)))
    finally:
        await hub.disconnect(session, owner, park=park)


async def _close(websocket: WebSocket, closing: CloseConnectionError) -> None:
    """Tell the browser why (an ``error`` message), then close with the code and reason."""
    try:
        await websocket.send_json({"type": "error", "message": closing.reason})
        await websocket.close(code=closing.code, reason=closing.reason)
    except (RuntimeError, WebSocketDisconnect) as err:  # already gone
        log.info("live: could not close a connection cleanly (%s)", err)


async def _ready_message(session: HostedSession, live: LiveSettings) -> dict[str, Any]:
    return {
        "type": "ready",
        "protocol": PROTOCOL,
        "max_fps": MAX_FPS,
        "max_pose_fps": live.max_frame_rate,
        "pose_modes": list(POSE_MODES),
        "hold": await session.get("hold_targets"),
        "session": session.token,
        "resume_s": live.resume_s,
        "resumed": session.resumed,
        "last_time_s": await session.get("last_time_s"),
        "lang": live.coach.language,
    }


async def _message_loop(websocket: WebSocket, session: HostedSession, live: LiveSettings) -> None:
    """Answer every message; raise ``CloseConnectionError`` to close the connection."""
    bad = 0
    replaced = asyncio.ensure_future(session.replaced.wait())
    try:
        while True:
            message = await _next_message(websocket, replaced, live.idle_s)
            bad = await _answer(websocket, message, session, live, bad)
    finally:
        replaced.cancel()


async def _next_message(
    websocket: WebSocket, replaced: asyncio.Future[Any], idle_s: float
) -> MutableMapping[str, Any]:
    """The next message; ``CloseConnectionError`` when the client was silent for ``idle_s``
    seconds or a newer connection took the set over."""
    receive = asyncio.ensure_future(websocket.receive())
    done, _ = await asyncio.wait(
        {receive, replaced}, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED
    )
    if receive in done:
        return receive.result()
    receive.cancel()
    if replaced in done:
        raise CloseConnectionError(REPLACED, "replaced by a newer connection of this set")
    raise CloseConnectionError(GOING_AWAY, f"idle: nothing received for {idle_s:g} s")


async def _answer(
    websocket: WebSocket,
    message: MutableMapping[str, Any],
    session: HostedSession,
    live: LiveSettings,
    bad: int,
) -> int:
    """Answer one message; the count of unusable messages in a row after it."""
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(int(message.get("code") or 1000))
    reply: str | dict[str, Any]
    try:
        reply = await _handle(message, session, live)
        bad = 0
    except ProtocolError as err:
        bad += 1
        log.warning("live: bad message from a browser: %s", err)
        if bad >= MAX_BAD_MESSAGES:
            raise CloseConnectionError(
                UNSUPPORTED_DATA, f"{bad} unusable messages in a row; last: {err}"
            ) from None
        reply = {"type": "error", "message": str(err)}
    if isinstance(reply, str):
        await websocket.send_text(reply)
    else:
        await websocket.send_json(reply)
    return bad


async def _handle(
    message: MutableMapping[str, Any], session: HostedSession, live: LiveSettings
) -> str | dict[str, Any]:
    """The answer to one message (JSON text, or a dict to send as JSON), worked out where
    the session lives; the server itself adds only what saving an ended set gives."""
    if message.get("bytes") is not None:
        return await session.picture(message["bytes"])
    text = message.get("text")
    if not isinstance(text, str):
        raise ProtocolError("message: neither text nor binary")
    answer = await session.text(text)
    if isinstance(answer, str):
        return answer
    analysis, events = answer
    reply: dict[str, Any] = {"type": "report", "report": analysis.report.to_dict()}
    reply["events"] = [e.to_dict() for e in events]
    if live.on_report is not None:
        reply["saved"] = await live.on_report(analysis)
    return reply
