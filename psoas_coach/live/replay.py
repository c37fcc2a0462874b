"""Play a recorded keypoint sequence through the live analysis, frame by frame.

For the agreement with the offline analysis (tests, ``scripts/benchmark_live.py``) and for
trying the coach on keypoint CSVs: no images, no estimator.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.live.analyzer import CoachSettings, LiveAnalyzer
from psoas_coach.live.events import Event
from psoas_coach.live.recorder import LiveAnalysis
from psoas_coach.pose.backend import FramePose
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
) -> tuple[list[Event], LiveAnalysis]:
    """Every event of ``pose`` played through a fresh live analysis, and the set's analysis."""
    analyzer = analyzer_for(pose, config, coach)
    events: list[Event] = []
    for time_s, frame in frames_of(pose):
        events += analyzer.update(time_s, frame)
    events += analyzer.finish()
    return events, analyzer.analysis()
