"""Where live sessions run: in the server's own process, or spread over engine processes.

A server serving a squad in one Python process is held to one core by the interpreter lock:
twenty sets fed keypoints at 30 frames a second need about one core of engine work alone.
:class:`ProcessHost` spreads the sessions over ``processes`` engine processes ("spawn"
context), each session living in one of them for its whole life (its frames in order, its
state in one place); the server's event loop only reads, checks and forwards messages.
:class:`ThreadHost` is the null choice: sessions in the server's process, their frames in
worker threads. Both run the same :class:`~psoas_coach.live.session.LiveSession`.

:class:`HostedSession` is the server's handle on one session, whichever host holds it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import multiprocessing
import os
import signal
import struct
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

from starlette.concurrency import run_in_threadpool

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis
from psoas_coach.exceptions import PoseBackendError
from psoas_coach.live.analyzer import CoachSettings
from psoas_coach.live.events import Event
from psoas_coach.live.session import LiveSession
from psoas_coach.pose.backend import PoseBackend


@dataclass(frozen=True)
class SessionSpec:
    """What a new session is made of (sent to an engine process: everything picklable, the
    factory a module-level function or class)."""

    config: AnalysisConfig
    coach: CoachSettings
    backend_factory: Callable[[], PoseBackend]
    fps: float
    max_frame_rate: float

    def make(self, token: str) -> LiveSession:
        """The session ``token``."""
        return LiveSession(
            self.config,
            self.coach,
            self.backend_factory,
            fps=self.fps,
            max_frame_rate=self.max_frame_rate,
            token=token,
        )


class SessionHost(abc.ABC):
    """Holds sessions by token and runs their methods, one call at a time per session."""

    @abc.abstractmethod
    async def start(self, token: str, spec: SessionSpec) -> None:
        """Create the session ``token``."""

    @abc.abstractmethod
    async def call(self, token: str, name: str, *args: Any) -> Any:
        """The session's method ``name`` called with ``args`` (or its attribute ``name``);
        its exceptions are raised here."""

    @abc.abstractmethod
    async def drop(self, token: str) -> None:
        """Forget the session ``token`` (its estimator released)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Stop the host's processes, if any."""


class ThreadHost(SessionHost):
    """Sessions in the server's process; each call in a worker thread."""

    def __init__(self) -> None:
        self._sessions: dict[str, LiveSession] = {}

    async def start(self, token: str, spec: SessionSpec) -> None:
        """Create the session ``token`` here."""
        self._sessions[token] = spec.make(token)

    async def call(self, token: str, name: str, *args: Any) -> Any:
        """Run the method in a worker thread."""
        return await run_in_threadpool(_invoke, self._sessions[token], name, args)

    async def drop(self, token: str) -> None:
        """Forget the session, releasing its estimator in a worker thread."""
        session = self._sessions.pop(token, None)
        if session is not None:
            await run_in_threadpool(session.close)


class ProcessHost(SessionHost):
    """Sessions spread over ``processes`` engine processes (started on first use); a new
    session goes to the process holding the fewest. Each process is reached through two
    pipes: requests are written to one as they come (many in flight, answered in order), never
    blocking the event loop (what the pipe cannot take yet waits in the server, written when
    the pipe has room), and answers read from the other when it has data; no thread on
    either side (a reader thread in the engine process cost about a fifth of its CPU)."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"ProcessHost: processes must be at least 1, found {processes}")
        self.processes = processes
        self._links: list[_EngineLink] = []
        self._home: dict[str, int] = {}

    async def start(self, token: str, spec: SessionSpec) -> None:
        """Create the session in the least busy engine process."""
        context = multiprocessing.get_context("spawn")
        if not self._links:
            self._links = [_EngineLink(context) for _ in range(self.processes)]
        for index, link in enumerate(self._links):
            if not link.alive:  # its sessions failed with it; new ones get a new process
                link.close()
                self._links[index] = _EngineLink(context)
                self._home = {t: i for t, i in self._home.items() if i != index}
        load = [0] * self.processes
        for index in self._home.values():
            load[index] += 1
        self._home[token] = load.index(min(load))
        await self._submit(token, "start", token, spec)

    async def call(self, token: str, name: str, *args: Any) -> Any:
        """Run the method in the session's engine process."""
        return await self._submit(token, "call", token, name, args)

    async def drop(self, token: str) -> None:
        """Forget the session in its engine process."""
        if token in self._home:
            await self._submit(token, "drop", token)
            del self._home[token]

    async def _submit(self, token: str, op: str, *args: Any) -> Any:
        if token not in self._home:
            raise PoseBackendError("live engine process stopped; this set is lost")
        return await self._links[self._home[token]].request(op, args)

    @property
    def pids(self) -> list[int | None]:
        """The engine processes' ids (empty before the first session)."""
        return [link.pid for link in self._links]

    def close(self) -> None:
        """Stop the engine processes."""
        for link in self._links:
            link.close()
        self._links = []


