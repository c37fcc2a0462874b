"""Live against offline, exactly (``live.agreement``, the live benchmarks' check): every
figure that differs by more than half a frame period is named with both values."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from psoas_coach.live.agreement import compare_reports, frame_period_s

PERIOD_S = 1 / 30


def report(*reps: dict[str, Any]) -> dict[str, Any]:
    """A report dict with ``reps`` and their count per side."""
    sides = {s: sum(r["side"] == s for r in reps) for s in ("left", "right")}
    return {"reps": list(reps), "summary": {"reps": sides}}


def rep(side: str, start_s: float, **figures: Any) -> dict[str, Any]:
    """One rep dict of a plausible march, ``figures`` on top."""
    base = {
        "side": side,
        "start_s": start_s,
        "peak_s": start_s + 1.5,
        "knee_angle_peak_deg": 172.0,
        "end_s": start_s + 5.0,
        "hold_s": 2.5,
        "extension_s": 1.2,
        "faults": [],
    }
    return base | figures


OFFLINE = report(rep("left", 1.0), rep("right", 8.0, faults=["short_hold"]))


def changed(index: int, **figures: Any) -> dict[str, Any]:
    """OFFLINE with rep ``index`` (0-based) given ``figures``."""
    live = copy.deepcopy(OFFLINE)
    live["reps"][index] |= figures
    return live


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (OFFLINE, []),
        (changed(0, hold_s=2.5 + 0.016), []),  # within half a frame (16.7 ms)
        (changed(1, start_s=8.0 - 0.016), []),
        (changed(0, hold_s=2.55), ["rep 1 hold_s: live 2.550, offline 2.500 (+0.050 s)"]),
        (changed(1, peak_s=9.0), []),
        (changed(1, knee_angle_peak_deg=172.4), []),
        (
            changed(1, knee_angle_peak_deg=173.0),
            ["rep 2 knee_angle_peak_deg: live 173.0, offline 172.0"],
        ),
        (changed(0, end_s=6.02), ["rep 1 end_s: live 6.020, offline 6.000 (+0.020 s)"]),
        (changed(1, extension_s=None), ["rep 2 extension_s: live None, offline 1.2"]),
        (changed(1, faults=[]), ["rep 2 faults: live [], offline ['short_hold']"]),
        (
            report(rep("left", 1.0), rep("left", 8.0, faults=["short_hold"])),
            [
                "reps per side: live {'left': 2, 'right': 0}, offline {'left': 1, 'right': 1}",
                "rep 2 side: live left, offline right",
            ],
        ),
        (
            report(rep("left", 1.0)),
            [
                "reps per side: live {'left': 1, 'right': 0}, offline {'left': 1, 'right': 1}",
                "rep 2: offline only (right, 8.000-13.000 s)",
            ],
        ),
    ],
    ids=[
        "same",
        "hold-within-half-a-frame",
        "start-within-half-a-frame",
        "hold-50ms",
        "peak-time-on-a-flat-hold",
        "peak-angle-within-tolerance",
        "peak-angle-1deg",
        "end-20ms",
        "extension-missing",
        "faults",
        "side",
        "rep-missing",
    ],
)
def test_every_differing_figure_is_named(live: dict[str, Any], expected: list[str]) -> None:
    result = compare_reports(live, OFFLINE, PERIOD_S)
    assert result.differences == expected
    assert result.agrees == (not expected)


def test_reps_compared_and_largest_differences_are_counted() -> None:
    result = compare_reports(changed(1, end_s=13.3, hold_s=2.51), OFFLINE, PERIOD_S)
    assert result.reps == 2
    assert result.largest_s["end_s"] == pytest.approx(0.3)
    assert result.largest_s["hold_s"] == pytest.approx(0.01)
    assert result.largest_s["start_s"] == 0.0
    assert compare_reports(report(), report(), PERIOD_S).reps == 0


def test_frame_period_is_the_median_interval() -> None:
    assert frame_period_s([0.0, 0.04, 0.08, 0.13, 0.16]) == pytest.approx(0.04)
