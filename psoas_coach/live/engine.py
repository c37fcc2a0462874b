"""The streaming engine every live front end uses: a picture in, coaching events out.

:class:`LiveEngine` runs the pose estimator on each picture (through the
:class:`~psoas_coach.pose.backend.PoseBackend` interface: BlazePose in tracking mode, or a fake
in unit tests) and hands the landmarks to a :class:`~psoas_coach.live.analyzer.LiveAnalyzer`.
Landmarks estimated elsewhere (BlazePose in the athlete's browser) enter the same way after
pose, through :meth:`LiveEngine.process_pose`: one engine, fed pictures or keypoints.
Pictures wider than ``pose_width`` are shrunk before estimation (BlazePose works at 256 × 256
inside) and the landmarks mapped back to the picture's pixels, by the same functions as the
offline video path.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass
from types import TracebackType

from psoas_coach.live.analyzer import LiveAnalyzer
from psoas_coach.live.events import Event, LiveStatus
from psoas_coach.pose.backend import (
    POSE_WIDTH,
    FramePose,
    ImageArray,
    PoseBackend,
    to_full_pixels,
)
from psoas_coach.pose.chunks import RETRY_EARLIER_S, Span, settle_tracker
from psoas_coach.pose.types import FloatArray
from psoas_coach.source.video import shrink_to_width

#: Most threads a desktop live set gives the pose networks.
MAX_POSE_THREADS = 4


@dataclass(frozen=True)
class FrameResult:
    """What one picture gave.

    Attributes:
        time_s: the picture's time in seconds.
        pose: the estimator's landmarks in the picture's pixels (``None``: nobody found).
        landmarks: fast-tier smoothed landmarks ``(33, 2)`` in the picture's pixels.
        events: coaching events of this frame.
        status: what to draw.
        pose_ms: milliseconds spent in pose estimation.
        total_ms: milliseconds for the whole frame (resize, pose, analysis).
    """

    time_s: float
    pose: FramePose | None
    landmarks: FloatArray
    events: list[Event]
    status: LiveStatus
    pose_ms: float
    total_ms: float


class LiveEngine:
    """Pose estimation plus live analysis, one picture at a time (in time order).

    Args:
        backend: the pose estimator (owned: closed with the engine); ``None`` for an engine
            fed landmarks only (:meth:`process_pose`), until one is set.
        analyzer: the analysis after pose (its ``frame_size`` is set from the first picture
            when unknown).
        pose_width: pictures wider than this many pixels are shrunk before estimation
            (``None``: never).
        chunks: the chunks of a file played live (``VideoFileSource.chunks``): at the start
            of each the estimator is settled afresh on the pictures before it, as the offline
            video path does (:func:`~psoas_coach.pose.chunks.settle_tracker`), so that the file
            gives the landmarks ``psoas analyze`` gives. The engine then keeps the last few
            seconds of shrunk pictures for that (none for a camera).
    """

    def __init__(
        self,
        backend: PoseBackend | None,
        analyzer: LiveAnalyzer,
        *,
        pose_width: int | None = POSE_WIDTH,
        chunks: list[Span] | None = None,
    ) -> None:
        self.backend = backend
        self.analyzer = analyzer
        self.pose_width = pose_width
        self._chunks = deque(s for s in chunks or [] if s.warm_s is not None)  # in time order
        self._recent: deque[tuple[float, ImageArray]] = deque()
        #: Seconds the last :meth:`process` spent on work a steady stream of pictures does not
        #: cost: the estimator's first picture (the model starting) and a chunk's warm-up.
        self.setup_s = 0.0
        self._first = True

    def process(
        self, time_s: float, image_rgb: ImageArray, pose_image: ImageArray | None = None
    ) -> FrameResult:
        """Estimate and analyse one RGB ``(H, W, 3)`` uint8 picture taken at ``time_s`` s;
        ``pose_image`` is the picture already shrunk for the estimator (a file's, shrunk as
        the offline path does; ``None``: shrunk here to ``pose_width``)."""
        if self.backend is None:
            raise ValueError("LiveEngine.process: this engine has no pose estimator")
        start = time.perf_counter()
        height, width = image_rgb.shape[:2]
        small = shrink_to_width(image_rgb, self.pose_width) if pose_image is None else pose_image
        settle = time.perf_counter()
        self._settle_at_chunk_start(time_s)
        before = time.perf_counter()
        pose = self.backend.estimate(small, time_s)
        done = time.perf_counter()
        pose_ms = 1000.0 * (done - before)
        self.setup_s = done - start if self._first else before - settle
        self._first = False
        self._remember(time_s, small)
        pose = to_full_pixels(pose, (small.shape[1], small.shape[0]), (width, height))
        return self.process_pose(time_s, pose, (width, height), pose_ms=pose_ms, start=start)

    def process_pose(
        self,
        time_s: float,
        pose: FramePose | None,
        size: tuple[int, int],
        *,
        pose_ms: float = 0.0,
        start: float | None = None,
    ) -> FrameResult:
        """Analyse one frame's landmarks (``pose`` in pixels of a ``size`` ``(width, height)``
        picture taken at ``time_s`` s; ``None``: nobody found), estimated here (``pose_ms``
        milliseconds, the frame's work timed from ``start``, a ``perf_counter`` value) or
        elsewhere."""
        start = time.perf_counter() if start is None else start
        if self.analyzer.frame_size == (0, 0):
            self.analyzer.frame_size = size
        events = self.analyzer.update(time_s, pose)
        total_ms = 1000.0 * (time.perf_counter() - start)
        status = self.analyzer.status
        return FrameResult(time_s, pose, self.analyzer.landmarks, events, status, pose_ms, total_ms)

    def _settle_at_chunk_start(self, time_s: float) -> None:
        """Settle the estimator where a chunk of the offline path starts."""
        span = None
        while self._chunks and time_s >= self._chunks[0].start_s:
            span = self._chunks.popleft()
        if span is not None and self.backend is not None:
            end = span.start_s
            recent = self._recent
            settle_tracker(
                self.backend, span, lambda start: [f for f in recent if start <= f[0] < end]
            )

    def _remember(self, time_s: float, small: ImageArray) -> None:
        """Keep the pictures the next chunk's warm-up may replay."""
        if not self._chunks:
            self._recent.clear()
            return
        self._recent.append((time_s, small))
        oldest = (self._chunks[0].warm_s or 0.0) - RETRY_EARLIER_S
        while self._recent and self._recent[0][0] < oldest:
            self._recent.popleft()

    def finish(self) -> list[Event]:
        """End the set (see :meth:`LiveAnalyzer.finish`)."""
        return self.analyzer.finish()

    def close(self) -> None:
        """Release the pose estimator (if any)."""
        if self.backend is not None:
            self.backend.close()

    def __enter__(self) -> LiveEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def mediapipe_backend(threads: int = 1) -> PoseBackend:
    """BlazePose full in tracking mode, its networks on ``threads`` threads (imported here:
    MediaPipe loads slowly). One thread per estimator where several share the machine (a
    server's sessions), more for the one picture stream of a desktop set
    (:func:`desktop_threads`): the landmarks are the same either way."""
    from psoas_coach.pose.mediapipe_backend import MediaPipeBackend

    return MediaPipeBackend(threads=threads)


def desktop_threads() -> int:
    """Threads for the pose networks of a desktop live set: one per CPU core, at most
    :data:`MAX_POSE_THREADS` (XNNPACK gains little beyond)."""
    return max(1, min(os.cpu_count() or 1, MAX_POSE_THREADS))
