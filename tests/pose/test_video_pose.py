"""Pose of whole videos: parallel chunks against one process, errors from helpers, edge videos.

The plumbing is isolated with test backends that report which process estimated each frame;
the product path runs the real BlazePose model on a real supine recording.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from psoas_coach.exceptions import InputNotFoundError, PoseBackendError, VideoError
from psoas_coach.pose.backend import FakeBackend, FramePose, ImageArray, PoseBackend
from psoas_coach.pose.chunks import plan_spans
from psoas_coach.pose.landmarks import NUM_LANDMARKS, joint
from psoas_coach.pose.mediapipe_backend import MediaPipeBackend
from psoas_coach.pose.types import PoseSequence
from psoas_coach.pose.video_pose import (
    PoseProgress,
    VideoPoseResult,
    estimate_video,
    estimate_video_plain,
)
from psoas_coach.source.video import keyframe_times, probe_video
from tests.source.test_video import real_video, steady_clip, write_clip

#: Seconds the calling process waits for a helper to start before giving up.
HELPER_START_TIMEOUT_S = 120.0
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def helpers_can_import_this_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Helper processes unpickle the test backends below, so they must find ``tests``."""
    monkeypatch.syspath_prepend(str(REPO_ROOT))


def _in_helper() -> bool:
    return multiprocessing.parent_process() is not None


class PidBackend(PoseBackend):
    """Landmarks that encode the frame time (x = 100 t + index) and the estimating process (z).

    With ``wait``, the calling process's backend waits at its first frame until a helper has
    estimated one (the helper touches ``marker``), so the video is shared however slow the
    machine.
    """

    def __init__(self, marker: Path, delay_s: float = 0.005, wait: bool = True) -> None:
        self._marker = marker
        self._delay_s = delay_s
        self._waited = not wait

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """Deterministic landmarks for ``time_s``; z holds this process id."""
        if _in_helper():
            self._marker.touch()
        elif not self._waited:
            self._wait_for_helper()
        time.sleep(self._delay_s)
        xy = np.stack([100 * time_s + np.arange(NUM_LANDMARKS), np.full(NUM_LANDMARKS, 50.0)], 1)
        return FramePose(xy, np.full(NUM_LANDMARKS, float(os.getpid())), np.ones(NUM_LANDMARKS))

    def _wait_for_helper(self) -> None:
        wait_for_helper(self._marker)
        self._waited = True


def wait_for_helper(marker: Path) -> None:
    """Block until a helper process has created ``marker``; fail if none is alive to do it."""
    deadline = time.monotonic() + HELPER_START_TIMEOUT_S
    while not marker.exists():
        assert time.monotonic() < deadline, "no helper process started"
        assert multiprocessing.active_children(), "the helper process ended before starting"
        time.sleep(0.01)


class SharingMediaPipe(PoseBackend):
    """The real model. In the caller it first waits for a helper to start (so the video is
    shared whatever the machine's load); a helper leaves a note in ``folder`` when it works."""

    def __init__(self, folder: Path) -> None:
        self._inner = MediaPipeBackend()
        self._folder = folder
        self._waited = _in_helper()
        if _in_helper():
            (folder / "helper-started").touch()

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """BlazePose's landmarks for ``image_rgb``."""
        if not self._waited:
            wait_for_helper(self._folder / "helper-started")
            self._waited = True
        if _in_helper():
            (self._folder / "helper-estimated").touch()
        return self._inner.estimate(image_rgb, time_s)

    def close(self) -> None:
        """Release the model."""
        self._inner.close()


