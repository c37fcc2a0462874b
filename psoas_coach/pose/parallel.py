"""Pose of a video on every core: this process and helper processes take one chunk each.

With ``N`` processes, the calling process and ``N - 1`` helper processes ("spawn" context)
each take one contiguous chunk of the video's time range. The caller starts on the video at
once while the helpers start up (importing MediaPipe takes a moment); when all helpers are
ready it splits what is left into ``N`` chunks, keeps the first and hands the others out.
Each helper seeks to its chunk, decodes it with its own backend and sends back a
:class:`ChunkResult`; the caller counts progress throughout and returns the chunks in time
order. When the processes fill the machine, each is pinned to its own core for the run.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import queue as queue_module
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Final

from psoas_coach.exceptions import PoseBackendError
from psoas_coach.pose.backend import PoseBackend
from psoas_coach.pose.chunks import ChunkResult, Span, VideoJob, run_span

BackendFactory = Callable[[], PoseBackend]

#: Chunks shorter than this (seconds) are not worth a process of their own.
MIN_CHUNK_S: Final[float] = 1.0
#: Wall-clock seconds a helper's chunk costs before its first frame (seek, person detection).
HELPER_HANDICAP_S: Final[float] = 0.3
#: Helpers report progress every this many frames.
_PROGRESS_EVERY: Final[int] = 5
#: Seconds between checks that the other side is still alive while waiting for a message.
_POLL_S: Final[float] = 0.5


def run_shared(
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
