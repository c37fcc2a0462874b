"""The one analysis engine: frames in with their timestamps, repetitions and a report out.

A frame enters with its low-visibility landmarks masked and its leg labels decided (offline by
the whole-clip leg-identity pass, live causally by the same model,
:mod:`psoas_coach.kinematics.identity`). :class:`AnalysisEngine` then

1. cleans the frames (:class:`~psoas_coach.kinematics.settled.SettledCleaner`: outliers, legs
   drawn on each other, gaps, zero-phase low-pass),
2. measures them (:func:`~psoas_coach.kinematics.angles.compute_kinematics`, the floor's
   direction from :class:`~psoas_coach.kinematics.scale.TrunkAxis`),
3. finds the repetitions and judges their faults (one
   :class:`~psoas_coach.reps.engine.RepEngine`, fed frame by frame),
4. records the cleaned frames for the plots, and
5. builds the report (:func:`psoas_coach.report.build.build_report`).

``psoas analyze`` runs it over a whole recording (``streaming=False``: every frame is kept and
cleaned at :meth:`AnalysisEngine.finish`, one window); a live set feeds it as frames arrive
(``streaming=True``: a frame is released once no frame still to come can change it). The
same object, the same steps and the same figures either way; only when a frame is final
differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.faults.judge import RULES
from psoas_coach.kinematics.angles import Kinematics, compute_kinematics
from psoas_coach.kinematics.filters import FilterFactory
from psoas_coach.kinematics.scale import MEDIAN_CAPACITY, TrunkAxis
from psoas_coach.kinematics.settled import SettledBatch, SettledCleaner
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence
from psoas_coach.report.build import build_report, not_assessable_reason, quality_figures
from psoas_coach.report.model import Report
from psoas_coach.reps.engine import RepEngine
from psoas_coach.reps.types import Rep

#: Cleaned frames a streaming engine keeps for the report (an hour at 60 fps); older ones drop.
MAX_RECORD_FRAMES = 216_000


@dataclass(frozen=True)
class Analysis:
    """Everything the analysis of one recording or live set produced.

    Attributes:
        pose: the cleaned keypoints (swaps corrected, gaps bridged, smoothed).
        kinematics: per-frame angles and pelvis height on ``pose``'s frames.
        report: the coach's report (docs/report.md).
        keypoints: the keypoints as read, estimated or received (all 33 landmarks, before
            any clean-up): what the keypoint CSV of the analysis holds.
    """

    pose: PoseSequence
    kinematics: Kinematics
    report: Report
    keypoints: PoseSequence = field(default_factory=PoseSequence.empty)


@dataclass(frozen=True)
class SetFacts:
    """What the caller knows about the whole set, for the report's header and quality.

    Attributes:
        source: the recording's or camera's name.
        fps: frame rate, frames per second.
        duration_s: seconds from the first frame to the last plus one frame period.
        near_side: the side facing the camera.
        jitter_thigh: the raw landmarks' frame-to-frame noise in thigh lengths.
        warnings: the set's warnings so far (the engine adds its own after them).
        keypoints: the keypoints as read, estimated or received.
        person_found: share of frames with the person (default: of the frames given).
    """

    source: str
    fps: float
    duration_s: float
    near_side: str
    jitter_thigh: float
    warnings: list[str]
    keypoints: PoseSequence = field(default_factory=PoseSequence.empty)
    person_found: float | None = None


class AnalysisEngine:
    """Clean-up, kinematics, repetitions and report of one set, fed frame by frame.

    Args:
        config: thresholds and clean-up settings.
        streaming: release frames as they become final (live); False: all at :meth:`finish`.
        lag_s: seconds of final frames that follow a frame before its release (streaming).
        max_fps: the highest frame rate expected (sizes the bounded buffers).
        max_frames: frames kept (offline: the recording's length; default: two minutes for
            the clean-up window, an hour for the record).
        joints: the landmarks cleaned and recorded (default: those every figure needs).
        smoother: the clean-up's low-pass (default: Butterworth at the configured or
            automatic cut-off).
    """

    def __init__(
        self,
        config: AnalysisConfig,
        *,
        streaming: bool = True,
        lag_s: float | None = None,
        max_fps: float = 60.0,
        max_frames: int | None = None,
        joints: list[int] | None = None,
        smoother: FilterFactory | None = None,
    ) -> None:
        self.config = config
        self._cleaner = SettledCleaner(
            config,
            lag_s=lag_s,
            max_fps=max_fps,
            smoother=smoother,
            joints=joints,
            streaming=streaming,
            max_frames=max_frames,
        )
        self._axis = TrunkAxis(max(max_frames or 0, MEDIAN_CAPACITY))
        self._record = SettledRecord(max_frames or MAX_RECORD_FRAMES, self._cleaner.joints)
        self._rep_fps = max(120.0, 1.5 * max_fps)
        self.reset()

    def reset(self) -> None:
        """Forget every frame and repetition."""
        self._cleaner.reset()
        self._axis.reset()
        self._record.reset()
        self.warnings: list[str] = []
        self._reps = RepEngine(
            self.config, max_fps=self._rep_fps, on_warning=self.warnings.append, judge=RULES
        )

    @property
    def reps(self) -> tuple[Rep, ...]:
        """Every repetition found so far, numbered in order."""
        return self._reps.reps

    @property
    def axis(self) -> FloatArray:
        """The floor's direction learnt from the cleaned frames so far, unit ``(2,)``."""
        return self._axis.value

    @property
    def fps(self) -> float:
        """Median frame rate of the frames kept, frames per second."""
        return self._cleaner.fps

    def raw_noise_px(self) -> float:
        """Frame-to-frame landmark noise of the frames kept, pixels (before clean-up)."""
        return self._cleaner.raw_noise_px()

    def update(
        self,
        time_s: float,
        xy: FloatArray,
        thigh_px: float,
        *,
        identity: float = 1.0,
        found: bool | None = None,
    ) -> list[Rep]:
        """Add one frame (``xy`` ``(33, 2)`` pixels, masked, leg labels decided; ``identity``
        the confidence in the labels; ``found``: the pose estimator found the person). The
        repetitions finished by the frames released now (``thigh_px``: the thigh length in
        pixels, NaN while unknown: nothing is released then)."""
        return self._measure(self._cleaner.update(time_s, xy, thigh_px, identity, found), thigh_px)

    def finish(self, thigh_px: float) -> list[Rep]:
        """Release every frame still held and end the last movement; the repetitions then
        finished."""
        reps = self._measure(self._cleaner.finish(thigh_px), thigh_px)
        return reps + self._reps.finish()

    def analysis(self, facts: SetFacts, thigh_px: float, reps: list[Rep] | None = None) -> Analysis:
        """The set's analysis (call after :meth:`finish`): the report of ``reps`` (default:
        every repetition found) with the recorded frames. The engine's own warnings (e.g. a
        movement abandoned) follow ``facts.warnings`` when the set is assessable."""
        pose, kinematics = self._record.pose_and_kinematics(thigh_px)
        found = self._record.found()
        quality = quality_figures(
            found, kinematics.seen, facts.near_side, facts.jitter_thigh, kinematics.identity
        )
        if facts.person_found is not None:
            quality["person_found"] = facts.person_found
        warnings = list(facts.warnings)
        if not not_assessable_reason(quality):
            warnings += self.warnings
        if self._record.dropped:
            warnings.append(f"the plot shows the last {self._record.max_frames} frames only")
        report = build_report(
            source=facts.source,
            fps=facts.fps,
            duration_s=facts.duration_s,
            reps=list(self.reps if reps is None else reps),
            warnings=warnings,
            config=self.config,
            quality=quality,
        )
        return Analysis(pose, kinematics, report, facts.keypoints)

    def _measure(self, batch: SettledBatch, thigh_px: float) -> list[Rep]:
        """Released frames into kinematics, the record and the repetition engine."""
        if len(batch) == 0:
            return []
        self._axis.add(batch.xy)
        kin = compute_kinematics(
            PoseSequence.from_arrays(batch.time_s, batch.xy),
            thigh_px,
            seen=batch.seen,
            identity=batch.identity,
            axis=self._axis.value,
        )
        self._record.add(batch.xy, kin, batch.found)
        return [rep for i in range(len(kin)) for rep in self._reps.update_frame(kin, i)]


