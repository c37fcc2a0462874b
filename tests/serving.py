"""A FastAPI app served by uvicorn in a thread on a free local port: the real HTTP and
WebSocket path, for the dashboard and live tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import uvicorn
from fastapi import FastAPI

from psoas_coach.live.server import websocket_options


@contextmanager
def serve_app(
    app: FastAPI,
    *,
    lifespan: Literal["on", "off"] = "off",
    start_timeout_s: float = 60.0,
    config: uvicorn.Config | None = None,
) -> Iterator[str]:
    """Run ``app`` until the block ends; yields its base URL (``http://127.0.0.1:PORT``).

    ``lifespan="on"`` runs the app's start-up and shut-down (the dashboard's services);
    ``config`` replaces the test configuration (e.g. the one ``psoas serve`` makes).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if config is None:
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, **websocket_options())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(90)
        sock.close()
