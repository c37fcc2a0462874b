"""Is the athlete lying down? Trunk tilt per frame and the lying / standing / sitting verdict."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from psoas_coach.exceptions import PostureError
from psoas_coach.kinematics.posture import UPRIGHT_DEG, assess_posture, trunk_tilt_deg
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import PoseSequence
from tests.kinematics.bodies import both_sides, frame_times, joints_pose, posed_body

T = frame_times(1.0)
STRAIGHT = {"left": 180.0, "right": 180.0}


def lying() -> PoseSequence:
    return posed_body(T).pose


def standing() -> PoseSequence:
    return posed_body(T, knee_deg=STRAIGHT, hip_deg=STRAIGHT, turn_deg=-90.0).pose


def sitting() -> PoseSequence:
    return posed_body(T, turn_deg=-90.0).pose


def long_sitting() -> PoseSequence:
    """Sitting up with both legs straight out in front."""
    return posed_body(T, knee_deg=STRAIGHT, turn_deg=-90.0).pose


def straight_body(tilt_deg: float) -> PoseSequence:
    """Shoulder, hip, knee and ankle on one line tilted ``tilt_deg`` from the horizontal."""
    a = np.radians(tilt_deg)
    step = 100.0 * np.array([np.cos(a), np.sin(a)])
    origin = np.array([300.0, 100.0])
    parts = ("shoulder", "hip", "knee", "ankle")
    return joints_pose(both_sides({p: origin + k * step for k, p in enumerate(parts)}))


def spliced(first: PoseSequence, second: PoseSequence, n_first: int) -> PoseSequence:
    """The first ``n_first`` frames of ``first``, then ``second`` (frame times of ``first``)."""
    xy = np.concatenate([first.xy[:n_first], second.xy[n_first:]])
    return first.with_xy(xy)


@pytest.mark.parametrize(
    ("head_dir", "roll_deg"), [("left", 0.0), ("right", 0.0), ("left", 15.0), ("right", -15.0)]
)
def test_lying_on_the_back_is_lying(head_dir: str, roll_deg: float) -> None:
    pose = posed_body(T, head_dir=head_dir, roll_deg=roll_deg).pose
    posture = assess_posture(pose)
    assert posture.verdict == "lying"
    assert posture.lying_share == 1.0
    assert not posture.upright.any() and posture.upright.shape == T.shape


def test_lying_with_a_leg_extended_is_still_lying() -> None:
    pose = posed_body(T, knee_deg={"left": 175.0}, hip_deg={"left": 170.0}).pose
    assert assess_posture(pose).verdict == "lying"


@pytest.mark.parametrize(
    ("make", "verdict"),
    [(standing, "standing"), (sitting, "sitting"), (long_sitting, "sitting")],
    ids=["standing", "sitting", "long-sitting"],
)
def test_upright_is_standing_or_sitting_by_the_legs(
    make: Callable[[], PoseSequence], verdict: str
) -> None:
    posture = assess_posture(make())
    assert posture.verdict == verdict
    assert posture.lying_share == 0.0
    assert posture.upright.all()


def test_trunk_tilt_is_measured_from_the_horizontal_whichever_way_the_body_lies() -> None:
    for tilt in (0.0, 30.0, 45.0, 89.0):
        for mirror in (0.0, 180.0):
            tilted = straight_body(mirror + tilt)
            assert trunk_tilt_deg(tilted)[0] == pytest.approx(tilt, abs=1e-9)
    assert trunk_tilt_deg(straight_body(-30.0))[0] == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("tilt_deg", "verdict"),
    [(UPRIGHT_DEG - 1.0, "lying"), (UPRIGHT_DEG + 1.0, "standing"), (90.0, "standing")],
)
def test_upright_starts_past_the_tilt_threshold(tilt_deg: float, verdict: str) -> None:
    assert assess_posture(straight_body(tilt_deg)).verdict == verdict


@pytest.mark.parametrize(
    ("lying_frames", "other", "verdict"),
    [
        (20, standing, "lying"),
        (15, sitting, "lying"),
        (14, sitting, "sitting"),
        (5, standing, "standing"),
    ],
)
def test_the_majority_of_frames_decides(
    lying_frames: int, other: Callable[[], PoseSequence], verdict: str
) -> None:
    pose = spliced(lying(), other(), lying_frames)
    posture = assess_posture(pose)
    assert posture.verdict == verdict
    assert posture.lying_share == pytest.approx(lying_frames / T.size)
    assert np.flatnonzero(posture.upright).tolist() == list(range(lying_frames, T.size))


def test_frames_without_a_trunk_do_not_count() -> None:
    """10 frames without a trunk, 12 standing, 8 lying: 8 of the 20 frames seen are lying."""
    pose = spliced(standing(), lying(), 22)
    xy = pose.xy.copy()
    xy[:10, [joint(s, p) for s in SIDES for p in ("shoulder", "hip")]] = np.nan
    posture = assess_posture(pose.with_xy(xy))
    assert posture.verdict == "standing"
    assert posture.lying_share == pytest.approx(0.4)
    assert np.flatnonzero(posture.upright).tolist() == list(range(10, 22))


def test_no_trunk_at_all_is_unknown() -> None:
    pose = joints_pose(both_sides({"knee": (0.0, 0.0), "ankle": (50.0, 0.0)}), n_frames=4)
    posture = assess_posture(pose)
    assert posture.verdict == "unknown"
    assert posture.lying_share == 0.0
    assert posture.upright.shape == (4,) and not posture.upright.any()
    assert assess_posture(PoseSequence.empty()).verdict == "unknown"


def test_standing_with_the_far_leg_never_seen_is_standing_without_warnings() -> None:
    pose = standing()
    xy = pose.xy.copy()
    xy[:, [joint("right", p) for p in ("knee", "ankle", "heel", "foot_index")]] = np.nan
    assert assess_posture(pose.with_xy(xy)).verdict == "standing"


def test_upright_with_no_leg_ever_seen_is_upright_and_not_analysed() -> None:
    pose = standing()
    xy = pose.xy.copy()
    legs = [joint(s, p) for s in ("left", "right") for p in ("knee", "ankle", "heel", "foot_index")]
    xy[:, legs] = np.nan
    assert assess_posture(pose.with_xy(xy)).verdict == "upright"
    with pytest.raises(PostureError, match="appears to be upright"):
        analyze_pose(pose.with_xy(xy))
