"""A 2D side-view body lying on the floor: segment lengths and the 33 BlazePose landmarks.

Body frame: metres, ``x`` along the floor from head towards feet, ``y`` up from the floor. The
shoulders are fixed; the hips sit one trunk length away and rise with the pelvis lift; the thigh
is placed so the interior shoulder-hip-knee angle equals the hip angle, the shank so the interior
hip-knee-ankle angle equals the knee angle. The angles measured on the landmarks are therefore the
clean angles exactly, whatever similarity transform (scale, roll, mirror, far-side parallax) maps
the body into the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.pose.landmarks import INDEX, NUM_LANDMARKS, SIDES
from psoas_coach.pose.types import FloatArray
from psoas_coach.synth.motion import Angles


@dataclass(frozen=True)
class Segments:
    """Segment lengths and resting heights of one body, metres."""

    head: float
    neck: float
    trunk: float
    upper_arm: float
    forearm: float
    hand: float
    thigh: float
    shank: float
    foot: float
    shoulder_height: float
    hip_height: float


def segments_for_height(height_m: float, rng: np.random.Generator) -> Segments:
    """Segment lengths from body height (Winter's proportions; children get bigger heads).

    Each segment varies by about ±3 % between individuals.
    """
    child = float(np.clip((1.6 - height_m) / 0.5, 0.0, 1.0))
    legs = 1.0 - 0.06 * child

    def seg(share: float) -> float:
        return float(share * height_m * rng.uniform(0.97, 1.03))

    return Segments(
        head=seg(0.13 * (1.0 + 0.3 * child)),
        neck=seg(0.05),
        trunk=seg(0.288 * (1.0 + 0.03 * child)),
        upper_arm=seg(0.186),
        forearm=seg(0.146),
        hand=seg(0.108),
        thigh=seg(0.245 * legs),
        shank=seg(0.246 * legs),
        foot=seg(0.13),
        shoulder_height=seg(0.06),
        hip_height=seg(0.055),
    )


def rotate(v: FloatArray, deg: FloatArray | float) -> FloatArray:
    """Rotate ``(..., 2)`` vectors counter-clockwise (``y`` up) by ``deg`` (broadcast), degrees."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.stack([v[..., 0] * c - v[..., 1] * s, v[..., 0] * s + v[..., 1] * c], axis=-1)


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True), dtype=np.float64)


def _leg(
    seg: Segments, hip: FloatArray, trunk_dir: FloatArray, hip_deg: FloatArray, knee_deg: FloatArray
) -> dict[str, FloatArray]:
    """Knee, ankle, heel and toe ``(F, 2)`` of one leg from its hip angle and knee angle."""
    thigh_dir = rotate(-trunk_dir, -hip_deg)
    knee = hip + seg.thigh * thigh_dir
    shank_dir = rotate(-thigh_dir, knee_deg)
    ankle = knee + seg.shank * shank_dir
    front = rotate(shank_dir, 90.0)
    return {
        "knee": knee,
        "ankle": ankle,
        "heel": ankle + seg.foot * (0.22 * shank_dir - 0.28 * front),
        "foot_index": ankle + seg.foot * (0.18 * shank_dir + 0.75 * front),
    }


def _arm(seg: Segments, shoulder: FloatArray) -> dict[str, FloatArray]:
    """Elbow, wrist and hand points: the arm rests on the floor beside the trunk."""
    drop = np.array([0.0, 0.02 * seg.trunk]) - np.array([0.0, seg.shoulder_height])
    elbow_dir = _unit(np.array([seg.upper_arm, 0.0]) + drop)
    elbow = shoulder + seg.upper_arm * elbow_dir
    wrist = elbow + seg.forearm * np.array([1.0, -0.02])
    return {
        "elbow": elbow,
        "wrist": wrist,
        "index": wrist + seg.hand * np.array([0.8, 0.06]),
        "pinky": wrist + seg.hand * np.array([0.7, -0.03]),
        "thumb": wrist + seg.hand * np.array([0.45, 0.1]),
    }


#: Head points as (part, towards the crown, towards the face), in head sizes from the ear.
_HEAD: tuple[tuple[str, float, float], ...] = (
    ("nose", 0.22, 0.55),
    ("eye_inner", 0.33, 0.47),
    ("eye", 0.36, 0.44),
    ("eye_outer", 0.37, 0.40),
    ("ear", 0.0, 0.0),
    ("mouth", -0.05, 0.45),
)


def _head(seg: Segments, shoulder: FloatArray, pitch_deg: float) -> dict[str, FloatArray]:
    ear = shoulder + np.array([-(seg.neck + 0.35 * seg.head), 0.25 * seg.head])
    axes = rotate(np.array([[-1.0, 0.0], [0.0, 1.0]]), pitch_deg)
    return {name: ear + seg.head * (a * axes[0] + b * axes[1]) for name, a, b in _HEAD}


def _landmark_name(part: str, side: str) -> str:
    if part == "nose":
        return "nose"
    if part == "mouth":
        return f"mouth_{side}"
    return f"{side}_{part}"


def body_landmarks(ang: Angles, seg: Segments, head_pitch_deg: float = 0.0) -> FloatArray:
    """Landmarks of the lying body for every time of ``ang``.

    Returns:
        ``(F, 33, 2)`` body-frame positions in metres (``x`` towards the feet, ``y`` up); left and
        right landmarks coincide except for the legs, each posed by its own angles.
    """
    n = ang.time_s.shape[0]
    out = np.zeros((n, NUM_LANDMARKS, 2), dtype=np.float64)
    shoulder = np.tile(np.array([0.0, seg.shoulder_height]), (n, 1))
    rise = seg.hip_height + ang.lift_thigh * seg.thigh - seg.shoulder_height
    along = np.sqrt(np.maximum(seg.trunk**2 - rise**2, 0.0))
    hip = shoulder + np.stack([along, rise], axis=-1)
    trunk_dir = _unit(hip - shoulder)
    fixed = _arm(seg, shoulder[0]) | _head(seg, shoulder[0], head_pitch_deg)
    for side in SIDES:
        parts = fixed | {"shoulder": shoulder, "hip": hip}
        parts |= _leg(seg, hip, trunk_dir, ang.hip[side], ang.knee[side])
        for part, xy in parts.items():
            out[:, INDEX[_landmark_name(part, side)]] = xy
    return out


def pelvis_rise(xy: FloatArray, up: FloatArray) -> FloatArray:
    """Hip-midpoint height minus shoulder-midpoint height along ``up``.

    Args:
        xy: ``(F, 33, 2)`` landmarks in any frame.
        up: ``(2,)`` unit vector perpendicular to the floor, pointing away from it, same frame.

    Returns:
        ``(F,)`` signed heights in the units of ``xy``.
    """
    hips = 0.5 * (xy[:, INDEX["left_hip"]] + xy[:, INDEX["right_hip"]])
    shoulders = 0.5 * (xy[:, INDEX["left_shoulder"]] + xy[:, INDEX["right_shoulder"]])
    return np.asarray((hips - shoulders) @ up, dtype=np.float64)
