"""The chunks of a video's pose: where they are cut, the job every process shares, and the
loop that runs one.

:func:`plan_spans` cuts the video into a few equal chunks from the file alone (its length,
keyframes and frame rate), never from the number of processes or their pace: every chunk
settles a fresh tracker on the second before it (:func:`settle_tracker`), so the landmarks are
the same to the frame whether one process runs the chunks in turn or several share them.
:func:`run_span` decodes one chunk (warm-up included, in one pass) at no more than the job's
frame rate, shrunk to its pose width, asks a :data:`FrameGate` before each kept frame (which
counts progress), estimates each frame and maps the landmarks back to the video's pixels.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
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

#: Chunks are at least this long (s) ...
CHUNK_MIN_S: Final[float] = 4.0
#: ... and at most this long (s): few chunks, since each one after the first costs a
#: warm-up (:data:`WARMUP_S`) and decoding from the keyframe before it, but enough of them in a
#: long video for every core of a large machine.
CHUNK_MAX_S: Final[float] = 60.0
#: An equal cut moves to a keyframe at most this far from it (s), so no frame is decoded twice.
KEYFRAME_SNAP_S: Final[float] = 0.5
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
    """How every worker reads the video: ``max_fps`` frames per second, ``pose_width`` pixels,
    ``decode_threads`` FFmpeg threads (0: its choice), decoded on a thread of its own
    (``prefetch``: for a process alone on a machine with a core to spare)."""

    path: Path
    info: VideoInfo
    max_fps: float
    pose_width: int | None
    decode_threads: int = 0
    prefetch: bool = False

    def frames(
        self, start_s: float, end_s: float | None, seek_s: float | None = None
    ) -> Iterator[tuple[float, ImageArray]]:
        """The video's frames from ``start_s`` to ``end_s`` seconds as every worker reads
        them (see :func:`~psoas_coach.source.video.iter_frames`)."""
        return iter_frames(
            self.path,
            max_fps=self.max_fps,
            start_s=start_s,
            end_s=end_s,
            max_width=self.pose_width,
            decode_threads=self.decode_threads,
            seek_s=seek_s,
        )


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

    The video is cut into :func:`chunk_count` chunks of equal length; a cut within
    :data:`KEYFRAME_SNAP_S` of a keyframe moves onto it (decoding starts there), any other
    is decoded from the keyframe before it. Each cut is moved to the first frame slot at or
    after it, so the chunk keeps exactly the frames the whole video keeps. A chunk's tracker
    starts at its cut and its kept frames :data:`WARMUP_S` later (where the chunk before ends).
    """
    slot_fps = slot_fps_of(info.fps, max_fps)
    count = chunk_count(info.duration_s)
    spans = [Span(0.0, None)]
    for i in range(1, count):
        cut = info.duration_s * i / count
        near = min(keyframes, key=lambda k: abs(k - cut), default=None)
        seek = (
            near if near is not None and near > 0.0 and abs(near - cut) <= KEYFRAME_SNAP_S else None
        )
        warm = slot_start_at_or_after(cut if seek is None else seek, slot_fps)
        spans.append(Span(slot_start_at_or_after(warm + WARMUP_S, slot_fps), None, seek, warm))
    ends: list[float | None] = [s.start_s for s in spans[1:]] + [None]
    return [replace(s, end_s=e) for s, e in zip(spans, ends, strict=True)]


