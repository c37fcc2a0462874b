"""HTTP errors at the web edge: JSON for the API, pages for people.

The API answers ``{"detail": ...}`` (FastAPI's usual shape). A page answers 401 by sending the
browser to the login page (and back afterwards), and any other error with a short page saying
what went wrong and where to go.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from psoas_coach.web.templating import render_plain

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    409: "Cannot do that yet",
    413: "File too large",
    415: "Unsupported file",
    422: "Please check the form",
}


def is_api(request: Request) -> bool:
    """True for requests to the JSON API (``/api/...`` and its schema)."""
    path = request.url.path
    return path.startswith("/api/") or path in ("/api", "/openapi.json")


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, returning to this page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if is_api(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401:
        return login_redirect(request)
    return error_page(request, exc.status_code, str(exc.detail))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return JSONResponse({"detail": _encodable(jsonable_encoder(exc.errors()))}, 422)
    return error_page(request, 422, "; ".join(field_message(e) for e in exc.errors()))


def _encodable(value: Any) -> Any:
    """``value`` with text that UTF-8 cannot carry (unpaired surrogates) replaced by ``?`` and
    numbers JSON cannot carry (``Infinity``, ``NaN``, which a client may send) written as
    text; validation errors echo the input, which may be just such a value."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_encodable(v) for v in value]
    if isinstance(value, dict):
        return {k: _encodable(v) for k, v in value.items()}
    return value


def field_message(error: dict[str, Any]) -> str:
    where = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    field = " ".join(where).replace("_", " ")
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


#: An athlete's own pages (the live page, its uploads): a consent refusal links to the athlete.
_ATHLETE_PATH = re.compile(r"^/athletes/(\d{1,18})(?:/|$)")


def way_forward(request: Request, status: int, message: str) -> tuple[str, str] | None:
    """A link that fixes the error, as ``(url, words)``: recording the guardian's consent
    for a refused youth athlete; ``None`` when there is none beyond going back."""
    match = _ATHLETE_PATH.match(request.url.path)
    if status == 409 and match and "consent" in message:
        return f"/athletes/{match.group(1)}#details", "Record the guardian's consent"
    return None


def error_page(request: Request, status: int, message: str) -> Response:
    """A short HTML page for an error, with the way back (and the way forward if known)."""
    title = TITLES.get(status, "Something went wrong")
    back = request.headers.get("referer") or "/teams"
    if not back.startswith(str(request.base_url)):
        back = "/teams"
    context = {
        "title": title,
        "message": message,
        "back": back,
        "forward": way_forward(request, status, message),
    }
    return render_plain(request, "error.html", context, status)


def install_error_handlers(app: FastAPI) -> None:
    """Route HTTP and validation errors through the handlers above."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
