"""Pose of a whole video: decode and estimate in contiguous chunks on every core, joined in time.

With ``workers=N`` the calling process and ``N - 1`` helper processes ("spawn" context) each
take one contiguous chunk of the video's time range. The caller starts on the video at once
while the helpers start up (importing MediaPipe takes a moment); when all helpers are ready it
splits what is left into ``N`` equal chunks, keeps the first and hands the others out. Each
helper seeks to its chunk, decodes it with its own backend and sends back a
:class:`PoseSequence`; the caller reports progress throughout and joins the chunks in time
order. When the processes fill the machine, each is pinned to its own core for the run.
Frames are decoded at no more than ``max_fps`` and shrunk to ``pose_width`` pixels before the
estimator (BlazePose works at 256 × 256 internally); landmarks are mapped back to the video's
own pixels.

:func:`estimate_video_plain` is the plain single-process loop, the benchmark's baseline.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import queue as queue_module
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import numpy as np

from psoas_coach.exceptions import InputNotFoundError, PoseBackendError, VideoError
from psoas_coach.pose.backend import FramePose, ImageArray, PoseBackend, stack_frames
from psoas_coach.pose.types import PoseSequence
from psoas_coach.source.video import VideoInfo, iter_frames, probe_video

BackendFactory = Callable[[], PoseBackend]
ProgressCallback = Callable[[float], None]
#: Called before each frame with its time in seconds; returning False ends the chunk there.
FrameGate = Callable[[float], bool]

#: Chunks shorter than this (seconds) are not worth a process of their own.
MIN_CHUNK_S: Final[float] = 1.0
#: Wall-clock seconds a helper's chunk costs before its first frame (seek, person detection).
HELPER_HANDICAP_S: Final[float] = 0.3
#: Helpers report progress every this many frames.
_PROGRESS_EVERY: Final[int] = 5
#: Seconds between checks that the other side is still alive while waiting for a message.
_POLL_S: Final[float] = 0.5


@dataclass(frozen=True)
class VideoPoseResult:
    """Pose of a video with what went wrong on the way.

    Attributes:
        pose: one frame per decoded frame, landmarks in the video's upright pixels.
        warnings: one-line messages, e.g. a truncated file whose decodable part was kept.
        info: what the video file says about itself.
    """

    pose: PoseSequence
    warnings: list[str]
    info: VideoInfo


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
    """A contiguous piece of the video: ``[start_s, end_s)`` seconds (``None``: to the end)."""

    start_s: float
    end_s: float | None


@dataclass
class ChunkResult:
    """One chunk's frames (video pixels) and the warnings met on the way."""

    pose: PoseSequence
    warnings: list[str] = field(default_factory=list)


def estimate_video(
    path: Path,
    *,
    workers: int = 2,
    max_fps: float = 30.0,
    backend_factory: BackendFactory | None = None,
    progress: ProgressCallback | None = None,
    pose_width: int | None = 640,
) -> VideoPoseResult:
    """Landmarks of every frame of the video at ``path`` (at most ``max_fps`` frames per second).

    ``workers`` processes share the video in contiguous chunks (``workers=1``, a video under
    two seconds or a main program read from stdin: this process alone); ``backend_factory``
    makes each one's estimator (default: :class:`MediaPipeBackend`) and must be picklable;
    ``progress`` gets the done share in [0, 1], from this process; frames are shrunk to
    ``pose_width`` pixels wide (``None``: full size) before estimation.

    Raises :class:`InputNotFoundError` / :class:`VideoError` for a missing or unreadable file,
    and re-raises a helper's exception here. A file that breaks part-way keeps the frames
    decoded and says so in ``warnings``; :class:`VideoError` if none decoded.
    """
    info = probe_video(path)
    factory = backend_factory or _default_backend
    helpers = max(0, min(workers, math.floor(info.duration_s / MIN_CHUNK_S)) - 1)
    helpers = helpers if _can_spawn() else 0
    job = VideoJob(path, info, max_fps, pose_width, decode_threads=1 if helpers else 0)
    reporter = _ProgressReporter(progress, _expected_frames(info, max_fps))
    if helpers == 0:
        with factory() as backend:
            results = [run_span(job, Span(0.0, None), backend, reporter.gate)]
    else:
        results = _run_shared(job, factory, helpers, reporter.add)
    reporter.finish()
    return _join(results, info, path)


