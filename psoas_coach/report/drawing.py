"""Drawing on video frames: the shared primitives of the annotated video and the live overlay.

Frames are RGB ``uint8`` arrays ``(H, W, 3)``, drawn in place with cv2. Sizes scale with a
size unit ``s`` (1 at a 720-pixel shorter side), so the same drawing reads the same at any
resolution. :func:`draw_panel` (reps and angles, top left), :func:`draw_hold_timer` (the hold
and its bar, top) and :func:`draw_skeleton` are what both overlays show; the rest are the
pieces they are made of.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from psoas_coach.pose.landmarks import LANDMARK_NAMES, SIDES, SKELETON, joint
from psoas_coach.report.plots import SIDE_COLORS, TARGET_COLOR

RGB = tuple[int, int, int]
Image = npt.NDArray[np.uint8]

FONT = cv2.FONT_HERSHEY_DUPLEX
INK: RGB = (30, 30, 30)
WHITE: RGB = (255, 255, 255)
NEUTRAL: RGB = (225, 225, 225)
AMBER: RGB = (230, 159, 0)
RED: RGB = (200, 40, 40)


def rgb(hex_color: str) -> RGB:
    """``#rrggbb`` as an ``(r, g, b)`` tuple."""
    value = int(hex_color.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


SIDE_RGB: dict[str, RGB] = {side: rgb(c) for side, c in SIDE_COLORS.items()}
GREEN: RGB = rgb(TARGET_COLOR)


def _edge_color(a: int, b: int) -> RGB:
    """Side colour for a limb whose two ends are on one side, neutral for the trunk and head."""
    for side in SIDES:
        if LANDMARK_NAMES[a].startswith(side) and LANDMARK_NAMES[b].startswith(side):
            return SIDE_RGB[side]
    return NEUTRAL


_EDGE_COLORS: tuple[RGB, ...] = tuple(_edge_color(a, b) for a, b in SKELETON)
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
            cv2.line(frame, point(xy[a]), point(xy[b]), color, width, cv2.LINE_AA)
    for side in SIDES:
        for name in ("hip", "knee", "ankle"):
            p = xy[joint(side, name)]
            if np.isfinite(p).all():
                cv2.circle(frame, point(p), width + 2, WHITE, -1, cv2.LINE_AA)
                cv2.circle(frame, point(p), width, SIDE_RGB[side], -1, cv2.LINE_AA)


def draw_panel(
    frame: Image,
    counts: dict[str, int],
    knee_deg: dict[str, float | None],
    hip_deg: dict[str, float | None],
    s: float,
    note: str = "",
) -> None:
    """Top left: reps per side (then ``note``), then knee and hip angles per side (degrees)."""
    line_h = round(34 * s)
    x0, y0 = round(12 * s), round(12 * s)
    shade(frame, (x0, y0), (panel_right(s), y0 + 3 * line_h + round(14 * s)), WHITE, 0.75)
    x, y = x0 + round(10 * s), y0 + line_h
    text(frame, f"Reps   L {counts['left']}   R {counts['right']}{note}", (x, y), 0.8 * s, INK)
    for k, side in enumerate(SIDES, start=1):
        line = f"{side[0].upper()}  knee {deg_text(knee_deg[side])}  hip {deg_text(hip_deg[side])}"
        text(frame, line, (x, y + k * line_h), 0.75 * s, SIDE_RGB[side])


def draw_hold_timer(
    frame: Image, held_s: float, min_s: float, max_s: float, s: float, marks: tuple[float, ...]
) -> None:
    """``Hold 1.4 s`` and a bar filling up to ``max_s`` seconds, a tick at each of ``marks``
    (seconds); amber until ``min_s`` is reached, then green."""
    cx, room = top_slot(frame, s)
    color = GREEN if held_s >= min_s else AMBER
    bottom = banner(frame, f"Hold {held_s:.1f} s", (cx, round(50 * s)), 1.1 * s, WHITE, color, room)
    bar_w, bar_h = min(round(300 * s), room), max(6, round(14 * s))
    x0, y0 = cx - bar_w // 2, bottom + max(4, round(10 * s))
    full = max(max_s, 1e-6)
    shade(frame, (x0, y0), (x0 + bar_w, y0 + bar_h), WHITE, 0.6)
    fill = x0 + round(bar_w * min(held_s / full, 1.0))
    cv2.rectangle(frame, (x0, y0), (fill, y0 + bar_h), color, -1)
    for mark in marks:
        tick = x0 + round(bar_w * min(mark / full, 1.0))
        cv2.line(frame, (tick, y0 - 3), (tick, y0 + bar_h + 3), INK, max(1, round(2 * s)))


def wrap(line: str, scale: float, width_px: int) -> list[str]:
    """``line`` as one line, or two split at the space nearest the middle if it is too wide."""
    (tw, _), _ = cv2.getTextSize(line, FONT, scale, thickness(scale))
    spaces = [i for i, c in enumerate(line) if c == " "]
    if tw <= width_px or not spaces:
        return [line]
    cut = min(spaces, key=lambda i: abs(i - len(line) / 2))
    return [line[:cut], line[cut + 1 :]]


def point(p: npt.NDArray[np.float64]) -> tuple[int, int]:
    """A ``(2,)`` pixel position as cv2's integer point."""
    return int(round(float(p[0]))), int(round(float(p[1])))


def deg_text(value: float | None) -> str:
    """An angle in degrees for the panel (``--`` when unknown)."""
    return "--" if value is None else f"{value:3.0f}"


def thickness(scale: float) -> int:
    """Stroke width in pixels of text at font ``scale``."""
    return max(1, round(2.2 * scale))


def text(
    img: Image,
    line: str,
    org: tuple[int, int],
    scale: float,
    color: RGB,
    outline: RGB | None = None,
) -> None:
    """cv2 text at baseline-left ``org`` (pixels), optionally with an outline for contrast."""
    th = thickness(scale)
    if outline is not None:
        cv2.putText(img, line, org, FONT, scale, outline, th + 3, cv2.LINE_AA)
    cv2.putText(img, line, org, FONT, scale, color, th, cv2.LINE_AA)


def panel_right(s: float) -> int:
    """Right edge in pixels of the top-left panel at size unit ``s``."""
    return round(342 * s)


def top_slot(frame: Image, s: float) -> tuple[int, int]:
    """Centre x and width in pixels of the free strip right of the panel, for top banners."""
    left = panel_right(s)
    return (left + frame.shape[1]) // 2, frame.shape[1] - left


def banner(
    img: Image, line: str, center: tuple[int, int], scale: float, fg: RGB, bg: RGB, room: int
) -> int:
    """Text centred on ``center`` over a solid box of colour ``bg``; returns the box bottom y.

    The text shrinks to fit 90 % of ``room`` pixels.
    """
    (tw, _), _ = cv2.getTextSize(line, FONT, scale, thickness(scale))
    scale *= min(1.0, 0.9 * room / max(tw, 1))
    (tw, th), base = cv2.getTextSize(line, FONT, scale, thickness(scale))
    pad = max(4, th // 2)
    x, y = center[0] - tw // 2, center[1] + th // 2
    bottom = y + base + pad // 2
    cv2.rectangle(img, (x - pad, y - th - pad), (x + tw + pad, bottom), bg, -1)
    text(img, line, (x, y), scale, fg)
    return bottom


def shade(img: Image, p0: tuple[int, int], p1: tuple[int, int], color: RGB, alpha: float) -> None:
    """Blend a rectangle of ``color`` into ``img`` with opacity ``alpha`` (clipped to the frame)."""
    h, w = img.shape[:2]
    x0, y0 = max(0, p0[0]), max(0, p0[1])
    x1, y1 = min(w, p1[0]), min(h, p1[1])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    roi[:] = (roi * (1.0 - alpha) + np.array(color) * alpha).astype(np.uint8)
