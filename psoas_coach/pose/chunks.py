"""The chunks of a video's pose: where they are cut, the job every process shares, and the
loop that runs one.

:func:`plan_spans` cuts the video into chunks from the file alone (its keyframes, length and
frame rate), never from the number of processes or their pace: every chunk starts with a
fresh tracker, so the landmarks are the same to the frame whether one process runs the
chunks in turn or several share them. :func:`run_span` decodes one chunk at no more than the
job's frame rate, shrunk to its pose width, asks a :data:`FrameGate` before each frame
(which counts progress), estimates each frame and maps the landmarks back to the video's
pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from psoas_coach.exceptions import VideoError
from psoas_coach.pose.backend import (
    FramePose,
    ImageArray,
    PoseBackend,
    stack_frames,
    to_full_pixels,
)
from psoas_coach.pose.types import PoseSequence
from psoas_coach.source.video import (
    VideoInfo,
    iter_frames,
    slot_fps_of,
    slot_start_at_or_after,
)

#: Called before each frame with its time in seconds; returning False ends the chunk there.
FrameGate = Callable[[float], bool]

#: Chunks are cut at keyframes at least this far apart (s) ...
CHUNK_MIN_S: Final[float] = 4.0
#: ... and, where keyframes are further apart than this (s), also between them.
CHUNK_MAX_S: Final[float] = 12.0
#: A last chunk shorter than this (s) joins the one before.
CHUNK_TAIL_S: Final[float] = 1.0


@dataclass(frozen=True)
class VideoJob:
    """How every worker reads the video: ``max_fps`` frames per second, ``pose_width`` pixels."""

    path: Path
    info: VideoInfo
    max_fps: float
    pose_width: int | None
    decode_threads: int = 0


@dataclass(frozen=True)
class Span:
    """A contiguous piece of the video: ``[start_s, end_s)`` seconds (``None``: to the end),
    decoded from ``seek_s`` (a keyframe; ``None``: the keyframe a frame slot before start)."""

    start_s: float
    end_s: float | None
    seek_s: float | None = None


def plan_spans(info: VideoInfo, keyframes: list[float], max_fps: float) -> list[Span]:
    """The chunks of a video, in time order, from the file alone.

    Cuts fall on keyframes (decoding starts there, nothing before it is decoded twice) at
    least :data:`CHUNK_MIN_S` apart; where keyframes are more than :data:`CHUNK_MAX_S` apart,
    extra cuts fall between them at equal spacing (each such chunk decodes from the keyframe
    before it). Each cut is moved to the first frame slot at or after its keyframe so the
    chunk keeps exactly the frames the whole video keeps.
    """
    slot_fps = slot_fps_of(info.fps, max_fps)
    end = info.duration_s
    cuts: list[tuple[float, float | None]] = [(0.0, None)]
    marks = [k for k in keyframes if 0.0 < k < end - CHUNK_TAIL_S] + [end]
    for mark in marks:
        last = cuts[-1][0]
        gap = mark - last
        if gap > CHUNK_MAX_S:
            pieces = math.ceil(gap / CHUNK_MAX_S)
            cuts += [(last + gap * i / pieces, None) for i in range(1, pieces)]
            last = cuts[-1][0]
        if mark < end and mark - last >= CHUNK_MIN_S:
            cuts.append((mark, mark))
    starts = [(0.0, None)] + [
        (start, seek)
        for t, seek in cuts[1:]
        if (start := slot_start_at_or_after(t, slot_fps)) < end - CHUNK_TAIL_S
    ]
    ends: list[float | None] = [t for t, _ in starts[1:]] + [None]
    return [Span(t, e, seek) for (t, seek), e in zip(starts, ends, strict=True)]


@dataclass
class ChunkResult:
    """One chunk's frames (video pixels) and the warnings met on the way."""

    pose: PoseSequence
    warnings: list[str] = field(default_factory=list)


def run_span(job: VideoJob, span: Span, backend: PoseBackend, gate: FrameGate) -> ChunkResult:
    """Decode and estimate ``span`` of the video; a decoding break keeps the frames before it.

    ``gate`` is asked before each frame (its time in seconds) and may end the chunk early.
    Only decoding errors become warnings; anything the gate or the backend raises propagates.
    """
    times: list[float] = []
    poses: list[FramePose | None] = []
    warnings: list[str] = []
    frames = iter_frames(
        job.path,
        max_fps=job.max_fps,
        start_s=span.start_s,
        end_s=span.end_s,
        max_width=job.pose_width,
        decode_threads=job.decode_threads,
        seek_s=span.seek_s,
    )
    while (frame := _next_frame(frames, warnings)) is not None and gate(frame[0]):
        time_s, image = frame
        times.append(time_s)
        small = (image.shape[1], image.shape[0])
        full = (job.info.width, job.info.height)
        poses.append(to_full_pixels(backend.estimate(image, time_s), small, full))
    info = job.info
    pose = stack_frames(times, poses, width=info.width, height=info.height, source=job.path.name)
    return ChunkResult(pose, warnings)


def _next_frame(
    frames: Iterator[tuple[float, ImageArray]], warnings: list[str]
) -> tuple[float, ImageArray] | None:
    """The next ``(time_s, image)``; ``None`` at the end or at a decoding break (noted)."""
    try:
        return next(frames)
    except StopIteration:
        return None
    except VideoError as exc:
        warnings.append(str(exc))
        return None
