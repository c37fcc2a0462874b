"""Pose of a whole video: decode and estimate in contiguous chunks on every core, joined in time.

:func:`estimate_video` cuts the video into chunks from the file alone
(:func:`~psoas_coach.pose.chunks.plan_spans`), runs them in turn in this process
(``workers=1``, a single chunk) or shares them among ``workers`` processes
(:mod:`psoas_coach.pose.parallel`), reports progress, and joins the chunks in time order.
Each chunk starts with a fresh tracker, so the landmarks are the same whatever the number of
workers. Frames are decoded at no more than ``max_fps``
and shrunk to ``pose_width`` pixels before the estimator (BlazePose works at 256 × 256
internally); landmarks are mapped back to the video's own pixels (:mod:`.chunks`).

:func:`estimate_video_plain` is the plain single-process loop, the benchmark's baseline.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from psoas_coach.exceptions import InputNotFoundError, VideoError
from psoas_coach.pose.backend import POSE_WIDTH, FramePose, PoseBackend, stack_frames
from psoas_coach.pose.chunks import ChunkResult, VideoJob, plan_spans, run_span
from psoas_coach.pose.parallel import BackendFactory, machine_cores, run_shared
from psoas_coach.pose.types import PoseSequence
from psoas_coach.source.video import VideoInfo, keyframe_times, probe_video


@dataclass(frozen=True)
class PoseProgress:
    """How far a video's pose estimation is: ``frames`` of about ``total`` done in
    ``elapsed_s`` seconds (``done`` once finished)."""

    frames: int
    total: int
    elapsed_s: float
    done: bool = False

    @property
    def share(self) -> float:
        """Done share in [0, 1] (below 1 until finished)."""
        return 1.0 if self.done else min(self.frames / max(self.total, 1), 0.99)

    @property
    def fps(self) -> float:
        """Frames per second so far (0 before the first)."""
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def left_s(self) -> float | None:
        """Seconds left at the pace so far (``None`` before there is a pace)."""
        if self.done:
            return 0.0
        return max(self.total - self.frames, 0) / self.fps if self.fps > 0 else None

    def label(self) -> str:
        """E.g. ``pose 812/1372 frames, 57 fps, 10 s left``."""
        text = f"pose {self.frames}/{self.total} frames"
        if self.fps > 0:
            text += f", {self.fps:.0f} fps"
        if (left := self.left_s) is not None and not self.done:
            text += f", {left:.0f} s left" if left < 90 else f", {left / 60:.0f} min left"
        return text


ProgressCallback = Callable[[PoseProgress], None]


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


def estimate_video(
    path: Path,
    *,
    workers: int = 2,
    max_fps: float = 30.0,
    backend_factory: BackendFactory | None = None,
    progress: ProgressCallback | None = None,
    pose_width: int | None = POSE_WIDTH,
    model: str = "full",
) -> VideoPoseResult:
    """Landmarks of every frame of the video at ``path`` (at most ``max_fps`` frames per second).

    ``workers`` processes share the video's chunks (``workers=1``, a one-chunk video or a main
    program read from stdin: this process alone; the landmarks are the same either way);
    ``backend_factory`` makes each one's estimator (default: :class:`MediaPipeBackend` with the
    landmark ``model``, ``"full"`` or ``"heavy"``) and must be picklable; ``progress`` gets
    the done share in [0, 1], from this process; frames are shrunk to ``pose_width`` pixels
    wide (``None``: full size) before estimation.

    Raises :class:`InputNotFoundError` / :class:`VideoError` for a missing or unreadable file,
    and re-raises a helper's exception here. A file that breaks part-way keeps the frames
    decoded and says so in ``warnings``; :class:`VideoError` if none decoded.
    """
    info = probe_video(path)
    if backend_factory is None:
        from psoas_coach.pose.mediapipe_backend import check_model

        check_model(model)  # here, before any helper starts
    factory = backend_factory or partial(_default_backend, model)
    spans = plan_spans(info, keyframe_times(path), max_fps)
    helpers = max(0, min(workers, len(spans)) - 1)
    helpers = helpers if _can_spawn() else 0
    # Alone with a core to spare, this process decodes on a thread of its own.
    prefetch = helpers == 0 and machine_cores() > 1
    job = VideoJob(path, info, max_fps, pose_width, 1 if helpers or prefetch else 0, prefetch)
    reporter = _ProgressReporter(progress, _expected_frames(info, max_fps))
    if helpers == 0:
        with factory() as backend:
            results: list[ChunkResult] = []
            for span in spans:
                results.append(run_span(job, span, backend, reporter.gate))
    else:
        results = run_shared(job, spans, factory, helpers, reporter.add)
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


def _can_spawn() -> bool:
    """Whether helper processes can start: "spawn" re-imports the main script from its file,
    so a program read from stdin (``python - < x.py``) must run in one process."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or Path(main_file).exists()


def _default_backend(model: str = "full") -> PoseBackend:
    """A fresh :class:`MediaPipeBackend` (imported here, in the process that needs it)."""
    from psoas_coach.pose.mediapipe_backend import MediaPipeBackend

    return MediaPipeBackend(model=model)


def _expected_frames(info: VideoInfo, max_fps: float) -> int:
    """Frames the whole video should give at no more than ``max_fps`` (at least 1)."""
    return max(1, round(info.duration_s * min(info.fps, max_fps)))


class _ProgressReporter:
    """Turns frame counts into :class:`PoseProgress` for the caller's callback (calling
    process)."""

    def __init__(self, callback: ProgressCallback | None, expected_frames: int) -> None:
        self._callback = callback
        self._expected = expected_frames
        self._done = 0
        self._started = time.perf_counter()

    def add(self, frames: int) -> None:
        """Count ``frames`` more frames done and report (not finished until :meth:`finish`)."""
        self._done += frames
        if self._callback is not None and frames:
            self._callback(self._progress())

    def gate(self, time_s: float) -> bool:
        """A :data:`FrameGate` that counts each frame and never stops early."""
        self.add(1)
        return True

    def finish(self) -> None:
        """Report completion."""
        if self._callback is not None:
            self._callback(self._progress(done=True))

    def _progress(self, done: bool = False) -> PoseProgress:
        elapsed = time.perf_counter() - self._started
        return PoseProgress(self._done, max(self._expected, self._done), elapsed, done)


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
