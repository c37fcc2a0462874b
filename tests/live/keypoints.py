"""Keypoint clients for the live tests: a recording as the ``pose`` messages a browser running
BlazePose sends, and the report the one live engine gives for those messages."""

from __future__ import annotations

from typing import Any

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.live.analyzer import CoachSettings
from psoas_coach.live.engine import mediapipe_backend
from psoas_coach.live.protocol import PoseMessage, decode_text, encode_pose
from psoas_coach.live.replay import frames_of
from psoas_coach.live.server import MAX_FPS
from psoas_coach.live.session import LiveSession
from psoas_coach.pose.backend import to_normalized
from psoas_coach.pose.types import PoseSequence


def pose_messages(pose: PoseSequence, *, fps: float = 30.0) -> list[str]:
    """``pose``'s frames at up to ``fps`` frames a second as ``pose`` messages."""
    size = (pose.width, pose.height)
    messages: list[str] = []
    last = -np.inf
    for time_s, frame in frames_of(pose):
        if time_s - last < 1.0 / fps - 1e-6:
            continue
        last = time_s
        rows = None if frame is None else to_normalized(frame, *size)
        messages.append(encode_pose(time_s, size, rows))
    return messages


def local_report(messages: list[str], config: AnalysisConfig | None = None) -> dict[str, Any]:
    """The report a server's live session gives for ``messages`` and an ``end``: the same
    engine and settings, fed here."""
    session = LiveSession(
        config or AnalysisConfig(),
        CoachSettings(),
        mediapipe_backend,
        fps=MAX_FPS,
        max_frame_rate=1e9,
    )
    for text in messages:
        message = decode_text(text)
        assert isinstance(message, PoseMessage)
        session.keypoints(message)
    analysis, _ = session.end()
    assert not session.server_pose
    return analysis.report.to_dict()
