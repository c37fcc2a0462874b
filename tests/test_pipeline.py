"""The pipeline's own behaviour: what ``analyze_pose`` does around the engine (the quality
figures, the not-assessable verdict, the one report builder) and the errors it raises."""

from __future__ import annotations

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import NoPersonError
from psoas_coach.pipeline import analyze_pose, filmed_from_side
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import PoseSequence
from psoas_coach.report.build import build_report, quality_figures
from psoas_coach.reps.types import Rep
from psoas_coach.synth.generator import FaultRates, SynthSpec, generate

NO_FAULTS = FaultRates(**dict.fromkeys(FaultRates.__dataclass_fields__, 0.0))


@pytest.fixture(scope="module")
def march() -> PoseSequence:
    """Four clean alternating reps at 30 fps."""
    spec = SynthSpec(seed=11, n_reps=4, faults=NO_FAULTS, dropouts_per_min=0.0, swaps_per_min=0.0)
    return generate(spec).pose


def _quality(**changes: float) -> dict[str, float]:
    seen = {s: np.ones(10, dtype=bool) for s in SIDES}
    base = quality_figures(np.ones(10, dtype=bool), seen, "left", 0.01, np.ones(10))
    return {**base, **changes}


def _rep(index: int, side: str) -> Rep:
    return Rep(
        index=index,
        side=side,
        start_s=2.0 * index,
        peak_s=2.0 * index + 1,
        end_s=2.0 * index + 1.5,
        extension_s=1.0,
        hold_s=2.5,
        knee_angle_peak_deg=170,
        hip_angle_peak_deg=160,
    )


def test_a_clean_march_is_assessable_and_counted_per_side(march: PoseSequence) -> None:
    report = analyze_pose(march).report
    assert report.assessable and report.not_assessable_reason == ""
    assert report.summary["reps"] == {"left": 2, "right": 2}
    assert report.quality["person_found"] == 1.0 and report.quality["near_leg_seen"] > 0.9
    assert report.quality["jitter_thigh"] < 0.05


def test_quality_shares_count_only_frames_with_the_person() -> None:
    found = np.array([True, True, False, False])
    seen = {"left": np.array([True, False, False, False]), "right": np.ones(4, dtype=bool)}
    q = quality_figures(found, seen, "left", 0.02, np.array([0.9, 0.7, 0.1, 0.1]))
    assert q["person_found"] == 0.5
    assert (q["near_leg_seen"], q["far_leg_seen"]) == (0.5, 1.0)
    assert q["side_sure"] == pytest.approx(0.8) and q["near_side"] == 0.0


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"person_found": 0.4}, "found in only 40 %"),
        ({"near_leg_seen": 0.3}, "hidden or out of the picture in 70 %"),
        ({"jitter_thigh": 0.2}, "jump by 20 % of a thigh length"),
    ],
)
def test_a_set_too_poorly_seen_keeps_no_reps_and_says_why(
    changes: dict[str, float], reason: str
) -> None:
    reps = [_rep(1, "left"), _rep(2, "right")]
    report = build_report(
        source="set",
        fps=30.0,
        duration_s=10.0,
        reps=reps,
        warnings=[],
        config=AnalysisConfig(),
        quality=_quality(**changes),
    )
    assert not report.assessable and reason in report.not_assessable_reason
    assert report.reps == [] and report.summary["reps"] == {"left": 0, "right": 0}


def test_the_report_builder_adds_the_presence_and_unmeasured_warnings() -> None:
    rep = Rep(
        index=1,
        side="left",
        start_s=1.0,
        peak_s=2.0,
        end_s=3.0,
        extension_s=None,
        hold_s=2.5,
        knee_angle_peak_deg=170,
        hip_angle_peak_deg=160,
        not_measured={"extension_s": "hid"},
    )
    report = build_report(
        source="set",
        fps=30.0,
        duration_s=10.0,
        reps=[rep],
        warnings=["from the reader"],
        config=AnalysisConfig(),
        quality=_quality(person_found=0.9),
    )
    assert report.warnings[0] == "person not found in 10 % of frames"
    assert report.warnings[1] == "from the reader"
    assert report.warnings[2].startswith("extension not measured on rep #1")
    assert report.person_found_share == 0.9


def test_nobody_anywhere_is_an_error_naming_the_recording(march: PoseSequence) -> None:
    empty = march.with_xy(np.full_like(march.xy, np.nan))
    with pytest.raises(NoPersonError, match="nobody found in the recording"):
        analyze_pose(empty)


@pytest.mark.parametrize(
    ("right_hip", "thigh_px", "side_view"),
    [
        ((100.0, 300.0), 100.0, True),  # hips on each other
        ((100.0, 359.0), 100.0, True),  # 59 px apart: within 0.6 thighs
        ((160.0, 300.0), 100.0, True),  # exactly 0.6 thighs
        ((100.0, 361.0), 100.0, False),
        ((100.0, 361.0), float("nan"), True),  # no thigh length yet
        ((np.nan, np.nan), 100.0, True),  # one hip unknown
        ((np.inf, 300.0), 100.0, True),
    ],
)
def test_the_side_view_check_of_one_frame_is_that_of_a_one_frame_sequence(
    right_hip: tuple[float, float], thigh_px: float, side_view: bool
) -> None:
    xy = np.full((33, 2), np.nan)
    xy[joint("left", "hip")] = (100.0, 300.0)
    xy[joint("right", "hip")] = right_hip
    assert filmed_from_side(xy, thigh_px) is side_view
    assert filmed_from_side(xy[None], thigh_px) is side_view