class SettledRecord:
    """Bounded record of the released frames (``joints`` of their cleaned landmarks, their
    kinematics, and whether the person was found in each), for the report's plots and
    quality figures."""

    def __init__(self, max_frames: int, joints: list[int]) -> None:
        self.max_frames = max_frames
        self.joints = joints
        self.reset()

    def reset(self) -> None:
        """Forget every frame."""
        self._xy: list[FloatArray] = []
        self._kin: list[Kinematics] = []
        self._found: list[BoolArray] = []
        self._count = 0
        self.dropped = 0

    def add(self, xy: FloatArray, kin: Kinematics, found: BoolArray) -> None:
        """Keep a batch of frames (``xy`` ``(N, 33, 2)`` pixels), their kinematics and
        ``found`` ``(N,)``; the oldest batches drop beyond ``max_frames``."""
        self._xy.append(xy[:, self.joints])
        self._kin.append(kin)
        self._found.append(found)
        self._count += len(kin)
        while self._count - len(self._kin[0]) >= self.max_frames:
            self._count -= len(self._kin[0])
            self.dropped += len(self._kin[0])
            del self._xy[0], self._kin[0], self._found[0]

    def pose_and_kinematics(self, thigh_px: float) -> tuple[PoseSequence, Kinematics]:
        """The recorded frames as a pose (``joints`` filled) and their kinematics."""
        kinematics = Kinematics.concat(self._kin, thigh_px)
        xy = np.full((len(kinematics), NUM_LANDMARKS, 2), np.nan)
        if self._xy:
            xy[:, self.joints] = np.concatenate(self._xy)
        return PoseSequence.from_arrays(kinematics.time_s, xy), kinematics

    def found(self) -> BoolArray:
        """``(F,)`` True where the person was found, over the recorded frames."""
        return np.concatenate(self._found) if self._found else np.zeros(0, dtype=bool)