class _EngineLink:
    """One engine process and the pipes to it, seen from the server's event loop."""

    def __init__(self, context: Any) -> None:
        requests, self._requests = context.Pipe(duplex=False)
        self._answers, answers = context.Pipe(duplex=False)
        self._process = context.Process(target=_engine_main, args=(requests, answers), daemon=True)
        self._process.start()
        requests.close()
        answers.close()
        os.set_blocking(self._requests.fileno(), False)
        self._outbox = bytearray()  # requests the pipe could not take yet
        self._writing = False
        self._ids = itertools.count()
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def alive(self) -> bool:
        """Whether the engine process is running."""
        return bool(self._process.is_alive())

    @property
    def pid(self) -> int | None:
        """The engine process's id."""
        pid: int | None = self._process.pid
        return pid

    async def request(self, op: str, args: tuple[Any, ...]) -> Any:
        if self._loop is None:
            if self._requests.closed:
                raise PoseBackendError("live engine process stopped")
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self._answers.fileno(), self._on_answer)
        ident = next(self._ids)
        future = self._loop.create_future()
        self._pending[ident] = future
        self._outbox += framed(ForkingPickler.dumps((ident, op, args)))
        self._flush()
        return await future

    def _flush(self) -> None:
        """Write what the request pipe takes now; the rest when it has room."""
        try:
            while self._outbox:
                written = os.write(self._requests.fileno(), self._outbox)
                del self._outbox[:written]
        except BlockingIOError:
            pass
        except OSError as err:
            self._fail(f"live engine process stopped ({type(err).__name__})")
            return
        if self._loop is not None and bool(self._outbox) != self._writing:
            fd = self._requests.fileno()
            self._writing = bool(self._outbox)
            if self._writing:
                self._loop.add_writer(fd, self._flush)
            else:
                self._loop.remove_writer(fd)

    def _on_answer(self) -> None:
        try:
            while self._answers.poll():
                ident, ok, value = self._answers.recv()
                future = self._pending.pop(ident)
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (EOFError, OSError) as err:
            self._fail(f"live engine process stopped ({type(err).__name__})")

    def _fail(self, message: str) -> None:
        self._stop_watching()
        self._outbox.clear()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(PoseBackendError(message))
        self._pending.clear()

    def _stop_watching(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError, ValueError, OSError):
                self._loop.remove_reader(self._answers.fileno())
                if self._writing:
                    self._loop.remove_writer(self._requests.fileno())
            self._loop = None
            self._writing = False

    def close(self) -> None:
        if not self._answers.closed:
            self._stop_watching()
        self._requests.close()
        self._answers.close()
        self._process.join(5)
        if self._process.is_alive():
            self._process.terminate()


def framed(payload: bytes) -> bytes:
    """``payload`` as one message of :class:`multiprocessing.connection.Connection` (what its
    ``recv`` reads): a 4-byte big-endian length, or -1 and an 8-byte length for 2 GiB and more."""
    size = len(payload)
    header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
    return header + payload


def _engine_main(requests: Any, answers: Any) -> None:
    """An engine process: answer requests from one pipe on the other until it closes (the
    server never waits on our answers: it reads them whenever they come)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which stops us
    operations: dict[str, Callable[..., Any]] = {
        "start": _start_remote,
        "call": _call_remote,
        "drop": _drop_remote,
    }
    while True:
        try:
            ident, op, args = requests.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (ident, True, operations[op](*args))
        except Exception as err:  # sent back: raised where the server awaits the answer
            answer = (ident, False, err)
        try:
            answers.send(answer)
        except (EOFError, OSError):
            return
        except Exception as err:  # an answer that cannot be pickled
            answers.send((ident, False, RuntimeError(f"{type(err).__name__}: {err}")))


def _invoke(session: LiveSession, name: str, args: tuple[Any, ...]) -> Any:
    value = getattr(session, name)
    return value(*args) if callable(value) else value


#: The sessions of this engine process (in a :class:`ProcessHost`'s processes only).
_REMOTE: dict[str, LiveSession] = {}


def _start_remote(token: str, spec: SessionSpec) -> None:
    _REMOTE[token] = spec.make(token)


def _call_remote(token: str, name: str, args: tuple[Any, ...]) -> Any:
    return _invoke(_REMOTE[token], name, args)


def _drop_remote(token: str) -> None:
    session = _REMOTE.pop(token, None)
    if session is not None:
        session.close()


class HostedSession:
    """The server's handle on one session held by a :class:`SessionHost`.

    Args:
        host: where the session lives.
        token: the session's token (what resumes it).
        before_server_pose: called with the token before the session's first picture (it
            may raise ``CloseConnectionError`` when the server has no room for an estimator).
    """

    def __init__(
        self, host: SessionHost, token: str, before_server_pose: Callable[[str], None]
    ) -> None:
        self.host = host
        self.token = token
        self.server_pose = False
        #: Whether the session continues a dropped connection's set.
        self.resumed = False
        #: Set when a newer connection takes the set over; ``parked`` once it waits for it.
        self.replaced = asyncio.Event()
        self.parked = asyncio.Event()
        self._before_server_pose = before_server_pose

    async def picture(self, data: bytes) -> dict[str, Any]:
        """The ``frame`` answer to a binary picture message."""
        if not self.server_pose:
            self._before_server_pose(self.token)
            self.server_pose = True
        answer: dict[str, Any] = await self.host.call(self.token, "picture", data)
        return answer

    async def text(self, text: str) -> str | tuple[Analysis, list[Event]]:
        """The answer to a text message (JSON text), or for ``end`` the set's analysis and
        last events (see :meth:`LiveSession.text`)."""
        answer: str | tuple[Analysis, list[Event]] = await self.host.call(self.token, "text", text)
        return answer

    async def get(self, name: str) -> Any:
        """An attribute of the session (``last_time_s``, ``muted``) or a method's answer
        without arguments (``hold_targets``)."""
        return await self.host.call(self.token, name)

    async def release_pose(self) -> None:
        """Release the session's pose estimator (the set is kept); an engine process that is
        gone has nothing left to release."""
        self.server_pose = False
        with contextlib.suppress(PoseBackendError):
            await self.host.call(self.token, "close")

    async def drop(self) -> None:
        """Forget the session (nothing to do when its engine process is gone)."""
        with contextlib.suppress(PoseBackendError):
            await self.host.drop(self.token)
