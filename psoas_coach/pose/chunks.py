"""One chunk of a video's pose: the job every process shares and the loop that runs a span.

:func:`run_span` decodes a contiguous time span at no more than the job's frame rate, shrunk
to its pose width, asks a :data:`FrameGate` before each frame (which counts progress and may
end the chunk early), estimates each frame and maps the landmarks back to the video's pixels.
The single-process path and every process of :mod:`psoas_coach.pose.parallel` run it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from psoas_coach.exceptions import VideoError
from psoas_coach.pose.backend import FramePose, ImageArray, PoseBackend, stack_frames
from psoas_coach.pose.types import PoseSequence
from psoas_coach.source.video import VideoInfo, iter_frames

#: Called before each frame with its time in seconds; returning False ends the chunk there.
FrameGate = Callable[[float], bool]


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
