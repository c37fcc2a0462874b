"""Synthetic analyses for the report tests: angle curves, reps and a matching pose, built in code.

Tests get them through the ``make_analysis`` fixture (the factory; plans are
``(side, start_s, hold_s, fault codes)`` tuples; no arguments gives the default four reps).

The athlete lies with the head to the left; shoulder-hip line horizontal. A rep raises the
working leg's knee angle from 90 to 170 degrees and the hip angle from 90 to 160 degrees over
``EXT_S``, holds ``hold_s`` and returns over ``EXT_S``; the other leg stays at 90/90.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis
from psoas_coach.faults.base import cue_for, fault_codes
from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.pose.landmarks import NUM_LANDMARKS, SIDES, joint
from psoas_coach.pose.types import FloatArray, PoseSequence
from psoas_coach.report.model import Report, summarize
from psoas_coach.reps.types import Rep

FPS = 30.0
EXT_S = 1.2
THIGH_PX = 150.0
SHANK_PX = 150.0
HIP_XY = np.array([380.0, 330.0])
SHOULDER_XY = np.array([110.0, 330.0])


#: A planned rep: side, start time (s), hold (s), fault codes (cues come from the registry).
RepPlan = tuple[str, float, float, list[str]]
MakeAnalysis = Callable[..., Analysis]


DEFAULT_PLAN: tuple[RepPlan, ...] = (
    ("left", 1.0, 2.5, []),
    ("right", 7.0, 1.4, ["short_hold", "back_lift"]),
    ("left", 12.0, 2.2, []),
    ("right", 17.0, 3.6, ["long_hold"]),
)


def _profile(t: FloatArray, plan: RepPlan, lo: float, hi: float) -> FloatArray:
    """Trapezoid from ``lo`` to ``hi`` degrees: ramp, hold, ramp."""
    _, start_s, hold_s, _ = plan
    up = np.clip((t - start_s) / EXT_S, 0.0, 1.0)
    down = np.clip((t - start_s - EXT_S - hold_s) / EXT_S, 0.0, 1.0)
    return np.asarray(lo + (hi - lo) * (up - down), dtype=np.float64)


def _rep(index: int, plan: RepPlan) -> Rep:
    side, start_s, hold_s, faults = plan
    hold_start = start_s + 0.9 * EXT_S
    hold_end = start_s + EXT_S + hold_s + 0.1 * EXT_S
    return Rep(
        index=index,
        side=side,
        start_s=start_s + 0.1 * EXT_S,
        peak_s=start_s + EXT_S + hold_s / 2,
        end_s=hold_end + 0.8 * EXT_S,
        extension_s=0.8 * EXT_S,
        hold_s=hold_end - hold_start,
        knee_angle_peak_deg=170.0,
        hip_angle_peak_deg=160.0,
        faults=list(faults),
        cues=[cue_for(c) for c in faults],
        hold_start_s=hold_start,
        hold_end_s=hold_end,
    )


def leg_points(hip_deg: FloatArray, knee_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Knee and ankle ``(F, 2)`` pixel positions for hip/knee angles in degrees."""
    h, k = np.radians(hip_deg), np.radians(knee_deg)
    knee = HIP_XY + THIGH_PX * np.stack([-np.cos(h), -np.sin(h)], axis=-1)
    back = np.arctan2(HIP_XY[1] - knee[:, 1], HIP_XY[0] - knee[:, 0])
    ankle = knee + SHANK_PX * np.stack([np.cos(back - k), np.sin(back - k)], axis=-1)
    return knee, ankle


def make_pose(
    time_s: FloatArray, knee: dict[str, FloatArray], hip: dict[str, FloatArray], source: str
) -> PoseSequence:
    """A lying-down pose (640 x 480 pixels) whose legs follow the given angles."""
    xy = np.empty((time_s.size, NUM_LANDMARKS, 2))
    xy[:] = SHOULDER_XY + np.array([-60.0, -10.0])  # face landmarks near the head
    for side in SIDES:
        xy[:, joint(side, "shoulder")] = SHOULDER_XY
        xy[:, joint(side, "elbow")] = SHOULDER_XY + np.array([110.0, 15.0])
        xy[:, joint(side, "wrist")] = SHOULDER_XY + np.array([220.0, 15.0])
        xy[:, joint(side, "hip")] = HIP_XY
        knee_xy, ankle_xy = leg_points(hip[side], knee[side])
        xy[:, joint(side, "knee")] = knee_xy
        for name, offset in (("ankle", 0.0), ("heel", -12.0), ("foot_index", 25.0)):
            xy[:, joint(side, name)] = ankle_xy + np.array([offset, 10.0 if offset else 0.0])
    return PoseSequence.from_arrays(time_s, xy, width=640, height=480, source=source)


def build_analysis(
    plan: tuple[RepPlan, ...] = DEFAULT_PLAN,
    *,
    source: str = "session.mp4",
    duration_s: float = 24.0,
    warnings: list[str] | None = None,
) -> Analysis:
    """A complete analysis of the planned reps (times in seconds, 30 fps), built by hand."""
    t = np.arange(0.0, duration_s, 1.0 / FPS)
    knee = {s: np.full(t.size, 90.0) for s in SIDES}
    hip = {s: np.full(t.size, 90.0) for s in SIDES}
    for p in plan:
        knee[p[0]] = knee[p[0]] + _profile(t, p, 0.0, 80.0)
        hip[p[0]] = hip[p[0]] + _profile(t, p, 0.0, 70.0)
    reps = [_rep(i + 1, p) for i, p in enumerate(plan)]
    report = Report(
        source=source,
        fps=FPS,
        duration_s=duration_s,
        reps=reps,
        summary=summarize(reps, fault_codes()).to_dict(),
        warnings=list(warnings or []),
        config=AnalysisConfig().to_dict(),
        person_found_share=0.98,
        analysis_version="0.1.0",
    )
    kin = Kinematics(
        t,
        knee,
        hip,
        np.zeros(t.size),
        np.ones(t.size, dtype=bool),
        THIGH_PX,
        {s: np.ones(t.size, dtype=bool) for s in SIDES},
        np.ones(t.size),
    )
    pose = make_pose(t, knee, hip, source)
    return Analysis(pose, kin, report, keypoints=pose)


@pytest.fixture
def make_analysis() -> MakeAnalysis:
    """The :func:`build_analysis` factory, for other plans, names, durations or warnings."""
    return build_analysis
