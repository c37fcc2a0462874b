"""MediaPipe BlazePose (full or heavy model) behind the :class:`PoseBackend` interface.

Uses the graph of MediaPipe's legacy ``solutions.pose`` (with its networks' thread count set
here), each picture stamped with its frame's own time: the graph's landmark smoothing works on
these times, as it does in the athlete's browser (``live/static/browser_pose.js``), so a 25 fps
video, a thinned replay or an unevenly paced camera is smoothed on its real clock on both sides
(MediaPipe's Python wrapper would count every picture as 1/30 s after the last).

The full model ships inside the wheel; the heavy one (``model="heavy"``, two to three times
slower, far better on a leg held extended in the air, see README "Accuracy") is MediaPipe's own
file from the npm package ``@mediapipe/pose`` that the project's set-up installs and copies
beside the full one (``scripts/setup.sh``). Nothing is ever downloaded: MediaPipe would fetch a
missing heavy model from the internet, so a missing file is refused here first. Landmarks come
back in pixels of the image given; no MediaPipe type leaves this module.

Supine bodies filmed from the side lie horizontally across the picture. BlazePose's detector
finds them on the project's real supine videos (``../shared/real``, every frame of each), and
once found the tracker follows the body's rotation, so no rotated retry is needed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Final

import numpy as np

from psoas_coach.exceptions import PoseBackendError
from psoas_coach.pose.backend import FramePose, ImageArray, PoseBackend, from_normalized

#: The BlazePose landmark models offered, by name, and MediaPipe's complexity number for each.
POSE_MODELS: Final[dict[str, int]] = {"full": 1, "heavy": 2}
DEFAULT_MODEL = "full"
#: The step (µs) by which MediaPipe's ``SolutionBase.process`` advances its clock per picture.
_SOLUTION_STEP_US: Final[int] = 33333


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
        track: follow the body from each frame's landmarks (MediaPipe's video mode, the
            product's way); ``False`` runs the detector on every frame and crops the landmark
            model's picture by its box instead (``scripts/pose_error.py --detect-each-frame``,
            a study: on the rendered march it finds the far leg's extended ankle, but it reads
            the rest of the body worse; see README "Accuracy").
        threads: CPU threads each network runs on (XNNPACK). The landmarks are the same for
            any number, bit for bit; two threads take about 0.7 times as long per picture for
            about 1.4 times the CPU (measured on this project's 2-core machine), so one picture
            stream on a free machine (a live set) gains, and parallel work does not.
    """

    name = "mediapipe"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        threads: int = 1,
        track: bool = True,
    ) -> None:
        check_model(model)
        if threads < 1:
            raise PoseBackendError(
                f"MediaPipe BlazePose: threads must be at least 1, not {threads}"
            )
        self.model = model
        self.threads = threads
        self.track = track
        self._pose = _start_pose(
            POSE_MODELS[model], min_detection_confidence, min_tracking_confidence, threads, track
        )
        self._last_us: int | None = None  # the graph's clock at the last picture (µs)

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        """Landmarks in pixels of ``image_rgb`` (``(H, W, 3)`` uint8 RGB), or ``None``.

        ``xy`` is ``(33, 2)`` pixels (origin top-left), ``z`` ``(33,)`` MediaPipe depth scaled
        like x (pixels, relative to the hips), ``visibility`` ``(33,)`` in [0, 1]. Frames must
        come in time order (``time_s``, seconds) since the tracker carries state between them;
        the graph smooths on these times (one that is not later than the last is moved 1 µs
        after it).
        """
        _check_image(image_rgb)
        self._last_us = _frame_stamp_us(time_s, self._last_us)
        # SolutionBase.process stamps each picture with its own counter plus one 30 fps step;
        # set just behind this frame's time, the graph (its landmark smoothing) gets the time.
        self._pose._simulated_timestamp = self._last_us - _SOLUTION_STEP_US
        try:
            results = self._pose.process({"image": image_rgb})
        except (RuntimeError, ValueError) as exc:
            raise PoseBackendError(f"MediaPipe BlazePose failed at {time_s:.2f} s: {exc}") from exc
        if results.pose_landmarks is None:
            return None
        height, width = image_rgb.shape[:2]
        return _to_frame_pose(results.pose_landmarks.landmark, width, height)

    def reset(self) -> None:
        """Restart the graph: the next frame is detected afresh, as at the start of a video."""
        self._last_us = None
        try:
            self._pose.reset()
        except (RuntimeError, ValueError) as exc:
            raise PoseBackendError(f"MediaPipe BlazePose could not restart: {exc}") from exc

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self._pose.close()


def _start_pose(
    complexity: int,
    min_detection_confidence: float,
    min_tracking_confidence: float,
    threads: int,
    track: bool = True,
) -> Any:
    """A started MediaPipe pose graph (the one ``solutions.pose.Pose`` runs, its networks on
    ``threads`` threads, following the body from frame to frame when ``track``); failures
    become :class:`PoseBackendError`."""
    try:
        from mediapipe.python.solution_base import SolutionBase

        solution = SolutionBase(
            graph_config=_pose_graph(threads),
            side_inputs={
                "model_complexity": complexity,
                "smooth_landmarks": True,
                "enable_segmentation": False,
                "smooth_segmentation": False,
                "use_prev_landmarks": track,
            },
            calculator_params={
                "posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": (
                    min_detection_confidence
                ),
                "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__"
                "ThresholdingCalculator.threshold": min_tracking_confidence,
            },
            outputs=["pose_landmarks"],
        )
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        raise PoseBackendError(f"MediaPipe BlazePose could not start: {exc}") from exc
    if not isinstance(getattr(solution, "_simulated_timestamp", None), int):
        solution.close()
        raise PoseBackendError(
            "MediaPipe BlazePose: this MediaPipe's SolutionBase keeps no timestamp to set, so "
            "frames cannot be given their own times (the project pins mediapipe 0.10.21)"
        )
    return solution


def _frame_stamp_us(time_s: float, last_us: int | None) -> int:
    """The graph timestamp (µs) of a frame at ``time_s`` seconds: its time, or one µs after
    the previous picture's ``last_us`` where it is not later (the graph needs them strictly
    increasing; a frame without a usable time gets one 30 fps step after the last)."""
    if not math.isfinite(time_s):
        stamp = _SOLUTION_STEP_US if last_us is None else last_us + _SOLUTION_STEP_US
    else:
        stamp = round(time_s * 1e6)
    return stamp if last_us is None or stamp > last_us else last_us + 1


def _pose_graph(threads: int) -> Any:
    """MediaPipe's CPU pose-landmark graph (``pose_landmark_cpu.binarypb`` inside the wheel,
    its subgraphs expanded) with every network set to run on ``threads`` XNNPACK threads
    (MediaPipe's own default on desktop is one)."""
    import mediapipe
    from mediapipe.calculators.tensor.inference_calculator_pb2 import InferenceCalculatorOptions
    from mediapipe.framework.calculator_pb2 import CalculatorGraphConfig
    from mediapipe.python._framework_bindings.validated_graph_config import (
        ValidatedGraphConfig,
    )

    path = Path(mediapipe.__file__).resolve().parent / "modules" / "pose_landmark"
    validated = ValidatedGraphConfig()
    validated.initialize(binary_graph_path=str(path / "pose_landmark_cpu.binarypb"))
    graph = CalculatorGraphConfig()
    graph.ParseFromString(validated.binary_config)
    for node in graph.node:
        if node.calculator.startswith("InferenceCalculator"):
            options = node.options.Extensions[InferenceCalculatorOptions.ext]
            options.delegate.xnnpack.num_threads = threads
    return graph


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
