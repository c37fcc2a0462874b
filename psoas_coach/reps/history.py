"""A bounded, time-ordered buffer of per-frame signals for the repetition engine, and the
layout of its rows."""

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

    def since(self, time_s: float) -> tuple[FloatArray, FloatArray]:
        """Times ``(N,)`` and values ``(N, width)`` of the rows at or after ``time_s``, in order."""
        start = (self._next - self._size) % self._t.size
        order = (start + np.arange(self._size)) % self._t.size
        times = self._t[order]
        keep = order[times >= time_s]
        return self._t[keep], self._v[keep]
