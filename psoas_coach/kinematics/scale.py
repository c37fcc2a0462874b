"""The body's size and orientation in the picture, learnt as frames come.

Offline, the depth scale and the floor's direction (for the pelvis height) are medians over the
whole recording, the thigh length the median over its first
:data:`~psoas_coach.kinematics.angles.SCALE_WINDOW_S` seconds. Live, :class:`BodyScale` keeps
the thigh length and depth scale as running medians of everything seen so far (the thigh
length: until those seconds have passed, then it is the offline one and stays,
:attr:`BodyScale.thigh_final`; the settled tier waits for it), and :class:`TrunkAxis` the
floor's direction over the cleaned frames (the analysis engine's, ``psoas_coach.engine``: fed
a whole recording at once, it is the offline one).
"""

from __future__ import annotations

import bisect

import numpy as np

from psoas_coach.kinematics.angles import SCALE_WINDOW_S, midpoint, thigh_lengths
from psoas_coach.kinematics.buffers import RunningMedian
from psoas_coach.kinematics.identity import depth_differences
from psoas_coach.pose.types import FloatArray, PoseSequence

#: Values kept by each running median (about ten minutes of frames at 30 fps, two per frame).
MEDIAN_CAPACITY = 36_000


class BodyScale:
    """Running estimates of the body's size and orientation in the picture.

    ``thigh_px``: median hip-knee length of both legs, pixels (raw frames, as offline: over
    the first ``window_s`` seconds from the first frame with one, then kept);
    ``z_scale``: median left/right depth difference (see ``kinematics.identity.depth_scale``).
    """

    def __init__(
        self, capacity: int = MEDIAN_CAPACITY, *, window_s: float = SCALE_WINDOW_S
    ) -> None:
        self.window_s = window_s
        self._dz = RunningMedian(capacity)
        self.reset()

    def reset(self) -> None:
        """Forget every estimate."""
        self._dz.reset()
        self._lengths: list[float] = []  # in increasing order
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

    def add_raw(self, time_s: float, xy: FloatArray, z: FloatArray) -> None:
        """Learn from one raw frame at ``time_s`` (``xy`` ``(33, 2)`` pixels, ``z`` ``(33,)``)."""
        self._dz.extend(depth_differences(z[None]))
        if self._thigh_done:
            return
        lengths = thigh_lengths(xy[None])[0]
        lengths = lengths[np.isfinite(lengths)]
        if not lengths.size:
            return
        if np.isnan(self._thigh_from_s):
            self._thigh_from_s = time_s
        if time_s > self._thigh_from_s + self.window_s:
            self._thigh_done = True  # the window is over: the thigh length stays
            self._lengths = []
            return
        for length in lengths.tolist():
            bisect.insort(self._lengths, length)  # kept sorted: the median of a growing list
        self._thigh = _sorted_median(self._lengths)


def _sorted_median(ordered: list[float]) -> float:
    """``np.median`` of finite values already in increasing order (at least one): the middle
    value, or (a + b) / 2 of the two middle ones, as numpy's mean of two."""
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


class TrunkAxis:
    """The floor's direction in the picture: the unit ``(2,)`` shoulder-to-hip direction, the
    median over the cleaned frames given so far (:func:`~psoas_coach.kinematics.angles.trunk_axis`
    of all of them while they fit in ``capacity`` values)."""

    def __init__(self, capacity: int = MEDIAN_CAPACITY) -> None:
        self._medians = (RunningMedian(capacity), RunningMedian(capacity))
        self._unit: tuple[bytes, FloatArray] | None = None  # the medians' bytes, the value

    def reset(self) -> None:
        """Forget every frame."""
        for median in self._medians:
            median.reset()
        self._unit = None

    @property
    def value(self) -> FloatArray:
        """Unit shoulder-to-hip direction (picture x axis while unknown); a new array each
        time (computed again only when the medians changed: every live frame asks)."""
        medians = np.array([m.value for m in self._medians])
        key = medians.tobytes()  # bit for bit (a zero's sign, NaN)
        if self._unit is None or self._unit[0] != key:
            self._unit = (key, _unit_direction(medians))
        return self._unit[1].copy()

    def add(self, xy: FloatArray) -> None:
        """Learn from cleaned frames (``xy`` ``(N, 33, 2)`` pixels)."""
        pose = PoseSequence.from_arrays(np.arange(xy.shape[0], dtype=np.float64), xy)
        v = midpoint(pose, "hip") - midpoint(pose, "shoulder")
        v = v[np.isfinite(v).all(axis=1)]
        if v.size:
            unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
            for k, median in enumerate(self._medians):
                median.extend(unit[:, k])


def _unit_direction(a: FloatArray) -> FloatArray:
    """``a`` ``(2,)`` over its length (picture x axis when not finite or zero)."""
    if not np.isfinite(a).all() or not np.linalg.norm(a) > 0:
        return np.array([1.0, 0.0])
    return np.asarray(a / np.linalg.norm(a), dtype=np.float64)
