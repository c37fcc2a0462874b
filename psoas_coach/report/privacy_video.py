"""Annotated videos that protect the athlete, drawn with :mod:`psoas_coach.report.annotate`.

- :func:`write_skeleton_video`: the coaching overlay on a plain background, from keypoints alone
  (no picture of the person): for the keypoints-only policy and for keypoint CSV uploads.
- :func:`write_blurred_video`: the real picture with the face pixelated before the overlay is
  drawn, the face region following the face landmarks (nose, eyes, ears, mouth).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.pose.landmarks import INDEX
from psoas_coach.pose.types import PoseSequence
from psoas_coach.report.annotate import nearest_index, write_annotated_video
from psoas_coach.report.drawing import Image
from psoas_coach.report.html import AnalysisLike
from psoas_coach.report.model import Report

#: Width of a skeleton-only video in pixels (height follows the recording's aspect ratio).
SKELETON_WIDTH_PX = 720
#: Highest frame rate of a skeleton-only video, frames per second (keeps encoding quick).
SKELETON_MAX_FPS = 15.0
#: Background of a skeleton-only video (RGB, dark slate).
SKELETON_BACKGROUND = (38, 44, 52)
#: Face landmarks: nose, eyes, ears, mouth corners (BlazePose indices 0-10).
FACE_LANDMARKS = tuple(range(INDEX["mouth_right"] + 1))
#: The blurred region's radius as a multiple of the face landmarks' spread.
FACE_MARGIN = 2.2
#: Smallest blurred radius, as a share of the frame's shorter side.
MIN_FACE_RADIUS_SHARE = 0.06
#: A face region stays in use this long (seconds) when the face landmarks drop out.
FACE_HOLD_S = 2.0
#: Pixel blocks across the face region (fewer = coarser).
PIXEL_BLOCKS = 6


@dataclass(frozen=True)
class _Reframed:
    """An analysis with its pose moved into the skeleton video's own picture."""

    pose: PoseSequence
    kinematics: Kinematics
    report: Report


def write_skeleton_video(
    analysis: AnalysisLike, out: Path, *, progress: Callable[[int], None] | None = None
) -> int:
    """Overlay of ``analysis`` on a plain background at the pose's frame times (at most
    :data:`SKELETON_MAX_FPS` per second); returns the frames written (``progress`` is told
    the count after each, as :func:`write_annotated_video` does).

    The picture frames the body: the keypoints' bounding box plus a margin, scaled to
    :data:`SKELETON_WIDTH_PX` wide (even sizes, as H.264 needs).
    """
    framed = _framed_pose(analysis.pose)
    size = (framed.height, framed.width, 3)
    background = np.empty(size, dtype=np.uint8)
    background[:] = SKELETON_BACKGROUND
    fps = min(analysis.report.fps if analysis.report.fps > 0 else 30.0, SKELETON_MAX_FPS)
    frames = ((t, background.copy()) for t in _frame_times(framed.time_s, fps))
    reframed = _Reframed(framed, analysis.kinematics, analysis.report)
    return write_annotated_video(frames, reframed, out, fps=fps, progress=progress)


def _frame_times(time_s: npt.NDArray[np.float64], fps: float) -> list[float]:
    """The first pose time in each ``1 / fps`` second slot (seconds)."""
    if time_s.size == 0:
        return []
    slots = np.floor((time_s - time_s[0]) * fps + 1e-6)
    keep = np.concatenate([[True], np.diff(slots) > 0])
    return [float(t) for t in time_s[keep]]


def _framed_pose(pose: PoseSequence) -> PoseSequence:
    """``pose`` moved and scaled so its bounding box (plus 12 % margin) fills a picture
    :data:`SKELETON_WIDTH_PX` wide; width and height set, both even."""
    xy = pose.xy
    finite = xy[np.isfinite(xy).all(axis=-1)]
    if finite.size == 0:
        lo, hi = np.zeros(2), np.array([16.0, 9.0])
    else:
        lo, hi = finite.min(axis=0), finite.max(axis=0)
    span = np.maximum(1.24 * (hi - lo), 1.0)
    span[1] = min(max(span[1], span[0] * 9 / 16), 2 * span[0])  # between 16:9 and 1:2
    origin = (lo + hi) / 2 - span / 2
    scale = SKELETON_WIDTH_PX / span[0]
    width, height = SKELETON_WIDTH_PX, 2 * round(span[1] * scale / 2)
    moved = (xy - origin) * scale
    return PoseSequence.from_arrays(
        pose.time_s, moved, pose.z, pose.visibility, width=width, height=height, source=pose.source
    )


def write_blurred_video(
    path: Path,
    analysis: AnalysisLike,
    out: Path,
    *,
    max_fps: float,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Annotated video of the video at ``path`` with the face pixelated; frames written
    (``progress`` is told the count after each).

    Frame rate: the video's, capped at ``max_fps`` (frames per second), as ``psoas analyze``.
    """
    from psoas_coach.source.video import iter_frames, probe_video

    fps = min(probe_video(path).fps, max_fps)
    frames = _blurred(iter_frames(path, max_fps=max_fps), analysis.pose)
    return write_annotated_video(frames, analysis, out, fps=fps, progress=progress)


def _blurred(
    frames: Iterator[tuple[float, Image]], pose: PoseSequence
) -> Iterator[tuple[float, Image]]:
    last: tuple[float, npt.NDArray[np.float64], float] | None = None
    for time_s, image in frames:
        region = face_region(pose, time_s, image.shape[1], image.shape[0])
        if region is not None:
            last = (time_s, region[0], region[1])
        if last is not None and time_s - last[0] <= FACE_HOLD_S:
            pixelate(image, last[1], last[2])
        yield time_s, image


def face_region(
    pose: PoseSequence, time_s: float, width: int, height: int
) -> tuple[npt.NDArray[np.float64], float] | None:
    """Centre ``(x, y)`` and radius in pixels of the face at ``time_s`` seconds in a frame of
    ``width`` x ``height`` pixels; ``None`` when no face landmark is known near that time."""
    i = nearest_index(pose.time_s, time_s)
    if i is None or abs(float(pose.time_s[i]) - time_s) > 0.25:
        return None
    points = pose.xy[i, list(FACE_LANDMARKS)]
    points = points[np.isfinite(points).all(axis=-1)]
    if points.size == 0:
        return None
    if pose.width > 0 and pose.height > 0:
        points = points * np.array([width / pose.width, height / pose.height])
    centre = points.mean(axis=0)
    spread = float(np.linalg.norm(points - centre, axis=-1).max())
    radius = max(FACE_MARGIN * spread, MIN_FACE_RADIUS_SHARE * min(width, height))
    return centre, radius


def pixelate(image: Image, centre: npt.NDArray[np.float64], radius: float) -> None:
    """Replace the square of half-side ``radius`` pixels around ``centre`` by coarse blocks
    (in place; clipped to the frame)."""
    h, w = image.shape[:2]
    x0, y0 = max(0, int(centre[0] - radius)), max(0, int(centre[1] - radius))
    x1, y1 = min(w, int(centre[0] + radius) + 1), min(h, int(centre[1] + radius) + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = image[y0:y1, x0:x1]
    small = cv2.resize(roi, (PIXEL_BLOCKS, PIXEL_BLOCKS), interpolation=cv2.INTER_AREA)
    roi[:] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
