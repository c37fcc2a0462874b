"""A leg drawn on the other one where it is not: treated as not seen, bridged when short, its
figures null with the reason; legs that really are together are left alone (issue 8, item 2)."""

from __future__ import annotations

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import knee_angle, thigh_length_px
from psoas_coach.kinematics.cleanup import place_tracks, settled_count
from psoas_coach.kinematics.occlusion import (
    UNKNOWN_S,
    coincident_frames,
    leg_view,
    runs,
    small_median,
)
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import BoolArray, PoseSequence
from psoas_coach.reps.types import Rep
from psoas_coach.synth.generator import SynthRecording
from psoas_coach.synth.noise import draw_far_leg_over_near
from tests.kinematics.test_identity import clean_recording


def far_rep(rec: SynthRecording) -> Rep:
    return next(r for r in rec.reps if r.side != rec.meta["near_side"])


def drawn_over(rec: SynthRecording, t0: float, t1: float) -> tuple[PoseSequence, BoolArray]:
    """The recording with the far leg drawn on the near one during ``[t0, t1)`` seconds."""
    pose = rec.pose
    frames = (pose.time_s >= t0) & (pose.time_s < t1)
    xy, vis = pose.xy.copy(), pose.visibility.copy()
    draw_far_leg_over_near(xy, vis, frames, rec.meta["near_side"], 0.5, np.random.default_rng(1))
    return PoseSequence(pose.time_s, xy, pose.z, vis), frames


def test_legs_together_at_rest_are_seen() -> None:
    rec = clean_recording()
    thigh = thigh_length_px(rec.pose)
    together = coincident_frames(rec.pose, thigh)
    assert together.mean() > 0.3  # at 90/90 the legs lie on each other in a side view
    view = leg_view(rec.pose, thigh)
    assert not any(mask.any() for mask in view.unseen.values())


@pytest.mark.parametrize(("where", "length_s"), [("hold", 1.0), ("hold", 0.3), ("return", 0.6)])
def test_far_leg_drawn_on_the_near_one_during_its_rep_is_not_seen(
    where: str, length_s: float
) -> None:
    rec = clean_recording()
    rep = far_rep(rec)
    t0 = rep.hold_start_s + 0.3 if where == "hold" else rep.hold_end_s - 0.1
    pose, frames = drawn_over(rec, t0, t0 + length_s)
    far = "right" if rec.meta["near_side"] == "left" else "left"
    view = leg_view(pose, thigh_length_px(pose))
    assert view.unseen[far][frames].mean() > 0.8
    assert not view.unseen[rec.meta["near_side"]].any()


def test_a_hidden_hold_is_bridged_and_the_rep_kept_whole() -> None:
    rec = clean_recording()
    rep = far_rep(rec)
    pose, frames = drawn_over(rec, rep.hold_start_s + 0.3, rep.hold_start_s + 1.3)
    analysis = analyze_pose(pose)
    assert np.nanmin(knee_angle(analysis.pose, rep.side)[frames]) > 150.0
    found = [r for r in analysis.report.reps if r.side == rep.side]
    truth = [r for r in rec.reps if r.side == rep.side]
    assert len(found) == len(truth)
    match = min(found, key=lambda r: abs(r.start_s - rep.start_s))
    hold = match.figure("hold_s")
    assert hold is not None and rep.hold_s is not None
    assert hold == pytest.approx(rep.hold_s, abs=0.25)


def test_an_extension_made_unseen_counts_with_its_extension_not_measured() -> None:
    """Hidden from rest until halfway out, then seen: a jump up out of a long coincident run."""
    rec = clean_recording()
    rep = far_rep(rec)
    assert rep.extension_s is not None
    mid = rep.start_s + 0.6 * rep.extension_s
    pose, _ = drawn_over(rec, rep.start_s - 0.5, mid)
    view = leg_view(pose, thigh_length_px(pose))
    pieces = runs(view.unseen[rep.side])
    assert pieces, "the leg was hidden"
    a, b = pieces[-1]
    assert pose.time_s[b - 1] - pose.time_s[a] <= UNKNOWN_S + 0.1
    reps = analyze_pose(pose).report.reps
    assert [r.side for r in reps] == [r.side for r in rec.reps]
    hidden = min(reps, key=lambda r: abs(r.start_s - rep.start_s))
    assert hidden.extension_s is None
    assert "hidden" in hidden.not_measured["extension_s"]
    assert hidden.hold_s is not None
    assert hidden.confidence < 1.0 and hidden.confidence_notes


@pytest.mark.parametrize("where", ["hold", "extension"])
def test_a_recording_coming_in_settles_as_the_whole_recording(where: str) -> None:
    """Live, clean-up runs on the frames so far: the frames it calls settled are those of the
    whole recording (positions and seen flags), though a run of legs drawn together is judged
    by the frames after it (issues 9 and 11)."""
    rec = clean_recording()
    rep = far_rep(rec)
    assert rep.extension_s is not None
    if where == "hold":
        pose, _ = drawn_over(rec, rep.hold_start_s + 0.3, rep.hold_start_s + 1.3)
    else:
        pose, _ = drawn_over(rec, rep.start_s - 0.5, rep.start_s + 0.6 * rep.extension_s)
    config, thigh = AnalysisConfig(), thigh_length_px(pose)
    t, xy = pose.time_s, pose.xy
    whole = place_tracks(t, xy, config, thigh)
    held, stale = [], []
    for n in range(30, len(pose), 3):
        part = place_tracks(t[:n], xy[:n], config, thigh, growing=True)
        count = settled_count(t[:n], part, config)
        np.testing.assert_array_equal(part.xy[:count], whole.xy[:count])
        for side in SIDES:
            assert (part.seen[side][:count] == whole.seen[side][:count]).all()
        held.append(t[n - 1] - t[count])
        older = t[:n] <= t[n - 1] - 1.0  # what a fixed lag of a second would release
        stale.append(not np.array_equal(part.xy[older], whole.xy[:n][older], equal_nan=True))
    assert any(stale), "a fixed lag would release frames the whole recording changes"
    assert np.median(held) < 1.0 and max(held) > 1.5


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_small_median_is_numpys_median_bit_for_bit(size: int) -> None:
    rng = np.random.default_rng(size)
    for _ in range(500):
        values = rng.uniform(0.0, 180.0, size)
        if rng.random() < 0.3:
            values = np.round(values, 0)  # ties
        if rng.random() < 0.1:
            values[rng.integers(size)] = np.nan
        got, expected = small_median(values.tolist()), float(np.median(values))
        assert np.float64(got).tobytes() == np.float64(expected).tobytes(), values
