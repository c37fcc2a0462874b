"""Is the athlete lying down? Trunk orientation per frame, and standing vs sitting.

Lying on the back filmed from the side, the shoulder-to-hip line is close to horizontal in the
picture (camera roll of a few degrees included); standing or sitting, it is close to vertical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.kinematics.angles import hip_angle, knee_angle, midpoint
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence

#: Trunk lines steeper than this (degrees from horizontal) are upright, not lying.
UPRIGHT_DEG = 50.0


@dataclass(frozen=True)
class Posture:
    """Shares of the frames with a visible trunk (0-1) and a verdict.

    Attributes:
        lying_share: frames where the trunk is near horizontal.
        upright: ``(F,)`` frames where the trunk is near vertical.
        verdict: ``"lying"``, ``"standing"``, ``"sitting"``, ``"upright"`` (legs never seen)
            or ``"unknown"`` (no trunk seen).
    """

    lying_share: float
    upright: BoolArray
    verdict: str


def trunk_tilt_deg(pose: PoseSequence) -> FloatArray:
    """``(F,)`` angle of the shoulder-to-hip line from the picture's horizontal, degrees."""
    v = midpoint(pose, "hip") - midpoint(pose, "shoulder")
    return np.asarray(np.degrees(np.arctan2(np.abs(v[:, 1]), np.abs(v[:, 0]))))


def assess_posture(pose: PoseSequence) -> Posture:
    """Classify the recording: lying, standing or sitting (by the majority of frames); ``upright``
    when upright with the legs never seen, ``unknown`` when the trunk is never seen."""
    tilt = trunk_tilt_deg(pose)
    seen = np.isfinite(tilt)
    if not seen.any():
        return Posture(0.0, np.zeros(len(pose), dtype=bool), "unknown")
    upright = seen & (tilt > UPRIGHT_DEG)
    lying_share = float(np.mean(~upright[seen]))
    if lying_share >= 0.5:
        return Posture(lying_share, upright, "lying")
    angles = [f(pose, s)[upright] for s in SIDES for f in (knee_angle, hip_angle)]
    straight = [float(np.median(a[np.isfinite(a)])) for a in angles if np.isfinite(a).any()]
    if not straight:  # upright, legs never in view: standing or sitting cannot be told
        return Posture(lying_share, upright, "upright")
    verdict = "standing" if min(straight) > 140 else "sitting"
    return Posture(lying_share, upright, verdict)
