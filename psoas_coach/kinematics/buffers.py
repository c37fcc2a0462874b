"""Bounded buffers for the streaming analysis: a ring of per-frame rows (the repetition
engine's signal history), a running median, a ring of recent frames.

Offline, the thigh length, depth scale, trunk direction and frame rate are medians over the
whole recording; live, they are medians over everything seen so far (bounded, so memory stays
flat however long the set lasts).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import FloatArray

#: Values of one frame's landmarks in a ring row.
_XY_WIDTH = NUM_LANDMARKS * 2


class SignalHistory:
    """Ring buffer of ``(time_s, values)`` rows; the oldest rows drop out when full.

    Args:
        capacity: rows kept (e.g. 40 s at 120 fps).
        width: number of values per row.
    """

    def __init__(self, capacity: int, width: int) -> None:
        self._t = np.full(capacity, np.nan)
        self._v = np.full((capacity, width), np.nan)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, time_s: float, values: FloatArray) -> None:
        """Add one frame's row."""
        self._t[self._next] = time_s
        self._v[self._next] = values
        self._next = (self._next + 1) % self._t.size
        self._size = min(self._size + 1, self._t.size)

    def clear(self) -> None:
        """Drop every row."""
        self._next = 0
        self._size = 0

    def last(self, count: int) -> tuple[FloatArray, FloatArray]:
        """Times ``(N,)`` and values ``(N, width)`` of the latest ``count`` rows (fewer if
        fewer are kept), oldest first (copies)."""
        order = self._latest(count)
        return self._t[order], self._v[order]

    def times(self) -> FloatArray:
        """Times of the kept rows in seconds, oldest first (a copy; the values stay put)."""
        return self._t[self._latest(self._size)]

    def _latest(self, count: int) -> npt.NDArray[np.intp]:
        """Ring indices of the latest ``count`` rows (fewer if fewer are kept), oldest first."""
        count = min(count, self._size)
        return (self._next - count + np.arange(count)) % self._t.size

    def since(self, time_s: float) -> tuple[FloatArray, FloatArray]:
        """Times ``(N,)`` and values ``(N, width)`` of the rows at or after ``time_s``, in order."""
        start = (self._next - self._size) % self._t.size
        order = (start + np.arange(self._size)) % self._t.size
        times = self._t[order]
        keep = order[times >= time_s]
        return self._t[keep], self._v[keep]


class RunningMedian:
    """Median of the latest ``capacity`` values, recomputed at most every ``refresh`` values.

    Args:
        capacity: values kept (the oldest drop out).
        refresh: new values between two recomputations once 100 values are in (before that,
            every value recomputes it, so early estimates follow quickly).
    """

    def __init__(self, capacity: int, refresh: int = 25) -> None:
        self._values = np.full(capacity, np.nan)
        self._next = 0
        self._size = 0
        self._refresh = refresh
        self._since = 0
        self._median = float("nan")

    def reset(self) -> None:
        """Forget every value."""
        self._next = self._size = self._since = 0
        self._median = float("nan")

    def __len__(self) -> int:
        return self._size

    def extend(self, values: FloatArray) -> None:
        """Add the finite entries of ``values`` (any shape)."""
        for v in values[np.isfinite(values)].ravel().tolist():
            self._values[self._next] = v
            self._next = (self._next + 1) % self._values.size
            self._size = min(self._size + 1, self._values.size)
            self._since += 1

    @property
    def value(self) -> float:
        """The median (NaN while empty)."""
        fresh = self._since > 0  # values added since the median was last computed
        if self._size and fresh and (self._size < 100 or self._since >= self._refresh):
            self._median = float(np.median(self._values[: self._size]))
            self._since = 0
        return self._median


class FrameRing:
    """The latest ``capacity`` frames: times ``(N,)`` seconds, landmarks ``(N, 33, 2)`` pixels,
    and ``aux`` numbers per frame beside them (e.g. the confidence in its leg labels);
    rows of a :class:`SignalHistory`."""

    def __init__(self, capacity: int, aux: int = 1) -> None:
        self.aux = aux
        self._rows = SignalHistory(capacity, _XY_WIDTH + aux)

    def reset(self) -> None:
        """Drop every frame."""
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)

    def append(self, time_s: float, xy: FloatArray, *aux: float) -> None:
        """Add one frame (``xy`` ``(33, 2)``) and its numbers ``aux`` (NaN where missing)."""
        extra = np.full(self.aux, np.nan)
        extra[: len(aux)] = aux
        self._rows.append(time_s, np.concatenate([xy.ravel(), extra]))

    def last(self, count: int) -> tuple[FloatArray, FloatArray]:
        """Copies of the latest ``count`` frames (fewer if fewer are kept), oldest first."""
        t, rows = self._rows.last(count)
        return t, rows[:, :_XY_WIDTH].reshape(-1, NUM_LANDMARKS, 2)

    def last_aux(self, count: int) -> FloatArray:
        """The numbers ``(N, aux)`` of the latest ``count`` frames, oldest first (as
        :meth:`last`)."""
        return np.asarray(self._rows.last(count)[1][:, _XY_WIDTH:], dtype=np.float64)

    def times(self) -> FloatArray:
        """Times of the kept frames in seconds, oldest first (a copy)."""
        return self._rows.times()

    def count_since(self, time_s: float) -> int:
        """How many kept frames are at or after ``time_s`` seconds."""
        return int(np.count_nonzero(self.times() >= time_s))

    def fps(self) -> float:
        """Median frame rate of the kept frames in frames per second (30 with too few)."""
        t = self.times()
        if t.size < 2:
            return 30.0
        return float(1.0 / np.median(np.diff(t)))