def estimate_video_plain(path: Path) -> PoseSequence:
    """The plain loop: OpenCV decodes every frame, BlazePose full estimates each, one process.

    Times are frame index / the file's frame rate (seconds); landmarks in video pixels.
    """
    import cv2

    from psoas_coach.pose.mediapipe_backend import MediaPipeBackend

    if not path.exists():
        raise InputNotFoundError(f"video {path.name}: file not found")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise VideoError(f"video {path.name}: OpenCV cannot open it as a video")
    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 30.0
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    times: list[float] = []
    poses: list[FramePose | None] = []
    with MediaPipeBackend() as backend:
        ok, frame = capture.read()
        while ok:
            times.append(len(times) / fps)
            image = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            poses.append(backend.estimate(image, times[-1]))
            ok, frame = capture.read()
    capture.release()
    return stack_frames(times, poses, width=width, height=height, source=path.name)


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
    )
    while (frame := _next_frame(frames, warnings)) is not None and gate(frame[0]):
        time_s, image = frame
        times.append(time_s)
        poses.append(_to_video_pixels(backend.estimate(image, time_s), image, job.info))
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


def _can_spawn() -> bool:
    """Whether helper processes can start: "spawn" re-imports the main script from its file,
    so a program read from stdin (``python - < x.py``) must run in one process."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or Path(main_file).exists()


def _default_backend() -> PoseBackend:
    """A fresh :class:`MediaPipeBackend` (imported here, in the process that needs it)."""
    from psoas_coach.pose.mediapipe_backend import MediaPipeBackend

    return MediaPipeBackend()


def _expected_frames(info: VideoInfo, max_fps: float) -> int:
    """Frames the whole video should give at no more than ``max_fps`` (at least 1)."""
    return max(1, round(info.duration_s * min(info.fps, max_fps)))


class _ProgressReporter:
    """Turns frame counts into a done share for the caller's callback (calling process)."""

    def __init__(self, callback: ProgressCallback | None, expected_frames: int) -> None:
        self._callback = callback
        self._expected = expected_frames
        self._done = 0

    def add(self, frames: int) -> None:
        """Count ``frames`` more frames done and report the share (below 1 until finished)."""
        self._done += frames
        if self._callback is not None and frames:
            self._callback(min(self._done / self._expected, 0.99))

    def gate(self, time_s: float) -> bool:
        """A :data:`FrameGate` that counts each frame and never stops early."""
        self.add(1)
        return True

    def finish(self) -> None:
        """Report completion (1.0)."""
        if self._callback is not None:
            self._callback(1.0)


def _to_video_pixels(
    pose: FramePose | None, image: ImageArray, info: VideoInfo
) -> FramePose | None:
    """Map ``pose`` from the pixels of the (shrunk) ``image`` to the video's own pixels."""
    if pose is None:
        return None
    height, width = image.shape[:2]
    sx, sy = info.width / width, info.height / height
    if sx == 1.0 and sy == 1.0:
        return pose
    return FramePose(pose.xy * np.array([sx, sy]), pose.z * sx, pose.visibility)


def _join(results: list[ChunkResult], info: VideoInfo, path: Path) -> VideoPoseResult:
    """Concatenate chunk poses in time order, dropping overlap frames; gather warnings."""
    warnings = list(dict.fromkeys(w for r in results for w in r.warnings))
    parts = _without_overlap([r.pose for r in results])
    if not parts:
        if warnings:
            raise VideoError(warnings[0])
        empty = PoseSequence.empty(width=info.width, height=info.height, source=path.name)
        return VideoPoseResult(empty, warnings, info)
    return VideoPoseResult(PoseSequence.concat(parts), warnings, info)


def _without_overlap(parts: list[PoseSequence]) -> list[PoseSequence]:
    """Non-empty chunk poses, each cut to the frames later than the previous chunk's last."""
    kept: list[PoseSequence] = []
    last_s = -math.inf
    for part in parts:
        later = part.select(part.time_s > last_s)
        if len(later):
            kept.append(later)
            last_s = float(later.time_s[-1])
    return kept


# --- Parallel chunks --------------------------------------------------------------------------


def _run_shared(
    job: VideoJob, factory: BackendFactory, helpers: int, report: Callable[[int], None]
) -> list[ChunkResult]:
    """This process and ``helpers`` helper processes estimate the video, one chunk each.

    When the processes fill the machine's cores, each is pinned to its own core for the run
    (this one's affinity is restored after; helpers are pinned from their start): the
    estimator's threads then keep to one core's cache, which made two busy processes on two
    cores about 12 % faster than leaving them free to move.
    """
    cores = _cores_for(helpers + 1)
    with _Helpers(job, factory, helpers, report, cores[1:]) as pool, _pinned(cores[0]):
        splitter = _Splitter(job, pool, report)
        with factory() as backend:
            own = run_span(job, Span(0.0, None), backend, splitter.gate)
        if not splitter.done:
            pool.assign([])
        others = pool.collect()
    return [own, *others]


