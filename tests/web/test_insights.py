"""Roster flags, session figures and trend charts, from results built in code."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from psoas_coach.storage.models import Result, TrainingSession
from psoas_coach.web.insights import asymmetry_pct, flags, summarize_results, trend_points
from psoas_coach.web.trend_svg import Chart, Series, nice_ticks, render


def result(**fields: Any) -> Result:
    """A result row (not stored) with the summary columns given."""
    base: dict[str, Any] = {
        "reps_left": 0,
        "reps_right": 0,
        "mean_hold_left_s": None,
        "mean_hold_right_s": None,
        "mean_extension_left_s": None,
        "mean_extension_right_s": None,
        "faulty_reps_left": 0,
        "faulty_reps_right": 0,
        "fault_counts": {"left": {}, "right": {}},
    }
    return Result(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"reps_left": 5, "reps_right": 5, "fault_counts": {"left": {"back_lift": 2}}},
            ["back lifts off the floor in 40 % of left-leg reps"],
        ),
        ({"reps_left": 3, "reps_right": 3, "fault_counts": {"left": {"back_lift": 1}}}, []),
        (
            {"reps_left": 4, "reps_right": 4, "mean_hold_left_s": 1.4, "mean_hold_right_s": 2.0},
            ["left hold 30 % shorter than right"],
        ),
        (
            {"reps_left": 4, "reps_right": 4, "mean_hold_left_s": 2.0, "mean_hold_right_s": 1.9},
            [],
        ),
        ({"reps_left": 0, "reps_right": 3, "mean_hold_right_s": 2.0}, ["no left-leg reps"]),
        (
            {
                "reps_left": 2,
                "reps_right": 2,
                "mean_extension_left_s": 2.0,
                "mean_extension_right_s": 1.0,
            },
            ["right extension 50 % shorter than left"],
        ),
    ],
)
def test_flags(fields: dict[str, Any], expected: list[str]) -> None:
    assert flags(summarize_results([result(**fields)])) == expected


def test_no_reps_at_all_is_flagged_not_clean() -> None:
    assert flags(summarize_results([result()])) == ["no reps found: check the video"]


def test_flags_are_ranked_most_urgent_first() -> None:
    fields: dict[str, Any] = {
        "reps_left": 10,
        "reps_right": 10,
        "mean_hold_left_s": 1.0,
        "mean_hold_right_s": 2.0,
        "fault_counts": {
            "left": {"same_side_repeat": 8, "back_lift": 4},
            "right": {"long_hold": 3},
        },
    }
    session = TrainingSession(pain_notes="knee")
    assert flags(summarize_results([result(**fields)]), session) == [
        "pain noted",
        "back lifts off the floor in 40 % of left-leg reps",
        "didn't switch legs in 80 % of left-leg reps",
        "left hold 50 % shorter than right",
        "hold too long in 30 % of right-leg reps",
    ]


def test_pain_is_flagged() -> None:
    session = TrainingSession(pain_notes="left hip")
    assert flags(summarize_results([]), session) == ["pain noted"]


def test_session_figures_weigh_recordings_by_reps() -> None:
    summary = summarize_results(
        [
            result(reps_left=3, mean_hold_left_s=2.0, faulty_reps_left=1),
            result(reps_left=1, mean_hold_left_s=4.0, faulty_reps_left=1),
        ]
    )
    assert summary.reps == {"left": 4, "right": 0}
    assert summary.mean_hold_s["left"] == pytest.approx(2.5)
    assert summary.fault_rate_pct == {"left": 50.0, "right": None}
    assert summary.hold_asymmetry_pct is None


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [(2.0, 2.0, 0.0), (1.0, 2.0, -50.0), (3.0, 2.0, 100 / 3), (None, 2.0, None), (0.0, 0.0, None)],
)
def test_asymmetry(left: float | None, right: float | None, expected: float | None) -> None:
    assert asymmetry_pct(left, right) == (None if expected is None else pytest.approx(expected))


def test_trend_points_one_per_session_in_date_order() -> None:
    early, late = (
        TrainingSession(id=1, date=dt.date(2026, 1, 1)),
        TrainingSession(id=2, date=dt.date(2026, 1, 8)),
    )
    pairs = [(early, result(reps_left=2, mean_hold_left_s=2.0))] * 2
    pairs.append((late, result(reps_left=2, mean_hold_left_s=3.0)))
    points = trend_points(pairs)
    assert [(p.session_id, p.reps["left"], p.mean_hold_s["left"]) for p in points] == [
        (1, 4, 2.0),
        (2, 2, 3.0),
    ]


def test_nice_ticks_cover_the_range() -> None:
    assert nice_ticks(0.0, 4.4) == [0.0, 2.0, 4.0, 6.0]
    assert nice_ticks(0.0, 100.0) == [0.0, 25.0, 50.0, 75.0, 100.0]
    ticks = nice_ticks(-43.0, 21.0)
    assert ticks[0] <= -43 and ticks[-1] >= 21


def test_chart_svg_escapes_text_and_skips_gaps() -> None:
    chart = Chart(
        "Hold <time>",
        ["2026-01-01", "2026-01-08", "2026-01-15"],
        [Series("left & co", "#0072B2", [2.0, None, 2.5])],
        "s",
        band=(2.0, 3.0),
        band_label="target",
    )
    svg = render(chart, "c1")
    assert svg.startswith('<svg id="c1"') and svg.endswith("</svg>")
    assert "Hold &lt;time&gt;" in svg and "left &amp; co" in svg
    assert len(re.findall("<circle", svg)) == 2 and "<polyline" not in svg
