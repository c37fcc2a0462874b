"""Joint angles and pelvis height per frame (docs/definitions.md section 3.2).

Knee angle: interior angle hip-knee-ankle; hip angle: interior angle shoulder-hip-knee; both in
degrees. Pelvis height: distance of the hip midpoint above the shoulder-to-floor line, in thigh
lengths (positive = the pelvis is higher than the trunk line through the shoulders).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence

#: Seconds over which the body's scale is measured, from the first frame where it can be: the
#: thigh length (:func:`thigh_length_px`) and the automatic smoothing cut-off
#: (``cleanup.settled_cutoff_hz``). Live they are known, and kept, from then on; offline
#: uses the same frames, so both analyses use the same values.
SCALE_WINDOW_S = 10.0


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
        seen: ``{"left": (F,), "right": (F,)}`` True where the leg itself was seen (its angle
            not bridged over a gap or over frames where it was drawn on the other leg).
        identity: ``(F,)`` probability that the frame's leg labels are the athlete's own.
    """

    time_s: FloatArray
    knee_deg: dict[str, FloatArray]
    hip_deg: dict[str, FloatArray]
    pelvis_height_thigh: FloatArray
    valid: BoolArray
    thigh_px: float
    seen: dict[str, BoolArray]
    identity: FloatArray

    def __len__(self) -> int:
        return int(self.time_s.size)

    def at(self, i: int) -> tuple[float, dict[str, float], dict[str, float], float]:
        """Frame ``i``: time (s), knee and hip angles per side (deg), pelvis height (thighs)."""
        return (
            float(self.time_s[i]),
            {s: float(self.knee_deg[s][i]) for s in SIDES},
            {s: float(self.hip_deg[s][i]) for s in SIDES},
            float(self.pelvis_height_thigh[i]),
        )

    @classmethod
    def concat(cls, parts: list[Kinematics], thigh_px: float) -> Kinematics:
        """``parts`` joined in order (e.g. the batches a live set released), normalised by
        ``thigh_px``; an empty list gives no frames."""

        def join(arrays: list[np.ndarray], dtype: type) -> np.ndarray:  # type: ignore[type-arg]
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)

        def per_side(name: str, dtype: type) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
            return {s: join([getattr(p, name)[s] for p in parts], dtype) for s in SIDES}

        return cls(
            time_s=join([p.time_s for p in parts], np.float64),
            knee_deg=per_side("knee_deg", np.float64),
            hip_deg=per_side("hip_deg", np.float64),
            pelvis_height_thigh=join([p.pelvis_height_thigh for p in parts], np.float64),
            valid=join([p.valid for p in parts], np.bool_),
            thigh_px=thigh_px,
            seen=per_side("seen", np.bool_),
            identity=join([p.identity for p in parts], np.float64),
        )

    def select(self, mask: BoolArray) -> Kinematics:
        """The frames where ``mask`` ``(F,)`` is True."""
        return Kinematics(
            time_s=self.time_s[mask],
            knee_deg={s: self.knee_deg[s][mask] for s in SIDES},
            hip_deg={s: self.hip_deg[s][mask] for s in SIDES},
            pelvis_height_thigh=self.pelvis_height_thigh[mask],
            valid=self.valid[mask],
            thigh_px=self.thigh_px,
            seen={s: self.seen[s][mask] for s in SIDES},
            identity=self.identity[mask],
        )