def chunk_count(duration_s: float) -> int:
    """How many chunks a video of ``duration_s`` seconds is cut into: as few as keep each at
    most :data:`CHUNK_MAX_S` long, and an even number (two processes finish together) where
    each stays at least :data:`CHUNK_MIN_S` long; 1 for a video under twice that."""
    most = max(1, math.floor(duration_s / CHUNK_MIN_S))
    count = min(most, max(2, math.ceil(duration_s / CHUNK_MAX_S)))
    if count > 1 and count % 2:
        count = count + 1 if count < most else count - 1
    return count


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

    One decoder runs from the tracker's start to the chunk's end (the warm-up's frames are
    not decoded twice), on a thread of its own when ``job.prefetch``. ``gate`` is asked
    before each kept frame (its time in seconds) and may end the chunk early. Only decoding
    errors become warnings; anything the gate or the backend raises propagates.
    """
    times: list[float] = []
    poses: list[FramePose | None] = []
    warnings: list[str] = []
    first_s = span.start_s if span.warm_s is None else span.warm_s
    decoded = job.frames(first_s, span.end_s, span.seek_s)
    source = _prefetched(decoded) if job.prefetch else decoded
    with contextlib.ExitStack() as stack:
        stack.callback(_close, source)
        frames = _Frames(source, warnings)

        def frames_from(start_s: float) -> Iterable[tuple[float, ImageArray]]:
            if start_s == first_s:  # the chunk's own decoder, up to its first kept frame
                return frames.before(span.start_s)
            return _warmup_frames(job, span, start_s)

        settle_tracker(backend, span, frames_from)
        for _ in frames.before(span.start_s):  # nothing left unless the warm-up stopped early
            pass
        full = (job.info.width, job.info.height)
        while (frame := frames.next()) is not None and gate(frame[0]):
            time_s, image = frame
            times.append(time_s)
            small = (image.shape[1], image.shape[0])
            poses.append(to_full_pixels(backend.estimate(image, time_s), small, full))
    info = job.info
    pose = stack_frames(times, poses, width=info.width, height=info.height, source=job.path.name)
    return ChunkResult(pose, warnings)


class _Frames:
    """A chunk's decoded frames, read in parts: the first frame after a part is held back for
    the next; a decoding break ends them (noted in ``warnings``)."""

    def __init__(self, frames: Iterator[tuple[float, ImageArray]], warnings: list[str]) -> None:
        self._frames = frames
        self._warnings = warnings
        self._held: tuple[float, ImageArray] | None = None

    def next(self) -> tuple[float, ImageArray] | None:
        """The next ``(time_s, image)``; ``None`` at the end or at a decoding break."""
        if self._held is not None:
            frame, self._held = self._held, None
            return frame
        return _next_frame(self._frames, self._warnings)

    def before(self, end_s: float) -> Iterator[tuple[float, ImageArray]]:
        """The next frames earlier than ``end_s`` seconds."""
        while (frame := self.next()) is not None:
            if frame[0] >= end_s:
                self._held = frame
                return
            yield frame


#: Decoded frames a decoding thread keeps ready ahead of the estimator.
PREFETCH_FRAMES: Final[int] = 4


class _prefetched(Iterator[tuple[float, ImageArray]]):  # noqa: N801 - used like a function
    """``frames`` decoded on a thread of its own, at most :data:`PREFETCH_FRAMES` ahead (for a
    process with a core to spare); an error met there is raised where the frame would come.
    :meth:`close` stops the thread."""

    _END: Final = object()

    def __init__(self, frames: Iterator[tuple[float, ImageArray]]) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=PREFETCH_FRAMES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(frames,), daemon=True)
        self._thread.start()

    def _run(self, frames: Iterator[tuple[float, ImageArray]]) -> None:
        try:
            for frame in frames:
                if not self._put(frame):
                    return
        except BaseException as exc:  # handed to the reading thread
            self._put(exc)
            return
        finally:
            _close(frames)
        self._put(self._END)

    def _put(self, item: object) -> bool:
        """Queue ``item`` unless stopped meanwhile; whether it was queued."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __next__(self) -> tuple[float, ImageArray]:
        item = self._queue.get()
        if item is self._END:
            self._queue.put(item)
            raise StopIteration
        if isinstance(item, BaseException):
            self._queue.put(self._END)
            raise item
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop decoding and wait for the thread."""
        self._stop.set()
        self._thread.join()


def _close(frames: Iterator[tuple[float, ImageArray]]) -> None:
    """Stop ``frames`` (a generator or a :class:`_prefetched`) and free what it holds."""
    close = getattr(frames, "close", None)
    if close is not None:
        close()


def _warmup_frames(job: VideoJob, span: Span, start_s: float) -> Iterator[tuple[float, ImageArray]]:
    """The frames from ``start_s`` up to ``span``'s first kept frame, decoded afresh (a
    warm-up started earlier than the chunk's own decoder; up to a decoding break: the
    chunk's own decoding reports it)."""
    try:
        yield from job.frames(start_s, span.start_s)
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
