"""The analysis of one recording, end to end: keypoints in, :class:`Analysis` out.

source → pose → kinematics (clean-up, angles) → reps (per-frame engine) → faults → report,
the last four by the one analysis engine (:mod:`psoas_coach.engine`) that live sets run too.
Video decoding and pose estimation happen before this (``psoas_coach.pose.video_pose``);
writing files after it (``psoas_coach.report``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis, AnalysisEngine, SetFacts
from psoas_coach.exceptions import NoPersonError, PostureError
from psoas_coach.kinematics.angles import thigh_length_px
from psoas_coach.kinematics.cleanup import labelled_pose, noise_px
from psoas_coach.kinematics.posture import assess_posture
from psoas_coach.kinematics.settled import ALL_JOINTS
from psoas_coach.pose.landmarks import NUM_LANDMARKS, joint
from psoas_coach.pose.types import FloatArray, PoseSequence

__all__ = ["Analysis", "analyze_pose", "filmed_from_side", "set_view_warnings", "view_warnings"]

#: Left/right hips farther apart than this many thigh lengths: not a side view.
SIDE_VIEW_MAX_HIP_SPREAD = 0.6
_LEFT_HIP, _RIGHT_HIP = joint("left", "hip"), joint("right", "hip")
#: The report's warning for a recording that fails the side-view check.
SIDE_VIEW_WARNING = "the camera does not seem to film from the side: place it level with the hips"


def analyze_pose(
    pose: PoseSequence,
    config: AnalysisConfig | None = None,
    *,
    extra_warnings: list[str] | None = None,
) -> Analysis:
    """Analyse a recording's keypoints: its whole-clip steps (upright frames dropped, the
    thigh length, the side-view check, leg identity decided over the whole clip), then the
    analysis engine (:class:`~psoas_coach.engine.AnalysisEngine`, the one a live set runs)
    fed every frame and finished: one window, the whole recording.

    Raises:
        NoPersonError: nobody is found in any frame.
        PostureError: the person is standing or sitting in most frames.
    """
    config = config or AnalysisConfig()
    keypoints = pose
    name = pose.source or "recording"
    warnings = list(extra_warnings or [])
    found = pose.detected
    if len(pose) == 0 or not found.any():
        raise NoPersonError(f"{name}: nobody found in the recording")
    pose = _drop_upright(pose, name, warnings)
    thigh = thigh_length_px(pose)
    if not np.isfinite(thigh) or thigh <= 0:
        raise NoPersonError(f"{name}: the athlete's legs are never in view (no hip and knee found)")
    warnings += view_warnings(pose, thigh)
    labelled, identity = labelled_pose(pose, config, thigh)
    warnings += identity.warnings
    engine = AnalysisEngine(
        config, streaming=False, max_fps=pose.fps, max_frames=len(pose), joints=ALL_JOINTS
    )
    for i, t in enumerate(labelled.time_s.tolist()):
        engine.update(t, labelled.xy[i], thigh, identity=identity.confidence[i], found=found[i])
    engine.finish(thigh)
    facts = SetFacts(
        source=name,
        fps=pose.fps,
        duration_s=pose.duration_s,
        near_side=identity.near_side,
        jitter_thigh=noise_px(pose) / thigh,
        warnings=warnings,
        keypoints=keypoints,
    )
    analysis = engine.analysis(facts, thigh)
    return replace(analysis, pose=labelled.with_xy(analysis.pose.xy))


def _drop_upright(pose: PoseSequence, name: str, warnings: list[str]) -> PoseSequence:
    posture = assess_posture(pose)
    if posture.verdict in ("standing", "sitting", "upright"):
        raise PostureError(
            f"{name}: athlete appears to be {posture.verdict}, not lying down "
            f"(upright in {100 * (1 - posture.lying_share):.0f} % of frames)"
        )
    if not posture.upright.any():
        return pose
    warnings.append(
        f"athlete upright (not lying down) in {100 * posture.upright.mean():.0f} % of frames; "
        "those frames are ignored"
    )
    xy = pose.xy.copy()
    xy[posture.upright] = np.nan
    return pose.with_xy(xy)


def filmed_from_side(xy: FloatArray, thigh_px: float) -> bool:
    """The side-view check of both offline and live analysis: False when the hips of ``xy``
    (one frame ``(33, 2)`` or frames ``(F, 33, 2)``, pixels) lie more than
    :data:`SIDE_VIEW_MAX_HIP_SPREAD` thigh lengths (``thigh_px`` pixels) apart, over frames
    their median; True when the hips or the thigh length are unknown."""
    frames = np.asarray(xy)
    if frames.shape == (NUM_LANDMARKS, 2):  # one frame (the live setup check, every frame)
        return _frame_filmed_from_side(frames, thigh_px)
    frames = frames.reshape(-1, NUM_LANDMARKS, 2)
    spread = np.linalg.norm(frames[:, _LEFT_HIP] - frames[:, _RIGHT_HIP], axis=-1)
    spread = spread[np.isfinite(spread)]
    return not (spread.size and float(np.median(spread)) > SIDE_VIEW_MAX_HIP_SPREAD * thigh_px)


def _frame_filmed_from_side(xy: FloatArray, thigh_px: float) -> bool:
    """:func:`filmed_from_side` of one frame ``(33, 2)`` on floats: the same verdict (the hip
    spread as ``np.linalg.norm`` computes it, the median of one value being that value)."""
    (lx, ly), (rx, ry) = xy[_LEFT_HIP].tolist(), xy[_RIGHT_HIP].tolist()
    dx, dy = lx - rx, ly - ry
    spread = math.sqrt(dx * dx + dy * dy)
    return not (math.isfinite(spread) and spread > SIDE_VIEW_MAX_HIP_SPREAD * thigh_px)


def view_warnings(pose: PoseSequence, thigh_px: float) -> list[str]:
    """The report's warning when ``pose`` (its frames with a person lying down) was not filmed
    from the side (:func:`filmed_from_side`); none otherwise."""
    return [] if filmed_from_side(pose.xy, thigh_px) else [SIDE_VIEW_WARNING]


def set_view_warnings(keypoints: PoseSequence) -> list[str]:
    """:func:`view_warnings` of a set's keypoints as :func:`analyze_pose` judges them (for a
    live set): on the frames where the athlete lies down, in the thigh length they show."""
    if len(keypoints) == 0:
        return []
    upright = assess_posture(keypoints).upright
    lying = keypoints.with_xy(np.where(upright[:, None, None], np.nan, keypoints.xy))
    return view_warnings(lying, thigh_length_px(lying))
