"""ASGI middleware: security headers on every response, and early refusal of uploads whose
declared size is over the limit (before any byte is stored)."""

from __future__ import annotations

import json
from html import escape

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Pages load scripts and styles from ``/static`` only; plots are inline SVG.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Room for multipart boundaries and form fields around the file itself, bytes.
MULTIPART_SLACK_BYTES = 64 * 1024


class SecurityHeadersMiddleware:
    """Adds CSP (unless the route set its own), nosniff, framing and referrer headers."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to HTTP responses."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {
                    b"content-security-policy": PAGE_CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                }
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UploadLimitMiddleware:
    """Answers 413 at once for a POST to ``.../recordings`` whose ``Content-Length`` is over
    the upload limit (the route checks the real size again while copying)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        """Wrap ``app``; ``max_bytes`` is the largest accepted file."""
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an over-size upload, pass everything else on."""
        if scope["type"] == "http" and self._too_large(scope):
            await self._refuse(scope, send)
            return
        await self.app(scope, receive, send)

    def _too_large(self, scope: Scope) -> bool:
        if scope["method"] != "POST" or not scope["path"].endswith("/recordings"):
            return False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    return int(value) > self.max_bytes + MULTIPART_SLACK_BYTES
                except ValueError:
                    return False
        return False

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = f"file too large (limit {self.max_bytes / 1e6:g} MB); nothing was stored"
        if scope["path"].startswith("/api/"):
            body, media = json.dumps({"detail": message}).encode(), b"application/json"
        else:
            body = (
                "<!DOCTYPE html><meta charset='utf-8'><title>Upload refused</title>"
                f"<h1>Upload refused</h1><p>{escape(message)}</p>"
                "<p><a href='/teams'>Back to the dashboard</a></p>"
            ).encode()
            media = b"text/html; charset=utf-8"
        headers = [(b"content-type", media), (b"content-length", str(len(body)).encode())]
        headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
