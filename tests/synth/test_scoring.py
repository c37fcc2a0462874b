"""Matching predicted reps to truth, and the accuracy figures, on hand-built rep lists."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from psoas_coach.reps.types import Rep
from psoas_coach.synth.scoring import (
    FaultCount,
    count_faults,
    interval_iou,
    match_reps,
    score_recording,
    summarize_scores,
)


def rep(
    start: float,
    end: float,
    side: str = "left",
    faults: Sequence[str] = (),
    hold: float = 2.5,
    ext: float = 1.2,
) -> Rep:
    """A rep spanning ``[start, end]`` seconds."""
    return Rep(
        index=1,
        side=side,
        start_s=start,
        peak_s=(start + end) / 2,
        end_s=end,
        extension_s=ext,
        hold_s=hold,
        knee_angle_peak_deg=170.0,
        hip_angle_peak_deg=150.0,
        faults=list(faults),
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0.0, 4.0), (0.0, 4.0), 1.0),
        ((0.0, 4.0), (2.0, 6.0), 1.0 / 3.0),
        ((0.0, 4.0), (1.0, 3.0), 0.5),
        ((0.0, 4.0), (4.0, 8.0), 0.0),  # touching only
        ((0.0, 4.0), (5.0, 8.0), 0.0),  # disjoint
        ((5.0, 8.0), (0.0, 4.0), 0.0),
    ],
)
def test_interval_iou(a: tuple[float, float], b: tuple[float, float], expected: float) -> None:
    assert interval_iou(rep(*a), rep(*b)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("truth", "pred", "expected"),
    [
        ([(0, 4), (10, 14)], [(0, 4), (10, 14)], [(0, 0), (1, 1)]),
        ([(0, 4), (10, 14)], [(0.3, 4.2), (10.1, 13.5)], [(0, 0), (1, 1)]),
        ([(0, 4), (10, 14)], [(10, 14)], [(1, 0)]),  # a missed rep
        ([(0, 4)], [(0, 4), (20, 24)], [(0, 0)]),  # a false rep
        ([(0, 4)], [(3, 9)], []),  # IoU 1/9: too little overlap
        ([(0, 4)], [(2, 4.5)], [(0, 0)]),  # IoU 0.444 is enough
        ([(0, 4)], [(0, 2), (0.2, 4.1)], [(0, 1)]),  # two candidates: the best one wins
        ([(0, 4), (4.5, 8)], [(0, 8)], [(0, 0)]),  # one prediction over two truths: the better
        ([], [(0, 4)], []),
        ([(0, 4)], [], []),
    ],
)
def test_match_reps(
    truth: list[tuple[float, float]],
    pred: list[tuple[float, float]],
    expected: list[tuple[int, int]],
) -> None:
    pairs = match_reps([rep(*t) for t in truth], [rep(*p) for p in pred])
    assert [(p.truth, p.pred) for p in pairs] == expected
    assert all(p.iou > 0.3 for p in pairs)


def test_match_threshold_is_configurable() -> None:
    truth, pred = [rep(0, 4)], [rep(3, 9)]
    pairs = match_reps(truth, pred, min_iou=0.1)
    assert [(p.truth, p.pred) for p in pairs] == [(0, 0)]
    assert pairs[0].iou == pytest.approx(1 / 9)


@pytest.mark.parametrize(
    ("truth", "pred", "expected"),
    [
        # matched, same faults: true positives
        (
            [rep(0, 4, faults=["short_hold"])],
            [rep(0, 4, faults=["short_hold"])],
            {"short_hold": (1, 0, 0)},
        ),
        # matched, fault missed and another raised
        (
            [rep(0, 4, faults=["back_lift"])],
            [rep(0, 4, faults=["long_hold"])],
            {"back_lift": (0, 0, 1), "long_hold": (0, 1, 0)},
        ),
        # unmatched truth rep: all its faults are misses
        (
            [rep(0, 4, faults=["back_lift", "start_position"])],
            [],
            {"back_lift": (0, 0, 1), "start_position": (0, 0, 1)},
        ),
        # unmatched predicted rep: all its faults are false alarms
        ([], [rep(0, 4, faults=["fast_extension"])], {"fast_extension": (0, 1, 0)}),
        # a prediction too far off to match: miss plus false alarm
        (
            [rep(0, 4, faults=["short_hold"])],
            [rep(10, 14, faults=["short_hold"])],
            {"short_hold": (0, 1, 1)},
        ),
    ],
)
def test_count_faults(
    truth: list[Rep], pred: list[Rep], expected: dict[str, tuple[int, int, int]]
) -> None:
    counts = count_faults(truth, pred, match_reps(truth, pred))
    for code, (tp, fp, fn) in expected.items():
        assert counts[code] == FaultCount(tp, fp, fn), code
    untouched = set(counts) - set(expected)
    assert all(counts[c] == FaultCount() for c in untouched)


@pytest.mark.parametrize(
    ("count", "precision", "recall", "f1"),
    [
        (FaultCount(4, 0, 0), 1.0, 1.0, 1.0),
        (FaultCount(3, 1, 2), 0.75, 0.6, 6 / 9),
        (FaultCount(0, 2, 0), 0.0, None, 0.0),
        (FaultCount(0, 0, 3), None, 0.0, 0.0),
        (FaultCount(0, 0, 0), None, None, None),
    ],
)
def test_fault_ratios(
    count: FaultCount, precision: float | None, recall: float | None, f1: float | None
) -> None:
    assert count.precision == (None if precision is None else pytest.approx(precision))
    assert count.recall == (None if recall is None else pytest.approx(recall))
    assert count.f1 == (None if f1 is None else pytest.approx(f1))


def test_score_recording_errors_and_sides() -> None:
    truth = [rep(0, 4, "left", hold=2.5, ext=1.0), rep(10, 14, "right", hold=3.5, ext=1.5)]
    pred = [rep(0.2, 4.0, "left", hold=2.3, ext=1.1), rep(10, 14.4, "left", hold=3.6, ext=1.2)]
    s = score_recording("x", truth, pred)
    assert s.count_exact
    assert s.side_correct == 1
    assert s.hold_err_s == pytest.approx((-0.2, 0.1))
    assert s.extension_err_s == pytest.approx((0.1, -0.3))
    assert s.start_err_s == pytest.approx((0.2, 0.0))
    assert s.end_err_s == pytest.approx((0.0, 0.4))
    assert s.worst(s.hold_err_s) == pytest.approx(0.2)
    assert s.worst(()) is None


def test_summary_over_recordings() -> None:
    good = score_recording("a", [rep(0, 4, hold=2.0)], [rep(0, 4, hold=2.4)])
    bad = score_recording(
        "b", [rep(0, 4, faults=["back_lift"]), rep(10, 14)], [], error="no person"
    )
    total = summarize_scores([good, bad])
    assert total.recordings == 2
    assert total.count_exact_share == 0.5
    assert (total.truth_reps, total.pred_reps, total.matched_reps) == (3, 1, 1)
    assert total.side_accuracy == 1.0
    assert total.hold_mae_s == pytest.approx(0.4)
    assert total.faults["back_lift"] == FaultCount(0, 0, 1)
    assert total.mean_fault_f1 == 0.0
    data = total.to_dict()
    assert data["faults"]["back_lift"]["recall"] == 0.0
    assert data["faults"]["short_hold"]["f1"] is None
    assert bad.error == "no person"


def test_summary_of_nothing() -> None:
    total = summarize_scores([])
    assert total.recordings == 0
    assert total.side_accuracy is None
    assert total.hold_mae_s is None
    assert total.mean_fault_f1 is None
