"""Smoothing filters: the Butterworth low-pass frame by frame, its null choice, and zero-phase
filtering for offline analysis (no lag, NaN gaps split a track)."""

from __future__ import annotations

import numpy as np
import pytest

from psoas_coach.kinematics.filters import (
    ButterworthFactory,
    ButterworthLowPass,
    NoFilterFactory,
    run_filter,
    zero_phase,
)
from psoas_coach.pose.types import FloatArray

FPS = 30.0
T = np.arange(300) / FPS  # 10 s
MIDDLE = slice(45, -45)  # away from the start-up at either end
LOW_PASS = ButterworthFactory(2.0)


def column(values: FloatArray) -> FloatArray:
    return np.asarray(values[:, None], dtype=np.float64)


def slow_sine(freq_hz: float = 0.3) -> FloatArray:
    return np.asarray(np.sin(2.0 * np.pi * freq_hz * T), dtype=np.float64)


@pytest.mark.parametrize("factory", [LOW_PASS, ButterworthFactory(0.5), NoFilterFactory()])
def test_a_constant_track_comes_out_unchanged(
    factory: ButterworthFactory | NoFilterFactory,
) -> None:
    track = np.tile([7.5, -120.0, 0.0], (T.size, 1))
    np.testing.assert_allclose(zero_phase(factory, FPS, track), track, atol=1e-9)
    np.testing.assert_allclose(run_filter(factory, FPS, track), track, atol=1e-9)


def test_a_slow_movement_is_kept_without_lag() -> None:
    sine = slow_sine()
    smooth = zero_phase(LOW_PASS, FPS, column(sine))[:, 0]
    assert np.abs(smooth - sine)[MIDDLE].max() < 0.005
    causal = run_filter(LOW_PASS, FPS, column(sine))[:, 0]
    lag_s = (np.argmax(causal[:100]) - np.argmax(sine[:100])) / FPS
    assert lag_s > 0.05, "the causal filter lags (the live path's price)"
    assert np.argmax(smooth[:100]) == np.argmax(sine[:100]), "zero-phase: no lag"


@pytest.mark.parametrize("freq_hz", [6.0, 10.0, 14.0])
def test_fast_oscillation_is_removed(freq_hz: float) -> None:
    wobble = slow_sine(freq_hz)
    smooth = zero_phase(LOW_PASS, FPS, column(wobble))[:, 0]
    assert np.abs(smooth[MIDDLE]).max() < 0.02


def test_white_noise_is_reduced_and_the_movement_kept() -> None:
    noise = np.random.default_rng(3).normal(0.0, 1.0, T.size)
    signal = 10.0 * slow_sine()
    smooth = zero_phase(LOW_PASS, FPS, column(signal + noise))[:, 0]
    error = (smooth - signal)[MIDDLE]
    assert np.std(error) < 0.5 * np.std(noise[MIDDLE])
    assert abs(np.mean(error)) < 0.2


def test_a_lower_cutoff_smooths_more() -> None:
    noise = np.random.default_rng(4).normal(0.0, 1.0, (T.size, 1))
    spread = [np.std(zero_phase(ButterworthFactory(hz), FPS, noise)[MIDDLE]) for hz in (4, 2, 1)]
    assert spread[0] > spread[1] > spread[2]


def test_the_null_choice_passes_samples_through() -> None:
    track = np.random.default_rng(5).normal(0.0, 1.0, (T.size, 4))
    assert np.array_equal(zero_phase(NoFilterFactory(), FPS, track), track)


def test_nan_gaps_split_a_track_into_pieces_filtered_alone() -> None:
    track = slow_sine() + 0.3 * np.random.default_rng(6).normal(0.0, 1.0, T.size)
    gappy = track.copy()
    gappy[100:110] = np.nan
    out = zero_phase(LOW_PASS, FPS, column(gappy))[:, 0]
    assert np.isnan(out[100:110]).all()
    assert np.isfinite(out[:100]).all() and np.isfinite(out[110:]).all()
    np.testing.assert_allclose(out[:100], zero_phase(LOW_PASS, FPS, column(track[:100]))[:, 0])
    np.testing.assert_allclose(out[110:], zero_phase(LOW_PASS, FPS, column(track[110:]))[:, 0])


