"""One browser's live coaching: its frames through its own engine, answers as dicts.

Synchronous (the server calls it from a worker thread). A frame is a picture (the pose
estimator runs here; it is created on the first picture, so accepting a connection stays
quick and a set fed keypoints never starts one) or a ``pose`` message (landmarks estimated in
the browser, into the same engine after pose).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis
from psoas_coach.live.analyzer import CoachSettings, LiveAnalyzer
from psoas_coach.live.engine import FrameResult, LiveEngine
from psoas_coach.live.events import Event
from psoas_coach.live.guard import FrameGuard
from psoas_coach.live.protocol import (
    PoseMessage,
    decode_picture,
    decode_text,
    normalized_landmarks,
)
from psoas_coach.pose.backend import PoseBackend

SOURCE_NAME = "browser webcam"
#: Pictures per second the page is asked for (designs the fast tier's low-pass).
PICTURE_FPS = 20.0
#: Frames per second a connection may send at most (pictures or pose messages), on average.
MAX_FRAME_RATE = 60.0


class LiveSession:
    """The live sets of one connection (and of its resumed connections).

    Args:
        config: thresholds.
        coach: live behaviour.
        backend_factory: makes this connection's pose estimator (on its first picture).
        fps: the picture rate the browser is asked for (designs the fast tier's low-pass).
        max_frame_rate: frames per second allowed (:class:`~psoas_coach.live.guard.FrameGuard`).
        token: the opaque token that resumes this session (default: a new random one).
    """

    def __init__(
        self,
        config: AnalysisConfig,
        coach: CoachSettings,
        backend_factory: Callable[[], PoseBackend],
        *,
        fps: float = PICTURE_FPS,
        max_frame_rate: float = MAX_FRAME_RATE,
        token: str | None = None,
    ) -> None:
        self.config = config
        self.coach = coach
        self.fps = fps
        #: The opaque token that resumes this session on a new connection.
        self.token = token or new_token()
        self._factory = backend_factory
        self._guard = FrameGuard(max_frame_rate)
        self._analyzer = self._new_analyzer(coach.muted)
        self._engine = LiveEngine(None, self._analyzer)

    @property
    def muted(self) -> bool:
        """Whether cues are marked not to be spoken."""
        return self._analyzer.muted

    @property
    def server_pose(self) -> bool:
        """Whether this session runs the pose estimator on the server (it got a picture)."""
        return self._engine.backend is not None

    @property
    def last_time_s(self) -> float | None:
        """Capture time of the set's last frame, seconds (``None``: none yet)."""
        return self._guard.last_time_s

    def hold_targets(self) -> dict[str, float]:
        """The hold band and the "switch" target in seconds, for the page's timer."""
        c = self.config
        target = self.coach.hold_target_s or c.min_hold_s
        return {"min_s": c.min_hold_s, "max_s": c.max_hold_s, "target_s": target}

    def picture(self, data: bytes) -> dict[str, Any]:
        """Process one binary picture message; the ``frame`` answer.

        Raises :class:`~psoas_coach.live.protocol.ProtocolError` for a malformed message and
        :class:`~psoas_coach.live.protocol.CloseConnectionError` for one out of time order or
        too fast. The pose estimator is started on the first picture.
        """
        picture = decode_picture(data)
        self._guard.update(picture.time_s, time.monotonic())
        if self._engine.backend is None:
            self._engine.backend = self._factory()
        result = self._engine.process(picture.time_s, picture.image)
        height, width = picture.image.shape[:2]
        return _frame_answer(result, (width, height))

    def keypoints(self, message: PoseMessage) -> dict[str, Any]:
        """Process one decoded ``pose`` message (landmarks from the browser); the ``frame``
        answer. Raises ``CloseConnectionError`` for a message out of time order or too fast."""
        self._guard.update(message.time_s, time.monotonic())
        result = self._engine.process_pose(message.time_s, message.pose, message.size)
        return _frame_answer(result, message.size)

    def text(self, text: str) -> str | tuple[Analysis, list[Event]]:
        """Answer a text message (decoded here, where the engine runs): the answer as JSON
        text; for ``end`` the set's analysis and last events instead (the server adds what
        saving the set gives). Raises as :meth:`keypoints`, and ``ProtocolError`` for a
        message that cannot be used."""
        message = decode_text(text)
        if isinstance(message, PoseMessage):
            return json.dumps(self.keypoints(message))
        if message["type"] == "mute":
            self.mute(bool(message["muted"]))
            return json.dumps({"type": "muted", "muted": self.muted})
        if message["type"] == "reset":
            self.reset()
            return json.dumps({"type": "reset"})
        return self.end()

    def mute(self, muted: bool) -> None:
        """Mute or unmute the cues."""
        self._analyzer.muted = muted

    def end(self) -> tuple[Analysis, list[Event]]:
        """End the set: its analysis and last events; the next frame starts a new set."""
        events = self._analyzer.finish()
        analysis = self._analyzer.analysis()
        self.reset()
        return analysis, events

    def reset(self) -> None:
        """Drop the set in progress and start a new one (mute is kept; frame times may start
        again from any value)."""
        self._analyzer = self._new_analyzer(self._analyzer.muted)
        self._engine.analyzer = self._analyzer
        self._guard.restart_times()

    def close(self) -> None:
        """Release the pose estimator (if one was started); the set in progress is kept (a
        later picture starts a new estimator)."""
        self._engine.close()
        self._engine.backend = None

    def _new_analyzer(self, muted: bool) -> LiveAnalyzer:
        analyzer = LiveAnalyzer(self.config, coach=self.coach, fps=self.fps, source=SOURCE_NAME)
        analyzer.muted = muted
        return analyzer


def new_token() -> str:
    """A new random session token (URL-safe text)."""
    return secrets.token_urlsafe(18)


def _frame_answer(result: FrameResult, size: tuple[int, int]) -> dict[str, Any]:
    """The ``frame`` message for one processed frame of a ``size`` ``(width, height)`` picture."""
    return {
        "type": "frame",
        "time_s": round(result.time_s, 3),
        "landmarks": normalized_landmarks(result.landmarks, *size),
        "status": result.status.to_dict(),
        "events": [e.to_dict() for e in result.events],
        "ms": {"pose": round(result.pose_ms, 1), "total": round(result.total_ms, 1)},
    }
