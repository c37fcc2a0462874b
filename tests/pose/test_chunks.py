"""Where a video is cut into chunks (from the file alone, in equal parts, on frame slots), how a
chunk's tracker settles, and how a chunk is decoded."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from psoas_coach.pose import chunks
from psoas_coach.pose.backend import FramePose, ImageArray, PoseBackend
from psoas_coach.pose.chunks import (
    CHUNK_MAX_S,
    CHUNK_MIN_S,
    LOCK_FRAMES,
    RETRY_EARLIER_S,
    WARMUP_S,
    Span,
    VideoJob,
    chunk_count,
    plan_spans,
    run_span,
    settle_tracker,
)
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.source.video import VideoInfo, iter_frames, keyframe_times, probe_video
from tests.source.test_video import real_video, steady_clip


def _info(duration_s: float, fps: float = 30.0) -> VideoInfo:
    return VideoInfo(640, 360, fps, duration_s, round(duration_s * fps), 0, "h264")


def test_a_video_is_cut_into_few_equal_chunks_decoded_from_the_keyframe_before() -> None:
    keyframes = [0.0, 8.33, 16.67, 25.0, 33.33, 41.67]  # a phone's long keyframe interval
    spans = plan_spans(_info(46.0), keyframes, max_fps=30.0)
    # One cut in the middle: the tracker starts there, the kept frames WARMUP_S later.
    assert spans == [Span(0.0, 23.0 + WARMUP_S), Span(23.0 + WARMUP_S, None, None, 23.0)]


def test_a_cut_near_a_keyframe_moves_onto_it() -> None:
    spans = plan_spans(_info(46.0), [0.0, 11.0, 23.4, 35.0], max_fps=30.0)
    assert spans[1].seek_s == 23.4
    assert spans[1].warm_s == pytest.approx(23.4)
    assert spans[1].start_s == pytest.approx(23.4 + WARMUP_S)


@pytest.mark.parametrize(
    ("duration_s", "count"),
    [(3.0, 1), (7.9, 1), (8.0, 2), (46.0, 2), (119.0, 2), (130.0, 4), (1200.0, 20)],
)
def test_as_few_chunks_as_keep_each_short_enough_and_an_even_number(
    duration_s: float, count: int
) -> None:
    assert chunk_count(duration_s) == count
    spans = plan_spans(_info(duration_s), [0.0], max_fps=30.0)
    assert len(spans) == count
    ends = [s.end_s or duration_s for s in spans]
    lengths = [b - a for a, b in zip([s.start_s for s in spans], ends, strict=True)]
    assert all(CHUNK_MIN_S - WARMUP_S <= n <= CHUNK_MAX_S + WARMUP_S for n in lengths)


def test_cuts_move_to_the_next_frame_slot_of_a_thinned_source() -> None:
    # 60 fps thinned to 30: slots start 0.25 slot early, so a keyframe at 5.0333 s (frame
    # 302) lies in slot 151 (from 5.025 s); the tracker's start moves to the next slot's start,
    # and so does the first kept frame WARMUP_S (30 slots) later.
    spans = plan_spans(_info(10.0, fps=60.0), [0.0, 302 / 60], max_fps=30.0)
    assert spans[1].seek_s == pytest.approx(302 / 60)
    assert spans[1].warm_s == pytest.approx(151.75 / 30)
    assert spans[1].start_s == pytest.approx(181.75 / 30)


def test_the_plan_does_not_depend_on_anything_but_the_file(tmp_path: Path) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 30, 9.0, gop=30, fixed_gop=True)
    assert keyframe_times(clip) == pytest.approx([float(k) for k in range(9)], abs=1e-3)
    info = probe_video(clip)
    assert plan_spans(info, keyframe_times(clip), 30.0) == plan_spans(
        info, keyframe_times(clip), 30.0
    )


@pytest.mark.parametrize("max_fps", [None, 30.0])
def test_planned_chunks_decode_exactly_the_whole_videos_frames(
    tmp_path: Path, max_fps: float | None
) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 60, 10.0, gop=67)  # keyframes every 1.117 s
    info = probe_video(clip)
    spans = plan_spans(info, keyframe_times(clip), max_fps or 60.0)
    assert len(spans) >= 2
    whole = list(iter_frames(clip, max_fps=max_fps))
    parts = [
        frame
        for span in spans
        for frame in iter_frames(
            clip, max_fps=max_fps, start_s=span.start_s, end_s=span.end_s, seek_s=span.seek_s
        )
    ]
    assert [t for t, _ in parts] == [t for t, _ in whole]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(parts, whole, strict=True))


class Scripted(PoseBackend):
    """Finds the body at the frame times ``found`` says, from a fresh start or not; logs
    every reset and estimate."""

    def __init__(self, found: Callable[[float], bool]) -> None:
        self.found = found
        self.log: list[str | float] = []

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        self.log.append(time_s)
        if not self.found(time_s):
            return None
        return FramePose(np.zeros((NUM_LANDMARKS, 2)), np.zeros(NUM_LANDMARKS), np.ones(33))

    def reset(self) -> None:
        self.log.append("reset")


SPAN = Span(start_s=21.0, end_s=30.0, seek_s=20.0, warm_s=20.0)


def _frames_from(start_s: float) -> list[tuple[float, ImageArray]]:
    """30 fps frames from ``start_s`` up to SPAN's first kept frame."""
    first = math.ceil(start_s * 30 - 1e-6)
    image = np.zeros((4, 4, 3), np.uint8)
    return [(k / 30, image) for k in range(first, round(SPAN.start_s * 30))]