class HelperFails(PoseBackend):
    """Starts fine in the calling process; in a helper it raises ``error`` or exits."""

    def __init__(self, error: BaseException | None) -> None:
        if _in_helper():
            if error is None:
                os._exit(3)
            raise error

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """Slow enough that the helper fails while this process is still busy."""
        time.sleep(0.01)
        return None


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A 9 s, 30 fps clip with a keyframe every second: two chunks, the second's tracker
    started at the keyframe at 5 s (the one nearest the middle), its kept frames from 6 s."""
    path = steady_clip(tmp_path / "clip.mp4", 30, 9.0, gop=30, fixed_gop=True)
    spans = plan_spans(probe_video(path), keyframe_times(path), 30.0)
    assert [(s.warm_s, s.start_s) for s in spans] == [(None, 0.0), (5.0, 6.0)]
    return path


def test_parallel_chunks_join_into_the_single_process_result(clip: Path, tmp_path: Path) -> None:
    factory = partial(PidBackend, tmp_path / "helper-started")
    reports: list[PoseProgress] = []
    both = estimate_video(
        clip, workers=2, backend_factory=factory, pose_width=None, progress=reports.append
    )
    shares = [p.share for p in reports]
    alone = estimate_video(clip, workers=1, backend_factory=factory, pose_width=None)
    np.testing.assert_allclose(alone.pose.time_s, np.arange(270) / 30, atol=1e-3)
    np.testing.assert_array_equal(both.pose.time_s, alone.pose.time_s)
    np.testing.assert_array_equal(both.pose.xy, alone.pose.xy)
    pids = both.pose.z[:, 0]
    assert set(pids) == {os.getpid(), pids[180]} and pids[0] == os.getpid() != pids[180]
    # Kept frames cut at 6 s (the keyframe at 5 s plus the warm-up); one process estimated
    # each whole chunk.
    for chunk in (pids[:180], pids[180:]):
        assert np.all(chunk == chunk[0]), "a chunk was split between processes"
    assert shares == sorted(shares) and shares[-1] == 1.0 and shares[0] < 0.5
    assert (both.warnings, both.info.frame_count) == ([], 270)
    assert reports[-1].done and reports[-1].frames == 270 and reports[-1].fps > 0
    assert [p.frames for p in reports] == sorted(p.frames for p in reports)


def test_progress_says_frames_pace_and_time_left() -> None:
    half = PoseProgress(frames=600, total=1200, elapsed_s=10.0)
    assert (half.share, half.fps, half.left_s) == (0.5, 60.0, 10.0)
    assert half.label() == "pose 600/1200 frames, 60 fps, 10 s left"
    assert PoseProgress(100, 20000, 10.0).label() == "pose 100/20000 frames, 10 fps, 33 min left"
    assert PoseProgress(0, 10, 0.0).label() == "pose 0/10 frames"
    finished = PoseProgress(10, 10, 2.0, done=True)
    assert finished.share == 1.0 and finished.label() == "pose 10/10 frames, 5 fps"


class ResetCounter(PoseBackend):
    """Stateful like a tracker: each landmark's x counts the frames since the last reset."""

    def __init__(self) -> None:
        self._since_reset = 0

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """x = frames since the last reset, y = the frame time."""
        self._since_reset += 1
        xy = np.stack([np.full(NUM_LANDMARKS, float(self._since_reset)), np.full(33, time_s)], 1)
        return FramePose(xy, np.zeros(NUM_LANDMARKS), np.ones(NUM_LANDMARKS))

    def reset(self) -> None:
        """Start counting again."""
        self._since_reset = 0


def test_every_chunk_starts_a_fresh_tracker_in_one_process_too(clip: Path) -> None:
    result = estimate_video(clip, workers=1, backend_factory=ResetCounter, pose_width=None)
    counts = result.pose.xy[:, 0, 0]
    np.testing.assert_array_equal(counts[:180], np.arange(1, 181))
    # The second chunk's tracker started at 5 s: 30 warm-up frames before its first kept one.
    np.testing.assert_array_equal(counts[180:], np.arange(31, 121))


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [
        (VideoError("video clip.mp4: helper broke"), VideoError, "video clip.mp4: helper broke"),
        (ZeroDivisionError("helper divided by zero"), ZeroDivisionError, "helper divided"),
        (None, PoseBackendError, r"pose helper process 0 stopped \(exit code 3\)"),
    ],
    ids=["product-error", "other-error", "helper-died"],
)
def test_helper_failures_reach_the_caller(
    clip: Path, error: BaseException | None, expected: type[BaseException], message: str
) -> None:
    started = time.monotonic()
    with pytest.raises(expected, match=message):
        estimate_video(clip, workers=2, backend_factory=partial(HelperFails, error))
    assert time.monotonic() - started < 60, "took too long: the caller should not hang"