def _cores_for(processes: int) -> list[int | None]:
    """One CPU core per process when the processes exactly fill the allowed cores, else ``None``.

    With cores to spare the operating system keeps busy processes in place anyway; with too
    few, pinning would only make them queue.
    """
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(allowed) != processes:
        return [None] * processes
    return list(allowed)


@contextlib.contextmanager
def _pinned(core: int | None) -> Iterator[None]:
    """Keep this process on ``core`` inside the block (no change for ``None``)."""
    if core is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class _Splitter:
    """The calling process's :data:`FrameGate`: counts, polls helpers, splits, stops at its end.

    The split gives this process a little more than an equal share: a helper's chunk begins
    with a seek and a fresh person detection (about ``HELPER_HANDICAP_S`` seconds), converted
    to video seconds with the pace this process has kept so far.
    """

    def __init__(self, job: VideoJob, pool: _Helpers, report: Callable[[int], None]) -> None:
        self._job = job
        self._pool = pool
        self._report = report
        self._end_s = math.inf
        self._pace = _Pace()
        self.done = False

    def gate(self, time_s: float) -> bool:
        """Count the frame at ``time_s``; split the rest once every helper is ready."""
        if time_s >= self._end_s:
            return False
        self._report(1)
        self._pace.note(time_s)
        self._pool.poll()
        if not self.done and self._pool.all_ready:
            self._split(time_s)
        return True

    def _split(self, time_s: float) -> None:
        """Keep ``[.., b1)`` and hand ``[b1, b2)``, ... ``[bn, end)`` to the helpers."""
        start = time_s + 1.0 / min(self._job.info.fps, self._job.max_fps)
        rest = self._job.info.duration_s - start
        parts = self._pool.count + 1
        self.done = True
        if rest < MIN_CHUNK_S * parts:
            self._pool.assign([])
            return
        extra = min(HELPER_HANDICAP_S * self._pace.video_s_per_s(), rest / parts)
        share = (rest - extra) / parts
        bounds = [start + extra + share * i for i in range(1, parts)]
        self._end_s = bounds[0]
        ends: list[float | None] = [*bounds[1:], None]
        self._pool.assign([Span(b, e) for b, e in zip(bounds, ends, strict=True)])


class _Pace:
    """Video seconds processed per wall-clock second, from the second frame on (the first one
    carries the estimator's start-up)."""

    def __init__(self) -> None:
        self._first: tuple[float, float] | None = None
        self._last: tuple[float, float] | None = None
        self._frames = 0

    def note(self, time_s: float) -> None:
        """Record that the frame at ``time_s`` (video seconds) starts now."""
        self._frames += 1
        if self._frames == 2:
            self._first = (time_s, time.perf_counter())
        self._last = (time_s, time.perf_counter())

    def video_s_per_s(self) -> float:
        """The pace so far (0 until two frames after the first have been noted)."""
        if self._first is None or self._last is None or self._frames < 4:
            return 0.0
        wall = self._last[1] - self._first[1]
        return (self._last[0] - self._first[0]) / wall if wall > 0 else 0.0


