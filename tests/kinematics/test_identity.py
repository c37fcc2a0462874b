"""Leg identity: which labelled leg is the athlete's left, offline over the whole clip and live
frame by frame, from depth and visibility, continuity and the head's place (issue 8, item 1)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from psoas_coach.kinematics.identity import (
    GROUPS,
    IdentityFilter,
    SurvivorPaths,
    apply_identity,
    continuity_evidence,
    decode_identity,
    depth_scale,
    exchange_frame,
    frame_continuity,
    frame_cue,
    frame_head_side,
    head_near_side,
    near_side_cue,
)
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.landmarks import MIRROR, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence
from psoas_coach.synth.generator import SynthRecording, generate
from psoas_coach.synth.spec import FaultRates, SynthSpec

THIGH_PX = 150.0


def clean_recording(seed: int = 5, **changes: object) -> SynthRecording:
    """Alternating fault-free reps, no swaps or dropouts (each test adds its own trouble)."""
    spec = SynthSpec(
        seed=seed,
        n_reps=4,
        faults=FaultRates(**{name: 0.0 for name in FaultRates.__dataclass_fields__}),
        swaps_per_min=0.0,
        dropouts_per_min=0.0,
        outlier_rate=0.0,
        near_side="left",
        head_dir="right",
    )
    return generate(replace(spec, **changes))  # type: ignore[arg-type]


def window(pose: PoseSequence, t0: float, t1: float) -> BoolArray:
    return np.asarray((pose.time_s >= t0) & (pose.time_s < t1))


def exchange_positions_only(pose: PoseSequence, frames: BoolArray) -> PoseSequence:
    """Labels of the legs exchanged on ``frames`` in ``xy`` only: depth and visibility keep
    saying the labels are right (what a leg crossing the other in the picture looks like)."""
    xy = pose.xy.copy()
    legs = GROUPS["legs"]
    mirror = [MIRROR[i] for i in legs]
    rows = np.flatnonzero(frames)[:, None]
    xy[rows, legs], xy[rows, mirror] = pose.xy[rows, mirror], pose.xy[rows, legs]
    return pose.with_xy(xy)


def far_rep_span(rec: SynthRecording) -> tuple[float, float]:
    rep = next(r for r in rec.reps if r.side != rec.meta["near_side"])
    return rep.start_s, rep.end_s


@pytest.mark.parametrize("swap_s", [0.3, 1.0, 3.0])
def test_whole_body_swaps_with_their_depth_are_undone(swap_s: float) -> None:
    rec = clean_recording()
    start, _ = far_rep_span(rec)
    frames = window(rec.pose, start + 0.5, start + 0.5 + swap_s)
    identity = decode_identity(rec.pose.mirrored(frames), THIGH_PX)
    assert identity.near_side == "left"
    for group in GROUPS:
        found = identity.exchanged[group]
        assert np.mean(found[frames]) > 0.9
        assert np.count_nonzero(found & ~frames) <= 2
    fixed = apply_identity(rec.pose.mirrored(frames), identity.exchanged)
    knee = joint("right", "knee")
    assert np.nanmedian(np.abs(fixed.xy[frames, knee] - rec.pose.xy[frames, knee])) < 1e-9


def test_a_burst_of_confusing_frames_cannot_relabel_a_rep_with_clear_depth() -> None:
    """The dead-bug failure: positions look exchanged for a few frames while the far leg passes
    the near one, depth and visibility say the labels are right all along."""
    rec = clean_recording()
    start, end = far_rep_span(rec)
    burst = window(rec.pose, start + 0.4, start + 0.55)
    confused = exchange_positions_only(rec.pose, burst)
    identity = decode_identity(confused, THIGH_PX)
    assert np.count_nonzero(identity.exchanged["legs"]) <= np.count_nonzero(burst)
    rep_frames = window(rec.pose, start + 1.0, end)
    assert not identity.exchanged["legs"][rep_frames].any()
    sides = [r.side for r in analyze_pose(confused).report.reps]
    assert sides == [r.side for r in rec.reps]


def test_without_depth_or_visibility_the_head_decides_the_near_side() -> None:
    rec = clean_recording()
    pose = rec.pose
    flat = PoseSequence(
        pose.time_s, pose.xy, np.full_like(pose.z, np.nan), np.ones_like(pose.visibility)
    )
    assert head_near_side(pose.xy)[0] == "left"  # head to the right of the picture
    identity = decode_identity(flat, THIGH_PX)
    assert identity.near_side == "left"
    assert 0.5 < identity.near_confidence < 1.0
    assert not identity.any_exchanged.any()


def test_clear_depth_outweighs_the_head_and_says_so() -> None:
    rec = clean_recording(near_side="right", head_dir="right")  # not what the head implies
    identity = decode_identity(rec.pose, THIGH_PX)
    assert identity.near_side == "right"
    assert identity.near_confidence > 0.99
    assert any("check left and right" in w for w in identity.warnings)
    assert not identity.any_exchanged.any()


def test_live_filter_follows_the_offline_decision() -> None:
    rec = clean_recording(seed=8, swaps_per_min=6.0, swap_min_s=0.3, swap_max_s=2.0)
    pose = rec.pose
    offline = decode_identity(pose, THIGH_PX)
    live = IdentityFilter(scale_px=THIGH_PX)
    z_scale = depth_scale(pose.z)
    agree = []
    for i in np.flatnonzero(pose.detected):
        frame = live.update(pose.time_s[i], pose.xy[i], pose.z[i], pose.visibility[i], z_scale)
        agree.append(frame.exchanged["legs"] == offline.exchanged["legs"][i])
        assert frame.near_side == "left" or live.frames < 30
    assert rec.swapped.sum() > 30
    assert np.mean(agree) > 0.97
    live.reset()
    assert live.frames == 0


def test_live_settled_verdicts_are_the_offline_ones_with_the_same_evidence() -> None:
    """The live filter's final verdicts (Viterbi, released once no later frame can change them)
    are the whole clip's when the evidence is the same (the depth scale of the clip)."""
    rec = clean_recording(seed=8, swaps_per_min=6.0, swap_min_s=0.3, swap_max_s=2.0)
    pose = rec.pose.select(rec.pose.detected)
    offline = decode_identity(pose, THIGH_PX)
    live = IdentityFilter(scale_px=THIGH_PX)
    z_scale = depth_scale(pose.z)
    settled: list[dict[str, bool]] = []
    for i in range(len(pose)):
        live.update(pose.time_s[i], pose.xy[i], pose.z[i], pose.visibility[i], z_scale)
        settled += live.settled()
        assert len(settled) >= i + 1 - 30 or live.frames < 30  # decided within a second
    settled += live.finish()
    assert len(settled) == len(pose)
    for group in GROUPS:
        live_path = np.array([v[group] for v in settled])
        assert live_path.tolist() == offline.exchanged[group].tolist(), group
    assert offline.exchanged["legs"].sum() > 30


