"""The analysis of one recording, end to end: keypoints in, :class:`Analysis` out.

source → pose → kinematics (clean-up, angles) → reps (per-frame engine) → faults → report.
Video decoding and pose estimation happen before this (``psoas_coach.pose.video_pose``);
writing files after it (``psoas_coach.report``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from psoas_coach import __version__
from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import NoPersonError, PostureError
from psoas_coach.faults.base import fault_codes
from psoas_coach.kinematics.angles import Kinematics, compute_kinematics, thigh_length_px
from psoas_coach.kinematics.cleanup import clean_pose, noise_px
from psoas_coach.kinematics.posture import assess_posture
from psoas_coach.pose.landmarks import NUM_LANDMARKS, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence
from psoas_coach.report.model import Report, summarize
from psoas_coach.reps.engine import RepEngine
from psoas_coach.reps.trust import figure_words
from psoas_coach.reps.types import Rep

#: Below this share of frames with a person, the report warns.
FOUND_WARN_SHARE = 0.95
#: Left/right hips farther apart than this many thigh lengths: not a side view.
SIDE_VIEW_MAX_HIP_SPREAD = 0.6
#: The report's warning for a recording that fails the side-view check.
SIDE_VIEW_WARNING = "the camera does not seem to film from the side: place it level with the hips"
#: Below these shares of frames with the person, or with the near leg seen among them, or
#: above this frame-to-frame jitter (thigh lengths), a recording is not assessable.
MIN_FOUND_SHARE = 0.5
MIN_LEG_SEEN_SHARE = 0.5
MAX_JITTER_THIGH = 0.12


@dataclass(frozen=True)
class Analysis:
    """Everything the analysis of one recording produced.

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


def analyze_pose(
    pose: PoseSequence,
    config: AnalysisConfig | None = None,
    *,
    extra_warnings: list[str] | None = None,
) -> Analysis:
    """Analyse a recording's keypoints.

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
    cleaned = clean_pose(pose, config, thigh)
    warnings += cleaned.identity.warnings
    kin = compute_kinematics(
        cleaned.pose, thigh, seen=cleaned.seen, identity=cleaned.identity.confidence
    )
    quality = quality_figures(
        found,
        cleaned.seen,
        cleaned.identity.near_side,
        noise_px(pose) / thigh,
        cleaned.identity.confidence,
    )
    assessable = not not_assessable_reason(quality)
    reps = run_engine(kin, config, warnings.append, max_fps=pose.fps) if assessable else []
    report = build_report(
        source=name,
        fps=pose.fps,
        duration_s=pose.duration_s,
        reps=reps,
        warnings=warnings,
        config=config,
        quality=quality,
    )
    return Analysis(cleaned.pose, kin, report, keypoints)


def build_report(
    *,
    source: str,
    fps: float,
    duration_s: float,
    reps: list[Rep],
    warnings: list[str],
    config: AnalysisConfig,
    quality: dict[str, float],
) -> Report:
    """The report of a set (docs/report.md), from ``psoas analyze`` and from a live set alike.

    ``quality`` (:func:`quality_figures`) decides whether the set is assessable; one that is
    not keeps no repetitions. Warnings are completed with the share of frames without the
    person (first) and one line per figure some repetitions could not measure.
    """
    reason = not_assessable_reason(quality)
    kept = [] if reason else list(reps)
    found = quality["person_found"]
    presence = [] if found >= FOUND_WARN_SHARE else [_absent_warning(found)]
    return Report(
        source=source,
        fps=fps,
        duration_s=duration_s,
        reps=kept,
        summary=summarize(kept, fault_codes()).to_dict(),
        warnings=[*presence, *warnings, *unmeasured_warnings(kept)],
        config=config.to_dict(),
        person_found_share=found,
        analysis_version=__version__,
        assessable=not reason,
        not_assessable_reason=reason,
        quality=quality,
    )


def quality_figures(
    found: BoolArray,
    seen: dict[str, BoolArray],
    near_side: str,
    jitter_thigh: float,
    identity: FloatArray,
) -> dict[str, float]:
    """Figures of how well the pose estimator followed the athlete (shares in [0, 1]).

    ``person_found``: frames with a person (``found`` ``(F,)``); ``near_leg_seen`` /
    ``far_leg_seen``: frames with a person where the leg facing the camera / the other leg
    was seen (``seen``, per side ``(F,)``); ``jitter_thigh``: the landmarks' frame-to-frame
    noise in thigh lengths; ``side_sure``: the median confidence in the leg labels
    (``identity`` ``(F,)``); ``near_side``: 0 left, 1 right.
    """
    far = "right" if near_side == "left" else "left"

    def share(mask: BoolArray) -> float:
        return float(mask[found].mean()) if found.any() else 0.0

    return {
        "person_found": float(found.mean()) if found.size else 0.0,
        "near_leg_seen": share(seen[near_side]),
        "far_leg_seen": share(seen[far]),
        "jitter_thigh": float(jitter_thigh) if np.isfinite(jitter_thigh) else 0.0,
        "side_sure": float(np.median(identity[found])) if found.any() else 0.0,
        "near_side": float(near_side == "right"),
    }


def not_assessable_reason(quality: dict[str, float]) -> str:
    """Why the pose is too poor to judge the set, in words for a coach ("" when it is fine)."""
    if quality["person_found"] < MIN_FOUND_SHARE:
        return f"the athlete was found in only {100 * quality['person_found']:.0f} % of the frames"
    if quality["near_leg_seen"] < MIN_LEG_SEEN_SHARE:
        hidden = 100 * (1 - quality["near_leg_seen"])
        return f"the legs were hidden or out of the picture in {hidden:.0f} % of the frames"
    if quality["jitter_thigh"] > MAX_JITTER_THIGH:
        return (
            f"the keypoints jump by {100 * quality['jitter_thigh']:.0f} % of a thigh length from "
            "frame to frame (too dark, blurred, small or shaky a picture)"
        )
    return ""


def unmeasured_warnings(reps: list[Rep]) -> list[str]:
    """One warning per figure that some reps could not measure, naming the reps."""
    by_figure: dict[str, list[int]] = {}
    for rep in reps:
        for name in rep.not_measured:
            by_figure.setdefault(name, []).append(rep.index)
    return [
        f"{figure_words(name)} not measured on rep"
        f"{'s' if len(ix) > 1 else ''} {', '.join(f'#{i}' for i in ix)} (the leg was hidden; "
        "see the rep's notes)"
        for name, ix in by_figure.items()
    ]


def run_engine(
    kin: Kinematics,
    config: AnalysisConfig,
    warn: Callable[[str], None] | None = None,
    *,
    max_fps: float = 60.0,
) -> list[Rep]:
    """Feed every frame of ``kin`` to a fresh :class:`RepEngine`; the repetitions found."""
    engine = RepEngine(config, max_fps=max(120.0, 1.5 * max_fps), on_warning=warn)
    for i in range(len(kin)):
        engine.update_frame(kin, i)
    engine.finish()
    return list(engine.reps)


def _absent_warning(found_share: float) -> str:
    return f"person not found in {100 * (1 - found_share):.0f} % of frames"


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
    frames = np.asarray(xy).reshape(-1, NUM_LANDMARKS, 2)
    spread = np.linalg.norm(
        frames[:, joint("left", "hip")] - frames[:, joint("right", "hip")], axis=-1
    )
    spread = spread[np.isfinite(spread)]
    return not (spread.size and float(np.median(spread)) > SIDE_VIEW_MAX_HIP_SPREAD * thigh_px)


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
