"""The synthetic generator: truth follows SPEC definitions on the clean curves, realism is real."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import interior_angle
from psoas_coach.pose.landmarks import MIRROR, joint
from psoas_coach.pose.types import FloatArray
from psoas_coach.reps.types import Rep
from psoas_coach.synth.body import pelvis_rise
from psoas_coach.synth.generator import (
    FAULT_CODES,
    SynthRecording,
    SynthSpec,
    generate,
    random_spec,
)
from psoas_coach.synth.motion import MotionPlan, RepMotion, Twitch, angles, profile_value

SEEDS = range(12)


@pytest.fixture(scope="module")
def recordings() -> list[SynthRecording]:
    """Devset-like and hard recordings over a few seeds."""
    return [generate(random_spec(s, hard=h)) for s in SEEDS for h in (False, True)]


def _v(value: float | None) -> float:
    """A truth figure (the generator measures every one)."""
    assert value is not None
    return value


def _fine_knee(plan: MotionPlan, rep: Rep, step: float = 2e-4) -> tuple[FloatArray, FloatArray]:
    t = np.arange(rep.start_s - 1.0, rep.end_s + 1.0, step)
    return t, angles(plan, t).knee[rep.side]


def _levels(rep: Rep) -> tuple[float, float]:
    base = _v(rep.knee_angle_start_deg)
    exc = _v(rep.knee_angle_peak_deg) - base
    return base + 0.1 * exc, base + 0.9 * exc


def test_excursion_is_peak_minus_pre_rep_angle(recordings: list[SynthRecording]) -> None:
    for rec in recordings:
        for rep, motion in zip(rec.reps, rec.plan.reps, strict=True):
            pre = angles(rec.plan, np.array([motion.onset_s]))
            assert _v(rep.knee_angle_start_deg) == pytest.approx(float(pre.knee[rep.side][0]))
            assert rep.excursion_deg == pytest.approx(
                _v(rep.knee_angle_peak_deg) - _v(rep.knee_angle_start_deg)
            )
            assert rep.excursion_deg > AnalysisConfig().min_excursion_deg


def test_start_end_are_ten_percent_crossings(recordings: list[SynthRecording]) -> None:
    for rec in recordings:
        for rep in rec.reps:
            ten, _ = _levels(rep)
            t, knee = _fine_knee(rec.plan, rep)
            inside = (t > rep.start_s + 1e-3) & (t < rep.end_s - 1e-3)
            just_before = (t < rep.start_s - 1e-3) & (t > rep.start_s - 0.2)
            just_after = (t > rep.end_s + 1e-3) & (t < rep.end_s + 0.2)
            assert np.all(knee[inside] > ten)
            assert np.all(knee[just_before] < ten)
            assert np.all(knee[just_after] < ten)


def test_peak_and_hip_at_peak(recordings: list[SynthRecording]) -> None:
    for rec in recordings[:8]:
        for rep in rec.reps:
            t, knee = _fine_knee(rec.plan, rep)
            assert _v(rep.knee_angle_peak_deg) == pytest.approx(float(knee.max()), abs=1e-3)
            assert rep.peak_s == pytest.approx(float(t[np.argmax(knee)]), abs=2e-3)
            hip = angles(rec.plan, np.array([rep.peak_s])).hip[rep.side][0]
            assert _v(rep.hip_angle_peak_deg) == pytest.approx(float(hip), abs=0.05)


def test_hold_and_extension_follow_the_ninety_percent_level(
    recordings: list[SynthRecording],
) -> None:
    step = 2e-4
    for rec in recordings[:10]:
        for rep in rec.reps:
            _, ninety = _levels(rep)
            t, knee = _fine_knee(rec.plan, rep, step)
            window = (t >= rep.start_s) & (t <= rep.end_s)
            assert _v(rep.hold_s) == pytest.approx(
                step * np.count_nonzero(knee[window] >= ninety), abs=3e-3
            )
            first = float(t[np.argmax(window & (knee >= ninety))])
            assert _v(rep.extension_s) == pytest.approx(first - rep.start_s, abs=2e-3)


def test_faults_follow_spec_rules(recordings: list[SynthRecording]) -> None:
    cfg = AnalysisConfig()
    for rec in recordings:
        previous = None
        for rep in rec.reps:
            off = max(abs(_v(rep.knee_angle_start_deg) - 90), abs(_v(rep.hip_angle_start_deg) - 90))
            expected = {
                "short_hold": _v(rep.hold_s) < cfg.min_hold_s,
                "long_hold": _v(rep.hold_s) > cfg.max_hold_s,
                "fast_extension": _v(rep.extension_s) < cfg.min_extension_s,
                "incomplete_extension": _v(rep.knee_angle_peak_deg) < cfg.min_knee_peak_deg,
                "back_lift": _v(rep.back_lift_thigh) > cfg.max_back_lift_thigh,
                "support_leg_drift": _v(rep.support_drift_deg) > cfg.support_drift_deg,
                "start_position": off > cfg.start_tolerance_deg,
                "same_side_repeat": rep.side == previous,
            }
            assert set(rep.faults) == {c for c, hit in expected.items() if hit}
            assert rep.faults == sorted(rep.faults)
            previous = rep.side


def test_reps_alternate_unless_same_side_repeat(recordings: list[SynthRecording]) -> None:
    for rec in recordings:
        for before, rep in zip(rec.reps, rec.reps[1:], strict=False):
            assert (rep.side == before.side) == ("same_side_repeat" in rep.faults)
        assert "same_side_repeat" not in rec.reps[0].faults


def test_every_fault_code_appears(recordings: list[SynthRecording]) -> None:
    seen = {code for rec in recordings for rep in rec.reps for code in rep.faults}
    assert seen == set(FAULT_CODES)


def test_truth_stays_clear_of_thresholds(recordings: list[SynthRecording]) -> None:
    cfg = AnalysisConfig()
    for rep in (r for rec in recordings for r in rec.reps):
        assert (
            min(abs(_v(rep.hold_s) - cfg.min_hold_s), abs(_v(rep.hold_s) - cfg.max_hold_s)) >= 0.12
        )
        assert abs(_v(rep.extension_s) - cfg.min_extension_s) >= 0.08
        assert abs(_v(rep.knee_angle_peak_deg) - cfg.min_knee_peak_deg) >= 3.0
        assert abs(_v(rep.back_lift_thigh) - cfg.max_back_lift_thigh) >= 0.03
        assert abs(_v(rep.support_drift_deg) - cfg.support_drift_deg) >= 4.0
        for start in (_v(rep.knee_angle_start_deg), _v(rep.hip_angle_start_deg)):
            assert abs(abs(start - 90.0) - cfg.start_tolerance_deg) >= 4.0


def test_twitches_are_not_reps() -> None:
    spec = replace(
        random_spec(5), faults=replace(random_spec(5).faults, twitch=1.0, twitch_max_deg=18.0)
    )
    rec = generate(spec)
    assert len(rec.plan.twitches) >= spec.n_reps - 1
    assert len(rec.reps) == spec.n_reps
    for tw in rec.plan.twitches:
        t = np.linspace(tw.onset_s, tw.onset_s + tw.duration_s, 200)
        knee = angles(rec.plan, t).knee[tw.side]
        assert knee.max() - knee[0] < AnalysisConfig().min_excursion_deg
        assert not any(
            r.start_s < tw.onset_s + tw.duration_s and tw.onset_s < r.end_s for r in rec.reps
        )


def test_clean_landmarks_give_the_clean_angles_and_lift(recordings: list[SynthRecording]) -> None:
    for rec in recordings[:6]:
        xy, ang = rec.clean.xy, angles(rec.plan, rec.clean.time_s)
        for side in ("left", "right"):
            hip, knee = xy[:, joint(side, "hip")], xy[:, joint(side, "knee")]
            knee_deg = interior_angle(hip, knee, xy[:, joint(side, "ankle")])
            hip_deg = interior_angle(xy[:, joint(side, "shoulder")], hip, knee)
            np.testing.assert_allclose(knee_deg, ang.knee[side], atol=1e-6)
            np.testing.assert_allclose(hip_deg, ang.hip[side], atol=1e-6)
        rise = pelvis_rise(xy, rec.up_dir) / rec.thigh_px
        np.testing.assert_allclose(rise - rise[0], ang.lift_thigh - ang.lift_thigh[0], atol=1e-9)


def test_lift_drift_and_start_match_the_clean_landmarks(recordings: list[SynthRecording]) -> None:
    """Back lift, support drift and pre-rep angles re-measured on the clean pixels."""
    for rec in recordings[:12]:
        xy, t = rec.clean.xy, rec.clean.time_s
        rise = pelvis_rise(xy, rec.up_dir) / rec.thigh_px
        for rep, motion in zip(rec.reps, rec.plan.reps, strict=True):
            other = "right" if rep.side == "left" else "left"
            window = (t >= rep.start_s) & (t <= rep.end_s)
            pre = int(np.searchsorted(t, motion.onset_s)) - 1
            lift = rise[window] - rise[pre]
            assert _v(rep.back_lift_thigh) == pytest.approx(float(lift.max()), abs=0.01)
            knee, hip = _clean_angles(xy, other)
            drift = np.maximum(abs(knee[window] - knee[pre]), abs(hip[window] - hip[pre]))
            assert _v(rep.support_drift_deg) == pytest.approx(float(drift.max()), abs=1.5)
            knee, hip = _clean_angles(xy, rep.side)
            assert _v(rep.knee_angle_start_deg) == pytest.approx(float(knee[pre]), abs=1.5)
            assert _v(rep.hip_angle_start_deg) == pytest.approx(float(hip[pre]), abs=1.5)


def _clean_angles(xy: FloatArray, side: str) -> tuple[FloatArray, FloatArray]:
    hip, knee = xy[:, joint(side, "hip")], xy[:, joint(side, "knee")]
    return (
        interior_angle(hip, knee, xy[:, joint(side, "ankle")]),
        interior_angle(xy[:, joint(side, "shoulder")], hip, knee),
    )


def test_deterministic_per_seed() -> None:
    a, b = generate(random_spec(7, hard=True)), generate(random_spec(7, hard=True))
    np.testing.assert_array_equal(a.pose.xy, b.pose.xy)
    np.testing.assert_array_equal(a.pose.time_s, b.pose.time_s)
    assert a.reps == b.reps
    assert a.meta == b.meta
    c = generate(random_spec(8, hard=True))
    assert c.reps != a.reps


def test_noise_knobs_leave_motion_and_truth_alone() -> None:
    spec = random_spec(3)
    quiet = generate(replace(spec, noise_scale=0.0, dropouts_per_min=0.0, swaps_per_min=0.0))
    assert quiet.reps == generate(spec).reps


def test_shapes_dropouts_and_depth() -> None:
    spec = replace(random_spec(4, hard=True), dropouts_per_min=10.0, z_empty=True)
    rec = generate(spec)
    n = len(rec.pose)
    assert rec.pose.xy.shape == (n, 33, 2)
    assert rec.pose.visibility.shape == rec.pose.z.shape == (n, 33)
    assert rec.dropped.any()
    assert np.isnan(rec.pose.xy[rec.dropped]).all()
    assert (rec.pose.visibility[rec.dropped] == 0).all()
    assert np.isfinite(rec.pose.xy[~rec.dropped]).all()
    assert np.isnan(rec.pose.z).all()
    assert rec.pose.time_s[-1] < rec.meta["duration_s"]
    assert rec.meta["fps"] == spec.fps
    assert {"width", "height", "near_side", "head_dir", "height_m", "roll_deg", "noise_px"} <= set(
        rec.meta
    )


def test_near_side_is_more_visible_and_closer() -> None:
    rec = generate(replace(random_spec(2), near_side="left", swaps_per_min=0.0))
    ok = ~rec.dropped
    near, far = joint("left", "knee"), joint("right", "knee")
    assert rec.pose.visibility[ok, near].mean() > rec.pose.visibility[ok, far].mean() + 0.1
    assert (rec.pose.z[ok, near] < 0).all()
    assert (rec.pose.z[ok, far] > 0).all()


def test_swaps_exchange_left_and_right_labels() -> None:
    spec = replace(
        random_spec(6), noise_scale=0.0, outlier_rate=0.0, shake_px=0.0, swaps_per_min=12.0
    )
    rec = generate(spec)
    assert rec.swapped.any()
    sw, keep = rec.swapped, ~rec.swapped & ~rec.dropped
    np.testing.assert_allclose(rec.pose.xy[sw], rec.clean.xy[sw][:, list(MIRROR)])
    np.testing.assert_allclose(rec.pose.xy[keep], rec.clean.xy[keep])
    assert (
        np.sign(rec.pose.z[sw, joint("left", "hip")])
        != np.sign(rec.pose.z[keep, joint("left", "hip")][0])
    ).all()


def test_noise_scales_with_frame_width() -> None:
    base = replace(
        random_spec(1), outlier_rate=0.0, shake_px=0.0, dropouts_per_min=0.0, swaps_per_min=0.0
    )
    for width, height in ((640, 480), (1920, 1080)):
        rec = generate(replace(base, width=width, height=height, noise_scale=3.0))
        err = rec.pose.xy - rec.clean.xy
        assert np.std(err[:, joint(base.near_side, "hip")]) == pytest.approx(
            3.0 * width / 1000, rel=0.1
        )


def test_hard_specs_are_wider() -> None:
    easy = [random_spec(s) for s in range(40)]
    hard = [random_spec(s, hard=True) for s in range(40)]
    assert max(abs(s.roll_deg) for s in hard) > 5.0 >= max(abs(s.roll_deg) for s in easy)
    assert np.mean([s.swaps_per_min for s in hard]) > np.mean([s.swaps_per_min for s in easy])
    assert min(s.height_m for s in hard) < 1.3
    assert {s.fps for s in hard} <= {24.0, 25.0, 30.0, 50.0, 60.0}


def test_variable_frame_rate_times_increase() -> None:
    rec = generate(replace(random_spec(9), frame_jitter=0.3, fps=30.0))
    steps = np.diff(rec.pose.time_s)
    assert (steps > 0).all()
    assert steps.std() > 0.003


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"head_dir": "up"}, "head_dir"),
        ({"near_side": "front"}, "near_side"),
        ({"fps": 0.0}, "fps"),
        ({"profile": "linear"}, "profile"),
        ({"frame_jitter": 0.7}, "frame_jitter"),
    ],
)
def test_spec_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SynthSpec(**kwargs)  # type: ignore[arg-type]


def test_profiles_are_smooth_steps() -> None:
    x = np.linspace(-0.5, 1.5, 201)
    for kind in ("minjerk", "cosine"):
        y = profile_value(kind, x)
        assert y[0] == 0.0 and y[-1] == 1.0
        assert (np.diff(y) >= -1e-12).all()
    with pytest.raises(ValueError, match="profile"):
        profile_value("linear", x)


def test_rep_motion_returns_to_its_pre_rep_angle() -> None:
    rep = RepMotion("left", 1.0, 1.5, 2.0, 1.0, 80.0, 60.0, hold_drift_deg=-2.0)
    plan = MotionPlan(
        8.0, {"left": 90.0, "right": 90.0}, {"left": 90.0, "right": 90.0}, reps=(rep,)
    )
    ang = angles(plan, np.array([0.5, rep.top_s, rep.release_s, rep.finish_s + 0.1]))
    np.testing.assert_allclose(ang.knee["left"], [90.0, 170.0, 168.0, 90.0])
    np.testing.assert_allclose(ang.knee["right"], 90.0)
    twitch = Twitch("right", 0.0, 1.0, 10.0)
    assert twitch.rise(np.array([0.5]))[0] == pytest.approx(10.0)


def test_nine_reps_at_60_fps_make_about_a_minute() -> None:
    spec = replace(random_spec(0), n_reps=9, fps=60.0)
    rec = generate(spec)
    assert rec.meta["duration_s"] > 50.0
    assert len(rec.pose) == pytest.approx(rec.meta["duration_s"] * 60.0, abs=2)
