"""Knee and hip angles and pelvis height of live frames, computed as the offline analysis does.

Angles come from :mod:`psoas_coach.kinematics.angles` itself (``knee_angle``, ``hip_angle``,
``midpoint``). The offline pelvis height measures against the trunk direction of the whole
recording; live, :class:`BodyScale` keeps that direction, the thigh length and the depth
scale as running medians of everything seen so far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.kinematics.angles import hip_angle, knee_angle, midpoint
from psoas_coach.kinematics.identity import depth_differences
from psoas_coach.live.buffers import RunningMedian
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import FloatArray, PoseSequence

#: Values kept by each running median (about ten minutes of frames at 30 fps, two per frame).
MEDIAN_CAPACITY = 36_000


@dataclass(frozen=True)
class Signals:
    """Per-frame signals on ``time_s`` ``(N,)`` seconds, as the repetition engine takes them.

    ``knee_deg`` / ``hip_deg``: ``{"left": (N,), "right": (N,)}`` degrees;
    ``pelvis_height_thigh``: ``(N,)`` thigh lengths. NaN where unknown.
    """

    time_s: FloatArray
    knee_deg: dict[str, FloatArray]
    hip_deg: dict[str, FloatArray]
    pelvis_height_thigh: FloatArray

    def frame(self, i: int) -> tuple[float, dict[str, float], dict[str, float], float]:
        """Frame ``i`` as ``RepEngine.update`` arguments: time, knee, hip, pelvis height."""
        return (
            float(self.time_s[i]),
            {s: float(self.knee_deg[s][i]) for s in SIDES},
            {s: float(self.hip_deg[s][i]) for s in SIDES},
            float(self.pelvis_height_thigh[i]),
        )


class BodyScale:
    """Running estimates of the body's size and orientation in the picture.

    ``thigh_px``: median hip-knee length of both legs, pixels (raw frames, as offline);
    ``z_scale``: median left/right depth difference (see ``kinematics.identity.depth_scale``);
    ``axis``: unit ``(2,)`` shoulder-to-hip direction, the median over the cleaned frames.
    """

    def __init__(self, capacity: int = MEDIAN_CAPACITY) -> None:
        self._thigh = RunningMedian(capacity)
        self._dz = RunningMedian(capacity)
        self._axis = (RunningMedian(capacity), RunningMedian(capacity))

    def reset(self) -> None:
        """Forget every estimate."""
        for median in (self._thigh, self._dz, *self._axis):
            median.reset()

    @property
    def thigh_px(self) -> float:
        """Thigh length in pixels (NaN before any leg was seen)."""
        return self._thigh.value

    @property
    def z_scale(self) -> float:
        """Typical left/right depth difference (1 while unknown, as offline)."""
        value = self._dz.value
        return value if np.isfinite(value) and value > 0 else 1.0

    @property
    def axis(self) -> FloatArray:
        """Unit shoulder-to-hip direction (picture x axis while unknown)."""
        a = np.array([m.value for m in self._axis])
        if not np.isfinite(a).all() or not np.linalg.norm(a) > 0:
            return np.array([1.0, 0.0])
        return np.asarray(a / np.linalg.norm(a), dtype=np.float64)

    def add_raw(self, xy: FloatArray, z: FloatArray) -> None:
        """Learn from one raw frame (``xy`` ``(33, 2)`` pixels, ``z`` ``(33,)``)."""
        lengths = [np.linalg.norm(xy[joint(s, "hip")] - xy[joint(s, "knee")]) for s in SIDES]
        self._thigh.extend(np.array(lengths))
        self._dz.extend(depth_differences(z[None]))

    def add_clean(self, xy: FloatArray) -> None:
        """Learn the trunk direction from cleaned frames (``xy`` ``(N, 33, 2)`` pixels)."""
        pose = PoseSequence.from_arrays(np.arange(xy.shape[0], dtype=np.float64), xy)
        v = midpoint(pose, "hip") - midpoint(pose, "shoulder")
        v = v[np.isfinite(v).all(axis=1)]
        if v.size:
            unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
            for k, median in enumerate(self._axis):
                median.extend(unit[:, k])


def compute_signals(time_s: FloatArray, xy: FloatArray, scale: BodyScale) -> Signals:
    """Angles and pelvis height of frames ``xy`` ``(N, 33, 2)`` pixels at ``time_s`` ``(N,)``."""
    pose = PoseSequence.from_arrays(np.arange(time_s.size, dtype=np.float64), xy)
    return Signals(
        time_s=time_s,
        knee_deg={s: knee_angle(pose, s) for s in SIDES},
        hip_deg={s: hip_angle(pose, s) for s in SIDES},
        pelvis_height_thigh=pelvis_height_on_axis(pose, scale.thigh_px, scale.axis),
    )


def pelvis_height_on_axis(pose: PoseSequence, thigh_px: float, axis: FloatArray) -> FloatArray:
    """``(F,)`` hip-midpoint height above the trunk line along ``axis``'s normal, thigh lengths.

    ``kinematics.angles.pelvis_height`` with the trunk direction given instead of taken from
    ``pose`` itself (live, ``pose`` holds a few frames; the direction is the running median).
    """
    normal = np.array([axis[1], -axis[0]])
    if normal[1] > 0:
        normal = -normal
    rel = midpoint(pose, "hip") - midpoint(pose, "shoulder")
    return np.asarray(rel @ normal / thigh_px, dtype=np.float64)