def _best_path(emit: FloatArray, switch: FloatArray) -> list[bool]:
    """The best path of a short two-state chain by trying every path."""
    n = emit.shape[0]
    best, score = [False] * n, -np.inf
    for code in range(2**n):
        path = [bool(code >> k & 1) for k in range(n)]
        total = sum(emit[k, int(path[k])] for k in range(n))
        total += sum(switch[k] for k in range(1, n) if path[k] != path[k - 1])
        if total > score:
            best, score = path, total
    return best


@pytest.mark.parametrize("seed", range(8))
def test_survivor_paths_release_the_best_path_of_the_whole_chain(seed: int) -> None:
    rng = np.random.default_rng(seed)
    emit = rng.normal(0.0, 1.0, (10, 2))
    switch = rng.normal(-2.0, 1.5, 10)
    paths = SurvivorPaths()
    released: list[bool] = []
    for k in range(10):
        released += paths.update((float(emit[k, 0]), float(emit[k, 1])), float(switch[k]))
    early = len(released)
    released += paths.finish()
    assert released == _best_path(emit, switch)
    assert paths.pending == 0 and early <= 10


def test_survivor_paths_decide_the_oldest_frames_past_their_limit() -> None:
    paths = SurvivorPaths(max_pending=3)
    released: list[bool] = []
    for _ in range(6):  # no evidence either way and free changes: never settled by itself
        released += paths.update((0.0, 0.0), 0.0)
    assert len(released) == 3 and paths.pending == 3


