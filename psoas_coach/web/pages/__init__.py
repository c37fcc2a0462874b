"""Server-rendered pages (Jinja2): the same operations as the API, for a coach's browser.

Forms post back with the login's CSRF token and answer with a redirect (303) to the page.
"""

from __future__ import annotations

from fastapi import APIRouter

from psoas_coach.web.pages import athletes, auth, live, reports, sessions, teams


def page_router() -> APIRouter:
    """Every page route (left out of the OpenAPI schema: the API documents the operations)."""
    router = APIRouter(include_in_schema=False)
    for module in (auth, teams, athletes, live, sessions, reports):
        router.include_router(module.router)
    return router