def interior_angle(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Angle a-b-c at ``b`` in degrees, for ``(..., 2)`` point arrays; NaN where undefined."""
    u = a - b
    v = c - b
    ux, uy, vx, vy = u[..., 0], u[..., 1], v[..., 0], v[..., 1]
    # np.linalg.norm and np.sum over a length-2 axis, spelled out (same operations, in order)
    nu = np.sqrt(ux * ux + uy * uy)
    nv = np.sqrt(vx * vx + vy * vy)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (ux * vx + uy * vy) / (nu * nv)
    clipped = np.minimum(np.maximum(cos, -1.0), 1.0)  # np.clip's values, NaN kept
    return np.asarray(np.degrees(np.arccos(clipped)), dtype=np.float64)


def knee_angle(pose: PoseSequence, side: str) -> FloatArray:
    """``(F,)`` interior hip-knee-ankle angle of ``side`` in degrees."""
    xy = pose.xy
    return interior_angle(
        xy[:, joint(side, "hip")], xy[:, joint(side, "knee")], xy[:, joint(side, "ankle")]
    )


def hip_angle(pose: PoseSequence, side: str) -> FloatArray:
    """``(F,)`` interior shoulder-hip-knee angle of ``side`` in degrees."""
    xy = pose.xy
    return interior_angle(
        xy[:, joint(side, "shoulder")], xy[:, joint(side, "hip")], xy[:, joint(side, "knee")]
    )


def thigh_length_px(pose: PoseSequence, window_s: float | None = SCALE_WINDOW_S) -> float:
    """Robust thigh length (hip to knee) in pixels: the median over both legs of the frames up
    to ``window_s`` seconds after the first frame where one was measured (``None``: every
    frame). Live, the same median is known, and kept, once those seconds have passed
    (:class:`~psoas_coach.kinematics.scale.BodyScale`), so both analyses use one thigh length."""
    lengths = thigh_lengths(pose.xy)
    measured = np.isfinite(lengths).any(axis=1)
    if window_s is not None and measured.any():
        lengths = lengths[pose.time_s <= pose.time_s[np.argmax(measured)] + window_s]
    finite = lengths[np.isfinite(lengths)]
    return float(np.median(finite)) if finite.size else float("nan")


#: Both hips and both knees (left, right), as index arrays (every live frame asks).
_HIPS, _KNEES = (np.array([joint(s, p) for s in SIDES]) for p in ("hip", "knee"))


def thigh_lengths(xy: FloatArray) -> FloatArray:
    """``(F, 2)`` hip-to-knee distances in pixels of both legs (left, right) of ``xy``
    ``(F, 33, 2)`` (NaN where a point is missing)."""
    d = xy[:, _HIPS] - xy[:, _KNEES]  # (F, 2 sides, 2)
    dx, dy = d[..., 0], d[..., 1]
    return np.asarray(np.sqrt(dx * dx + dy * dy))  # np.linalg.norm over x/y, spelled out


def midpoint(pose: PoseSequence, name: str) -> FloatArray:
    """``(F, 2)`` mean of the left and right landmark ``name`` (either one if only one is seen)."""
    a, b = (pose.xy[:, joint(s, name)] for s in SIDES)
    return np.asarray(np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2)))


def trunk_axis(pose: PoseSequence) -> FloatArray:
    """Unit ``(2,)`` direction from the shoulders to the hips, the median over frames.

    Lying down, this is the floor's direction in the picture (camera roll included).
    """
    v = midpoint(pose, "hip") - midpoint(pose, "shoulder")
    v = v[np.isfinite(v).all(axis=1)]
    if v.size == 0:
        return np.array([1.0, 0.0])
    unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    axis = np.median(unit, axis=0)
    return np.asarray(axis / max(float(np.linalg.norm(axis)), 1e-9), dtype=np.float64)


def pelvis_height(
    pose: PoseSequence, thigh_px: float, axis: FloatArray | None = None
) -> FloatArray:
    """``(F,)`` height of the hip midpoint above the trunk line, in thigh lengths.

    Measured relative to the shoulders along the floor's normal (pointing up in the picture);
    only changes matter, so the constant offset of the trunk's own thickness is irrelevant.
    ``axis`` is the floor's direction (default: :func:`trunk_axis` of ``pose`` itself; live,
    where ``pose`` holds a few frames, the running median of every frame so far).
    """
    axis = trunk_axis(pose) if axis is None else axis
    normal = np.array([axis[1], -axis[0]])
    if normal[1] > 0:
        normal = -normal
    rel = midpoint(pose, "hip") - midpoint(pose, "shoulder")
    if not thigh_px > 0:  # no thigh length known yet (or a body drawn as one point)
        return np.full(len(rel), np.nan)
    return np.asarray(rel @ normal / thigh_px, dtype=np.float64)


REQUIRED_JOINTS = ("shoulder", "hip", "knee", "ankle")
_NEEDED = [joint(s, j) for s in SIDES for j in REQUIRED_JOINTS]
#: The points a, b, c of the knee and the hip angle (the angle at b).
_ANGLE_PARTS = {"knee": ("hip", "knee", "ankle"), "hip": ("shoulder", "hip", "knee")}
#: Landmark indices of the four angles :func:`compute_kinematics` measures in one pass (knee
#: left, knee right, hip left, hip right): their four a points, then the b, then the c.
_ANGLE_POINTS = [
    joint(side, parts[k]) for k in range(3) for parts in _ANGLE_PARTS.values() for side in SIDES
]


def compute_kinematics(
    pose: PoseSequence,
    thigh_px: float,
    *,
    seen: dict[str, BoolArray] | None = None,
    identity: FloatArray | None = None,
    axis: FloatArray | None = None,
) -> Kinematics:
    """Angles of both legs, pelvis height and the valid-frame mask of a cleaned sequence.

    ``seen`` and ``identity`` come from clean-up (default: every leg seen, labels sure);
    ``axis`` is the floor's direction for the pelvis height (see :func:`pelvis_height`).
    """
    valid = np.isfinite(pose.xy[:, _NEEDED]).all(axis=(1, 2))
    n = len(pose)
    points = pose.xy[:, _ANGLE_POINTS]  # (F, 12, 2): a, b and c of the four angles
    angles = interior_angle(points[:, 0:4], points[:, 4:8], points[:, 8:12]).T.copy()  # (4, F)
    knee, hip = ({s: angles[2 * i + k] for k, s in enumerate(SIDES)} for i in (0, 1))
    return Kinematics(
        time_s=pose.time_s,
        knee_deg=knee,
        hip_deg=hip,
        pelvis_height_thigh=pelvis_height(pose, thigh_px, axis),
        valid=np.asarray(valid),
        thigh_px=thigh_px,
        seen=seen if seen is not None else {s: np.ones(n, dtype=bool) for s in SIDES},
        identity=identity if identity is not None else np.ones(n),
    )


#: One frame's point ``[x, y]`` in pixels (a row of ``ndarray.tolist()``).
Point = Sequence[float]
_MISSING: Point = (math.nan, math.nan)
_HIP_PAIR, _SHOULDER_PAIR = ([joint(s, p) for s in SIDES] for p in ("hip", "shoulder"))


def frame_kinematics(
    time_s: float, xy: FloatArray, thigh_px: float, axis: FloatArray
) -> Kinematics:
    """:func:`compute_kinematics` of one frame ``xy`` ``(33, 2)`` pixels at ``time_s`` s as a
    one-frame sequence (``axis`` the floor's direction), the same values bit for bit: the
    arithmetic on floats in the same order, arccos, degrees and the pelvis height's product
    by numpy as there (the live fast tier asks every frame)."""
    # PoseSequence.from_arrays: a point with a coordinate not finite is missing
    points = [p if math.isfinite(p[0]) and math.isfinite(p[1]) else _MISSING for p in xy.tolist()]
    valid = all(math.isfinite(points[k][0]) for k in _NEEDED)
    corners = [points[k] for k in _ANGLE_POINTS]  # a, b and c of the four angles
    cosines = [_frame_cosine(corners[i], corners[4 + i], corners[8 + i]) for i in range(4)]
    clipped = np.minimum(np.maximum(np.array(cosines), -1.0), 1.0)
    angles = np.asarray(np.degrees(np.arccos(clipped)), dtype=np.float64).reshape(4, 1)
    knee, hip = ({s: angles[2 * i + k] for k, s in enumerate(SIDES)} for i in (0, 1))
    return Kinematics(
        time_s=np.array([time_s]),
        knee_deg=knee,
        hip_deg=hip,
        pelvis_height_thigh=_frame_pelvis_height(points, thigh_px, axis),
        valid=np.array([valid]),
        thigh_px=thigh_px,
        seen={s: np.ones(1, dtype=bool) for s in SIDES},
        identity=np.ones(1),
    )


def _frame_cosine(a: Point, b: Point, c: Point) -> float:
    """:func:`interior_angle`'s cosine of one angle a-b-c (at ``b``), on floats."""
    ux, uy, vx, vy = a[0] - b[0], a[1] - b[1], c[0] - b[0], c[1] - b[1]
    nu = math.sqrt(ux * ux + uy * uy)
    nv = math.sqrt(vx * vx + vy * vy)
    num, den = ux * vx + uy * vy, nu * nv
    if den == 0.0:  # Python raises: numpy's quotient (an infinity or its NaN)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.float64(num) / den)
    return num / den


def _frame_midpoint(points: list[Point], pair: list[int]) -> tuple[float, float]:
    """:func:`midpoint` of one frame's points (missing ones NaN)."""
    a, b = points[pair[0]], points[pair[1]]
    return _mid(a[0], b[0]), _mid(a[1], b[1])


def _mid(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else (a + b) / 2


def _frame_pelvis_height(points: list[Point], thigh_px: float, axis: FloatArray) -> FloatArray:
    """:func:`pelvis_height` of one frame, ``(1,)``."""
    normal = np.array([axis[1], -axis[0]])
    if normal[1] > 0:
        normal = -normal
    hip, shoulder = _frame_midpoint(points, _HIP_PAIR), _frame_midpoint(points, _SHOULDER_PAIR)
    if not thigh_px > 0:
        return np.full(1, np.nan)
    rel = np.array([[hip[0] - shoulder[0], hip[1] - shoulder[1]]])
    return np.asarray(rel @ normal / thigh_px, dtype=np.float64)
