"""The annotated video: skeleton, live angles, rep counters, hold timer and cues on every frame.

:class:`Annotator` draws on one RGB frame (``uint8`` array ``(H, W, 3)``) at a time in seconds;
:func:`write_annotated_video` draws a whole stream of frames and encodes it as browser-playable
H.264 MP4 (libx264, yuv420p, ``+faststart``) written atomically. Drawing uses cv2 primitives with
sizes scaled to the frame's shorter side, so it stays fast at any resolution.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from psoas_coach.pose.landmarks import LANDMARK_NAMES, SIDES, SKELETON, joint
from psoas_coach.report.html import AnalysisLike
from psoas_coach.report.model import Rep
from psoas_coach.report.plots import SIDE_COLORS, TARGET_COLOR, hold_band_s

RGB = tuple[int, int, int]
Image = npt.NDArray[np.uint8]

#: Seconds a finished rep's first cue (or "Good rep") stays on screen.
CUE_SHOW_S = 3.0
#: Seconds after a hold during which "Switch legs" is shown (until the next rep starts).
SWITCH_HINT_S = 3.0
#: A pose frame further than this from the video frame (seconds) is not drawn.
MAX_POSE_GAP_S = 0.25

_FONT = cv2.FONT_HERSHEY_DUPLEX
_INK: RGB = (30, 30, 30)
_WHITE: RGB = (255, 255, 255)
_NEUTRAL: RGB = (225, 225, 225)
_AMBER: RGB = (230, 159, 0)


def _rgb(hex_color: str) -> RGB:
    value = int(hex_color.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


SIDE_RGB: dict[str, RGB] = {side: _rgb(c) for side, c in SIDE_COLORS.items()}
_GREEN: RGB = _rgb(TARGET_COLOR)


def _edge_color(a: int, b: int) -> RGB:
    """Side colour for a limb whose two ends are on one side, neutral for the trunk and head."""
    for side in SIDES:
        if LANDMARK_NAMES[a].startswith(side) and LANDMARK_NAMES[b].startswith(side):
            return SIDE_RGB[side]
    return _NEUTRAL


_EDGE_COLORS: tuple[RGB, ...] = tuple(_edge_color(a, b) for a, b in SKELETON)


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
        _text(frame, f"{angle:.0f}", org, 0.8 * s, SIDE_RGB[side], outline=_WHITE)

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
        done = self.reps_done(time_s)
        line_h = round(34 * s)
        x0, y0 = round(12 * s), round(12 * s)
        _shade(frame, (x0, y0), (_panel_right(s), y0 + 3 * line_h + round(14 * s)), _WHITE, 0.75)
        x, y = x0 + round(10 * s), y0 + line_h
        _text(frame, f"Reps   L {done['left']}   R {done['right']}", (x, y), 0.8 * s, _INK)
        for k, side in enumerate(SIDES, start=1):
            knee = self._angle(self._kin.knee_deg, side, time_s)
            hip = self._angle(self._kin.hip_deg, side, time_s)
            text = f"{side[0].upper()}  knee {_deg(knee)}  hip {_deg(hip)}"
            _text(frame, text, (x, y + k * line_h), 0.75 * s, SIDE_RGB[side])

    # --- hold timer and switch hint -------------------------------------------------------

    def _draw_hold(self, frame: Image, time_s: float, s: float) -> None:
        holding = next((r for r in self._reps if r.hold_start_s <= time_s < r.hold_end_s), None)
        if holding is not None:
            self._hold_timer(frame, time_s - holding.hold_start_s, s)
            return
        if self._after_hold(time_s):
            cx, room = _top_slot(frame, s)
            _banner(frame, "Switch legs", (cx, round(50 * s)), 1.1 * s, _WHITE, _INK, room)

    def _after_hold(self, time_s: float) -> bool:
        for k, rep in enumerate(self._reps):
            next_start = self._reps[k + 1].start_s if k + 1 < len(self._reps) else np.inf
            if rep.hold_end_s <= time_s < min(rep.end_s + SWITCH_HINT_S, next_start):
                return True
        return False

    def _hold_timer(self, frame: Image, held_s: float, s: float) -> None:
        """``Hold 1.4 s`` and a bar to the maximum hold; green once the minimum is reached."""
        cx, room = _top_slot(frame, s)
        color = _GREEN if held_s >= self._min_hold_s else _AMBER
        text = f"Hold {held_s:.1f} s"
        bottom = _banner(frame, text, (cx, round(50 * s)), 1.1 * s, _WHITE, color, room)
        bar_w, bar_h = min(round(300 * s), room), max(6, round(14 * s))
        x0, y0 = cx - bar_w // 2, bottom + max(4, round(10 * s))
        full = max(self._max_hold_s, 1e-6)
        _shade(frame, (x0, y0), (x0 + bar_w, y0 + bar_h), _WHITE, 0.6)
        fill = x0 + round(bar_w * min(held_s / full, 1.0))
        cv2.rectangle(frame, (x0, y0), (fill, y0 + bar_h), color, -1)
        tick = x0 + round(bar_w * min(self._min_hold_s / full, 1.0))
        cv2.line(frame, (tick, y0 - 3), (tick, y0 + bar_h + 3), _INK, max(1, round(2 * s)))

    # --- cue after a rep ------------------------------------------------------------------

    def _draw_cue(self, frame: Image, time_s: float, s: float) -> None:
        """The first cue of a rep that just ended (or "Good rep"), on one or two lines."""
        ended = [r for r in self._reps if r.end_s <= time_s < r.end_s + CUE_SHOW_S]
        if not ended:
            return
        rep = ended[-1]
        text, color = (to_ascii(rep.cues[0]), _AMBER) if rep.cues else ("Good rep", _GREEN)
        h, w = frame.shape[:2]
        scale = 0.9 * s
        lines = _wrap(text, scale, round(0.9 * w))
        step = round(44 * s)
        for k, line in enumerate(lines):
            y = h - round(36 * s) - (len(lines) - 1 - k) * step
            _banner(frame, line, (w // 2, y), scale, _WHITE, color, w)


def _wrap(text: str, scale: float, width_px: int) -> list[str]:
    """``text`` as one line, or two split at the space nearest the middle if it is too wide."""
    (tw, _), _ = cv2.getTextSize(text, _FONT, scale, _thickness(scale))
    spaces = [i for i, c in enumerate(text) if c == " "]
    if tw <= width_px or not spaces:
        return [text]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1 :]]


def nearest_index(times_s: npt.NDArray[np.float64], time_s: float) -> int | None:
    """Index of the time in sorted ``times_s`` (seconds) nearest ``time_s``; None if empty."""
    if times_s.size == 0:
        return None
    i = int(np.searchsorted(times_s, time_s))
    if i >= times_s.size or (i > 0 and time_s - times_s[i - 1] <= times_s[i] - time_s):
        i -= 1
    return i


_ASCII = str.maketrans({"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "°": " deg"})


def to_ascii(text: str) -> str:
    """``text`` in the characters cv2's Hershey fonts can draw (dashes, quotes, degrees mapped)."""
    return text.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def draw_skeleton(frame: Image, xy: npt.NDArray[np.float64], s: float) -> None:
    """Limbs in side colours and hip/knee/ankle dots on ``frame`` (in place).

    ``xy`` is ``(33, 2)`` pixels (NaN: not drawn); ``s`` is the size unit (1 at 720 px).
    """
    width = max(2, round(5 * s))
    for (a, b), color in zip(SKELETON, _EDGE_COLORS, strict=True):
        if np.isfinite(xy[a]).all() and np.isfinite(xy[b]).all():
            cv2.line(frame, _pt(xy[a]), _pt(xy[b]), color, width, cv2.LINE_AA)
    for side in SIDES:
        for name in ("hip", "knee", "ankle"):
            p = xy[joint(side, name)]
            if np.isfinite(p).all():
                cv2.circle(frame, _pt(p), width + 2, _WHITE, -1, cv2.LINE_AA)
                cv2.circle(frame, _pt(p), width, SIDE_RGB[side], -1, cv2.LINE_AA)


