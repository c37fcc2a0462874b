"""A bounded, time-ordered ring of per-frame rows (the repetition engine's signal history, and
under the live path's frame ring), and the layout of the engine's rows."""

from __future__ import annotations

import numpy as np

from psoas_coach.pose.types import FloatArray

#: Columns of a history row: knee and hip angles (deg), pelvis height (thigh lengths), whether
#: each leg was seen (1/0) and the confidence in the frame's leg labels (0-1).
KNEE = {"left": 0, "right": 1}
HIP = {"left": 2, "right": 3}
PELVIS = 4
SEEN = {"left": 5, "right": 6}
IDENTITY = 7
ROW_WIDTH = 8


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
        count = min(count, self._size)
        order = (self._next - count + np.arange(count)) % self._t.size
        return self._t[order], self._v[order]

    def times(self) -> FloatArray:
        """Times of the kept rows in seconds, oldest first (a copy)."""
        return self.last(self._size)[0]

    def since(self, time_s: float) -> tuple[FloatArray, FloatArray]:
        """Times ``(N,)`` and values ``(N, width)`` of the rows at or after ``time_s``, in order."""
        start = (self._next - self._size) % self._t.size
        order = (start + np.arange(self._size)) % self._t.size
        times = self._t[order]
        keep = order[times >= time_s]
        return self._t[keep], self._v[keep]
