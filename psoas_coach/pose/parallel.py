"""Pose of a video on every core: this process and helper processes share the chunks.

The chunks are cut beforehand from the file alone (:func:`psoas_coach.pose.chunks.plan_spans`)
and every chunk starts with a fresh tracker, so which process runs which chunk changes
nothing in the landmarks. The calling process starts on the first chunk at once while the
helpers ("spawn" context) start up (importing MediaPipe takes a moment); every process then
takes the next chunk not yet taken from one queue until none is left. Each chunk goes back
as a :class:`ChunkResult`; the caller counts progress throughout and returns the chunks in
time order. When the processes fill the machine, each is pinned to its own core for the run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue as queue_module
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Final

from psoas_coach.exceptions import PoseBackendError
from psoas_coach.pose.backend import PoseBackend
from psoas_coach.pose.chunks import ChunkResult, Span, VideoJob, run_span

BackendFactory = Callable[[], PoseBackend]

#: Helpers report progress every this many frames.
_PROGRESS_EVERY: Final[int] = 5
#: Seconds between checks that the other side is still alive while waiting for a message.
_POLL_S: Final[float] = 0.5


def run_shared(
    job: VideoJob,
    spans: list[Span],
    factory: BackendFactory,
    helpers: int,
    report: Callable[[int], None],
) -> list[ChunkResult]:
    """This process and ``helpers`` helper processes estimate ``spans``, each taking the next
    chunk not yet taken; the chunks' results in the order of ``spans``.

    When the processes fill the machine's cores, each is pinned to its own core for the run
    (this one's affinity is restored after; helpers are pinned from their start): the
    estimator's threads then keep to one core's cache, which made two busy processes on two
    cores about 12 % faster than leaving them free to move.
    """
    cores = _cores_for(helpers + 1)
    with _Helpers(job, spans, factory, helpers, report, cores[1:]) as pool, _pinned(cores[0]):
        own: dict[int, ChunkResult] = {}

        def gate(time_s: float) -> bool:
            report(1)
            pool.poll()
            return True

        with factory() as backend:
            while (task := pool.take()) is not None:
                order, span = task
                own[order] = run_span(job, span, backend, gate)
        results = pool.collect() | own
    return [results[order] for order in sorted(results)]


def machine_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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


class _Helpers:
    """Helper processes: start them, share the chunk queue, gather messages, stop them.

    Every chunk is put on one queue, followed by one ``None`` per helper (its signal to
    stop); the calling process takes from the same queue and puts back a ``None`` it meets.
    """

    def __init__(
        self,
        job: VideoJob,
        spans: list[Span],
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
        self._finished: set[int] = set()
        self._results: dict[int, ChunkResult] = {}
        self._cores = cores
        for task in [*enumerate(spans), *([None] * count)]:
            self._tasks.put(task)
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

    def take(self) -> tuple[int, Span] | None:
        """The next chunk not yet taken, for the calling process; ``None`` when none is left.

        Only helpers remove stop signals, so an empty queue means everything was taken.
        """
        try:
            task: tuple[int, Span] | None = self._tasks.get(timeout=_POLL_S)
        except queue_module.Empty:
            return None
        if task is None:  # a helper's stop signal: all chunks are taken
            self._tasks.put(None)
        return task

    def poll(self) -> None:
        """Handle the messages waiting now, without blocking."""
        while True:
            try:
                message = self._messages.get_nowait()
            except queue_module.Empty:
                return
            self._handle(message)

    def collect(self) -> dict[int, ChunkResult]:
        """Wait for every helper to finish; their chunks' results by chunk order."""
        while len(self._finished) < self.count:
            self._handle(self._next_message())
        return dict(self._results)

    def _handle(self, message: tuple[str, int, Any]) -> None:
        """Act on one helper message; re-raise a helper's exception here."""
        kind, helper, payload = message
        if kind == "progress":
            self._report(payload)
        elif kind == "chunk":
            order, result = payload
            self._results[order] = result
        elif kind == "error":
            raise pickle.loads(payload)
        else:
            self._finished.add(helper)

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
    """Helper process body: start the backend, then run and send back chunk after chunk from
    the queue (a fresh tracker for each) until the stop signal.

    Every failure, whatever its class, goes back to the calling process, which re-raises it.
    """
    try:
        with factory() as backend:
            counter = _ProgressSender(messages, index)
            while (task := _wait_for_task(tasks)) is not None:
                order, span = task
                result = run_span(job, span, backend, counter.gate)
                counter.flush()
                messages.put(("chunk", index, (order, result)))
        messages.put(("done", index, None))
    except Exception as exc:  # every failure must reach the calling process
        messages.put(("error", index, _portable(exc)))


def _wait_for_task(tasks: Any) -> tuple[int, Span] | None:
    """The next ``(order, span)`` task; ``None`` at the stop signal or if the caller has gone."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            task: tuple[int, Span] | None = tasks.get(timeout=_POLL_S)
        except queue_module.Empty:
            if parent is not None and not parent.is_alive():
                return None
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
