"""The live sets of one server: where they run, room for them, sets waiting to be resumed.

A set that runs the pose estimator on the server (pictures) needs about a core; a set fed
keypoints from the athlete's browser needs a few per cent of one. :class:`LiveHub` keeps the
two counts apart: ``max_server_pose`` sets may run the estimator at once (the next one is told
the server is busy when it sends its first picture), ``max_browser`` other connections may be
open (the next connection is refused). Its :class:`~psoas_coach.live.hosting.SessionHost`
holds the sessions (in the server's process or in engine processes).

When a connection ends other than by the client closing it normally (the line dropped, the
page went away, the server closed it), the set is *parked* for ``resume_s`` seconds under its
token: a connection that presents the token (and the same ``owner``, e.g. the athlete and login
of the dashboard) continues it; after that the set is dropped. A connection that presents the
token of a set whose old connection still looks open (a line that died unnoticed) takes it
over: the old connection is closed (4000) and the set continues on the new one. A parked set
holds no pose estimator (its room goes to others at once); a resumed set that sends pictures
starts a fresh one, if there is room.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Hashable
from dataclasses import dataclass

from psoas_coach.live.hosting import HostedSession, SessionHost, SessionSpec
from psoas_coach.live.protocol import CloseConnectionError
from psoas_coach.live.session import new_token

#: WebSocket close code of a connection refused for want of room ("try again later").
TRY_AGAIN_LATER = 1013


@dataclass
class _Parked:
    session: HostedSession
    owner: Hashable
    expiry: asyncio.TimerHandle


class LiveHub:
    """Room, sessions and resumable sets of one server (used from its event loop; the
    server-pose count is also safe from worker threads).

    Args:
        host: where the sessions run.
        max_server_pose: sets running the pose estimator on the server at once.
        max_browser: open connections not running it.
        resume_s: seconds a dropped connection's set waits to be resumed.
    """

    def __init__(
        self, host: SessionHost, *, max_server_pose: int, max_browser: int, resume_s: float
    ) -> None:
        self.host = host
        self.max_server_pose = max_server_pose
        self.max_browser = max_browser
        self.resume_s = resume_s
        self._lock = threading.Lock()
        self._pose_tokens: set[str] = set()
        self._open: set[str] = set()
        self._serving: dict[str, tuple[HostedSession, Hashable]] = {}
        self._parked: dict[str, _Parked] = {}
        self._dropping: set[asyncio.Task[None]] = set()

    @property
    def open_connections(self) -> int:
        """Connections being served now."""
        return len(self._open)

    @property
    def parked(self) -> int:
        """Sets waiting to be resumed."""
        return len(self._parked)

    @property
    def server_pose_sets(self) -> int:
        """Sets holding a pose estimator on the server."""
        return len(self._pose_tokens)

    def is_parked(self, token: str) -> bool:
        """Whether the set ``token`` waits to be resumed."""
        return token in self._parked

    def room_for_connection(self) -> str | None:
        """``None`` if one more connection may open, else why not (a one-line message)."""
        browser = len(self._open - self._pose_tokens)
        if browser >= self.max_browser:
            return f"server busy: {self.max_browser} live sets running"
        return None

    def start_server_pose(self, token: str) -> None:
        """Reserve a server pose estimator for the set ``token``, or raise
        ``CloseConnectionError`` (code 1013) when all are taken."""
        with self._lock:
            if token in self._pose_tokens:
                return
            if len(self._pose_tokens) >= self.max_server_pose:
                raise CloseConnectionError(
                    TRY_AGAIN_LATER,
                    f"server busy: {self.max_server_pose} live sets use server pose "
                    "(pose in the browser has room)",
                )
            self._pose_tokens.add(token)

    async def connect(self, token: str | None, owner: Hashable, spec: SessionSpec) -> HostedSession:
        """The set a new connection serves: the parked set ``token`` if it is there and has
        the same ``owner`` (``resumed`` True), else a fresh one made from ``spec``."""
        if token in self._serving and self._serving[token][1] == owner:
            await self._take_over(self._serving[token][0])
        parked = self._parked.get(token) if token else None
        if parked is not None and parked.owner == owner:
            del self._parked[parked.session.token]
            parked.expiry.cancel()
            session = parked.session
            session.resumed = True
            session.replaced.clear()
            session.parked.clear()
        else:
            session = HostedSession(self.host, new_token(), self.start_server_pose)
            await self.host.start(session.token, spec)
        self._open.add(session.token)
        self._serving[session.token] = (session, owner)
        return session

    async def _take_over(self, session: HostedSession) -> None:
        """A connection resumes a set whose old connection still looks open (its line died
        unnoticed): close the old one and wait until it parked the set."""
        session.replaced.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(session.parked.wait(), timeout=10.0)

    async def disconnect(self, session: HostedSession, owner: Hashable, *, park: bool) -> None:
        """The connection of ``session`` ended: release its pose estimator, and ``park`` the
        set for ``resume_s`` seconds (else it is dropped)."""
        self._open.discard(session.token)
        self._serving.pop(session.token, None)
        try:
            if session.server_pose:
                await session.release_pose()
        finally:
            with self._lock:
                self._pose_tokens.discard(session.token)
        if not park:
            await session.drop()
            return
        loop = asyncio.get_running_loop()
        expiry = loop.call_later(self.resume_s, self._expire, session.token)
        self._parked[session.token] = _Parked(session, owner, expiry)
        session.parked.set()

    def _expire(self, token: str) -> None:
        parked = self._parked.pop(token, None)
        if parked is not None:
            task = asyncio.get_running_loop().create_task(parked.session.drop())
            self._dropping.add(task)
            task.add_done_callback(self._dropping.discard)
