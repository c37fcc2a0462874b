"""Joint angles, thigh length and pelvis height (SPEC section 3) on hand-made geometry and on the
synthetic body posed by known angles."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from psoas_coach.kinematics.angles import (
    compute_kinematics,
    frame_kinematics,
    hip_angle,
    interior_angle,
    knee_angle,
    midpoint,
    pelvis_height,
    thigh_length_px,
    thigh_lengths,
    trunk_axis,
)
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import FloatArray, PoseSequence
from tests.kinematics.bodies import both_sides, frame_times, joints_pose, posed_body

#: Hand-made 90/90 in the picture (y down): trunk along x, thigh straight up, shank towards the
#: feet, parallel to the floor.
NINETY_NINETY = {"shoulder": (0.0, 0.0), "hip": (100.0, 0.0), "knee": (100.0, -80.0)}


def leg(
    ankle: tuple[float, float], knee: tuple[float, float] = (100.0, -80.0)
) -> dict[str, npt.ArrayLike]:
    return both_sides({**NINETY_NINETY, "knee": knee, "ankle": ankle})


@pytest.mark.parametrize(
    ("knee", "ankle", "knee_deg", "hip_deg"),
    [
        ((100.0, -80.0), (180.0, -80.0), 90.0, 90.0),  # 90/90
        ((180.0, 0.0), (260.0, 0.0), 180.0, 180.0),  # leg straight along the floor
        ((100.0, -80.0), (100.0, -160.0), 180.0, 90.0),  # straight leg pointing at the ceiling
        ((180.0, -80.0), (260.0, -80.0), 135.0, 135.0),  # thigh at 45 degrees, shank level
        ((100.0, -80.0), (160.0, -20.0), 45.0, 90.0),  # knee bent past 90
    ],
)
def test_knee_and_hip_interior_angles(
    knee: tuple[float, float], ankle: tuple[float, float], knee_deg: float, hip_deg: float
) -> None:
    pose = joints_pose(leg(ankle, knee))
    for side in SIDES:
        assert knee_angle(pose, side)[0] == pytest.approx(knee_deg, abs=1e-9)
        assert hip_angle(pose, side)[0] == pytest.approx(hip_deg, abs=1e-9)


def test_each_side_reads_its_own_leg() -> None:
    points = {
        **both_sides(NINETY_NINETY),
        "left_ankle": (180.0, -80.0),
        "right_knee": (180.0, 0.0),
        "right_ankle": (260.0, 0.0),
    }
    pose = joints_pose(points)
    assert knee_angle(pose, "left")[0] == pytest.approx(90.0)
    assert hip_angle(pose, "left")[0] == pytest.approx(90.0)
    assert knee_angle(pose, "right")[0] == pytest.approx(180.0)
    assert hip_angle(pose, "right")[0] == pytest.approx(180.0)


@pytest.mark.parametrize(("head_dir", "roll_deg"), [("left", 0.0), ("right", 0.0), ("left", 12.0)])
def test_angles_of_the_posed_body_are_the_angles_it_was_posed_with(
    head_dir: str, roll_deg: float
) -> None:
    t = frame_times(1.0)
    knee = np.linspace(60.0, 179.0, t.size)
    hip = np.linspace(70.0, 175.0, t.size)
    body = posed_body(
        t, knee_deg={"right": knee}, hip_deg={"right": hip}, head_dir=head_dir, roll_deg=roll_deg
    )
    np.testing.assert_allclose(knee_angle(body.pose, "right"), knee, atol=1e-6)
    np.testing.assert_allclose(hip_angle(body.pose, "right"), hip, atol=1e-6)
    np.testing.assert_allclose(knee_angle(body.pose, "left"), 90.0, atol=1e-6)
    np.testing.assert_allclose(hip_angle(body.pose, "left"), 90.0, atol=1e-6)


def test_interior_angle_broadcasts_and_is_nan_where_undefined() -> None:
    b = np.zeros((2, 3, 2))
    a = np.broadcast_to(np.array([1.0, 0.0]), (2, 3, 2))
    c = np.array([[0.0, 1.0], [-1.0, 0.0], [0.0, 0.0]])  # 90, 180, undefined
    angle: FloatArray = interior_angle(np.asarray(a), b, np.broadcast_to(c, (2, 3, 2)))
    assert angle.shape == (2, 3)
    np.testing.assert_allclose(angle[:, :2], [[90.0, 180.0], [90.0, 180.0]])
    assert np.isnan(angle[:, 2]).all()
    missing = interior_angle(np.array([np.nan, 0.0]), np.zeros(2), np.array([1.0, 1.0]))
    assert np.isnan(missing)


def test_a_missing_joint_gives_nan_angles_on_that_frame_only() -> None:
    pose = joints_pose(leg((180.0, -80.0)), n_frames=3)
    xy = pose.xy.copy()
    xy[1, joint("left", "ankle")] = np.nan
    xy[2, joint("left", "shoulder")] = np.nan
    gappy = pose.with_xy(xy)
    knee, hip = knee_angle(gappy, "left"), hip_angle(gappy, "left")
    assert np.isnan(knee[1]) and np.isfinite(knee[[0, 2]]).all()
    assert np.isnan(hip[2]) and np.isfinite(hip[[0, 1]]).all()


def test_thigh_length_is_the_median_over_frames_and_legs() -> None:
    n = 5
    hip = np.zeros((n, 2))
    left_knee = np.column_stack([np.full(n, 120.0), np.zeros(n)])
    right_knee = left_knee.copy()
    right_knee[0] = (600.0, 0.0)  # one wild frame
    right_knee[1] = np.nan  # one missing frame
    pose = joints_pose(
        {"left_hip": hip, "right_hip": hip, "left_knee": left_knee, "right_knee": right_knee},
        n_frames=n,
    )
    assert thigh_length_px(pose) == pytest.approx(120.0)
    nowhere = joints_pose({"left_shoulder": (0.0, 0.0)})
    assert np.isnan(thigh_length_px(nowhere))


def test_thigh_length_of_the_posed_body() -> None:
    body = posed_body(frame_times(1.0), knee_deg={"left": 170.0}, hip_deg={"left": 150.0})
    assert thigh_length_px(body.pose) == pytest.approx(body.thigh_px, rel=1e-9)


def test_midpoint_takes_either_landmark_when_only_one_is_seen() -> None:
    pose = joints_pose({"left_hip": (0.0, 10.0), "right_hip": (20.0, 30.0)}, n_frames=3)
    xy = pose.xy.copy()
    xy[1, joint("left", "hip")] = np.nan
    xy[2, joint("right", "hip")] = np.nan
    mid = midpoint(pose.with_xy(xy), "hip")
    np.testing.assert_allclose(mid, [[10.0, 20.0], [20.0, 30.0], [0.0, 10.0]])


def lifted_trunk(lift_px: FloatArray, *, head_dir: str, roll_deg: float) -> FloatArray:
    """``(F, 33, 2)`` with shoulders and hips only: a 300 px trunk along the floor, the hips
    raised by ``lift_px`` (``(F,)``) off it; head to ``head_dir``, then the picture rolled."""
    n = lift_px.size
    sign = 1.0 if head_dir == "left" else -1.0
    shoulder = np.zeros((n, 2))
    hip = np.column_stack([np.full(n, sign * 300.0), -lift_px])  # y down: up is negative
    a = np.radians(roll_deg)
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    xy = np.full((n, 33, 2), np.nan)
    for s in SIDES:
        xy[:, joint(s, "shoulder")] = shoulder @ turn.T + (400.0, 300.0)
        xy[:, joint(s, "hip")] = hip @ turn.T + (400.0, 300.0)
    return xy


@pytest.mark.parametrize(
    ("head_dir", "roll_deg"), [("left", 0.0), ("right", 0.0), ("left", 10.0), ("right", -8.0)]
)
def test_pelvis_height_is_the_rise_off_the_trunk_line_in_thigh_lengths(
    head_dir: str, roll_deg: float
) -> None:
    lift = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 24.0, 48.0, -12.0])
    xy = lifted_trunk(lift, head_dir=head_dir, roll_deg=roll_deg)
    pose = joints_pose({}, n_frames=lift.size).with_xy(xy)
    height = pelvis_height(pose, thigh_px=120.0)
    np.testing.assert_allclose(height, lift / 120.0, atol=1e-9)


def test_trunk_axis_points_from_shoulders_to_hips_and_defaults_without_a_trunk() -> None:
    xy = lifted_trunk(np.zeros(3), head_dir="right", roll_deg=0.0)
    pose = joints_pose({}, n_frames=3).with_xy(xy)
    np.testing.assert_allclose(trunk_axis(pose), [-1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(trunk_axis(joints_pose({})), [1.0, 0.0])


def test_posed_pelvis_lift_reads_back_in_thigh_lengths() -> None:
    t = frame_times(1.0)
    lift = np.where(t > 0.7, 0.2, 0.0)  # most frames at rest: the trunk line is the rest line
    body = posed_body(t, lift_thigh=lift, roll_deg=5.0)
    height = pelvis_height(body.pose, body.thigh_px)
    change = height - np.median(height[t <= 0.7])
    np.testing.assert_allclose(change[t <= 0.7], 0.0, atol=1e-9)
    np.testing.assert_allclose(change[t > 0.7], 0.2, rtol=0.02)


def test_compute_kinematics_marks_frames_missing_a_needed_joint() -> None:
    t = frame_times(0.5)
    body = posed_body(t, knee_deg={"left": 170.0})
    xy = body.pose.xy.copy()
    xy[3, joint("right", "ankle")] = np.nan
    xy[5, joint("left", "shoulder")] = np.nan
    xy[7, joint("left", "heel")] = np.nan  # not needed for the angles
    kin = compute_kinematics(body.pose.with_xy(xy), body.thigh_px)
    assert np.flatnonzero(~kin.valid).tolist() == [3, 5]
    np.testing.assert_allclose(kin.knee_deg["left"], 170.0, atol=1e-6)
    np.testing.assert_allclose(kin.hip_deg["right"], 90.0, atol=1e-6)
    assert kin.thigh_px == body.thigh_px
    assert np.array_equal(kin.time_s, t)
    assert all(kin.seen[s].all() and kin.seen[s].shape == t.shape for s in SIDES)
    np.testing.assert_array_equal(kin.identity, np.ones(t.size))


def _angle_by_norm(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """The straightforward interior angle: ``np.linalg.norm`` and ``np.sum`` over x/y."""
    u, v = a - b, c - b
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


@pytest.mark.parametrize("frames", [1, 2, 7, 300])
def test_compute_kinematics_angles_equal_the_per_angle_formula_bit_for_bit(frames: int) -> None:
    rng = np.random.default_rng(frames)
    xy = rng.normal(400.0, 120.0, (frames, 33, 2))
    xy[rng.random(xy.shape) < 0.1] = np.nan
    xy[0, joint("left", "knee")] = xy[0, joint("left", "hip")]  # a zero-length thigh
    kin = compute_kinematics(PoseSequence.from_arrays(np.arange(frames) / 30.0, xy), 150.0)
    for s in SIDES:
        hip, knee, ankle, shoulder = (
            xy[:, joint(s, p)] for p in ("hip", "knee", "ankle", "shoulder")
        )
        expected = {
            "knee": _angle_by_norm(hip, knee, ankle),
            "hip": _angle_by_norm(shoulder, hip, knee),
        }
        for name, got in (("knee", kin.knee_deg[s]), ("hip", kin.hip_deg[s])):
            assert got.tobytes() == expected[name].tobytes(), (s, name)
            assert got.flags.c_contiguous


def test_thigh_lengths_equal_np_linalg_norm_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    xy = rng.normal(400.0, 120.0, (200, 33, 2))
    xy[rng.random(xy.shape) < 0.1] = np.nan
    expected = np.stack(
        [np.linalg.norm(xy[:, joint(s, "hip")] - xy[:, joint(s, "knee")], axis=-1) for s in SIDES],
        axis=1,
    )
    assert thigh_lengths(xy).tobytes() == expected.tobytes()


def _same_bits(a: npt.ArrayLike, b: npt.ArrayLike) -> bool:
    x, y = np.asarray(a), np.asarray(b)
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


def test_one_frame_kinematics_are_the_sequence_ones_bit_for_bit() -> None:
    """The live fast tier's one-frame path, NaN bits included, on moving legs and on the
    awkward frames: missing or infinite points, points on each other, no thigh length."""
    t = frame_times(1.0)
    body = posed_body(t, knee_deg={"left": np.linspace(60, 180, t.size)}, roll_deg=7.0)
    frames = [body.pose.xy[i] for i in range(t.size)]
    awkward = body.pose.xy[3].copy()
    awkward[joint("left", "knee")] = awkward[joint("left", "hip")]  # a zero-length thigh
    awkward[joint("right", "ankle")] = np.nan
    awkward[joint("right", "shoulder"), 0] = np.inf
    frames += [awkward, np.full((33, 2), np.nan)]
    for i, xy in enumerate(frames):
        for thigh in (150.0, 0.0, float("nan")):
            axis = np.array([np.cos(0.1 * i), np.sin(0.1 * i)])
            whole = compute_kinematics(PoseSequence.from_arrays([2.5], xy[None]), thigh, axis=axis)
            one = frame_kinematics(2.5, xy, thigh, axis)
            for name in ("time_s", "pelvis_height_thigh", "valid", "identity"):
                assert _same_bits(getattr(one, name), getattr(whole, name)), name
            for name in ("knee_deg", "hip_deg", "seen"):
                for s in SIDES:
                    assert _same_bits(getattr(one, name)[s], getattr(whole, name)[s]), name
