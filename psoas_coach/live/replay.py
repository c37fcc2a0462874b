"""Play a recorded keypoint sequence through the live analysis, frame by frame.

For the agreement with the offline analysis (tests, ``scripts/benchmark_live.py``) and for
trying the coach on keypoint CSVs: no images, no estimator. :func:`pose_messages` turns a
recording into the ``pose`` messages a browser running BlazePose sends, and
:func:`session_report` gives the report a server's live session gives for them (the clients
of the tests and of the load benchmark).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis
from psoas_coach.live.analyzer import CoachSettings, LiveAnalyzer
from psoas_coach.live.events import Event
from psoas_coach.live.protocol import PoseMessage, decode_text, encode_pose
from psoas_coach.live.session import LiveSession
from psoas_coach.pose.backend import FramePose, PoseBackend, stack_frames, to_normalized
from psoas_coach.pose.types import PoseSequence


def frames_of(pose: PoseSequence) -> Iterator[tuple[float, FramePose | None]]:
    """``(time_s, frame)`` per frame of ``pose``; ``None`` where nobody was found."""
    for i in range(len(pose)):
        xy = pose.xy[i]
        frame = None if np.isnan(xy).all() else FramePose(xy, pose.z[i], pose.visibility[i])
        yield float(pose.time_s[i]), frame


def analyzer_for(
    pose: PoseSequence, config: AnalysisConfig | None = None, coach: CoachSettings | None = None
) -> LiveAnalyzer:
    """A :class:`LiveAnalyzer` sized for ``pose`` (its frame size, rate and name)."""
    return LiveAnalyzer(
        config,
        coach=coach,
        frame_size=(pose.width, pose.height),
        fps=pose.fps,
        source=pose.source or "replay",
    )


def replay(
    pose: PoseSequence, config: AnalysisConfig | None = None, coach: CoachSettings | None = None
) -> tuple[list[Event], Analysis]:
    """Every event of ``pose`` played through a fresh live analysis, and the set's analysis."""
    analyzer = analyzer_for(pose, config, coach)
    events: list[Event] = []
    for time_s, frame in frames_of(pose):
        events += analyzer.update(time_s, frame)
    events += analyzer.finish()
    return events, analyzer.analysis()


def pose_messages(pose: PoseSequence, *, fps: float = 30.0) -> list[str]:
    """``pose``'s frames, thinned to about ``fps`` frames a second (a frame is kept once 90 %
    of a period has passed since the last one kept: recordings' times jitter), as ``pose``
    messages (JSON text) for a ``pose.width`` x ``pose.height`` picture (both must be known)."""
    size = (pose.width, pose.height)
    if min(size) <= 0:
        raise ValueError(f"pose_messages: {pose.source or 'the recording'} has no frame size")
    messages: list[str] = []
    last = -np.inf
    for time_s, frame in frames_of(pose):
        if time_s - last < 0.9 / fps:
            continue
        last = time_s
        rows = None if frame is None else to_normalized(frame, *size)
        messages.append(encode_pose(time_s, size, rows))
    return messages


def decoded_pose(messages: list[str], source: str = "") -> PoseSequence:
    """The keypoints ``messages`` carry, as the server decodes them (pixels)."""
    decoded = [decode_text(m) for m in messages]
    frames = [m for m in decoded if isinstance(m, PoseMessage)]
    width, height = frames[0].size if frames else (0, 0)
    return stack_frames(
        [m.time_s for m in frames],
        [m.pose for m in frames],
        width=width,
        height=height,
        source=source,
    )


def session_report(messages: list[str], config: AnalysisConfig | None = None) -> Analysis:
    """The analysis a server's live session gives for ``messages`` followed by ``end``: the
    same engine with the same settings, fed here (no frame rate limit)."""

    def no_estimator() -> PoseBackend:
        raise ValueError("session_report: pose messages need no pose estimator")

    session = LiveSession(
        config or AnalysisConfig(), CoachSettings(), no_estimator, max_frame_rate=1e12
    )
    for text in messages:
        message = decode_text(text)
        if isinstance(message, PoseMessage):
            session.keypoints(message)
    return session.end()[0]
