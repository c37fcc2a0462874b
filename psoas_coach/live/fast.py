"""The fast tier: causal low-pass of every landmark, for the overlay and the hold countdown.

No lag beyond the filter's own (a 2nd-order Butterworth delays slow movements by about
``0.22 / cutoff_hz`` seconds). A landmark that goes missing keeps its last smoothed position
for up to ``max_gap_s`` seconds (the filter is fed that position, so it does not restart),
then is dropped and its filter restarts when it comes back.
"""

from __future__ import annotations

import numpy as np

from psoas_coach.kinematics.filters import ButterworthFactory, Filter, FilterFactory
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import FloatArray

#: Default cut-off of the fast tier, hertz: smooth enough to read, quick enough to count.
FAST_CUTOFF_HZ = 2.5


class FastSmoother:
    """Per-frame causal smoothing of ``(33, 2)`` landmark frames with gap hold.

    Args:
        fps: frame rate the filter is designed for, frames per second.
        max_gap_s: seconds a missing landmark keeps its last position.
        factory: the filter (default Butterworth at :data:`FAST_CUTOFF_HZ`; ``NoFilterFactory``
            for none).
    """

    def __init__(
        self, fps: float, *, max_gap_s: float = 1.0, factory: FilterFactory | None = None
    ) -> None:
        self.fps = fps
        self.max_gap_s = max_gap_s
        self._factory = factory or ButterworthFactory(FAST_CUTOFF_HZ)
        self._filter: Filter = self._factory.create(fps)
        self.reset()

    def reset(self) -> None:
        """Forget every track."""
        self._filter.reset()
        self._last = np.full((NUM_LANDMARKS, 2), np.nan)
        self._seen_s = np.full(NUM_LANDMARKS, -np.inf)

    def update(self, time_s: float, xy: FloatArray | None) -> FloatArray:
        """Smoothed ``(33, 2)`` positions in pixels for the frame at ``time_s`` (NaN: unknown).

        ``xy`` is the frame's ``(33, 2)`` landmarks (NaN where missing), ``None`` for a frame
        without a person.
        """
        raw = np.full((NUM_LANDMARKS, 2), np.nan) if xy is None else xy
        seen = np.isfinite(raw).all(axis=1)
        self._seen_s[seen] = time_s
        held = ~seen & (time_s - self._seen_s <= self.max_gap_s)
        feed = np.where(held[:, None], self._last, raw)
        out = self._filter.update(feed)
        self._last = np.where(np.isfinite(out), out, self._last)
        lost = ~seen & ~held
        self._last[lost] = np.nan
        return np.asarray(np.where(lost[:, None], np.nan, out), dtype=np.float64)
