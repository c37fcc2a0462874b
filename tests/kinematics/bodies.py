"""Poses built in code for the kinematics tests: the synthetic body of :mod:`psoas_coach.synth`
posed by given angles and placed in a picture, and a few hand-made joint layouts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from psoas_coach.pose.landmarks import NUM_LANDMARKS, SIDES, joint
from psoas_coach.pose.types import FloatArray, PoseSequence
from psoas_coach.synth.body import Segments, body_landmarks, rotate, segments_for_height
from psoas_coach.synth.motion import Angles

#: Pixels per metre of the placed body (a 1.7 m athlete's thigh is about 200 px).
PX_PER_M = 500.0
#: Picture position of the body frame's origin (the shoulders), pixels.
ORIGIN_PX = np.array([640.0, 360.0])


@dataclass(frozen=True)
class Body:
    """A posed body in the picture and its exact figures.

    Attributes:
        pose: the keypoints, pixels (visibility 1, no depth).
        thigh_px: exact thigh length in pixels.
        up_px: ``(2,)`` unit vector away from the floor, in the picture (``y`` down).
    """

    pose: PoseSequence
    thigh_px: float
    up_px: FloatArray


def segments() -> Segments:
    """The segment lengths of one 1.7 m body (fixed seed)."""
    return segments_for_height(1.70, np.random.default_rng(0))


def as_track(value: npt.ArrayLike, n: int) -> FloatArray:
    """``value`` (a number or an ``(n,)`` array) as an ``(n,)`` float track."""
    return np.asarray(np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)), dtype=np.float64)


def posed_body(
    time_s: FloatArray,
    *,
    knee_deg: Mapping[str, npt.ArrayLike] | None = None,
    hip_deg: Mapping[str, npt.ArrayLike] | None = None,
    lift_thigh: npt.ArrayLike = 0.0,
    head_dir: str = "left",
    roll_deg: float = 0.0,
    turn_deg: float = 0.0,
) -> Body:
    """The synthetic body with the given interior angles (default 90/90), placed in a picture.

    ``turn_deg`` turns the whole body in its own frame before placing it (``-90``: upright,
    head up, feet down); ``roll_deg`` turns the whole picture (a camera roll).
    """
    n = time_s.shape[0]
    knee = knee_deg or {}
    hip = hip_deg or {}
    angles = Angles(
        time_s=time_s,
        knee={s: as_track(knee.get(s, 90.0), n) for s in SIDES},
        hip={s: as_track(hip.get(s, 90.0), n) for s in SIDES},
        lift_thigh=as_track(lift_thigh, n),
    )
    seg = segments()
    metres = rotate(body_landmarks(angles, seg), turn_deg)
    flip = np.array([1.0 if head_dir == "left" else -1.0, -1.0])  # y up (body) -> y down
    xy = rotate(metres * flip, roll_deg)
    up = rotate(np.array([0.0, 1.0]) * flip, roll_deg)
    pose = PoseSequence.from_arrays(time_s, xy * PX_PER_M + ORIGIN_PX, width=1280, height=720)
    return Body(pose, seg.thigh * PX_PER_M, np.asarray(up, dtype=np.float64))


def frame_times(duration_s: float, fps: float = 30.0) -> FloatArray:
    """``(F,)`` evenly spaced frame times from 0, seconds."""
    return np.arange(int(round(duration_s * fps))) / fps


def joints_pose(points: Mapping[str, npt.ArrayLike], n_frames: int = 1) -> PoseSequence:
    """A pose with only the landmarks named in ``points`` (e.g. ``"left_knee"``) present.

    Each value is one ``(2,)`` pixel position for every frame or an ``(F, 2)`` track; every
    other landmark is missing.
    """
    xy = np.full((n_frames, NUM_LANDMARKS, 2), np.nan)
    for name, where in points.items():
        side, part = name.split("_", 1)
        xy[:, joint(side, part)] = np.broadcast_to(
            np.asarray(where, dtype=np.float64), (n_frames, 2)
        )
    return PoseSequence.from_arrays(np.arange(n_frames) / 30.0, xy)


def both_sides(points: Mapping[str, npt.ArrayLike]) -> dict[str, npt.ArrayLike]:
    """``{"hip": p}`` → ``{"left_hip": p, "right_hip": p}``."""
    return {f"{s}_{part}": p for part, p in points.items() for s in SIDES}
