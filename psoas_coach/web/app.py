"""The dashboard application: :func:`create_app` wires settings, database, worker, API and pages.

At start-up (the app's lifespan) the schema is upgraded by the Alembic migrations, jobs a crash
left running are re-queued, leftovers of interrupted work are cleared, and the analysis worker
starts; at shutdown the live sets' engine processes stop and the worker finishes its current
job (up to a minute) and stops.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from psoas_coach import __version__
from psoas_coach.live.browser_pose import build_pose_files_router
from psoas_coach.live.server import STATIC_DIR as LIVE_STATIC_DIR
from psoas_coach.storage.crud import jobs, sessions
from psoas_coach.storage.db import make_engine, make_session_factory, upgrade_schema
from psoas_coach.storage.files import DataDir
from psoas_coach.web.api import api_router
from psoas_coach.web.deps import LoginDep, get_login, request_has_login
from psoas_coach.web.errors import install_error_handlers
from psoas_coach.web.middleware import (
    BodyLimitMiddleware,
    LoginFirstMiddleware,
    SecurityHeadersMiddleware,
)
from psoas_coach.web.pages import page_router
from psoas_coach.web.pages.live import LIVE_STATIC_URL, new_live_hub
from psoas_coach.web.settings import Settings
from psoas_coach.web.throttle import LoginThrottle, SignupLimit
from psoas_coach.web.worker import AnalysisWorker

log = logging.getLogger("psoas_coach.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class Services:
    """What the running app holds: database engine and sessions, data directory, worker."""

    engine: Engine
    session_factory: sessionmaker[Session]
    data_dir: DataDir
    worker: AnalysisWorker


def start_services(settings: Settings) -> Services:
    """Migrate the database, recover from a crash, start the worker."""
    data = DataDir(settings.data_dir)
    engine = make_engine(settings.resolved_database_url)
    upgrade_schema(engine)
    factory = make_session_factory(engine)
    data.clear_work()
    with factory() as db:
        requeued, failed = jobs.requeue_interrupted(db, max_attempts=settings.max_attempts)
        swept = data.sweep(sessions.all_stored_paths(db))
    if requeued or failed:
        log.warning("jobs interrupted by a restart: %d re-queued, %d failed", requeued, failed)
    if swept:
        log.warning("removed %d stored files no row refers to", len(swept))
    worker = AnalysisWorker(settings, factory, data)
    worker.start()
    return Services(engine, factory, data, worker)


def stop_services(services: Services) -> None:
    """Let the worker finish its job, then close the database connections."""
    services.worker.stop()
    services.engine.dispose()


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI app for ``settings`` (services start with the app's lifespan)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = start_services(settings)
        app.state.session_factory = services.session_factory
        app.state.data_dir = services.data_dir
        app.state.worker = services.worker
        try:
            yield
        finally:
            app.state.live_hub.host.close()
            stop_services(services)

    app = FastAPI(
        title="Psoas Coach dashboard",
        version=__version__,
        description=(
            "Athletes, sessions and analyses of the supine banded psoas march. Log in with "
            "`POST /api/auth/login` (header `X-Requested-With`), then send the `csrf_token` "
            "of `GET /api/auth/me` as `X-CSRF-Token` with every state-changing request. This "
            "schema is served at `/openapi.json` to logged-in coaches."
        ),
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.live_hub = new_live_hub(settings.live_engine_processes)
    app.state.login_throttle = LoginThrottle(
        settings.login_max_failures, settings.login_window_min * 60.0
    )
    app.state.signup_limit = SignupLimit(settings.signups_per_hour, window_s=3600.0)
    app.add_middleware(LoginFirstMiddleware, has_login=request_has_login)
    app.add_middleware(BodyLimitMiddleware, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(api_router())
    app.include_router(page_router())
    app.include_router(  # for the live page, which only a logged-in coach opens
        build_pose_files_router(),
        prefix=f"{LIVE_STATIC_URL}/pose",
        dependencies=[Depends(get_login)],
    )
    app.mount(LIVE_STATIC_URL, StaticFiles(directory=LIVE_STATIC_DIR), name="live-static")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(login: LoginDep) -> JSONResponse:
        """The OpenAPI schema of the JSON API (logged-in coaches only, like every route)."""
        return JSONResponse(app.openapi())

    return app
