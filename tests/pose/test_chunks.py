"""Where a video is cut into chunks: from the file alone, at keyframes, on frame slots."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from psoas_coach.pose.backend import FramePose, ImageArray, PoseBackend
from psoas_coach.pose.chunks import (
    CHUNK_MAX_S,
    CHUNK_MIN_S,
    LOCK_FRAMES,
    RETRY_EARLIER_S,
    WARMUP_S,
    Span,
    plan_spans,
    settle_tracker,
)
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.source.video import VideoInfo, iter_frames, keyframe_times, probe_video
from tests.source.test_video import steady_clip


def _info(duration_s: float, fps: float = 30.0) -> VideoInfo:
    return VideoInfo(640, 360, fps, duration_s, round(duration_s * fps), 0, "h264")


def test_cuts_fall_on_keyframes_at_least_the_minimum_apart() -> None:
    keyframes = [float(k) for k in range(0, 20)]  # one a second, like a phone
    spans = plan_spans(_info(19.5), keyframes, max_fps=30.0)
    starts = [s.start_s for s in spans]
    # The tracker starts at the keyframe, the kept frames WARMUP_S later.
    assert [s.warm_s for s in spans] == [None, 4.0, 8.0, 12.0, 16.0]
    assert [s.seek_s for s in spans] == [None, 4.0, 8.0, 12.0, 16.0]
    assert starts == pytest.approx([0.0, 4.0 + WARMUP_S, 8.0 + WARMUP_S, 12 + WARMUP_S, 17.0])
    assert [s.end_s for s in spans] == starts[1:] + [None]
    assert all(b - a >= CHUNK_MIN_S for a, b in pairwise(starts))


def test_keyframes_far_apart_get_cuts_between_them() -> None:
    spans = plan_spans(_info(60.0), [0.0, 50.0], max_fps=30.0)
    starts = [s.start_s for s in spans]
    assert spans[-1].warm_s == spans[-1].seek_s == 50.0
    assert starts[-1] == pytest.approx(50.0 + WARMUP_S)
    assert all(b - a <= CHUNK_MAX_S for a, b in pairwise(starts))
    assert all(s.seek_s is None for s in spans[:-1])  # decoded from the keyframe before


def test_a_short_tail_joins_the_chunk_before_and_a_short_video_is_one_chunk() -> None:
    assert [s.start_s for s in plan_spans(_info(8.5), [0.0, 4.0, 8.0], 30.0)] == [0.0, 5.0]
    assert plan_spans(_info(3.0), [0.0, 1.0, 2.0], 30.0) == [Span(0.0, None)]


def test_cuts_move_to_the_next_frame_slot_of_a_thinned_source() -> None:
    # 60 fps thinned to 30: slots start 0.25 slot early, so a keyframe at 4.1667 s opens slot
    # 125 (4.1583 s) already; the tracker's start moves to the next slot's start, and so does
    # the first kept frame WARMUP_S (30 slots) later.
    spans = plan_spans(_info(10.0, fps=60.0), [0.0, 250 / 60], max_fps=30.0)
    assert spans[1].warm_s == pytest.approx(125.75 / 30)
    assert spans[1].start_s == pytest.approx(155.75 / 30)
    assert spans[1].seek_s == pytest.approx(250 / 60)


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
