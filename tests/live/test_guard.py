"""Frame pace rules of a live connection: times in order, not too many frames a second on the
capture clock or the arrival clock; each rule with its failure case."""

from __future__ import annotations

import pytest

from psoas_coach.live.guard import FrameGuard, RateBucket
from psoas_coach.live.protocol import CloseConnectionError


def _feed(guard: FrameGuard, frames: list[tuple[float, float]]) -> str:
    """Feed ``(capture, arrival)`` times; the close reason, or "" when all pass."""
    try:
        for capture, arrival in frames:
            guard.update(capture, arrival)
    except CloseConnectionError as err:
        assert err.code == 1008
        return err.reason
    return ""


STEADY_30 = [(k / 30, 100 + k / 30) for k in range(300)]


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        (STEADY_30, ""),
        ([(1.0, 0.0), (1.0, 0.1)], "frame times must increase: 1.000 s came after 1.000 s"),
        ([(2.0, 0.0), (1.5, 0.1)], "frame times must increase: 1.500 s came after 2.000 s"),
        # 120 capture-time frames a second, sent in real time: too fast on the capture clock.
        ([(k / 120, k / 120) for k in range(400)], "too fast: over 60 frames a second (capture"),
        # 30 fps of capture time delivered 10x faster (a replay): too fast on arrival.
        ([(k / 30, k / 300) for k in range(400)], "too fast: over 60 frames a second (arrival)"),
        # A 1.5 s burst after a network stall passes.
        ([(k / 30, 0.0 if k < 45 else k / 30) for k in range(200)], ""),
    ],
    ids=["steady", "same-time", "backwards", "fast-capture", "fast-arrival", "burst"],
)
def test_frame_guard(frames: list[tuple[float, float]], expected: str) -> None:
    reason = _feed(FrameGuard(60.0), frames)
    assert reason.startswith(expected) and (reason == "") == (expected == ""), reason


def test_a_new_set_may_start_its_times_again() -> None:
    guard = FrameGuard(60.0)
    assert _feed(guard, [(5.0, 0.0), (5.1, 0.1)]) == ""
    guard.restart_times()
    assert guard.last_time_s is None
    assert _feed(guard, [(0.0, 0.2), (0.1, 0.3)]) == "" and guard.last_time_s == 0.1


def test_rate_bucket_refills_with_time() -> None:
    bucket = RateBucket(10.0, burst_s=0.5)
    assert all(bucket.update(0.0) for _ in range(5)) and not bucket.update(0.0)
    assert bucket.update(0.25) and bucket.update(0.25)
