"""Which figures of a rep could be measured, and how sure a rep is (issue 8, items 2 and 4)."""

from __future__ import annotations

import numpy as np
import pytest

from psoas_coach.pose.types import BoolArray
from psoas_coach.reps.trust import (
    MAX_UNSEEN_CROSSING_S,
    UNMEASURED_CAP,
    crossing_seen,
    not_measured,
    rep_confidence,
)

T = np.arange(0.0, 10.0, 1 / 30)


def seen_except(t0: float, t1: float) -> BoolArray:
    return np.asarray(~((t0 <= T) & (t1 > T)))


@pytest.mark.parametrize(
    ("hidden", "at_s", "expected"),
    [
        ((0.0, 0.0), 5.0, True),  # all seen
        ((4.9, 5.1), 5.0, True),  # a short gap is bridged well enough
        ((4.5, 4.5 + MAX_UNSEEN_CROSSING_S + 0.1), 4.8, False),  # inside a long gap
        ((4.5, 5.5), 6.0, True),  # after the gap
        ((0.0, 0.0), float("nan"), False),  # no crossing at all
    ],
)
def test_crossing_seen(hidden: tuple[float, float], at_s: float, expected: bool) -> None:
    assert crossing_seen(T, seen_except(*hidden), at_s) is expected


def test_figures_built_on_unseen_moments_are_not_measured_with_the_reason() -> None:
    moments = {"start_s": 2.0, "reach_s": 3.0, "hold_start_s": 3.0, "hold_end_s": 5.5, "end_s": 7}
    seen = {"left": seen_except(1.5, 2.6), "right": seen_except(0.0, 0.0)}
    missing = not_measured("left", T, seen, moments, (3.0, 5.5))
    assert set(missing) == {"extension_s"}
    assert missing["extension_s"] == "the left leg was hidden when it started moving"
    seen["right"] = seen_except(1.0, 8.0)
    missing = not_measured("left", T, seen, moments, (3.0, 5.5))
    assert "support_drift_deg" in missing and "right (support)" in missing["support_drift_deg"]
    seen["left"] = seen_except(2.9, 6.0)
    assert {"hold_s", "knee_angle_peak_deg"} <= set(
        not_measured("left", T, seen, moments, (3, 5.5))
    )


@pytest.mark.parametrize(
    ("side_conf", "seen", "missing", "expected", "notes"),
    [
        (1.0, 1.0, {}, 1.0, 0),
        (0.6, 1.0, {}, 0.6, 1),
        (1.0, 0.5, {}, 0.75, 1),
        (1.0, 1.0, {"hold_s": "the left leg was hidden"}, UNMEASURED_CAP, 1),
        (0.5, 0.2, {"hold_s": "x"}, 0.5, 3),
    ],
)
def test_rep_confidence(
    side_conf: float, seen: float, missing: dict[str, str], expected: float, notes: int
) -> None:
    confidence, reasons = rep_confidence("left", side_conf, seen, missing)
    assert confidence == pytest.approx(expected)
    assert len(reasons) == notes
