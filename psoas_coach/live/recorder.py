"""The keypoints of a live set as received, for its keypoint CSV (``Analysis.keypoints``).

Everything else a set's report needs (the cleaned frames, their kinematics, the repetitions)
the analysis engine records itself (:mod:`psoas_coach.engine`).
"""

from __future__ import annotations

from collections import deque

from psoas_coach.engine import MAX_RECORD_FRAMES
from psoas_coach.pose.backend import FramePose, stack_frames
from psoas_coach.pose.types import PoseSequence


class KeypointRecorder:
    """Bounded record of a set's frames as received (all 33 landmarks; as many frames as the
    engine records, :data:`~psoas_coach.engine.MAX_RECORD_FRAMES`)."""

    def __init__(self, max_frames: int = MAX_RECORD_FRAMES) -> None:
        self.max_frames = max_frames
        self.reset()

    def reset(self) -> None:
        """Forget the set."""
        self._frames: deque[tuple[float, FramePose | None]] = deque(maxlen=self.max_frames)

    def add(self, time_s: float, pose: FramePose | None) -> None:
        """Keep a frame's keypoints at ``time_s`` seconds (``None``: nobody found)."""
        kept = (
            None
            if pose is None
            else FramePose(pose.xy.copy(), pose.z.copy(), pose.visibility.copy())
        )
        self._frames.append((time_s, kept))

    def pose(self, frame_size: tuple[int, int], source: str) -> PoseSequence:
        """The keypoints as received, frame by frame (the last ``max_frames``);
        ``frame_size`` is the picture's ``(width, height)`` in pixels."""
        times = [t for t, _ in self._frames]
        frames = [p for _, p in self._frames]
        width, height = frame_size
        return stack_frames(times, frames, width=width, height=height, source=source)