def test_exchange_frame_swaps_only_the_groups_asked() -> None:
    values = np.arange(33 * 2, dtype=float).reshape(33, 2)
    legs_only = exchange_frame(values, {"legs": True, "upper": False})
    knee, shoulder = joint("left", "knee"), joint("left", "shoulder")
    assert (legs_only[knee] == values[MIRROR[knee]]).all()
    assert (legs_only[shoulder] == values[shoulder]).all()
    assert (exchange_frame(values, {}) == values).all()


def test_confidence_drops_where_the_evidence_is_mixed() -> None:
    rec = clean_recording()
    start, _ = far_rep_span(rec)
    frames = window(rec.pose, start, start + 0.3)
    mixed = rec.pose.mirrored(frames)
    vis = mixed.visibility.copy()
    vis[frames] = 0.8  # no visibility evidence either way there
    z = mixed.z.copy()
    z[frames] = np.nan
    identity = decode_identity(PoseSequence(mixed.time_s, mixed.xy, z, vis), THIGH_PX)
    assert identity.confidence[~frames].min() > 0.95
    assert identity.confidence[frames].min() < identity.confidence[~frames].min()


def _random_frames(seed: int, frames: int = 400) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Random ``(F, 33, 2)`` pixels, depth and visibility ``(F, 33)``, with gaps (NaN) and
    frames where nobody, or only a few landmarks, were seen."""
    rng = np.random.default_rng(seed)
    xy = rng.normal(500.0, 150.0, (frames, 33, 2))
    z = rng.normal(0.0, 60.0, (frames, 33))
    vis = rng.random((frames, 33))
    for arr in (xy, z, vis):
        arr[rng.random(arr.shape) < 0.15] = np.nan
    xy[rng.random(frames) < 0.05] = np.nan
    xy[::7, :, 1] = np.nan  # one coordinate missing only
    return xy, z, vis


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("group", list(GROUPS))
def test_one_frame_evidence_equals_the_vectorised_formulas_bit_for_bit(
    seed: int, group: str
) -> None:
    xy, z, vis = _random_frames(seed)
    z_scale = 37.5
    cues = near_side_cue(z, vis, z_scale, group)
    jumps = continuity_evidence(xy[1:], xy[:-1], group, THIGH_PX)
    for f in range(len(xy)):
        assert frame_cue(z[f].tolist(), vis[f].tolist(), z_scale, group) == cues[f]
        if f:
            jump = frame_continuity(xy[f].tolist(), xy[f - 1].tolist(), group, THIGH_PX)
            assert jump == jumps[f - 1]
        assert frame_head_side(xy[f].tolist()) == head_near_side(xy[f][None])[0]


def test_one_frame_head_side_covers_every_case() -> None:
    frame = np.full((33, 2), np.nan)
    assert frame_head_side(frame.tolist()) is None  # nobody
    for hip in (joint("left", "hip"), joint("right", "hip")):
        frame[hip] = (100.0, 300.0)
    frame[0] = (400.0, 290.0)  # the nose to the right of the hips: lying, head right
    assert frame_head_side(frame.tolist()) == head_near_side(frame[None])[0] == "left"
    frame[0] = (-200.0, 290.0)
    assert frame_head_side(frame.tolist()) == head_near_side(frame[None])[0] == "right"
    frame[0] = (110.0, 0.0)  # above the hips: not lying across the picture
    assert frame_head_side(frame.tolist()) is head_near_side(frame[None])[0] is None
