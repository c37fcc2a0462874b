"""ASGI middleware around every route, outermost first:

- :class:`SecurityHeadersMiddleware`: CSP, nosniff, framing, referrer, and ``Cache-Control:
  no-store`` on everything but the static files (pages and API answers carry personal data,
  which the browser must not keep for the Back button after logout).
- :class:`BodyLimitMiddleware`: the request body is counted as its bytes arrive (chunked or
  not): 413 as soon as it passes the limit (the upload limit for uploads, :data:`MAX_FORM_BYTES`
  for every other route). Up to :data:`DRAIN_BYTES` more are read and dropped first, so a client
  that sends its whole body before reading gets the answer, not a reset; then the connection is
  closed and the rest is never read.
- :class:`LoginFirstMiddleware`: a state-changing request without a valid login is answered
  before any byte of its body is read (the routes would only find out after parsing it).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Pages load scripts and styles from ``/static`` only; plots are inline SVG.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Room for multipart boundaries and form fields around the file itself, bytes.
MULTIPART_SLACK_BYTES = 64 * 1024
#: Largest body of a request that is not an upload (forms and JSON), bytes.
MAX_FORM_BYTES = 1_000_000
#: Bytes of an over-limit body read and dropped before answering, at most.
DRAIN_BYTES = 4_000_000
#: Seconds spent reading them, at most.
DRAIN_S = 5.0
#: State-changing routes open to a visitor who is not logged in.
PRELOGIN_POSTS = frozenset({"/login", "/signup", "/api/auth/login", "/api/auth/signup"})
#: Paths whose answers may be cached (no personal data).
CACHEABLE_PREFIXES = ("/static/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecurityHeadersMiddleware:
    """Adds CSP (unless the route set its own), nosniff, framing and referrer headers, and
    ``Cache-Control: no-store`` outside ``/static``."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to HTTP responses."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = {
            b"content-security-policy": PAGE_CSP.encode(),
            b"x-content-type-options": b"nosniff",
            b"x-frame-options": b"DENY",
            b"referrer-policy": b"same-origin",
        }
        if not scope["path"].startswith(CACHEABLE_PREFIXES):
            extra[b"cache-control"] = b"no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLargeError(HTTPException):
    """A request body passed its limit while arriving (answered 413)."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


def is_upload(scope: Scope) -> bool:
    """True for the upload routes (``POST .../recordings``)."""
    return bool(scope["method"] == "POST" and scope["path"].endswith("/recordings"))


def body_limit_message(scope: Scope, max_upload_bytes: int) -> str:
    """The one-line answer to a body over its limit."""
    if is_upload(scope):
        return f"file too large (limit {max_upload_bytes / 1e6:g} MB); nothing was stored"
    return f"request too large (limit {MAX_FORM_BYTES / 1e6:g} MB)"


class BodyLimitMiddleware:
    """Counts each request's body as it arrives and answers 413 once it passes the limit:
    ``max_upload_bytes`` (plus multipart slack) for uploads, :data:`MAX_FORM_BYTES` for the
    rest. A declared ``Content-Length`` over the limit is refused before reading anything."""

    def __init__(self, app: ASGIApp, *, max_upload_bytes: int) -> None:
        """Wrap ``app``; ``max_upload_bytes`` is the largest accepted file."""
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    def limit(self, scope: Scope) -> int:
        """The largest body accepted for this request, bytes."""
        if is_upload(scope):
            return self.max_upload_bytes + MULTIPART_SLACK_BYTES
        return MAX_FORM_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting ``receive``; refuse it when over the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        message = body_limit_message(scope, self.max_upload_bytes)
        if (_declared_length(scope) or 0) > limit:
            await drain(receive)
            await refuse(scope, send, 413, message)
            return
        state = {"received": 0, "over": False, "started": False, "ended": False}

        async def counting_receive() -> Message:
            event = await receive()
            if event["type"] == "http.request":
                state["received"] += len(event.get("body", b""))
                state["ended"] = not event.get("more_body", False)
                if state["received"] > limit:
                    state["over"] = True
                    raise BodyTooLargeError(message)
            return event

        async def closing_send(event: Message) -> None:
            if event["type"] == "http.response.start":
                state["started"] = True
                if state["over"]:  # the rest of the body is never read: end the connection
                    if not state["ended"]:
                        await drain(receive)
                    event["headers"] = [*event.get("headers", []), (b"connection", b"close")]
            await send(event)

        try:
            await self.app(scope, counting_receive, closing_send)
        except BodyTooLargeError:
            if state["started"]:
                raise
            if not state["ended"]:
                await drain(receive)
            await refuse(scope, send, 413, message)


class LoginFirstMiddleware:
    """Answers a state-changing request that carries no valid login at once, before its body
    is read: 401 for the API, a redirect to the login page for pages. ``has_login(request)``
    tells from the request's cookie (it runs in a worker thread: it may query the database)."""

    def __init__(self, app: ASGIApp, *, has_login: Callable[[Request], bool]) -> None:
        """Wrap ``app``."""
        self.app = app
        self.has_login = has_login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an anonymous state-changing request, pass everything else on."""
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and scope["path"] not in PRELOGIN_POSTS
        ):
            request = Request(scope)
            if not await run_in_threadpool(self.has_login, request):
                await refuse(scope, send, 401, "log in first")
                return
        await self.app(scope, receive, send)


async def drain(receive: Receive) -> None:
    """Read and drop up to :data:`DRAIN_BYTES` of the rest of a body (for up to
    :data:`DRAIN_S` seconds): a client still sending gets the answer instead of a reset."""
    drained, deadline = 0, time.monotonic() + DRAIN_S
    while drained < DRAIN_BYTES:
        try:
            event = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return
        if event["type"] != "http.request":
            return
        drained += len(event.get("body", b""))
        if not event.get("more_body", False):
            return


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """Answer ``status`` without reading the request body, and close the connection: JSON
    for the API, a short page (or, for 401, the way to the login page) for people."""
    headers = [(b"connection", b"close")]
    if scope["path"].startswith("/api/"):
        body, media = json.dumps({"detail": message}).encode(), b"application/json"
    elif status == 401:
        status, body, media = 303, b"", b"text/plain; charset=utf-8"
        headers.append((b"location", b"/login"))
    else:
        body = (
            "<!DOCTYPE html><meta charset='utf-8'><title>Request refused</title>"
            f"<h1>Request refused</h1><p>{escape(message)}</p>"
            "<p><a href='/teams'>Back to the dashboard</a></p>"
        ).encode()
        media = b"text/html; charset=utf-8"
    headers += [(b"content-type", media), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
