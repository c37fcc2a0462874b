"""Annotated videos that protect the athlete, drawn with :mod:`psoas_coach.report.annotate`.

- :func:`write_skeleton_video`: the coaching overlay on a plain background, from keypoints alone
  (no picture of the person): for the keypoints-only policy and for keypoint CSV uploads.
- :func:`write_blurred_video`: the real picture with the head pixelated before the overlay is
  drawn: a box around all head landmarks (nose, eyes, ears, mouth) with a margin scaled to
  the head, joined over the frames within :data:`HEAD_MOTION_S`, so a moving head stays
  covered; where the head is not found, the boxes of the nearest frames that have it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.pose.landmarks import INDEX
from psoas_coach.pose.types import PoseSequence
from psoas_coach.report.annotate import write_annotated_video
from psoas_coach.report.drawing import Image
from psoas_coach.report.html import AnalysisLike
from psoas_coach.report.model import Report

#: Width of a skeleton-only video in pixels (height follows the recording's aspect ratio).
SKELETON_WIDTH_PX = 720
#: Highest frame rate of a skeleton-only video, frames per second (keeps encoding quick).
SKELETON_MAX_FPS = 15.0
#: Background of a skeleton-only video (RGB, dark slate).
SKELETON_BACKGROUND = (38, 44, 52)
#: Head landmarks: nose, eyes, ears, mouth corners (BlazePose indices 0-10).
FACE_LANDMARKS = tuple(range(INDEX["mouth_right"] + 1))
#: Margin around the head landmarks' box on each side, as a multiple of the head's size (the
#: larger side of that box): from the side, the ear sits mid-head and the back of the skull,
#: the crown and the chin lie about one ear-to-nose distance beyond the landmarks.
HEAD_MARGIN = 1.0
#: Smallest head size, as a share of the picture's shorter side (a few landmarks close
#: together still give a head-sized region).
MIN_HEAD_SIZE_SHARE = 0.05
#: Each frame's blurred region joins the head boxes of the pose frames this close (seconds),
#: so a head moving fast (a sit-up) stays covered though its landmarks lag the picture.
HEAD_MOTION_S = 0.2
#: Where the head is not found, the nearest head boxes this close (seconds) stand in.
HEAD_HOLD_S = 2.0
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
    heads = HeadRegions.from_pose(pose)
    for time_s, image in frames:
        box = heads.at(time_s, image.shape[1], image.shape[0])
        if box is not None:
            pixelate(image, box)
        yield time_s, image


def head_boxes(pose: PoseSequence) -> npt.NDArray[np.float64]:
    """Per pose frame, the box ``(x0, y0, x1, y1)`` in the pose's pixels that covers the whole
    head: the box of every head landmark (nose, eyes, ears, mouth) grown on each side by
    :data:`HEAD_MARGIN` times the head's size (the larger side of that box, at least
    :data:`MIN_HEAD_SIZE_SHARE` of the picture's shorter side). Shape ``(frames, 4)``; rows
    of NaN where no head landmark was found."""
    points = pose.xy[:, list(FACE_LANDMARKS)]
    found = np.isfinite(points).all(axis=-1)
    boxes = np.full((pose.xy.shape[0], 4), np.nan)
    rows = found.any(axis=1)
    if not rows.any():
        return boxes
    masked = np.where(found[..., None], points, np.nan)[rows]
    lo, hi = np.nanmin(masked, axis=1), np.nanmax(masked, axis=1)
    shorter = min(pose.width, pose.height) if pose.width > 0 and pose.height > 0 else 0
    size = np.maximum((hi - lo).max(axis=1), MIN_HEAD_SIZE_SHARE * shorter)
    margin = (HEAD_MARGIN * size)[:, None]
    boxes[rows] = np.concatenate([lo - margin, hi + margin], axis=1)
    return boxes


@dataclass(frozen=True)
class HeadRegions:
    """Where to blur the head at any time of a recording: the head boxes of
    :func:`head_boxes` of every pose frame (NaN rows where the head was not found), at the
    frames' times (seconds, sorted), in a picture of ``width`` x ``height`` pixels (0:
    unknown, the frame's own)."""

    times_s: npt.NDArray[np.float64]
    boxes: npt.NDArray[np.float64]
    width: int
    height: int

    @classmethod
    def from_pose(cls, pose: PoseSequence) -> HeadRegions:
        """The head regions of ``pose``."""
        return cls(pose.time_s, head_boxes(pose), pose.width, pose.height)

    @cached_property
    def _known(self) -> npt.NDArray[np.bool_]:
        known: npt.NDArray[np.bool_] = np.isfinite(self.boxes).all(axis=1)
        return known

    @cached_property
    def _known_rows(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(self._known)

    def at(
        self,
        time_s: float,
        width: int,
        height: int,
        *,
        motion_s: float = HEAD_MOTION_S,
        hold_s: float = HEAD_HOLD_S,
    ) -> npt.NDArray[np.float64] | None:
        """The box ``(x0, y0, x1, y1)`` to blur at ``time_s`` seconds in a frame of ``width``
        x ``height`` pixels: the union of the head boxes of the frames within ``motion_s``, so
        a moving head stays covered however its landmarks lag or lead the picture. Where those
        frames lack the head on one side of ``time_s`` (it is lost, or there is no frame),
        the nearest head box beyond them on that side, within ``hold_s``, joins them: the
        region spans from where the head was last seen to where it is seen again. ``None``
        when no head box is that near."""
        times, known, known_rows = self.times_s, self._known, self._known_rows
        lo = int(np.searchsorted(times, time_s - motion_s, side="left"))
        hi = int(np.searchsorted(times, time_s + motion_s, side="right"))
        first, end = np.searchsorted(known_rows, [lo, hi])  # known_rows[first:end]: in window
        rows = [int(i) for i in known_rows[first:end]]
        before, after = times[lo:hi] <= time_s, times[lo:hi] >= time_s
        if not before.any() or not known[lo:hi][before].all():  # the last known before
            rows += [int(i) for i in known_rows[max(first - 1, 0) : first]]
        if not after.any() or not known[lo:hi][after].all():  # the first known after
            rows += [int(i) for i in known_rows[end : end + 1]]
        rows = [i for i in rows if abs(times[i] - time_s) <= max(hold_s, motion_s)]
        if not rows:
            return None
        chosen = self.boxes[rows]
        box: npt.NDArray[np.float64] = np.concatenate(
            [chosen[:, :2].min(axis=0), chosen[:, 2:].max(axis=0)]
        )
        if self.width > 0 and self.height > 0:
            box = box * np.tile([width / self.width, height / self.height], 2)
        return box


def pixelate(image: Image, box: npt.NDArray[np.float64]) -> None:
    """Replace the box ``(x0, y0, x1, y1)`` in pixels by coarse blocks (in place; clipped to
    the frame)."""
    h, w = image.shape[:2]
    x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
    x1, y1 = min(w, int(np.ceil(box[2])) + 1), min(h, int(np.ceil(box[3])) + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = image[y0:y1, x0:x1]
    blocks = (min(PIXEL_BLOCKS, x1 - x0), min(PIXEL_BLOCKS, y1 - y0))
    small = cv2.resize(roi, blocks, interpolation=cv2.INTER_AREA)
    roi[:] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