def test_a_gap_in_one_element_leaves_the_others_alone() -> None:
    track = np.column_stack([slow_sine(), slow_sine(0.5)])
    gappy = track.copy()
    gappy[50:60, 0] = np.nan
    out = zero_phase(LOW_PASS, FPS, gappy)
    np.testing.assert_allclose(out[:, 1], zero_phase(LOW_PASS, FPS, track)[:, 1])
    assert np.isnan(out[50:60, 0]).all() and np.isfinite(out[60:, 0]).all()


def test_zero_phase_keeps_the_shape_and_does_not_touch_its_input() -> None:
    track = np.random.default_rng(7).normal(0.0, 1.0, (T.size, 33, 2))
    before = track.copy()
    out = zero_phase(LOW_PASS, FPS, track.reshape(T.size, -1)).reshape(track.shape)
    assert out.shape == track.shape
    assert np.array_equal(track, before)


def test_the_filter_starts_at_rest_and_reset_forgets_the_past() -> None:
    flt = ButterworthLowPass(2.0, FPS)
    first = flt.update(np.array([5.0]))
    assert first[0] == pytest.approx(
        5.0, abs=1e-9
    )  # at rest on the first sample: no ramp from zero
    for _ in range(30):
        flt.update(np.array([5.0]))
    stepped = flt.update(np.array([100.0]))
    assert 5.0 < stepped[0] < 50.0  # a step is followed gradually
    flt.reset()
    assert flt.update(np.array([100.0]))[0] == pytest.approx(100.0, abs=1e-9)


@pytest.mark.parametrize("cutoff_hz", [FPS / 2, 100.0])
def test_a_cutoff_at_or_above_nyquist_is_clamped_below_it(cutoff_hz: float) -> None:
    noise = np.random.default_rng(8).normal(0.0, 1.0, (T.size, 1))
    out = zero_phase(ButterworthFactory(cutoff_hz), FPS, noise)
    assert np.isfinite(out).all()
    clamped = zero_phase(ButterworthFactory(0.45 * FPS), FPS, noise)
    np.testing.assert_allclose(out, clamped)


def _per_sample(flt: ButterworthLowPass, track: FloatArray) -> FloatArray:
    """The straightforward pass: ``update`` sample by sample."""
    flt.reset()
    return np.stack([flt.update(x) for x in track]) if len(track) else track.copy()


@pytest.mark.parametrize(
    ("frames", "shape", "nan_share"),
    [
        (300, (66,), 0.0),  # finite throughout: the recursion alone, sample by sample
        (200, (16,), 0.0),  # the recursion element by element (the live window's width)
        (200, (24,), 0.0),
        (200, (25,), 0.0),
        (300, (33, 2), 0.05),  # scattered gaps: the per-sample path for those elements
        (120, (16,), 0.3),
        (1, (4,), 0.0),
        (2, (4,), 0.5),
        (3, (5,), 0.0),
        (0, (6,), 0.0),
    ],
)
def test_run_equals_update_sample_by_sample_bit_for_bit(
    frames: int, shape: tuple[int, ...], nan_share: float
) -> None:
    rng = np.random.default_rng(frames + len(shape))
    track = rng.normal(300.0, 80.0, (frames, *shape))
    track[rng.random(track.shape) < nan_share] = np.nan
    if frames:
        track.reshape(frames, -1)[:, 0] = np.nan  # one element missing throughout
    flt = ButterworthLowPass(2.3, FPS)
    expected = _per_sample(ButterworthLowPass(2.3, FPS), track)
    got = flt.run(track)
    assert got.shape == track.shape
    np.testing.assert_array_equal(got, expected)  # NaN where NaN, equal bits elsewhere
    assert got.tobytes() == np.where(np.isnan(expected), got, expected).tobytes()


def test_zero_phase_from_a_start_is_the_whole_pass_there_bit_for_bit() -> None:
    track = np.column_stack([slow_sine(), slow_sine(0.5), slow_sine(0.7)])
    track[20:30, 0] = np.nan  # a gap before the start: the element is clean from it on
    track[200:205, 1] = np.nan  # a gap after it
    track[:, 2] = np.nan
    whole = zero_phase(LOW_PASS, FPS, track)
    part = zero_phase(LOW_PASS, FPS, track, start=150)
    assert np.isnan(part[:150]).all()
    assert np.array_equal(part[150:], whole[150:], equal_nan=True)