def test_the_tracker_warms_up_on_the_second_before_the_chunk() -> None:
    backend = Scripted(lambda t: True)
    settle_tracker(backend, SPAN, _frames_from)
    assert backend.log[:1] == ["reset"]
    assert backend.log[1:] == [t for t, _ in _frames_from(20.0)]
    assert len(backend.log[1:]) == round(WARMUP_S * 30)


def test_a_tracker_that_lost_the_body_starts_again_earlier() -> None:
    backend = Scripted(lambda t: t < 20.5)  # seen at the cut, lost before the chunk
    settle_tracker(backend, SPAN, _frames_from)
    second = backend.log.index("reset", 1)
    assert backend.log[1:second] == [t for t, _ in _frames_from(20.0)]
    assert backend.log[second + 1 :] == [t for t, _ in _frames_from(20.0 - RETRY_EARLIER_S)]


def test_no_retry_where_nobody_was_seen_or_the_tracker_held() -> None:
    for found in (lambda t: False, lambda t: t > SPAN.start_s - LOCK_FRAMES / 30 - 1e-6):
        backend = Scripted(found)
        settle_tracker(backend, SPAN, _frames_from)
        assert backend.log.count("reset") == 1, "one warm-up, no retry"


def test_the_first_chunk_starts_cold() -> None:
    backend = Scripted(lambda t: True)
    settle_tracker(backend, Span(0.0, 5.0), _frames_from)
    assert backend.log == ["reset"]


class Counting(PoseBackend):
    """Logs every estimate's time and every reset (a tracker that always finds the body)."""

    def __init__(self) -> None:
        self.log: list[str | float] = []

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        self.log.append(time_s)
        return FramePose(np.zeros((NUM_LANDMARKS, 2)), np.zeros(NUM_LANDMARKS), np.ones(33))

    def reset(self) -> None:
        self.log.append("reset")


@pytest.mark.parametrize("prefetch", [False, True])
def test_a_chunk_decodes_its_warm_up_and_its_frames_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefetch: bool
) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 30, 9.0, gop=30, fixed_gop=True)
    info = probe_video(clip)
    span = plan_spans(info, keyframe_times(clip), 30.0)[1]
    decoded: list[float] = []

    def counted(*args: Any, **kwargs: Any) -> Iterator[tuple[float, ImageArray]]:
        for frame in iter_frames(*args, **kwargs):
            decoded.append(frame[0])
            yield frame

    monkeypatch.setattr(chunks, "iter_frames", counted)
    backend = Counting()
    job = VideoJob(clip, info, 30.0, None, prefetch=prefetch)
    result = run_span(job, span, backend, lambda t: True)
    assert span.warm_s is not None
    warm_up = [t for t in backend.log[1:] if isinstance(t, float) and t < span.start_s]
    assert backend.log[0] == "reset" and len(warm_up) == round(WARMUP_S * 30)
    np.testing.assert_allclose(
        result.pose.time_s, np.arange(round(span.start_s * 30), 270) / 30, atol=1e-3
    )
    assert decoded == sorted(set(decoded)), "every frame decoded once"
    assert len(decoded) == 270 - round(span.warm_s * 30)


def test_a_chunk_stopped_early_stops_its_decoding_thread(tmp_path: Path) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 30, 9.0, gop=30, fixed_gop=True)
    info = probe_video(clip)
    before = threading.active_count()
    job = VideoJob(clip, info, 30.0, None, prefetch=True)
    result = run_span(job, Span(0.0, None), Counting(), lambda t: t < 1.0)
    assert len(result.pose) == 30
    assert threading.active_count() == before


def test_a_decoding_break_on_the_decoding_thread_keeps_the_frames_before_it(
    tmp_path: Path,
) -> None:
    source = real_video("leg_raise_2.mp4")  # 8.6 s, index at the start
    info = probe_video(source)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(source.read_bytes()[: source.stat().st_size * 6 // 10])
    job = VideoJob(broken, info, 30.0, 160, prefetch=True)
    result = run_span(job, Span(0.0, None), Counting(), lambda t: True)
    assert 2.0 < result.pose.time_s[-1] < 8.0
    (warning,) = result.warnings
    assert warning.startswith("video broken.mp4: ") and "(file truncated or corrupt)" in warning
