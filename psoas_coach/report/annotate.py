"""The annotated video: skeleton, live angles, rep counters, hold timer and cues on every frame.

:class:`Annotator` draws on one RGB frame (``uint8`` array ``(H, W, 3)``) at a time in seconds;
:func:`write_annotated_video` draws a whole stream of frames and encodes it as browser-playable
H.264 MP4 (libx264, yuv420p, ``+faststart``) written atomically. Drawing uses cv2 primitives with
sizes scaled to the frame's shorter side, so it stays fast at any resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from psoas_coach.atomic import atomic_target
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.report.drawing import (
    AMBER,
    GREEN,
    INK,
    SIDE_RGB,
    WHITE,
    Image,
    banner,
    draw_hold_timer,
    draw_panel,
    draw_skeleton,
    text,
    to_ascii,
    top_slot,
    wrap,
)
from psoas_coach.report.html import AnalysisLike
from psoas_coach.report.plots import hold_band_s
from psoas_coach.reps.types import Rep

#: Seconds a finished rep's first cue (or "Good rep") stays on screen.
CUE_SHOW_S = 3.0
#: Seconds after a hold during which "Switch legs" is shown (until the next rep starts).
SWITCH_HINT_S = 3.0
#: A pose frame further than this from the video frame (seconds) is not drawn.
MAX_POSE_GAP_S = 0.25


class Annotator:
    """Draws the coaching overlay of one analysis on frames, by frame time in seconds."""

    def __init__(self, analysis: AnalysisLike) -> None:
        """Index the analysis for fast per-frame lookups (pose, angles and reps by time)."""
        self._pose = analysis.pose
        self._kin = analysis.kinematics
        self._reps: list[Rep] = sorted(analysis.report.reps, key=lambda r: r.start_s)
        self._min_hold_s, self._max_hold_s = hold_band_s(analysis.report)

    def draw(self, frame: Image, time_s: float) -> Image:
        """Draw the overlay on RGB ``(H, W, 3)`` uint8 ``frame`` (changed in place, returned)."""
        s = min(frame.shape[:2]) / 720.0
        self._draw_skeleton(frame, time_s, s)
        self._draw_panel(frame, time_s, s)
        self._draw_hold(frame, time_s, s)
        self._draw_cue(frame, time_s, s)
        return frame

    # --- skeleton -------------------------------------------------------------------------

    def _pose_points(self, frame: Image, time_s: float) -> npt.NDArray[np.float64] | None:
        """``(33, 2)`` pixel positions of the pose frame nearest ``time_s``, scaled to ``frame``."""
        i = nearest_index(self._pose.time_s, time_s)
        if i is None or abs(self._pose.time_s[i] - time_s) > MAX_POSE_GAP_S:
            return None
        scale = np.ones(2)
        if self._pose.width > 0 and self._pose.height > 0:
            scale = np.array(
                [frame.shape[1] / self._pose.width, frame.shape[0] / self._pose.height]
            )
        return np.asarray(self._pose.xy[i] * scale, dtype=np.float64)

    def _draw_skeleton(self, frame: Image, time_s: float, s: float) -> None:
        xy = self._pose_points(frame, time_s)
        if xy is None:
            return
        draw_skeleton(frame, xy, s)
        for side in SIDES:
            self._label_knee(frame, xy, side, time_s, s)

    def _label_knee(
        self, frame: Image, xy: npt.NDArray[np.float64], side: str, time_s: float, s: float
    ) -> None:
        knee = xy[joint(side, "knee")]
        angle = self._angle(self._kin.knee_deg, side, time_s)
        if not np.isfinite(knee).all() or angle is None:
            return
        dx, dy = (-70, -22) if side == "left" else (18, 40)
        org = (int(knee[0] + dx * s), int(knee[1] + dy * s))
        text(frame, f"{angle:.0f}", org, 0.8 * s, SIDE_RGB[side], outline=WHITE)

    def _angle(
        self, series: dict[str, npt.NDArray[np.float64]], side: str, time_s: float
    ) -> float | None:
        """The angle in degrees at the kinematics frame nearest ``time_s`` (None if unknown)."""
        i = nearest_index(self._kin.time_s, time_s)
        if i is None or side not in series:
            return None
        value = float(series[side][i])
        return value if np.isfinite(value) else None

    # --- panel: reps and live angles ------------------------------------------------------

    def reps_done(self, time_s: float) -> dict[str, int]:
        """Reps per side finished (``end_s <= time_s``, seconds) by ``time_s``."""
        return {
            side: sum(r.side == side and r.end_s <= time_s for r in self._reps) for side in SIDES
        }

    def _draw_panel(self, frame: Image, time_s: float, s: float) -> None:
        knee = {side: self._angle(self._kin.knee_deg, side, time_s) for side in SIDES}
        hip = {side: self._angle(self._kin.hip_deg, side, time_s) for side in SIDES}
        draw_panel(frame, self.reps_done(time_s), knee, hip, s)

    # --- hold timer and switch hint -------------------------------------------------------

    def _draw_hold(self, frame: Image, time_s: float, s: float) -> None:
        holding = next((r for r in self._reps if r.hold_start_s <= time_s < r.hold_end_s), None)
        if holding is not None:
            held = time_s - holding.hold_start_s
            lo, hi = self._min_hold_s, self._max_hold_s
            draw_hold_timer(frame, held, lo, hi, s, marks=(lo,))
            return
        if self._after_hold(time_s):
            cx, room = top_slot(frame, s)
            banner(frame, "Switch legs", (cx, round(50 * s)), 1.1 * s, WHITE, INK, room)

    def _after_hold(self, time_s: float) -> bool:
        for k, rep in enumerate(self._reps):
            next_start = self._reps[k + 1].start_s if k + 1 < len(self._reps) else np.inf
            if rep.hold_end_s <= time_s < min(rep.end_s + SWITCH_HINT_S, next_start):
                return True
        return False

    # --- cue after a rep ------------------------------------------------------------------

    def _draw_cue(self, frame: Image, time_s: float, s: float) -> None:
        """The first cue of a rep that just ended (or "Good rep"), on one or two lines."""
        ended = [r for r in self._reps if r.end_s <= time_s < r.end_s + CUE_SHOW_S]
        if not ended:
            return
        rep = ended[-1]
        cue, color = (to_ascii(rep.cues[0]), AMBER) if rep.cues else ("Good rep", GREEN)
        h, w = frame.shape[:2]
        scale = 0.9 * s
        lines = wrap(cue, scale, round(0.9 * w))
        step = round(44 * s)
        for k, line in enumerate(lines):
            y = h - round(36 * s) - (len(lines) - 1 - k) * step
            banner(frame, line, (w // 2, y), scale, WHITE, color, w)


def nearest_index(times_s: npt.NDArray[np.float64], time_s: float) -> int | None:
    """Index of the time in sorted ``times_s`` (seconds) nearest ``time_s``; None if empty."""
    if times_s.size == 0:
        return None
    i = int(np.searchsorted(times_s, time_s))
    if i >= times_s.size or (i > 0 and time_s - times_s[i - 1] <= times_s[i] - time_s):
        i -= 1
    return i


def write_annotated_video(
    frames: Iterable[tuple[float, Image]],
    analysis: AnalysisLike,
    out_path: Path,
    *,
    fps: float,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Draw the overlay on every ``(time_s, rgb)`` frame and encode H.264 MP4 to ``out_path``.

    Frames are RGB ``uint8`` ``(H, W, 3)``, all of one size; odd widths/heights lose their last
    column/row (yuv420p needs even sizes). Output is constant frame rate ``fps`` (frames per
    second), written to a temporary file in the same folder and renamed. ``progress`` is called
    after each frame with the number of frames written so far. Returns the frames written.
    """
    if not fps > 0:
        raise ValueError(f"annotated video {out_path}: fps must be positive, found {fps}")
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ValueError(f"annotated video {out_path}: no frames to write")
    with atomic_target(out_path, suffix=".mp4") as tmp:
        return _encode(_chain(first, it), Annotator(analysis), tmp, fps, progress)


