"""The pose-estimator interface and a fake backend for tests.

A backend turns one RGB image into one :class:`FramePose` (or ``None`` when nobody is found).
MediaPipe's BlazePose lives in :mod:`psoas_coach.pose.mediapipe_backend`; no estimator type
leaves this layer.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from types import TracebackType
from typing import Final

import numpy as np
import numpy.typing as npt

from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import FloatArray, PoseSequence

ImageArray = npt.NDArray[np.uint8]

#: Pictures are shrunk to this width (pixels) before pose estimation, offline and live:
#: BlazePose works at 256 x 256 inside, and its cost is the same at 640 px as at full size,
#: while converting and shrinking smaller pictures is cheaper.
POSE_WIDTH: Final[int] = 640


@dataclass(frozen=True)
class FramePose:
    """Landmarks of one frame.

    ``xy`` ``(33, 2)`` pixels, ``z`` ``(33,)`` relative depth, ``visibility`` ``(33,)`` in [0, 1].
    """

    xy: FloatArray
    z: FloatArray
    visibility: FloatArray


def from_normalized(landmarks: FloatArray, width: int, height: int) -> FramePose:
    """A :class:`FramePose` from MediaPipe's normalised landmarks: ``landmarks`` ``(33, 4)``
    rows of ``x, y`` (shares of the picture's ``width`` and ``height``, pixels), ``z`` (depth
    on the scale of x) and visibility. Pixels out: ``xy`` times the picture size, ``z`` times
    its width, visibility clipped to [0, 1]. The one converter for BlazePose's output, whether
    it ran here (:mod:`psoas_coach.pose.mediapipe_backend`) or in the athlete's browser."""
    raw = np.asarray(landmarks, dtype=np.float64).reshape(NUM_LANDMARKS, 4)
    xy = raw[:, :2] * np.array([width, height], dtype=np.float64)
    visibility = np.minimum(np.maximum(raw[:, 3], 0.0), 1.0)  # np.clip's values, cheaper
    return FramePose(xy=xy, z=raw[:, 2] * width, visibility=visibility)


def to_normalized(pose: FramePose, width: int, height: int) -> FloatArray:
    """The inverse of :func:`from_normalized`, for clients that replay recordings as a browser
    sends them: ``(33, 4)`` rows of ``x, y`` shares of the picture, ``z`` over its width and
    visibility. A browser's BlazePose always gives all 33 landmarks; a landmark missing here
    becomes ``0, 0, 0, 0`` (not visible) and an unknown depth 0."""
    rows = np.zeros((NUM_LANDMARKS, 4))
    rows[:, :2] = pose.xy / np.array([width, height], dtype=np.float64)
    rows[:, 2] = pose.z / width
    rows[:, 3] = pose.visibility
    rows[~np.isfinite(rows[:, :2]).all(axis=1)] = 0.0
    rows[~np.isfinite(rows)] = 0.0
    return rows


def to_full_pixels(
    pose: FramePose | None, small: tuple[int, int], full: tuple[int, int]
) -> FramePose | None:
    """``pose`` estimated on a picture of ``small`` ``(width, height)`` pixels, mapped to the
    same picture at ``full`` size (depth scales like x)."""
    if pose is None or small == full:
        return pose
    sx, sy = full[0] / small[0], full[1] / small[1]
    return FramePose(pose.xy * np.array([sx, sy]), pose.z * sx, pose.visibility)


class PoseBackend(abc.ABC):
    """One pose estimator. Use as a context manager so its resources are released."""

    name: str = "abstract"

    @abc.abstractmethod
    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """Landmarks of the person in ``image_rgb`` (``(H, W, 3)`` uint8 RGB) at ``time_s``.

        Returns ``None`` when no person is found.
        """

    def reset(self) -> None:  # noqa: B027 - optional hook, most backends keep no state
        """Forget what was tracked: the next frame is estimated as if it were the first."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release the estimator's resources."""

    def __enter__(self) -> PoseBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class FakeBackend(PoseBackend):
    """Replays a known :class:`PoseSequence`: the frame nearest in time to each request.

    For isolating units that consume poses (video plumbing, live engine) in tests; never a
    stand-in for the real estimator where a test claims the product works.
    """

    name = "fake"

    def __init__(self, poses: PoseSequence) -> None:
        self._poses = poses

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """The recorded landmarks nearest to ``time_s`` (image ignored)."""
        if len(self._poses) == 0:
            return None
        i = int(np.argmin(np.abs(self._poses.time_s - time_s)))
        if np.isnan(self._poses.xy[i]).all():
            return None
        return FramePose(self._poses.xy[i], self._poses.z[i], self._poses.visibility[i])


def stack_frames(
    times: list[float],
    poses: list[FramePose | None],
    *,
    width: int,
    height: int,
    source: str,
) -> PoseSequence:
    """Assemble per-frame estimates into a :class:`PoseSequence` (``None`` → missing frame)."""
    n = len(times)
    xy = np.full((n, NUM_LANDMARKS, 2), np.nan)
    z = np.full((n, NUM_LANDMARKS), np.nan)
    vis = np.zeros((n, NUM_LANDMARKS))
    for i, pose in enumerate(poses):
        if pose is not None:
            xy[i], z[i], vis[i] = pose.xy, pose.z, pose.visibility
    return PoseSequence.from_arrays(
        np.asarray(times), xy, z, vis, width=width, height=height, source=source
    )
