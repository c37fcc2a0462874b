"""MediaPipe BlazePose (full or heavy model) behind the :class:`PoseBackend` interface.

Uses MediaPipe's legacy ``solutions.pose`` graph. The full model ships inside the wheel; the
heavy one (``model="heavy"``, two to three times slower, far better on a leg held extended in
the air, see README "Accuracy") is MediaPipe's own file from the npm package
``@mediapipe/pose`` that the project's set-up installs and copies beside the full one
(``scripts/setup.sh``). Nothing is ever downloaded: MediaPipe would fetch a missing heavy model
from the internet, so a missing file is refused here first. Landmarks come back in pixels of
the image given; no MediaPipe type leaves this module.

Supine bodies filmed from the side lie horizontally across the picture. BlazePose's detector
finds them on the project's real supine videos (``../shared/real``, every frame of each), and
once found the tracker follows the body's rotation, so no rotated retry is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np

from psoas_coach.exceptions import PoseBackendError
from psoas_coach.pose.backend import FramePose, ImageArray, PoseBackend, from_normalized

#: The BlazePose landmark models offered, by name, and MediaPipe's complexity number for each.
POSE_MODELS: Final[dict[str, int]] = {"full": 1, "heavy": 2}
DEFAULT_MODEL = "full"


def model_file(model: str) -> Path:
    """Where MediaPipe's graph reads the landmark model ``model`` (inside the installed wheel)."""
    import mediapipe

    root = Path(mediapipe.__file__).resolve().parent
    return root / "modules" / "pose_landmark" / f"pose_landmark_{model}.tflite"


def check_model(model: str) -> None:
    """Raise :class:`PoseBackendError` unless ``model`` is known and its file is installed."""
    if model not in POSE_MODELS:
        raise PoseBackendError(
            f"unknown pose model {model!r} (choose from {', '.join(POSE_MODELS)})"
        )
    try:
        path = model_file(model)
    except ImportError as exc:
        raise PoseBackendError(f"MediaPipe is not installed: {exc}") from exc
    if not path.is_file():
        raise PoseBackendError(
            f"BlazePose {model} is not installed ({path} missing): run scripts/setup.sh, "
            f"which copies it from the npm package @mediapipe/pose"
        )


class MediaPipeBackend(PoseBackend):
    """BlazePose in video (tracking) mode with landmark smoothing.

    Args:
        model: landmark model, a key of :data:`POSE_MODELS` (default full).
        min_detection_confidence: detector score in [0, 1] needed to report a new person.
        min_tracking_confidence: landmark score in [0, 1] below which the tracker re-detects.
    """

    name = "mediapipe"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        check_model(model)
        self.model = model
        self._pose = _start_pose(
            POSE_MODELS[model], min_detection_confidence, min_tracking_confidence
        )

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


def _start_pose(
    complexity: int, min_detection_confidence: float, min_tracking_confidence: float
) -> Any:
    """A started MediaPipe ``Pose`` graph; failures become :class:`PoseBackendError`."""
    try:
        from mediapipe.python.solutions import pose as mp_pose

        return mp_pose.Pose(
            static_image_mode=False,
            model_complexity=complexity,
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
