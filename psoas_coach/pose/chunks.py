"""The chunks of a video's pose: where they are cut, the job every process shares, and the
loop that runs one.

:func:`plan_spans` cuts the video into chunks from the file alone (its keyframes, length and
frame rate), never from the number of processes or their pace: every chunk settles a fresh
tracker on the frames just before it (:func:`settle_tracker`), so the landmarks are the same
to the frame whether one process runs the chunks in turn or several share them.
:func:`run_span` decodes one chunk at no more than the job's frame rate, shrunk to its pose
width, asks a :data:`FrameGate` before each frame (which counts progress), estimates each
frame and maps the landmarks back to the video's pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
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
#: Each chunk after the first starts its tracker this long (s) before its first kept frame,
#: on frames whose landmarks the chunk before keeps: BlazePose's detector often misses a body
#: lying down that its tracker, once locked on, follows without trouble, so a tracker started
#: cold at the cut would lose frames a pass over the whole video keeps.
WARMUP_S: Final[float] = 1.0
#: A tracker that saw the body in its warm-up but did not stay on it starts once more, this
#: much earlier (s).
RETRY_EARLIER_S: Final[float] = 3.0
#: The tracker is on the body when it found it in each of the warm-up's last this many frames.
LOCK_FRAMES: Final[int] = 10

#: The frames from a time (s) up to a chunk's first kept frame, in order.
FramesFrom = Callable[[float], Iterable[tuple[float, ImageArray]]]


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
    its tracker started afresh at ``warm_s`` (``None``: at ``start_s``; the landmarks of the
    frames before ``start_s`` are dropped), decoded from ``seek_s`` (a keyframe; ``None``: the
    keyframe a frame slot before the tracker starts)."""

    start_s: float
    end_s: float | None
    seek_s: float | None = None
    warm_s: float | None = None


def plan_spans(info: VideoInfo, keyframes: list[float], max_fps: float) -> list[Span]:
    """The chunks of a video, in time order, from the file alone.

    Cuts fall on keyframes (decoding starts there, nothing before it is decoded twice) at
    least :data:`CHUNK_MIN_S` apart; where keyframes are more than :data:`CHUNK_MAX_S` apart,
    extra cuts fall between them at equal spacing (each such chunk decodes from the keyframe
    before it). Each cut is moved to the first frame slot at or after its keyframe so the
    chunk keeps exactly the frames the whole video keeps. A chunk's tracker starts at its cut
    and its kept frames :data:`WARMUP_S` later (where the chunk before ends).
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
    spans = [Span(0.0, None)]
    for t, seek in cuts[1:]:
        start = slot_start_at_or_after(t + WARMUP_S, slot_fps)
        if start < end - CHUNK_TAIL_S:
            spans.append(Span(start, None, seek, slot_start_at_or_after(t, slot_fps)))
    ends: list[float | None] = [s.start_s for s in spans[1:]] + [None]
    return [replace(s, end_s=e) for s, e in zip(spans, ends, strict=True)]


def settle_tracker(backend: PoseBackend, span: Span, frames_from: FramesFrom) -> None:
    """Start ``backend`` afresh for ``span`` and run it over the frames before the span's
    first kept frame (their landmarks dropped), so that it enters the span on the body as one
    pass over the whole video would.

    The warm-up starts at the span's cut (:data:`WARMUP_S` before it); where the tracker saw
    the body there but lost it again (not found in each of the last :data:`LOCK_FRAMES`), it
    starts once more :data:`RETRY_EARLIER_S` earlier. Where nobody was seen there is no retry
    (an empty picture costs no more). Both the offline chunks and a file played live call
    this, with ``frames_from`` reading the video or replaying the pictures already shown.
    """
    backend.reset()
    if span.warm_s is None:
        return
    starts = [span.warm_s]
    if span.warm_s > 0.0:
        starts.append(max(0.0, span.warm_s - RETRY_EARLIER_S))
    for attempt, start in enumerate(starts):
        if attempt:
            backend.reset()
        found = [backend.estimate(image, t) is not None for t, image in frames_from(start)]
        locked = len(found) >= LOCK_FRAMES and all(found[-LOCK_FRAMES:])
        if locked or not any(found):
            return


@dataclass
class ChunkResult:
    """One chunk's frames (video pixels) and the warnings met on the way."""

    pose: PoseSequence
    warnings: list[str] = field(default_factory=list)


def run_span(job: VideoJob, span: Span, backend: PoseBackend, gate: FrameGate) -> ChunkResult:
    """Decode and estimate ``span`` of the video with a tracker settled on the frames before
    it (:func:`settle_tracker`); a decoding break keeps the frames before it.

    ``gate`` is asked before each frame (its time in seconds) and may end the chunk early.
    Only decoding errors become warnings; anything the gate or the backend raises propagates.
    """
    times: list[float] = []
    poses: list[FramePose | None] = []
    warnings: list[str] = []
    settle_tracker(backend, span, lambda start_s: _warmup_frames(job, span, start_s))
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


def _warmup_frames(job: VideoJob, span: Span, start_s: float) -> Iterator[tuple[float, ImageArray]]:
    """The frames from ``start_s`` up to ``span``'s first kept frame (up to a decoding break:
    the chunk's own decoding reports it)."""
    try:
        yield from iter_frames(
            job.path,
            max_fps=job.max_fps,
            start_s=start_s,
            end_s=span.start_s,
            max_width=job.pose_width,
            decode_threads=job.decode_threads,
            seek_s=span.seek_s if start_s == span.warm_s else None,
        )
    except VideoError:
        return


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
