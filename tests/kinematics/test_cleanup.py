"""Clean-up end to end as ``psoas analyze`` runs it (:func:`labelled_pose`, then the analysis
engine's :class:`SettledCleaner` over the whole recording) on a small synthetic recording: low
visibility, left/right swaps, outlier spikes, short and long gaps, smoothing; frames and times
kept."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import knee_angle
from psoas_coach.kinematics.cleanup import (
    AUTO_CUTOFF_RANGE_HZ,
    fill_gaps,
    labelled_pose,
    median_of,
    remove_outliers,
)
from psoas_coach.kinematics.filters import FilterFactory, NoFilterFactory
from psoas_coach.kinematics.medians import WindowMedians, window_nanmedian
from psoas_coach.kinematics.settled import ALL_JOINTS, SettledCleaner
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence
from tests.kinematics.bodies import Body, frame_times, posed_body

T = frame_times(4.0)  # 120 frames at 30 fps
#: The left knee opens from 90 to 170 degrees and back, slowly.
KNEE = 90.0 + 40.0 * (1.0 - np.cos(2.0 * np.pi * 0.25 * T))
ANKLE = joint("left", "ankle")
DEFAULTS = AnalysisConfig()


def marching() -> Body:
    return posed_body(T, knee_deg={"left": KNEE})


@dataclass(frozen=True)
class Cleaned:
    pose: PoseSequence
    swapped: BoolArray
    filled: BoolArray
    cutoff_hz: float
    seen: dict[str, BoolArray]


def clean_pose(
    pose: PoseSequence,
    config: AnalysisConfig,
    thigh_px: float,
    smoother: FilterFactory | None = None,
) -> Cleaned:
    """The whole clean-up as ``psoas analyze`` runs it (``pipeline.analyze_pose``)."""
    labelled, identity = labelled_pose(pose, config, thigh_px)
    cleaner = SettledCleaner(
        config, smoother=smoother, joints=ALL_JOINTS, streaming=False, max_frames=len(pose)
    )
    for i, t in enumerate(labelled.time_s.tolist()):
        assert len(cleaner.update(t, labelled.xy[i], thigh_px, identity.confidence[i])) == 0
    batch = cleaner.finish(thigh_px)
    assert np.array_equal(batch.time_s, pose.time_s)
    filled = ~pose.detected & ~np.isnan(batch.xy[:, :, 0]).all(axis=1)
    cutoff = config.smoothing_hz or cleaner.cutoff_hz
    return Cleaned(labelled.with_xy(batch.xy), identity.any_exchanged, filled, cutoff, batch.seen)


def unsmoothed(pose: PoseSequence, thigh_px: float, config: AnalysisConfig = DEFAULTS) -> Cleaned:
    """Clean-up with the null smoother: every other step shows exactly."""
    return clean_pose(pose, config, thigh_px, NoFilterFactory())


def frames(t0: float, t1: float) -> BoolArray:
    return np.asarray((t0 <= T) & (t1 > T))


def emptied(pose: PoseSequence, where: BoolArray) -> PoseSequence:
    """``pose`` with nobody detected on ``where``."""
    xy = pose.xy.copy()
    xy[where] = np.nan
    return PoseSequence.from_arrays(pose.time_s, xy, width=pose.width, height=pose.height)


def test_clean_input_passes_through_and_keeps_frames_and_times() -> None:
    body = marching()
    pose = PoseSequence.from_arrays(T, body.pose.xy, width=640, height=480, source="clip.csv")
    cleaned = unsmoothed(pose, body.thigh_px)
    assert cleaned.pose.xy.shape == pose.xy.shape
    assert np.array_equal(cleaned.pose.time_s, T)
    assert (cleaned.pose.width, cleaned.pose.height, cleaned.pose.source) == (640, 480, "clip.csv")
    np.testing.assert_allclose(cleaned.pose.xy, pose.xy, atol=1e-9)
    for mask in (cleaned.swapped, cleaned.filled, *cleaned.seen.values()):
        assert mask.shape == T.shape
    assert not cleaned.swapped.any() and not cleaned.filled.any()
    assert all(cleaned.seen[s].all() for s in SIDES)


def test_an_outlier_spike_is_removed_and_the_track_bridged() -> None:
    body = marching()
    xy = body.pose.xy.copy()
    xy[60, ANKLE] += (0.0, -1.5 * body.thigh_px)
    spiked = body.pose.with_xy(xy)
    cleaned = unsmoothed(spiked, body.thigh_px)
    assert np.linalg.norm(cleaned.pose.xy[60, ANKLE] - body.pose.xy[60, ANKLE]) < 1.0
    smoothed = clean_pose(spiked, DEFAULTS, body.thigh_px)
    error = np.linalg.norm(smoothed.pose.xy[50:71, ANKLE] - body.pose.xy[50:71, ANKLE], axis=-1)
    assert error.max() < 0.02 * body.thigh_px


def test_the_outlier_distance_comes_from_the_configuration() -> None:
    body = marching()
    xy = body.pose.xy.copy()
    xy[60, ANKLE] += (0.0, -0.2 * body.thigh_px)  # under the default 0.35 thigh lengths
    jumped = body.pose.with_xy(xy)
    kept = unsmoothed(jumped, body.thigh_px)
    np.testing.assert_allclose(kept.pose.xy[60, ANKLE], xy[60, ANKLE])
    strict = unsmoothed(jumped, body.thigh_px, DEFAULTS.updated({"outlier_px_per_thigh": 0.1}))
    assert np.linalg.norm(strict.pose.xy[60, ANKLE] - body.pose.xy[60, ANKLE]) < 1.0


def test_a_short_gap_is_filled_and_marked() -> None:
    body = marching()
    gap = frames(1.3, 1.5)
    cleaned = unsmoothed(emptied(body.pose, gap), body.thigh_px)
    assert np.array_equal(cleaned.filled, gap)
    assert np.isfinite(cleaned.pose.xy).all()
    error = np.linalg.norm(cleaned.pose.xy[gap] - body.pose.xy[gap], axis=-1)
    assert error.max() < 0.02 * body.thigh_px
    for side in SIDES:
        assert np.array_equal(cleaned.seen[side], ~gap)


def test_a_gap_longer_than_max_gap_stays_missing_unless_the_setting_allows_it() -> None:
    body = marching()
    gap = frames(1.3, 2.8)  # 1.5 s, over the default 1 s
    pose = emptied(body.pose, gap)
    kept = unsmoothed(pose, body.thigh_px)
    assert np.isnan(kept.pose.xy[gap]).all()
    assert np.isfinite(kept.pose.xy[~gap]).all()
    assert not kept.filled.any()
    bridged = unsmoothed(pose, body.thigh_px, DEFAULTS.updated({"max_gap_s": 2.0}))
    assert np.array_equal(bridged.filled, gap)
    assert np.isfinite(bridged.pose.xy).all()


def test_a_low_visibility_landmark_is_treated_as_missing() -> None:
    body = marching()
    pose = body.pose
    xy, vis = pose.xy.copy(), pose.visibility.copy()
    off = 0.25 * body.thigh_px  # a guess off the ankle, too close to be an outlier
    xy[50:53, ANKLE] += (off, 0.0)
    vis[50:53, ANKLE] = 0.1
    unsure = PoseSequence(T, xy, pose.z, vis)
    cleaned = unsmoothed(unsure, body.thigh_px)
    error = np.linalg.norm(cleaned.pose.xy[50:53, ANKLE] - pose.xy[50:53, ANKLE], axis=-1)
    assert error.max() < 0.02 * body.thigh_px
    assert not cleaned.seen["left"][50:53].any() and cleaned.seen["right"].all()
    trusting = unsmoothed(unsure, body.thigh_px, DEFAULTS.updated({"min_visibility": 0.05}))
    np.testing.assert_allclose(trusting.pose.xy[50:53, ANKLE], xy[50:53, ANKLE])
    assert trusting.seen["left"].all()


def test_swapped_labels_are_put_back() -> None:
    body = marching()
    swap = frames(1.5, 2.0)
    cleaned = unsmoothed(body.pose.mirrored(swap), body.thigh_px)
    assert np.array_equal(cleaned.swapped, swap)
    np.testing.assert_allclose(knee_angle(cleaned.pose, "left"), KNEE, atol=1e-6)


def test_smoothing_reduces_noise_with_the_configured_or_automatic_cutoff() -> None:
    body = marching()
    noise = np.random.default_rng(1).normal(0.0, 2.0, body.pose.xy.shape)
    noisy = body.pose.with_xy(body.pose.xy + noise)
    inner = slice(15, -15)

    def rms_error(xy: FloatArray) -> float:
        return float(np.sqrt(np.mean((xy[inner] - body.pose.xy[inner]) ** 2)))

    auto = clean_pose(noisy, DEFAULTS, body.thigh_px)
    assert AUTO_CUTOFF_RANGE_HZ[0] <= auto.cutoff_hz <= AUTO_CUTOFF_RANGE_HZ[1]
    assert rms_error(auto.pose.xy) < 0.5 * rms_error(noisy.xy)
    fixed = clean_pose(noisy, DEFAULTS.updated({"smoothing_hz": 3.0}), body.thigh_px)
    assert fixed.cutoff_hz == 3.0
    assert rms_error(auto.pose.xy) < rms_error(fixed.pose.xy) < rms_error(noisy.xy)


def test_remove_outliers_counts_what_it_removes() -> None:
    track = np.zeros((9, 2, 2))
    track[4, 0] = (10.0, 0.0)
    track[6, 1] = (0.0, 3.0)
    out, removed = remove_outliers(track, window=5, max_dev_px=5.0)
    assert removed == 1
    assert np.isnan(out[4, 0]).all() and np.isfinite(np.delete(out.reshape(-1, 2), 8, 0)).all()
    assert np.array_equal(track[4, 0], [10.0, 0.0]), "the input is left alone"
    short, none = remove_outliers(track[:3], window=5, max_dev_px=5.0)
    assert none == 0 and np.array_equal(short, track[:3])


NAN = float("nan")


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ([3.0, 1.0, 2.0], 2.0),
        ([4.0, 1.0, 2.0, 3.0], 2.5),
        ([NAN, 5.0, NAN, 1.0], 3.0),
        ([NAN, 7.0, NAN], 7.0),
        ([NAN, NAN, NAN], NAN),
        ([0.1, 0.2, 0.7, NAN, 0.4], (0.2 + 0.4) / 2),
    ],
)
def test_window_nanmedian_matches_numpy(window: list[float], expected: float) -> None:
    got = window_nanmedian(np.array([window]))[0]
    assert np.array_equal(got, expected, equal_nan=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.array_equal(got, np.nanmedian(window), equal_nan=True)


def test_window_nanmedian_equals_numpy_on_random_windows() -> None:
    rng = np.random.default_rng(5)
    windows = rng.normal(scale=300.0, size=(200, 4, 2, 9))
    windows[rng.random(windows.shape) < 0.4] = np.nan
    windows[:20] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(windows, axis=-1)
    assert np.array_equal(window_nanmedian(windows), expected, equal_nan=True)


def test_window_medians_kept_between_windows_are_the_medians_bit_for_bit() -> None:
    rng = np.random.default_rng(8)
    times = np.arange(300) / 30.0
    values = rng.normal(scale=300.0, size=(300, 4, 2))
    values[rng.random(values.shape) < 0.2] = np.nan
    kept = WindowMedians()
    for start in [*range(0, 90, 9), 75, *range(90, 200, 9)]:  # 90 frames, mostly forward
        frames = slice(start, start + 90)
        xy = values[frames].copy()
        if start == 90:
            xy[40:45] += 1.0  # frames seen before, with other values: sorted again
        if start == 135:
            xy = xy[:, :3]  # fewer landmarks: everything sorted again
        for window in (9, 7):
            gap = np.full((window // 2, *xy.shape[1:]), np.nan)
            padded = np.concatenate([gap, xy, gap])
            got = kept(f"site {window}", times[frames], padded, window)
            expected = window_nanmedian(sliding_window_view(padded, window, 0))
            assert np.array_equal(got, expected, equal_nan=True)


def test_remove_outliers_with_kept_medians_removes_the_same() -> None:
    rng = np.random.default_rng(9)
    times = np.arange(200) / 30.0
    track = np.cumsum(rng.normal(scale=2.0, size=(200, 5, 2)), axis=0)
    track[rng.random(200) < 0.1, 2] += 40.0
    kept = WindowMedians()
    for start in range(0, 120, 10):
        part = track[start : start + 80]
        alone = remove_outliers(part, 9, 20.0)
        again = remove_outliers(part, 9, 20.0, kept, times[start : start + 80])
        assert again[1] == alone[1] > 0
        assert np.array_equal(again[0], alone[0], equal_nan=True)


def test_remove_outliers_leaves_landmarks_never_seen_missing() -> None:
    track = np.full((9, 3, 2), np.nan)
    track[:, 1] = 0.0
    track[4, 1] = (10.0, 0.0)
    out, removed = remove_outliers(track, window=5, max_dev_px=5.0)
    assert removed == 1 and np.isnan(out[:, [0, 2]]).all() and np.isnan(out[4, 1]).all()


@pytest.mark.parametrize(("max_gap_s", "filled"), [(0.3, True), (0.29, False)])
def test_fill_gaps_interpolates_in_time_up_to_the_longest_gap(
    max_gap_s: float, filled: bool
) -> None:
    time_s = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    track = np.column_stack([np.arange(5.0), np.arange(5.0)]).reshape(5, 1, 2) * 10.0
    holed = track.copy()
    holed[1:3] = np.nan  # a gap's length: the time between the known frames around, 0.3 s
    holed[4] = np.nan  # a gap at the end is never filled
    out = fill_gaps(time_s, holed, max_gap_s)
    assert np.isnan(out[4]).all()
    if filled:
        np.testing.assert_allclose(out[:4], track[:4])
    else:
        assert np.isnan(out[1:3]).all()


@pytest.mark.parametrize("size", [1, 2, 3, 4, 101, 300])
def test_median_of_is_numpys_median_bit_for_bit(size: int) -> None:
    rng = np.random.default_rng(size)
    for _ in range(50):
        values = rng.uniform(0.02, 0.05, size)
        if rng.random() < 0.5:
            values = np.round(values, 3)  # ties, as frame intervals have
        assert np.float64(median_of(values)).tobytes() == np.float64(np.median(values)).tobytes()