class _Helpers:
    """Helper processes: start them, hand out chunks, gather messages, stop them."""

    def __init__(
        self,
        job: VideoJob,
        factory: BackendFactory,
        count: int,
        report: Callable[[int], None],
        cores: list[int | None],
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.count = count
        self._report = report
        self._tasks: Any = context.Queue()
        self._messages: Any = context.Queue()
        self._ready = 0
        self._finished: set[int] = set()
        self._results: dict[int, ChunkResult] = {}
        self._cores = cores
        self._processes = [
            context.Process(
                target=_helper_main,
                args=(i, job, factory, self._tasks, self._messages),
                daemon=True,
            )
            for i in range(count)
        ]

    def __enter__(self) -> _Helpers:
        for process, core in zip(self._processes, self._cores, strict=True):
            try:
                with _pinned(core):  # the helper inherits the core from its first instruction
                    process.start()
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                self.__exit__(None, None, None)
                raise PoseBackendError(
                    f"the pose backend factory cannot be sent to a helper process ({exc}); "
                    "use a module-level class or function, or functools.partial of one"
                ) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        started = [p for p in self._processes if p.pid is not None]
        for process in started:
            if process.is_alive():
                process.terminate()
        for process in started:
            process.join(timeout=5.0)
        self._tasks.close()
        self._messages.close()

    @property
    def all_ready(self) -> bool:
        """Whether every helper has started its backend."""
        return self._ready == self.count

    def assign(self, spans: list[Span]) -> None:
        """Hand ``spans`` out (at most one per helper); helpers left over get ``None`` and stop."""
        for order in range(self.count):
            self._tasks.put((order, spans[order] if order < len(spans) else None))

    def poll(self) -> None:
        """Handle the messages waiting now, without blocking."""
        while True:
            try:
                message = self._messages.get_nowait()
            except queue_module.Empty:
                return
            self._handle(message)

    def collect(self) -> list[ChunkResult]:
        """Wait for every helper to finish; their chunks in time order."""
        while len(self._finished) < self.count:
            self._handle(self._next_message())
        return [result for _, result in sorted(self._results.items())]

    def _handle(self, message: tuple[str, int, Any]) -> None:
        """Act on one helper message; re-raise a helper's exception here."""
        kind, helper, payload = message
        if kind == "ready":
            self._ready += 1
        elif kind == "progress":
            self._report(payload)
        elif kind == "error":
            raise pickle.loads(payload)
        else:
            self._finished.add(helper)
            if payload is not None:
                order, result = payload
                self._results[order] = result

    def _next_message(self) -> tuple[str, int, Any]:
        """The next helper message; :class:`PoseBackendError` if a helper died without one."""
        while True:
            try:
                message: tuple[str, int, Any] = self._messages.get(timeout=_POLL_S)
            except queue_module.Empty:
                if self._dead() is None:
                    continue
                try:  # a helper may have sent its last message just before exiting
                    message = self._messages.get(timeout=_POLL_S)
                except queue_module.Empty:
                    raise self._died_error() from None
            return message

    def _dead(self) -> int | None:
        """Index of a helper that has exited without saying it finished, if any."""
        for i, process in enumerate(self._processes):
            if process.exitcode is not None and i not in self._finished:
                return i
        return None

    def _died_error(self) -> PoseBackendError:
        """The error for a helper that stopped without a word."""
        index = self._dead()
        code = None if index is None else self._processes[index].exitcode
        return PoseBackendError(
            f"pose helper process {index} stopped (exit code {code}) without sending its result"
        )


def _helper_main(
    index: int, job: VideoJob, factory: BackendFactory, tasks: Any, messages: Any
) -> None:
    """Helper process body: start the backend, say so, run the chunk handed out, send it back.

    Every failure, whatever its class, goes back to the calling process, which re-raises it.
    """
    try:
        with factory() as backend:
            messages.put(("ready", index, None))
            order, span = _wait_for_task(tasks)
            payload = None
            if span is not None:
                counter = _ProgressSender(messages, index)
                payload = (order, run_span(job, span, backend, counter.gate))
                counter.flush()
        messages.put(("done", index, payload))
    except Exception as exc:  # every failure must reach the calling process
        messages.put(("error", index, _portable(exc)))


def _wait_for_task(tasks: Any) -> tuple[int, Span | None]:
    """The next ``(order, span)`` task; ``(-1, None)`` if the calling process has gone."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            task: tuple[int, Span | None] = tasks.get(timeout=_POLL_S)
        except queue_module.Empty:
            if parent is not None and not parent.is_alive():
                return -1, None
            continue
        return task


class _ProgressSender:
    """A helper's :data:`FrameGate`: counts frames and sends the count every few frames."""

    def __init__(self, messages: Any, index: int) -> None:
        self._messages = messages
        self._index = index
        self._unsent = 0

    def gate(self, time_s: float) -> bool:
        """Count the frame at ``time_s`` (seconds); never stops early."""
        self._unsent += 1
        if self._unsent >= _PROGRESS_EVERY:
            self.flush()
        return True

    def flush(self) -> None:
        """Send the frames counted and not yet reported."""
        if self._unsent:
            self._messages.put(("progress", self._index, self._unsent))
            self._unsent = 0


def _portable(exc: Exception) -> bytes:
    """``exc`` pickled for the calling process; a :class:`PoseBackendError` if it cannot be."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError):
        data = pickle.dumps(PoseBackendError(f"pose helper failed: {type(exc).__name__}: {exc}"))
    return data
