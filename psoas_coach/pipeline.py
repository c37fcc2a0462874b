"""The analysis of one recording, end to end: keypoints in, :class:`Analysis` out.

source → pose → kinematics (clean-up, angles) → reps (per-frame engine) → faults → report.
Video decoding and pose estimation happen before this (``psoas_coach.pose.video_pose``);
writing files after it (``psoas_coach.report``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from psoas_coach import __version__
from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import NoPersonError, PostureError
from psoas_coach.faults.base import fault_codes
from psoas_coach.kinematics.angles import Kinematics, compute_kinematics, thigh_length_px
from psoas_coach.kinematics.cleanup import clean_pose
from psoas_coach.kinematics.posture import assess_posture
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import BoolArray, PoseSequence
from psoas_coach.report.model import Rep, Report, summarize
from psoas_coach.reps.engine import RepEngine

#: Below this share of frames with a person, the report warns.
FOUND_WARN_SHARE = 0.95
#: Left/right hips farther apart than this many thigh lengths: not a side view.
SIDE_VIEW_MAX_HIP_SPREAD = 0.6


@dataclass(frozen=True)
class Analysis:
    """Everything the analysis of one recording produced.

    Attributes:
        pose: the cleaned keypoints (swaps corrected, gaps bridged, smoothed).
        kinematics: per-frame angles and pelvis height on ``pose``'s frames.
        report: the coach's report (SPEC section 5).
    """

    pose: PoseSequence
    kinematics: Kinematics
    report: Report


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
    name = pose.source or "recording"
    warnings = list(extra_warnings or [])
    found = pose.detected
    if len(pose) == 0 or not found.any():
        raise NoPersonError(f"{name}: nobody found in the recording")
    warnings += _presence_warnings(found)
    pose = _drop_upright(pose, name, warnings)
    thigh = thigh_length_px(pose)
    if not np.isfinite(thigh) or thigh <= 0:
        raise NoPersonError(f"{name}: the athlete's legs are never in view (no hip and knee found)")
    warnings += _view_warnings(pose, thigh)
    cleaned = clean_pose(pose, config, thigh)
    kin = compute_kinematics(cleaned.pose, thigh)
    reps = run_engine(kin, config, warnings.append, max_fps=pose.fps)
    report = Report(
        source=name,
        fps=pose.fps,
        duration_s=pose.duration_s,
        reps=reps,
        summary=summarize(reps, fault_codes()).to_dict(),
        warnings=warnings,
        config=config.to_dict(),
        person_found_share=float(found.mean()),
        analysis_version=__version__,
    )
    return Analysis(cleaned.pose, kin, report)


def run_engine(
    kin: Kinematics,
    config: AnalysisConfig,
    warn: Callable[[str], None] | None = None,
    *,
    max_fps: float = 60.0,
) -> list[Rep]:
    """Feed every frame of ``kin`` to a fresh :class:`RepEngine`; the repetitions found."""
    engine = RepEngine(config, max_fps=max(120.0, 1.5 * max_fps), on_warning=warn)
    knee = {s: kin.knee_deg[s].tolist() for s in SIDES}
    hip = {s: kin.hip_deg[s].tolist() for s in SIDES}
    pelvis = kin.pelvis_height_thigh.tolist()
    reps: list[Rep] = []
    for i, t in enumerate(kin.time_s.tolist()):
        reps += engine.update(
            t, {s: knee[s][i] for s in SIDES}, {s: hip[s][i] for s in SIDES}, pelvis[i]
        )
    return reps + engine.finish()


def _presence_warnings(found: BoolArray) -> list[str]:
    share = float(found.mean())
    if share >= FOUND_WARN_SHARE:
        return []
    return [f"person not found in {100 * (1 - share):.0f} % of frames"]


def _drop_upright(pose: PoseSequence, name: str, warnings: list[str]) -> PoseSequence:
    posture = assess_posture(pose)
    if posture.verdict in ("standing", "sitting"):
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


def _view_warnings(pose: PoseSequence, thigh: float) -> list[str]:
    spread = np.linalg.norm(
        pose.xy[:, joint("left", "hip")] - pose.xy[:, joint("right", "hip")], axis=-1
    )
    spread = spread[np.isfinite(spread)]
    if spread.size and float(np.median(spread)) / thigh > SIDE_VIEW_MAX_HIP_SPREAD:
        return ["the camera does not seem to film from the side: place it level with the hips"]
    return []
