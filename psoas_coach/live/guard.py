"""The pace a live connection may send frames at: times in order, not too many a second.

:class:`FrameGuard` sees each frame's capture time (the browser's clock) and arrival time (the
server's clock). A time not later than the previous frame's closes the connection, and so does
a client sending more than ``max_fps`` frames a second on either clock, averaged over
``burst_s`` seconds (a token bucket: short bursts, e.g. frames queued while the network
stalled, pass). Both raise :class:`~psoas_coach.live.protocol.CloseConnectionError` with
close code 1008.
"""

from __future__ import annotations

import math

from psoas_coach.live.protocol import CloseConnectionError

#: WebSocket close code for a client that breaks the protocol's rules.
POLICY_VIOLATION = 1008


class RateBucket:
    """Token bucket: ``rate`` events a second on average, at most ``rate * burst_s`` at once.

    Args:
        rate: events per second allowed on average.
        burst_s: seconds of events that may come at once.
    """

    def __init__(self, rate: float, burst_s: float) -> None:
        self.rate = rate
        self.capacity = rate * burst_s
        self.reset()

    def reset(self) -> None:
        """Full bucket, no time seen."""
        self._tokens = self.capacity
        self._last_s = math.nan

    def update(self, now_s: float) -> bool:
        """Count one event at ``now_s`` seconds; False (and not counted) when it is over the
        rate."""
        if math.isfinite(self._last_s):
            elapsed = max(0.0, now_s - self._last_s)
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._last_s = now_s
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class FrameGuard:
    """Checks each frame of a connection (see the module docstring).

    Args:
        max_fps: frames per second allowed on average, on the capture and the arrival clock.
        burst_s: seconds over which the rate is averaged.
    """

    def __init__(self, max_fps: float, *, burst_s: float = 2.0) -> None:
        self.max_fps = max_fps
        self._capture = RateBucket(max_fps, burst_s)
        self._arrival = RateBucket(max_fps, burst_s)
        self.reset()

    @property
    def last_time_s(self) -> float | None:
        """Capture time of the last frame accepted, seconds (``None``: none yet)."""
        return None if math.isnan(self._last_s) else self._last_s

    def reset(self) -> None:
        """Forget every frame."""
        self._capture.reset()
        self._arrival.reset()
        self.restart_times()

    def restart_times(self) -> None:
        """A new set: its frame times may start from any value (the rates still count)."""
        self._last_s = math.nan
        self._capture.reset()

    def update(self, time_s: float, arrived_s: float) -> None:
        """Accept a frame captured at ``time_s`` and received at ``arrived_s`` (a monotonic
        clock), both seconds, or raise ``CloseConnectionError``."""
        if not math.isnan(self._last_s) and time_s <= self._last_s:
            raise CloseConnectionError(
                POLICY_VIOLATION,
                f"frame times must increase: {time_s:.3f} s came after {self._last_s:.3f} s",
            )
        fast_capture = not self._capture.update(time_s)
        if fast_capture or not self._arrival.update(arrived_s):
            clock = "capture times" if fast_capture else "arrival"
            raise CloseConnectionError(
                POLICY_VIOLATION,
                f"too fast: over {self.max_fps:g} frames a second ({clock})",
            )
        self._last_s = time_s