def _pt(p: npt.NDArray[np.float64]) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _deg(value: float | None) -> str:
    return "--" if value is None else f"{value:3.0f}"


def _thickness(scale: float) -> int:
    return max(1, round(2.2 * scale))


def _text(
    img: Image,
    text: str,
    org: tuple[int, int],
    scale: float,
    color: RGB,
    outline: RGB | None = None,
) -> None:
    """cv2 text at baseline-left ``org`` (pixels), optionally with an outline for contrast."""
    th = _thickness(scale)
    if outline is not None:
        cv2.putText(img, text, org, _FONT, scale, outline, th + 3, cv2.LINE_AA)
    cv2.putText(img, text, org, _FONT, scale, color, th, cv2.LINE_AA)


def _panel_right(s: float) -> int:
    """Right edge in pixels of the top-left panel at size unit ``s``."""
    return round(342 * s)


def _top_slot(frame: Image, s: float) -> tuple[int, int]:
    """Centre x and width in pixels of the free strip right of the panel, for top banners."""
    left = _panel_right(s)
    return (left + frame.shape[1]) // 2, frame.shape[1] - left


def _banner(
    img: Image, text: str, center: tuple[int, int], scale: float, fg: RGB, bg: RGB, room: int
) -> int:
    """Text centred on ``center`` over a solid box of colour ``bg``; returns the box bottom y.

    The text shrinks to fit 90 % of ``room`` pixels.
    """
    (tw, _), _ = cv2.getTextSize(text, _FONT, scale, _thickness(scale))
    scale *= min(1.0, 0.9 * room / max(tw, 1))
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, _thickness(scale))
    pad = max(4, th // 2)
    x, y = center[0] - tw // 2, center[1] + th // 2
    bottom = y + base + pad // 2
    cv2.rectangle(img, (x - pad, y - th - pad), (x + tw + pad, bottom), bg, -1)
    _text(img, text, (x, y), scale, fg)
    return bottom


def _shade(img: Image, p0: tuple[int, int], p1: tuple[int, int], color: RGB, alpha: float) -> None:
    """Blend a rectangle of ``color`` into ``img`` with opacity ``alpha`` (clipped to the frame)."""
    h, w = img.shape[:2]
    x0, y0 = max(0, p0[0]), max(0, p0[1])
    x1, y1 = min(w, p1[0]), min(h, p1[1])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    roi[:] = (roi * (1.0 - alpha) + np.array(color) * alpha).astype(np.uint8)


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
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".mp4", dir=out_path.parent)
    os.close(fd)
    try:
        count = _encode(_chain(first, it), Annotator(analysis), Path(tmp), fps, progress)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


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
