"""The setup check: each thing to fix is named, and counting starts only at 90/90."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.posture import trunk_tilt_deg
from psoas_coach.live.setup import MESSAGES, READY_MESSAGE, SetupCheck, SetupVerdict, trunk_tilt_of
from psoas_coach.pose.backend import FramePose
from psoas_coach.pose.landmarks import NUM_LANDMARKS, joint
from psoas_coach.pose.types import FloatArray, PoseSequence
from psoas_coach.synth.generator import SynthRecording

SIZE = (1280, 720)
AT_90_90 = {"knee": {"left": 90.0, "right": 95.0}, "hip": {"left": 88.0, "right": 92.0}}
THIGH = 150.0


@pytest.fixture(scope="module")
def lying(clean_march: SynthRecording) -> FramePose:
    """A noise-free frame of the athlete lying at 90/90 (head left, whole body in view)."""
    pose = clean_march.clean
    return FramePose(pose.xy[10], np.zeros(NUM_LANDMARKS), np.full(NUM_LANDMARKS, 0.95))


def _moved(frame: FramePose, xy: FloatArray) -> FramePose:
    return FramePose(xy, frame.z, frame.visibility)


def _shift_left_of_shoulders(f: FramePose) -> FramePose:
    return _moved(f, f.xy - [f.xy[joint("left", "shoulder"), 0] + 20.0, 0.0])


def _frontal(f: FramePose) -> FramePose:
    xy = f.xy.copy()
    for part in ("hip", "shoulder"):
        xy[joint("right", part)] += [0.0, 1.2 * THIGH]
    return _moved(f, xy)


def _standing(f: FramePose) -> FramePose:
    centre = np.nanmean(f.xy, axis=0)
    rotated = (f.xy - centre) @ np.array([[0.0, 1.0], [-1.0, 0.0]]) + centre
    return _moved(f, rotated)


def _feet_hidden(f: FramePose) -> FramePose:
    vis = f.visibility.copy()
    for side in ("left", "right"):
        vis[[joint(side, p) for p in ("ankle", "heel", "foot_index")]] = 0.1
    return FramePose(f.xy, f.z, vis)


def _feet_outside(f: FramePose) -> FramePose:
    shift = np.array([SIZE[0] - f.xy[joint("left", "ankle"), 0] + 10.0, 0.0])
    return _moved(f, f.xy + shift)


CASES: list[tuple[str, Callable[[FramePose], FramePose | None], dict[str, dict[str, float]]]] = [
    ("no_person", lambda f: None, AT_90_90),
    ("feet", _feet_hidden, AT_90_90),
    ("feet", _feet_outside, AT_90_90),
    ("head", _shift_left_of_shoulders, AT_90_90),
    ("side_view", _frontal, AT_90_90),
    ("lying", _standing, AT_90_90),
    ("start_position", lambda f: f, {**AT_90_90, "knee": {"left": 170.0, "right": 90.0}}),
]


@pytest.mark.parametrize(("problem", "change", "angles"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_named_and_nothing_becomes_ready(
    lying: FramePose,
    problem: str,
    change: Callable[[FramePose], FramePose | None],
    angles: dict[str, dict[str, float]],
) -> None:
    check = SetupCheck(AnalysisConfig())
    frame = change(lying)
    verdicts = [check.update(k / 30, frame, angles, SIZE, THIGH) for k in range(60)]
    assert verdicts[-1] == SetupVerdict(False, problem, MESSAGES[problem])
    assert not check.ready


def test_ready_after_half_a_second_at_90_90(lying: FramePose) -> None:
    check = SetupCheck(AnalysisConfig())
    verdicts = [check.update(k / 30, lying, AT_90_90, SIZE, THIGH) for k in range(30)]
    ready_at = next(k for k, v in enumerate(verdicts) if v.ready)
    assert ready_at == 15  # 0.5 s at 30 fps
    assert verdicts[-1] == SetupVerdict(True, "", READY_MESSAGE)
    assert check.ready_since_s == 0.0


def test_a_short_glitch_does_not_change_the_message(lying: FramePose) -> None:
    check = SetupCheck(AnalysisConfig())
    hidden = _feet_hidden(lying)
    shown = [
        check.update(k / 30, hidden if k == 5 else lying, AT_90_90, SIZE, THIGH) for k in range(12)
    ]
    assert {v.problem for v in shown} == {"start_position"}


def test_once_ready_moving_legs_are_no_problem_but_leaving_the_picture_is(
    lying: FramePose,
) -> None:
    check = SetupCheck(AnalysisConfig())
    for k in range(20):
        check.update(k / 30, lying, AT_90_90, SIZE, THIGH)
    extended = {**AT_90_90, "knee": {"left": 175.0, "right": 90.0}}
    assert check.update(1.0, lying, extended, SIZE, THIGH).problem == ""
    gone = [check.update(1.0 + k / 30, None, AT_90_90, SIZE, THIGH) for k in range(20)]
    assert gone[-1] == SetupVerdict(True, "no_person", MESSAGES["no_person"])


def test_a_start_off_by_more_than_the_fault_limit_is_still_accepted(lying: FramePose) -> None:
    check = SetupCheck(AnalysisConfig())
    habit = {"knee": {"left": 118.0, "right": 62.0}, "hip": {"left": 90.0, "right": 90.0}}
    for k in range(20):
        verdict = check.update(k / 30, lying, habit, SIZE, THIGH)
    assert verdict.ready


def test_trunk_tilt_of_one_frame_is_the_sequence_formula_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    trunk = [joint(s, p) for s in ("left", "right") for p in ("shoulder", "hip")]
    for _ in range(2000):
        xy = rng.normal(400.0, 150.0, (NUM_LANDMARKS, 2))
        cut = rng.random((NUM_LANDMARKS, 2))
        xy[cut < 0.2] = np.nan  # one coordinate or both
        xy[cut > 0.97] = np.inf
        if rng.random() < 0.1:
            xy[trunk[1:3]] = xy[trunk[0]]  # a point on another: zero-length pieces
        tilt = float(trunk_tilt_deg(PoseSequence.from_arrays(np.zeros(1), xy[None]))[0])
        expected = tilt if np.isfinite(tilt) else 0.0
        assert np.float64(trunk_tilt_of(xy)).tobytes() == np.float64(expected).tobytes()