def _chain(
    first: tuple[float, Image], rest: Iterator[tuple[float, Image]]
) -> Iterator[tuple[float, Image]]:
    yield first
    yield from rest


def _encode(
    frames: Iterator[tuple[float, Image]],
    annotator: Annotator,
    path: Path,
    fps: float,
    progress: Callable[[int], None] | None,
) -> int:
    """Encode annotated frames to ``path`` (MP4, libx264, yuv420p, faststart); frame count."""
    count = 0
    options = {"movflags": "+faststart"}
    with av.open(str(path), mode="w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for time_s, rgb in frames:
            image = _even_copy(rgb)
            _check_size(stream, image, count)
            video_frame = av.VideoFrame.from_ndarray(annotator.draw(image, time_s), format="rgb24")
            video_frame.pts = count
            container.mux(stream.encode(video_frame))
            count += 1
            if progress is not None:
                progress(count)
        container.mux(stream.encode(None))
    return count


def _check_size(stream: av.video.stream.VideoStream, image: Image, index: int) -> None:
    """Size the stream on the first frame; refuse later frames of another size."""
    h, w = image.shape[:2]
    if index == 0:
        stream.width, stream.height = w, h
    elif (stream.width, stream.height) != (w, h):
        raise ValueError(
            f"annotated video: frame {index} is {w}x{h} pixels, "
            f"expected {stream.width}x{stream.height} like the first frame"
        )


def _even_copy(rgb: Image) -> Image:
    """A contiguous copy of ``rgb`` cropped to even width and height (checked to be RGB uint8)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(
            f"annotated video: expected uint8 (H, W, 3) RGB frames, found {rgb.dtype} {rgb.shape}"
        )
    h, w = rgb.shape[0] - rgb.shape[0] % 2, rgb.shape[1] - rgb.shape[1] % 2
    return rgb[:h, :w].copy()
