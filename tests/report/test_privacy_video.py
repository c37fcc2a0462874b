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
    HeadRegions,
    _blurred,
    _framed_pose,
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


def test_head_region_covers_the_landmarks_with_a_margin_and_scales_to_the_frame() -> None:
    pose = _pose_with_face([0.0, 0.1], (100.0, 50.0))  # landmarks over 9 x 4 pixels
    box = HeadRegions.from_pose(pose).at(0.1, 640, 480)
    assert box is not None
    # head size: at least 5 % of 240 = 12 pixels, grown by that on each side, then x2
    assert np.allclose(box, 2 * np.array([100 - 12, 50 - 12, 109 + 12, 54 + 12]))
    assert HeadRegions.from_pose(pose).at(5.0, 640, 480) is None  # no head within 2 s


def test_where_the_head_is_lost_the_nearest_boxes_on_both_sides_stand_in() -> None:
    times = [0.0, 0.1, 0.5, 0.6]
    xy = _pose_with_face(times, (100.0, 50.0)).xy.copy()
    xy[2:, :, 0] += 100.0  # the head moved 100 pixels right between 0.1 s and 0.5 s
    heads = HeadRegions.from_pose(PoseSequence.from_arrays(times, xy, width=320, height=240))
    gap = heads.at(0.3, 320, 240, motion_s=0.1)
    assert gap is not None and gap[0] == 100 - 12 and gap[2] == 209 + 12
    near_start = heads.at(0.05, 320, 240, motion_s=0.1)
    assert near_start is not None and near_start[2] == 109 + 12


#: Head landmark offsets from the ear seen from the side, pixels: nose, eyes, ears, mouth.
SIDE_FACE = [(14, 0), (10, -5), (9, -5), (8, -5), (11, -6), (10, -6), (9, -6), (0, -2), (1, -3)]
SIDE_FACE += [(10, 6), (11, 6)]
#: The head: a disk of this radius (pixels) around the ear plus 3 pixels forward.
HEAD_RADIUS = 16


def _situp_ear(time_s: float) -> tuple[float, float]:
    """Where the ear is in the picture: still, then up and forward at 200 pixels a second
    from 1 s to 2 s (a sit-up), then still."""
    share = min(max(time_s - 1.0, 0.0), 1.0)
    return 80 + 160 * share, 180 - 120 * share


def test_a_moving_head_is_covered_in_every_frame() -> None:
    """A sit-up filmed at 30 fps: the landmarks trail the picture by 0.1 s and are lost from
    1.3 s to 1.7 s, in the middle of the movement; the whole head is pixelated in every
    frame, and the blur stays near the head's path."""
    times = np.arange(90) / 30.0
    xy = np.full((times.size, NUM_LANDMARKS, 2), np.nan)
    for f, t in enumerate(times):
        if not 1.3 <= t <= 1.7:
            ear = _situp_ear(t - 0.1)
            xy[f, list(FACE_LANDMARKS)] = np.add(ear, SIDE_FACE)
    pose = PoseSequence.from_arrays(times, xy, width=320, height=240)
    rng = np.random.default_rng(1)
    frames = [(float(t), rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)) for t in times]
    rows, cols = np.mgrid[:240, :320]
    for (t, before), (_, after) in zip(
        frames, _blurred(iter([(t, f.copy()) for t, f in frames]), pose), strict=True
    ):
        ear = _situp_ear(t)
        head = np.hypot(cols - ear[0] - 3, rows - ear[1]) <= HEAD_RADIUS
        unchanged = (after == before).all(axis=-1)
        assert unchanged[head].mean() < 0.01, f"head visible at {t:.2f} s"
        # at most the head's path across the lost stretch and the motion margin
        assert (~unchanged).mean() < 0.35, f"too much blurred at {t:.2f} s"


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
