"""The record of a live set, and its report: the same JSON and HTML as ``psoas analyze``.

:class:`SetRecorder` keeps the settled frames (cleaned landmarks and their kinematics, the
ones the repetition engine was fed) for the report's angle plot and quality figures;
:func:`build_analysis` turns them and the repetitions into a ``pipeline.Analysis``, the
type an offline analysis gives, through the one report builder
(:func:`psoas_coach.pipeline.build_report`); ``outputs.write_outputs`` writes its files as for
``psoas analyze``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.live.settled import SIGNAL_JOINTS
from psoas_coach.pipeline import Analysis, build_report, quality_figures, set_view_warnings
from psoas_coach.pose.backend import FramePose, stack_frames
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence
from psoas_coach.reps.types import Rep

#: Settled frames kept for the report (an hour at 60 fps); older ones are dropped.
MAX_RECORD_FRAMES = 216_000


class SetRecorder:
    """Bounded record of a set's settled frames (``SIGNAL_JOINTS``, kinematics, and whether
    the person was found in each)."""

    def __init__(self, max_frames: int = MAX_RECORD_FRAMES) -> None:
        self.max_frames = max_frames
        self.reset()

    def reset(self) -> None:
        """Forget the set."""
        self._raw: deque[tuple[float, FramePose | None]] = deque(maxlen=self.max_frames)
        self._xy: list[FloatArray] = []
        self._kin: list[Kinematics] = []
        self._found: list[BoolArray] = []
        self._count = 0
        self.dropped = 0

    def add_raw(self, time_s: float, pose: FramePose | None) -> None:
        """Keep a frame's keypoints as received (all 33 landmarks; ``None``: nobody found),
        for the set's keypoint CSV."""
        kept = (
            None
            if pose is None
            else FramePose(pose.xy.copy(), pose.z.copy(), pose.visibility.copy())
        )
        self._raw.append((time_s, kept))

    def raw_pose(self, frame_size: tuple[int, int], source: str) -> PoseSequence:
        """The keypoints as received, frame by frame (the last ``max_frames``)."""
        times = [t for t, _ in self._raw]
        frames = [p for _, p in self._raw]
        width, height = frame_size
        return stack_frames(times, frames, width=width, height=height, source=source)

    def add(self, xy: FloatArray, kin: Kinematics, found: BoolArray) -> None:
        """Keep a batch of settled frames (``xy`` ``(N, 33, 2)`` pixels), their kinematics
        and ``found`` ``(N,)``."""
        self._xy.append(xy[:, SIGNAL_JOINTS])
        self._kin.append(kin)
        self._found.append(found)
        self._count += len(kin)
        while self._count - len(self._kin[0]) >= self.max_frames:
            self._count -= len(self._kin[0])
            self.dropped += len(self._kin[0])
            del self._xy[0], self._kin[0], self._found[0]

    def pose_and_kinematics(self, thigh_px: float) -> tuple[PoseSequence, Kinematics]:
        """The recorded frames as a pose (``SIGNAL_JOINTS`` filled) and their kinematics."""
        kinematics = Kinematics.concat(self._kin, thigh_px)
        xy = np.full((len(kinematics), NUM_LANDMARKS, 2), np.nan)
        if self._xy:
            xy[:, SIGNAL_JOINTS] = np.concatenate(self._xy)
        return PoseSequence.from_arrays(kinematics.time_s, xy), kinematics

    def found(self) -> BoolArray:
        """``(F,)`` True where the person was found, over the recorded frames."""
        return np.concatenate(self._found) if self._found else np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class SetFacts:
    """What the analyzer knows about the whole set, for the report header and warnings.

    ``near_side``: the side facing the camera as learnt live; ``jitter_px``: the raw
    landmarks' frame-to-frame noise in pixels (``kinematics.cleanup.noise_px``);
    ``frame_size``: the picture's width and height in pixels (0 when unknown).
    """

    source: str
    fps: float
    first_s: float
    last_s: float
    frames: int
    frames_with_person: int
    warnings: list[str]
    near_side: str = "left"
    jitter_px: float = 0.0
    frame_size: tuple[int, int] = (0, 0)


def build_analysis(
    recorder: SetRecorder,
    reps: list[Rep],
    facts: SetFacts,
    config: AnalysisConfig,
    thigh_px: float,
) -> Analysis:
    """The set's report (docs/report.md) with the recorded frames for its plots and the
    keypoints as received; its warnings start with the side-view check offline analysis
    makes (``pipeline.set_view_warnings``)."""
    pose, kinematics = recorder.pose_and_kinematics(thigh_px)
    keypoints = recorder.raw_pose(facts.frame_size, facts.source)
    warnings = [*set_view_warnings(keypoints), *facts.warnings]
    if recorder.dropped:
        warnings.append(f"the plot shows the last {recorder.max_frames} frames of the set only")
    duration = facts.last_s - facts.first_s + 1.0 / facts.fps if facts.frames else 0.0
    found = recorder.found()
    quality = quality_figures(
        found,
        kinematics.seen,
        facts.near_side,
        facts.jitter_px / thigh_px if np.isfinite(thigh_px) and thigh_px > 0 else 0.0,
        kinematics.identity,
    )
    # Every frame counts for the share with a person, recorded or not (as offline).
    quality["person_found"] = facts.frames_with_person / facts.frames if facts.frames else 0.0
    report = build_report(
        source=facts.source,
        fps=facts.fps,
        duration_s=duration,
        reps=reps,
        warnings=warnings,
        config=config,
        quality=quality,
    )
    return Analysis(pose, kinematics, report, keypoints)
