"""The report model: NaN-free JSON, figures not measured, confidence, summaries that leave
unsure sides out, and the not-assessable verdict (issue 8, items 3 and 4)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from psoas_coach.faults.base import fault_codes
from psoas_coach.pipeline import analyze_pose
from psoas_coach.report.html import render_html
from psoas_coach.report.model import MIN_SIDE_CONFIDENCE, Report, summarize
from psoas_coach.reps.types import Rep
from tests.kinematics.test_identity import clean_recording
from tests.report.test_html import MakeAnalysis


def rep(index: int, side: str, hold: float | None, **extra: Any) -> Rep:
    return Rep(
        index=index,
        side=side,
        start_s=index * 10.0,
        peak_s=index * 10 + 2.0,
        end_s=index * 10 + 5.0,
        extension_s=1.2,
        hold_s=hold,
        knee_angle_peak_deg=170.0,
        hip_angle_peak_deg=150.0,
        **extra,
    )


def test_nan_and_infinite_figures_become_null() -> None:
    bad = rep(1, "left", float("nan"), back_lift_thigh=float("inf"))
    data = bad.to_dict()
    assert data["hold_s"] is None and data["back_lift_thigh"] is None
    report = Report("x.csv", float("nan"), 10.0, [bad], {"odd": [float("-inf"), 1.0]})
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text


def test_save_load_keeps_nulls_reasons_and_confidence(tmp_path: Path) -> None:
    unsure = rep(
        1,
        "right",
        None,
        side_confidence=0.55,
        confidence=0.5,
        confidence_notes=["left or right unsure"],
        not_measured={"hold_s": "the right leg was hidden when it left the hold"},
    )
    report = Report("x.csv", 30.0, 12.0, [unsure], summarize([unsure], fault_codes()).to_dict())
    report.save(tmp_path / "x.json")
    back = Report.load(tmp_path / "x.json")
    assert back.reps == [unsure]
    assert back.assessable


def test_reports_written_before_these_fields_still_load() -> None:
    old = {"schema": "psoas-coach/report@1", "source": "a.mp4", "fps": 30.0, "duration_s": 9.0}
    old["reps"] = [{k: v for k, v in rep(1, "left", 2.0).to_dict().items() if k != "confidence"}]
    loaded = Report.from_dict(old)
    assert loaded.reps[0].confidence == 1.0 and loaded.assessable


@pytest.mark.parametrize(
    ("reps", "left_hold", "right_hold", "uncertain"),
    [
        ([rep(1, "left", 2.0), rep(2, "right", 3.0)], 2.0, 3.0, 0),
        ([rep(1, "left", 2.0), rep(2, "left", None)], 2.0, None, 0),  # a hold not measured
        (
            [rep(1, "left", 2.0), rep(2, "left", 9.0, side_confidence=MIN_SIDE_CONFIDENCE - 0.1)],
            2.0,
            None,
            1,
        ),
    ],
)
def test_means_skip_figures_not_measured_and_unsure_sides(
    reps: list[Rep], left_hold: float | None, right_hold: float | None, uncertain: int
) -> None:
    summary = summarize(reps, fault_codes()).to_dict()
    assert summary["mean_hold_s"] == {"left": left_hold, "right": right_hold}
    assert summary["reps"]["left"] + summary["reps"]["right"] == len(reps)
    assert summary["side_uncertain_reps"]["left"] == uncertain


def test_a_recording_too_poor_to_judge_says_so_at_the_top(make_analysis: MakeAnalysis) -> None:
    rec = clean_recording()
    pose = rec.pose
    xy = pose.xy.copy()
    xy[np.arange(len(pose)) % 5 != 0] = np.nan  # the athlete found in one frame in five
    analysis = analyze_pose(pose.with_xy(xy))
    report = analysis.report
    assert not report.assessable
    assert "found in only 20 %" in report.not_assessable_reason
    document = report.to_dict()
    assert list(document)[:4] == ["schema", "source", "assessable", "not_assessable_reason"]
    assert document["reps"] == [] and document["summary"]["reps"] == {"left": 0, "right": 0}
    html = render_html(analysis)
    assert html.index("Not assessable") < html.index("Joint angles")
    assert 'class="reps"' not in html
    good = make_analysis([("left", 1.0, 2.5, [])])
    assert "Not assessable" not in render_html(good)


def test_figures_not_measured_show_their_reason_in_the_html(make_analysis: MakeAnalysis) -> None:
    analysis = make_analysis([("left", 1.0, 2.5, []), ("right", 8.0, 2.5, [])])
    hidden = dataclasses.replace(
        analysis.report.reps[1],
        extension_s=None,
        not_measured={"extension_s": "the right leg was hidden when it started moving"},
        confidence=0.6,
        confidence_notes=["the right leg was hidden for 30 % of the rep"],
    )
    report = dataclasses.replace(analysis.report, reps=[analysis.report.reps[0], hidden])
    html = render_html(dataclasses.replace(analysis, report=report))
    assert "hidden when it started moving" in html
    assert "60 %" in html and "hidden for 30 % of the rep" in html
    assert not math.isnan(report.reps[0].confidence)