def test_a_truncated_video_keeps_the_decoded_frames_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "truncated.mp4"
    shutil.copyfile(real_video("leg_raise_2.mp4"), path)  # 8.6 s at 24 fps
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size * 6 // 10)
    factory = partial(PidBackend, tmp_path / "helper-started", 0.0, False)
    alone = estimate_video(path, workers=1, backend_factory=factory, pose_width=None)
    both = estimate_video(path, workers=2, backend_factory=factory, pose_width=None)
    for result in (alone, both):
        assert 2.0 < result.pose.time_s[-1] < 8.0
        assert result.warnings and "truncated.mp4" in result.warnings[0]
        assert "truncated or corrupt" in result.warnings[0]
    np.testing.assert_array_equal(both.pose.time_s, alone.pose.time_s)


def test_unusable_files_raise(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="video absent.mp4: file not found"):
        estimate_video(tmp_path / "absent.mp4")
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    with pytest.raises(VideoError, match="video notes.mp4: cannot be read"):
        estimate_video(notes)


def test_nobody_in_the_video_gives_frames_without_a_person(tmp_path: Path) -> None:
    images = [np.full((120, 160, 3), (30 * i % 256, 90, 160), dtype=np.uint8) for i in range(15)]
    empty = write_clip(tmp_path / "empty.mp4", images, [i / 15 for i in range(15)])
    result = estimate_video(empty, workers=2)
    assert len(result.pose) == 15
    assert not result.pose.detected.any()


def test_a_factory_helpers_cannot_receive_is_refused(clip: Path) -> None:
    def local_factory() -> PoseBackend:
        return FakeBackend(PoseSequence.empty())

    with pytest.raises(PoseBackendError, match="cannot be sent to a helper process"):
        estimate_video(clip, workers=2, backend_factory=local_factory)


# --- The real model on a real recording ---------------------------------------------------


@pytest.fixture(scope="module")
def glute(tmp_path_factory: pytest.TempPathFactory) -> dict[str, VideoPoseResult]:
    """glute_bridge.mp4 (640 x 480, one chunk) estimated at 320 px wide."""
    return {"alone": estimate_video(real_video("glute_bridge.mp4"), workers=1, pose_width=320)}


def _distances(a: PoseSequence, b: PoseSequence) -> np.ndarray:  # type: ignore[type-arg]
    """Per frame and landmark distance (px) where both see the landmark well, else NaN."""
    seen = (a.visibility > 0.5) & (b.visibility > 0.5)
    return np.where(seen, np.linalg.norm(a.xy - b.xy, axis=2), np.nan)


def test_real_person_found_and_lying_in_video_pixels(glute: dict[str, VideoPoseResult]) -> None:
    for result in glute.values():
        pose = result.pose
        assert (len(pose), pose.width, pose.height, pose.source) == (
            91,
            640,
            480,
            "glute_bridge.mp4",
        )
        assert pose.detected.mean() >= 0.95
        shoulders = pose.xy[:, [joint("left", "shoulder"), joint("right", "shoulder")]].mean(1)
        hips = pose.xy[:, [joint("left", "hip"), joint("right", "hip")]].mean(1)
        trunk = (shoulders - hips)[pose.detected]
        assert (np.abs(trunk[:, 0]) > np.abs(trunk[:, 1])).mean() >= 0.95


def test_real_parallel_is_identical_to_one_process(tmp_path: Path) -> None:
    """leg_raise_1.mp4 has keyframes at 0 and 10.4 s: two chunks, one per process."""
    path = real_video("leg_raise_1.mp4")
    both = estimate_video(
        path, workers=2, pose_width=320, backend_factory=partial(SharingMediaPipe, tmp_path)
    )
    assert (tmp_path / "helper-estimated").exists(), "the helper process estimated no frame"
    alone = estimate_video(path, workers=1, pose_width=320)
    assert alone.pose.detected.mean() >= 0.9
    np.testing.assert_array_equal(both.pose.time_s, alone.pose.time_s)
    for name in ("xy", "z", "visibility"):
        np.testing.assert_array_equal(getattr(both.pose, name), getattr(alone.pose, name))


def test_shrunk_frames_map_back_to_video_pixels(glute: dict[str, VideoPoseResult]) -> None:
    plain = estimate_video_plain(real_video("glute_bridge.mp4"))  # full size, OpenCV decoding
    shrunk = glute["alone"].pose
    np.testing.assert_allclose(plain.time_s, shrunk.time_s, atol=1e-3)
    assert plain.detected.mean() >= 0.95
    gap = _distances(plain, shrunk)
    assert np.nanmedian(gap) <= 3.0
    assert np.nanpercentile(gap, 90) <= 0.02 * plain.width
