"""The JSON API under ``/api``: every operation of the pages, documented by ``/openapi.json``."""

from __future__ import annotations

from fastapi import APIRouter

from psoas_coach.web.api import athletes, auth, invitations, meta, results, sessions, teams


def api_router() -> APIRouter:
    """All API routes, mounted under ``/api``."""
    router = APIRouter(prefix="/api")
    for module in (auth, meta, teams, invitations, athletes, sessions, results):
        router.include_router(module.router)
    return router
