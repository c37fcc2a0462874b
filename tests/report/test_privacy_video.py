"""Face pixelation and skeleton-only framing, on frames and poses built in code."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.csv_io import read_keypoints
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import PoseSequence
from psoas_coach.report.privacy_video import (
    FACE_LANDMARKS,
    PIXEL_BLOCKS,
    SKELETON_WIDTH_PX,
    _blurred,
    _framed_pose,
    face_region,
    write_skeleton_video,
)
from tests.web.helpers import synthetic_csv


@pytest.fixture(scope="module")
def march_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic psoas-march keypoint CSV (28 s): 4 reps, three with faults, one clean."""
    folder = tmp_path_factory.mktemp("inputs")
    return synthetic_csv(folder / "march.csv.gz", seed=21, n_reps=4, fault_rate=0.3)


def _pose_with_face(times: list[float], centre: tuple[float, float]) -> PoseSequence:
    xy = np.full((len(times), NUM_LANDMARKS, 2), np.nan)
    for k, i in enumerate(FACE_LANDMARKS):
        xy[:, i] = (centre[0] + 3 * (k % 4), centre[1] + 2 * (k // 4))
    return PoseSequence.from_arrays(times, xy, width=320, height=240)


def test_face_region_follows_the_face_and_scales_to_the_frame() -> None:
    pose = _pose_with_face([0.0, 0.1], (100.0, 50.0))
    centre, radius = face_region(pose, 0.1, 640, 480) or (None, 0.0)
    assert centre is not None and np.allclose(centre, (2 * 104.5, 2 * 52.0), atol=3)
    assert radius >= 0.06 * 480
    assert face_region(pose, 5.0, 640, 480) is None  # no pose frame near that time


def test_the_face_is_pixelated_and_the_rest_kept() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    pose = _pose_with_face([0.0], (100.0, 50.0))
    ((_, out),) = list(_blurred(iter([(0.0, frame.copy())]), pose))
    face = out[40:60, 95:115]
    assert len(np.unique(face.reshape(-1, 3), axis=0)) <= PIXEL_BLOCKS * PIXEL_BLOCKS
    assert np.array_equal(out[150:, 200:], frame[150:, 200:])


def test_frames_without_a_face_are_unchanged() -> None:
    frame = np.zeros((240, 320, 3), dtype=np.uint8)
    pose = PoseSequence.from_arrays([0.0], np.full((1, NUM_LANDMARKS, 2), np.nan))
    ((_, out),) = list(_blurred(iter([(0.0, frame.copy())]), pose))
    assert np.array_equal(out, frame)


def test_skeleton_video_frames_the_body(tmp_path: Path, march_csv: Path) -> None:
    analysis = analyze_pose(read_keypoints(march_csv))
    framed = _framed_pose(analysis.pose)
    assert framed.width == SKELETON_WIDTH_PX and framed.height % 2 == 0
    finite = framed.xy[np.isfinite(framed.xy).all(axis=-1)]
    assert finite.min() >= 0 and finite[:, 0].max() <= framed.width
    assert finite[:, 1].max() <= framed.height
    out = tmp_path / "skeleton.mp4"
    frames = write_skeleton_video(analysis, out)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (framed.width, framed.height)
        assert stream.frames == frames > 100
