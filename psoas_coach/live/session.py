"""One browser's live coaching: decoded pictures through its own engine, answers as dicts.

Synchronous (the server calls it from a worker thread): the pose estimator is created on the
first picture, so accepting a connection stays quick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psoas_coach.config import AnalysisConfig
from psoas_coach.live.analyzer import CoachSettings, LiveAnalyzer
from psoas_coach.live.engine import LiveEngine
from psoas_coach.live.events import Event
from psoas_coach.live.protocol import decode_picture, normalized_landmarks
from psoas_coach.live.recorder import LiveAnalysis
from psoas_coach.pose.backend import PoseBackend

SOURCE_NAME = "browser webcam"


class LiveSession:
    """The live sets of one connection.

    Args:
        config: thresholds.
        coach: live behaviour.
        backend_factory: makes this connection's pose estimator.
        fps: the picture rate the browser is asked for (designs the fast tier's low-pass).
    """

    def __init__(
        self,
        config: AnalysisConfig,
        coach: CoachSettings,
        backend_factory: Callable[[], PoseBackend],
        *,
        fps: float = 20.0,
    ) -> None:
        self.config = config
        self.coach = coach
        self.fps = fps
        self._factory = backend_factory
        self._engine: LiveEngine | None = None
        self._analyzer = self._new_analyzer(coach.muted)

    @property
    def muted(self) -> bool:
        """Whether cues are marked not to be spoken."""
        return self._analyzer.muted

    def hold_targets(self) -> dict[str, float]:
        """The hold band and the "switch" target in seconds, for the page's timer."""
        c = self.config
        target = self.coach.hold_target_s or c.min_hold_s
        return {"min_s": c.min_hold_s, "max_s": c.max_hold_s, "target_s": target}

    def picture(self, data: bytes) -> dict[str, Any]:
        """Process one binary picture message; the ``frame`` answer.

        Raises :class:`~psoas_coach.live.protocol.ProtocolError` for a malformed message.
        """
        picture = decode_picture(data)
        result = self._get_engine().process(picture.time_s, picture.image)
        height, width = picture.image.shape[:2]
        return {
            "type": "frame",
            "time_s": round(picture.time_s, 3),
            "landmarks": normalized_landmarks(result.landmarks, width, height),
            "status": result.status.to_dict(),
            "events": [e.to_dict() for e in result.events],
            "ms": {"pose": round(result.pose_ms, 1), "total": round(result.total_ms, 1)},
        }

    def mute(self, muted: bool) -> None:
        """Mute or unmute the cues."""
        self._analyzer.muted = muted

    def end(self) -> tuple[LiveAnalysis, list[Event]]:
        """End the set: its analysis and last events; the next picture starts a new set."""
        events = self._analyzer.finish()
        analysis = self._analyzer.analysis()
        self.reset()
        return analysis, events

    def reset(self) -> None:
        """Drop the set in progress and start a new one (mute is kept)."""
        self._analyzer = self._new_analyzer(self._analyzer.muted)
        if self._engine is not None:
            self._engine.analyzer = self._analyzer

    def close(self) -> None:
        """Release the pose estimator."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def _get_engine(self) -> LiveEngine:
        if self._engine is None:
            self._engine = LiveEngine(self._factory(), self._analyzer)
        return self._engine

    def _new_analyzer(self, muted: bool) -> LiveAnalyzer:
        analyzer = LiveAnalyzer(self.config, coach=self.coach, fps=self.fps, source=SOURCE_NAME)
        analyzer.muted = muted
        return analyzer
