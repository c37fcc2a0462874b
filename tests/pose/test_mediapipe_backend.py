"""The real BlazePose model on a real supine recording, and its edges (nobody, bad input)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from psoas_coach.exceptions import PoseBackendError
from psoas_coach.pose.backend import FramePose
from psoas_coach.pose.landmarks import INDEX, NUM_LANDMARKS, joint
from psoas_coach.pose.mediapipe_backend import MediaPipeBackend
from psoas_coach.source.video import iter_frames
from tests.source.test_video import real_video

GLUTE_SIZE = (640, 480)  # width, height of glute_bridge.mp4


@pytest.fixture(scope="module")
def glute_poses() -> list[FramePose | None]:
    """BlazePose on every frame of glute_bridge.mp4 (3 s, 30 fps, someone lying supine)."""
    with MediaPipeBackend() as backend:
        return [
            backend.estimate(image, t) for t, image in iter_frames(real_video("glute_bridge.mp4"))
        ]


def _found(poses: list[FramePose | None]) -> list[FramePose]:
    return [p for p in poses if p is not None]


def test_a_person_lying_down_is_found_in_nearly_every_frame(
    glute_poses: list[FramePose | None],
) -> None:
    assert len(glute_poses) == 91
    assert len(_found(glute_poses)) / len(glute_poses) >= 0.95


def test_landmarks_are_pixel_arrays_inside_the_picture(glute_poses: list[FramePose | None]) -> None:
    width, height = GLUTE_SIZE
    for pose in _found(glute_poses):
        assert pose.xy.shape == (NUM_LANDMARKS, 2) and pose.xy.dtype == np.float64
        assert pose.z.shape == pose.visibility.shape == (NUM_LANDMARKS,)
        assert np.all((pose.visibility >= 0) & (pose.visibility <= 1))
        seen = pose.xy[pose.visibility > 0.5]
        assert np.all((seen >= -0.05 * width) & (seen <= [1.05 * width, 1.05 * height]))
        # Pixels, not MediaPipe's normalised [0, 1] coordinates: the body spans many pixels.
        assert np.ptp(seen[:, 0]) > 100
        assert np.isfinite(pose.z).all() and np.abs(pose.z).max() > 1.0


def test_the_body_is_horizontal(glute_poses: list[FramePose | None]) -> None:
    shoulders = [joint(s, "shoulder") for s in ("left", "right")]
    hips = [joint(s, "hip") for s in ("left", "right")]
    trunk = np.array([p.xy[shoulders].mean(0) - p.xy[hips].mean(0) for p in _found(glute_poses)])
    horizontal = np.abs(trunk[:, 0]) > np.abs(trunk[:, 1])
    assert horizontal.mean() >= 0.95
    # The head is on the left of this recording (x about 90-170 px), the feet on the right
    # (x about 400-470 px).
    assert np.median(trunk[:, 0]) < 0
    nose = np.median([p.xy[INDEX["nose"]] for p in _found(glute_poses)], axis=0)
    ankles = [joint(s, "ankle") for s in ("left", "right")]
    feet = np.median([p.xy[ankles].mean(0) for p in _found(glute_poses)], axis=0)
    assert 60 < nose[0] < 220 and 380 < feet[0] < 500


def test_nobody_in_plain_coloured_frames() -> None:
    colours = [(0, 0, 0), (255, 255, 255), (40, 120, 200), (200, 60, 60), (90, 90, 90)]
    with MediaPipeBackend() as backend:
        found = [
            backend.estimate(np.full((240, 320, 3), c, dtype=np.uint8), i / 30)
            for i, c in enumerate(colours * 2)
        ]
    assert found == [None] * 10


@pytest.mark.parametrize(
    "image",
    [np.zeros((8, 8), dtype=np.uint8), np.zeros((8, 8, 4), np.uint8), np.zeros((8, 8, 3))],
    ids=["grey", "rgba", "float"],
)
def test_images_that_are_not_rgb_uint8_are_refused(image: np.ndarray) -> None:  # type: ignore[type-arg]
    with MediaPipeBackend() as backend, pytest.raises(PoseBackendError, match="expected an"):
        backend.estimate(image, 0.0)


def test_heavy_model_is_installed_by_setup_and_finds_the_lying_body() -> None:
    """`scripts/setup.sh` copies MediaPipe's heavy model from the npm package; it then runs
    without any download and finds the person lying on the floor like the full model does."""
    frames = list(iter_frames(real_video("glute_bridge.mp4")))[::10]
    with MediaPipeBackend(model="heavy") as heavy, MediaPipeBackend() as full:
        pairs = [(heavy.estimate(img, t), full.estimate(img, t)) for t, img in frames]
    both = [(h, f) for h, f in pairs if h is not None and f is not None]
    assert len(both) >= 0.9 * len(frames)
    hips = [joint(s, "hip") for s in ("left", "right")]
    gaps = [np.linalg.norm(h.xy[hips].mean(0) - f.xy[hips].mean(0)) for h, f in both]
    assert np.median(gaps) < 20  # pixels: the same body


def test_unknown_or_missing_models_are_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(PoseBackendError, match="unknown pose model 'giant'"):
        MediaPipeBackend(model="giant")
    import psoas_coach.pose.mediapipe_backend as backend_module

    monkeypatch.setattr(backend_module, "model_file", lambda model: tmp_path / "none.tflite")
    with pytest.raises(PoseBackendError, match="BlazePose heavy is not installed .*setup.sh"):
        MediaPipeBackend(model="heavy")


def test_more_threads_give_the_same_landmarks_bit_for_bit(
    glute_poses: list[FramePose | None],
) -> None:
    """A desktop live set runs the networks on every core; `psoas analyze` on one per chunk:
    the landmarks must not depend on it, or live and offline would disagree."""
    with MediaPipeBackend(threads=2) as backend:
        poses = [
            backend.estimate(image, t) for t, image in iter_frames(real_video("glute_bridge.mp4"))
        ]
    assert [p is None for p in poses] == [p is None for p in glute_poses]
    for two, one in zip(_found(poses), _found(glute_poses), strict=True):
        np.testing.assert_array_equal(two.xy, one.xy)
        np.testing.assert_array_equal(two.z, one.z)
        np.testing.assert_array_equal(two.visibility, one.visibility)


def test_no_threads_is_refused() -> None:
    with pytest.raises(PoseBackendError, match="threads must be at least 1, not 0"):
        MediaPipeBackend(threads=0)


def test_without_tracking_the_detector_crops_every_frame(
    glute_poses: list[FramePose | None],
) -> None:
    """``track=False`` (``scripts/pose_error.py --detect-each-frame``): the detector's box crops
    each frame instead of the box the last frame's landmarks give, so the landmarks differ from
    the tracked ones while describing the same body."""
    frames = list(iter_frames(real_video("glute_bridge.mp4")))[:30]
    with MediaPipeBackend(track=False) as backend:
        poses = [backend.estimate(image, t) for t, image in frames]
    pairs = [(p, q) for p, q in zip(poses, glute_poses[:30], strict=True) if p and q]
    assert len(pairs) >= 25
    hips = [joint(s, "hip") for s in ("left", "right")]
    gaps = [np.linalg.norm(p.xy[hips].mean(0) - q.xy[hips].mean(0)) for p, q in pairs]
    assert np.median(gaps) < 20  # pixels: the same body
    assert max(np.abs(p.xy - q.xy).max() for p, q in pairs) > 1.0  # cropped another way


def test_the_graph_smooths_on_each_frames_own_time(glute_poses: list[FramePose | None]) -> None:
    """BlazePose's landmark smoothing (a one-euro filter) depends on the time between frames.
    The server must give the graph each frame's own time, as the athlete's browser does
    (``browser_pose.js``), or a 25 fps video or an unevenly paced live camera would be smoothed
    on a 30 fps clock here and on the real one there, and the two would disagree."""
    frames = list(iter_frames(real_video("glute_bridge.mp4")))[:40]

    def run(pace: float) -> list[FramePose | None]:
        with MediaPipeBackend() as backend:
            return [backend.estimate(image, t * pace) for t, image in frames]

    own, slow = run(1.0), run(4.0)
    for mine, before in zip(own, glute_poses[:40], strict=True):  # the same times, same answer
        assert mine is not None and before is not None
        np.testing.assert_array_equal(mine.xy, before.xy)
    gaps = [np.abs(a.xy - b.xy).max() for a, b in zip(_found(own), _found(slow), strict=True)]
    assert max(gaps) > 1.0  # pixels: frames 4x further apart are smoothed less


def test_frame_times_that_do_not_increase_are_still_estimated() -> None:
    """The graph needs increasing times: a repeated or earlier one (a file's broken timestamps)
    is moved just after the last; after a reset a video may start again from 0."""
    (t0, image), (_, other) = list(iter_frames(real_video("glute_bridge.mp4")))[:2]
    with MediaPipeBackend() as backend:
        first = backend.estimate(image, 5.0)
        assert first is not None
        assert backend.estimate(other, 5.0) is not None
        assert backend.estimate(image, 4.0) is not None
        assert backend.estimate(other, float("nan")) is not None
        backend.reset()
        again = backend.estimate(image, t0)
    assert again is not None
    np.testing.assert_array_equal(again.xy, first.xy)  # a fresh start: the same first answer
