"""The body's scale learnt live: once its window has passed, the thigh length is the offline
one and stays (issues 9 and 11: one thigh length for a live set and its offline analysis)."""

from __future__ import annotations

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import SCALE_WINDOW_S, thigh_length_px, thigh_lengths
from psoas_coach.kinematics.cleanup import labelled_pose, settled_cutoff_hz
from psoas_coach.kinematics.scale import BodyScale
from psoas_coach.kinematics.settled import SettledCleaner
from psoas_coach.synth.generator import generate
from tests.live.conftest import short_spec


def test_the_live_thigh_length_becomes_the_offline_one_and_stays() -> None:
    pose = generate(short_spec(31, hard=True)).pose
    scale = BodyScale()
    offline = thigh_length_px(pose)
    seen_after: list[float] = []
    for i in range(len(pose)):
        scale.add_raw(float(pose.time_s[i]), pose.xy[i], pose.z[i])
        if pose.time_s[i] > pose.time_s[0] + SCALE_WINDOW_S + 0.5:
            seen_after.append(scale.thigh_px)
    assert pose.duration_s > 2 * SCALE_WINDOW_S
    assert seen_after and set(seen_after) == {offline}
    assert offline != pytest.approx(thigh_length_px(pose, None), abs=1e-9)  # not the whole clip


def test_the_live_smoothing_cutoff_becomes_the_offline_one() -> None:
    pose = generate(short_spec(31, hard=True)).pose
    config = AnalysisConfig()
    thigh = thigh_length_px(pose)
    labelled, _ = labelled_pose(pose, config, thigh)  # labels as offline
    xy = labelled.xy
    offline = SettledCleaner(config, streaming=False, max_frames=len(pose))
    cleaner = SettledCleaner(config)
    cutoffs = []
    for i in range(len(pose)):
        offline.update(float(pose.time_s[i]), xy[i], thigh)
        cleaner.update(float(pose.time_s[i]), xy[i], thigh)
        cutoffs.append(cleaner.cutoff_hz)
    offline.finish(thigh)
    assert offline.cutoff_hz == settled_cutoff_hz(labelled)
    assert cutoffs[-1] == offline.cutoff_hz
    assert cutoffs[len(cutoffs) // 2] == offline.cutoff_hz


def test_a_set_shorter_than_the_scale_window_is_smoothed_as_offline() -> None:
    """A set that ends before the cut-off's window has passed gets the offline cut-off at its
    end (not the running estimate's)."""
    pose = generate(short_spec(31, hard=True)).pose
    pose = pose.select(pose.time_s < pose.time_s[0] + 0.6 * SCALE_WINDOW_S)
    config = AnalysisConfig()
    thigh = thigh_length_px(pose)
    labelled, _ = labelled_pose(pose, config, thigh)
    cleaner = SettledCleaner(config)
    for i in range(len(pose)):
        cleaner.update(float(pose.time_s[i]), labelled.xy[i], thigh)
    running = cleaner.cutoff_hz
    cleaner.finish(thigh)
    assert cleaner.cutoff_hz == settled_cutoff_hz(labelled)
    assert running != cleaner.cutoff_hz


def test_the_live_thigh_length_is_the_median_of_the_lengths_so_far() -> None:
    pose = generate(short_spec(31, hard=True)).pose
    scale = BodyScale()
    lengths: list[float] = []
    for i in range(len(pose)):
        scale.add_raw(float(pose.time_s[i]), pose.xy[i], pose.z[i])
        if scale.thigh_final:
            break
        new = thigh_lengths(pose.xy[i][None])[0]
        lengths += new[np.isfinite(new)].tolist()
        assert scale.thigh_px == float(np.median(lengths)) or not lengths
    assert scale.thigh_final and len(lengths) > 100
