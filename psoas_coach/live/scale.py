"""The body's size and orientation in the picture, learnt as a live set goes on.

Offline, the depth scale and the floor's direction (for the pelvis height) are medians over the
whole recording, the thigh length the median over its first
:data:`~psoas_coach.kinematics.angles.SCALE_WINDOW_S` seconds. Live, :class:`BodyScale` keeps
them as running medians of everything seen so far (the thigh length: until those seconds have
passed, then it is the offline one and stays, :attr:`BodyScale.thigh_final`; the settled tier
waits for it), and :meth:`BodyScale.kinematics` computes the
offline signals (:func:`~psoas_coach.kinematics.angles.compute_kinematics`) of live frames
with them.
"""

from __future__ import annotations

import numpy as np

from psoas_coach.kinematics.angles import (
    SCALE_WINDOW_S,
    Kinematics,
    compute_kinematics,
    midpoint,
    thigh_lengths,
)
from psoas_coach.kinematics.identity import depth_differences
from psoas_coach.live.buffers import RunningMedian
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence

#: Values kept by each running median (about ten minutes of frames at 30 fps, two per frame).
MEDIAN_CAPACITY = 36_000


class BodyScale:
    """Running estimates of the body's size and orientation in the picture.

    ``thigh_px``: median hip-knee length of both legs, pixels (raw frames, as offline: over
    the first ``window_s`` seconds from the first frame with one, then kept);
    ``z_scale``: median left/right depth difference (see ``kinematics.identity.depth_scale``);
    ``axis``: unit ``(2,)`` shoulder-to-hip direction, the median over the cleaned frames.
    """

    def __init__(
        self, capacity: int = MEDIAN_CAPACITY, *, window_s: float = SCALE_WINDOW_S
    ) -> None:
        self.window_s = window_s
        self._dz = RunningMedian(capacity)
        self._axis = (RunningMedian(capacity), RunningMedian(capacity))
        self.reset()

    def reset(self) -> None:
        """Forget every estimate."""
        for median in (self._dz, *self._axis):
            median.reset()
        self._lengths: list[float] = []
        self._thigh_from_s = float("nan")
        self._thigh = float("nan")
        self._thigh_done = False

    @property
    def thigh_px(self) -> float:
        """Thigh length in pixels (NaN before any leg was seen)."""
        return self._thigh

    @property
    def thigh_final(self) -> bool:
        """Whether :attr:`thigh_px` is the offline one and stays (its window is over)."""
        return self._thigh_done

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

    def add_raw(self, time_s: float, xy: FloatArray, z: FloatArray) -> None:
        """Learn from one raw frame at ``time_s`` (``xy`` ``(33, 2)`` pixels, ``z`` ``(33,)``)."""
        self._dz.extend(depth_differences(z[None]))
        lengths = thigh_lengths(xy[None])[0]
        lengths = lengths[np.isfinite(lengths)]
        if self._thigh_done or not lengths.size:
            return
        if np.isnan(self._thigh_from_s):
            self._thigh_from_s = time_s
        if time_s > self._thigh_from_s + self.window_s:
            self._thigh_done = True  # the window is over: the thigh length stays
            self._lengths = []
            return
        self._lengths += lengths.tolist()
        self._thigh = float(np.median(self._lengths))

    def add_clean(self, xy: FloatArray) -> None:
        """Learn the trunk direction from cleaned frames (``xy`` ``(N, 33, 2)`` pixels)."""
        pose = PoseSequence.from_arrays(np.arange(xy.shape[0], dtype=np.float64), xy)
        v = midpoint(pose, "hip") - midpoint(pose, "shoulder")
        v = v[np.isfinite(v).all(axis=1)]
        if v.size:
            unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
            for k, median in enumerate(self._axis):
                median.extend(unit[:, k])

    def kinematics(
        self,
        time_s: FloatArray,
        xy: FloatArray,
        *,
        seen: dict[str, BoolArray] | None = None,
        identity: FloatArray | None = None,
    ) -> Kinematics:
        """The signals of frames ``xy`` ``(N, 33, 2)`` pixels at ``time_s`` ``(N,)``, as
        offline, with the thigh length and floor direction learnt so far."""
        pose = PoseSequence.from_arrays(time_s, xy)
        return compute_kinematics(pose, self.thigh_px, seen=seen, identity=identity, axis=self.axis)
