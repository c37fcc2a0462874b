"""Where a video is cut into chunks: from the file alone, at keyframes, on frame slots."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from psoas_coach.pose.chunks import CHUNK_MAX_S, CHUNK_MIN_S, Span, plan_spans
from psoas_coach.source.video import VideoInfo, iter_frames, keyframe_times, probe_video
from tests.source.test_video import steady_clip


def _info(duration_s: float, fps: float = 30.0) -> VideoInfo:
    return VideoInfo(640, 360, fps, duration_s, round(duration_s * fps), 0, "h264")


def test_cuts_fall_on_keyframes_at_least_the_minimum_apart() -> None:
    keyframes = [float(k) for k in range(0, 20)]  # one a second, like a phone
    spans = plan_spans(_info(19.5), keyframes, max_fps=30.0)
    starts = [s.start_s for s in spans]
    assert starts == [0.0, 4.0, 8.0, 12.0, 16.0]
    assert [s.seek_s for s in spans] == [None, 4.0, 8.0, 12.0, 16.0]
    assert [s.end_s for s in spans] == [4.0, 8.0, 12.0, 16.0, None]
    assert all(b - a >= CHUNK_MIN_S for a, b in pairwise(starts))


def test_keyframes_far_apart_get_cuts_between_them() -> None:
    spans = plan_spans(_info(60.0), [0.0, 50.0], max_fps=30.0)
    starts = [s.start_s for s in spans]
    assert starts[-1] == 50.0 and spans[-1].seek_s == 50.0
    assert all(b - a <= CHUNK_MAX_S for a, b in pairwise(starts))
    assert all(s.seek_s is None for s in spans[:-1])  # decoded from the keyframe before


def test_a_short_tail_joins_the_chunk_before_and_a_short_video_is_one_chunk() -> None:
    assert [s.start_s for s in plan_spans(_info(8.5), [0.0, 4.0, 8.0], 30.0)] == [0.0, 4.0]
    assert plan_spans(_info(3.0), [0.0, 1.0, 2.0], 30.0) == [Span(0.0, None)]


def test_cuts_move_to_the_next_frame_slot_of_a_thinned_source() -> None:
    # 60 fps thinned to 30: slots start 0.25 slot early, so a keyframe at 4.1667 s opens slot
    # 125 (4.1583 s) already; the cut moves to the next slot's start.
    spans = plan_spans(_info(10.0, fps=60.0), [0.0, 250 / 60], max_fps=30.0)
    assert spans[1].start_s == pytest.approx(125.75 / 30)
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
