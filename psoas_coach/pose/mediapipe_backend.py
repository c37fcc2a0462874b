"""MediaPipe BlazePose (full model) behind the :class:`PoseBackend` interface.

Uses MediaPipe's legacy ``solutions.pose`` graph, whose models ship inside the wheel, so nothing
is downloaded. Landmarks come back in pixels of the image given; no MediaPipe type leaves
this module.

Supine bodies filmed from the side lie horizontally across the picture. BlazePose's detector
finds them on the project's real supine videos (``../shared/real``, every frame of each), and
once found the tracker follows the body's rotation, so no rotated retry is needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from psoas_coach.exceptions import PoseBackendError
from psoas_coach.pose.backend import FramePose, ImageArray, PoseBackend, from_normalized

#: BlazePose model size: 0 lite, 1 full, 2 heavy. Only full ships in the wheel (no download).
MODEL_COMPLEXITY = 1


class MediaPipeBackend(PoseBackend):
    """BlazePose full in video (tracking) mode with landmark smoothing.

    Args:
        min_detection_confidence: detector score in [0, 1] needed to report a new person.
        min_tracking_confidence: landmark score in [0, 1] below which the tracker re-detects.
    """

    name = "mediapipe"

    def __init__(
        self,
        *,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        self._pose = _start_pose(min_detection_confidence, min_tracking_confidence)

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """Landmarks in pixels of ``image_rgb`` (``(H, W, 3)`` uint8 RGB), or ``None``.

        ``xy`` is ``(33, 2)`` pixels (origin top-left), ``z`` ``(33,)`` MediaPipe depth scaled
        like x (pixels, relative to the hips), ``visibility`` ``(33,)`` in [0, 1]. Frames must
        come in time order (``time_s``, seconds) since the tracker carries state between them.
        """
        _check_image(image_rgb)
        try:
            results = self._pose.process(image_rgb)
        except (RuntimeError, ValueError) as exc:
            raise PoseBackendError(f"MediaPipe BlazePose failed at {time_s:.2f} s: {exc}") from exc
        if results.pose_landmarks is None:
            return None
        height, width = image_rgb.shape[:2]
        return _to_frame_pose(results.pose_landmarks.landmark, width, height)

    def reset(self) -> None:
        """Restart the graph: the next frame is detected afresh, as at the start of a video."""
        try:
            self._pose.reset()
        except (RuntimeError, ValueError) as exc:
            raise PoseBackendError(f"MediaPipe BlazePose could not restart: {exc}") from exc

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self._pose.close()


def _start_pose(min_detection_confidence: float, min_tracking_confidence: float) -> Any:
    """A started MediaPipe ``Pose`` graph; failures become :class:`PoseBackendError`."""
    try:
        from mediapipe.python.solutions import pose as mp_pose

        return mp_pose.Pose(
            static_image_mode=False,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        raise PoseBackendError(f"MediaPipe BlazePose could not start: {exc}") from exc


def _check_image(image: ImageArray) -> None:
    """Raise :class:`PoseBackendError` unless ``image`` is ``(H, W, 3)`` uint8."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise PoseBackendError(
            f"MediaPipe BlazePose: expected an (H, W, 3) uint8 RGB image, "
            f"found shape {image.shape} {image.dtype}"
        )


def _to_frame_pose(landmarks: Any, width: int, height: int) -> FramePose:
    """Convert MediaPipe's normalised landmark list to pixel arrays."""
    raw = np.array([(lm.x, lm.y, lm.z, lm.visibility) for lm in landmarks], dtype=np.float64)
    return from_normalized(raw, width, height)
