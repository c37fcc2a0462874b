"""Joint angles and pelvis height per frame (SPEC section 3).

Knee angle: interior angle hip-knee-ankle; hip angle: interior angle shoulder-hip-knee; both in
degrees. Pelvis height: distance of the hip midpoint above the shoulder-to-floor line, in thigh
lengths (positive = the pelvis is higher than the trunk line through the shoulders).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence


@dataclass(frozen=True)
class Kinematics:
    """Per-frame signals of a recording, all ``(F,)`` arrays on ``time_s``.

    Attributes:
        time_s: frame times in seconds.
        knee_deg: ``{"left": (F,), "right": (F,)}`` knee angles in degrees (NaN where unknown).
        hip_deg: ``{"left": (F,), "right": (F,)}`` hip angles in degrees (NaN where unknown).
        pelvis_height_thigh: hip-midpoint height above the trunk line, in thigh lengths.
        valid: True where the frame has every landmark the angles need.
        thigh_px: the thigh length used for normalising, in pixels.
    """

    time_s: FloatArray
    knee_deg: dict[str, FloatArray]
    hip_deg: dict[str, FloatArray]
    pelvis_height_thigh: FloatArray
    valid: BoolArray
    thigh_px: float


def interior_angle(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Angle a-b-c at ``b`` in degrees, for ``(..., 2)`` point arrays; NaN where undefined."""
    u = a - b
    v = c - b
    nu = np.linalg.norm(u, axis=-1)
    nv = np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / (nu * nv)
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def knee_angle(pose: PoseSequence, side: str) -> FloatArray:
    """``(F,)`` interior hip-knee-ankle angle of ``side`` in degrees."""
    xy = pose.xy
    return interior_angle(xy[:, joint(side, "hip")], xy[:, joint(side, "knee")], xy[:, joint(side, "ankle")])


def hip_angle(pose: PoseSequence, side: str) -> FloatArray:
    """``(F,)`` interior shoulder-hip-knee angle of ``side`` in degrees."""
    xy = pose.xy
    return interior_angle(
        xy[:, joint(side, "shoulder")], xy[:, joint(side, "hip")], xy[:, joint(side, "knee")]
    )


def thigh_length_px(pose: PoseSequence) -> float:
    """Robust thigh length (hip to knee) in pixels: the median over frames of both legs' mean."""
    lengths = [
        np.linalg.norm(pose.xy[:, joint(s, "hip")] - pose.xy[:, joint(s, "knee")], axis=-1)
        for s in SIDES
    ]
    per_frame = np.nanmean(np.stack(lengths), axis=0) if len(pose) else np.zeros(0)
    finite = per_frame[np.isfinite(per_frame)]
    return float(np.median(finite)) if finite.size else float("nan")
