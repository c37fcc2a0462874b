"""The desktop window's overlay: skeleton, angles, per-side count, hold timer, current cue.

Drawn with the annotated video's helpers (:mod:`psoas_coach.report.annotate`), so the live
window and the annotated video look alike; sizes scale with the picture's shorter side.
"""

from __future__ import annotations

from psoas_coach.live.events import HoldState, LiveStatus
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import FloatArray
from psoas_coach.report.annotate import (
    _AMBER,
    _GREEN,
    _INK,
    _WHITE,
    SIDE_RGB,
    Image,
    _banner,
    _deg,
    _panel_right,
    _shade,
    _text,
    _top_slot,
    draw_skeleton,
    to_ascii,
)

_RED = (200, 40, 40)


def draw_overlay(frame: Image, landmarks: FloatArray, status: LiveStatus) -> Image:
    """Draw the live overlay on RGB ``frame`` ``(H, W, 3)`` uint8 (in place, returned).

    ``landmarks`` ``(33, 2)`` are in the frame's pixels (NaN: not drawn).
    """
    s = min(frame.shape[:2]) / 720.0
    draw_skeleton(frame, landmarks, s)
    _draw_panel(frame, status, s)
    if status.hold is not None:
        _draw_hold(frame, status.hold, s)
    _draw_message(frame, status, s)
    return frame


def _draw_panel(frame: Image, status: LiveStatus, s: float) -> None:
    """Top left: reps per side, then knee and hip angles per side."""
    line_h = round(34 * s)
    x0, y0 = round(12 * s), round(12 * s)
    _shade(frame, (x0, y0), (_panel_right(s), y0 + 3 * line_h + round(14 * s)), _WHITE, 0.75)
    x, y = x0 + round(10 * s), y0 + line_h
    counts = status.counts
    mute = "  (muted)" if status.muted else ""
    _text(frame, f"Reps   L {counts['left']}   R {counts['right']}{mute}", (x, y), 0.8 * s, _INK)
    for k, side in enumerate(SIDES, start=1):
        knee, hip = status.knee_deg[side], status.hip_deg[side]
        text = f"{side[0].upper()}  knee {_deg(knee)}  hip {_deg(hip)}"
        _text(frame, text, (x, y + k * line_h), 0.75 * s, SIDE_RGB[side])


def _draw_hold(frame: Image, hold: HoldState, s: float) -> None:
    """``Hold 1.4 s`` and a bar to the maximum hold, the minimum ticked; green once reached."""
    import cv2

    cx, room = _top_slot(frame, s)
    color = _GREEN if hold.held_s >= hold.min_s else _AMBER
    text = f"Hold {hold.held_s:.1f} s"
    bottom = _banner(frame, text, (cx, round(50 * s)), 1.1 * s, _WHITE, color, room)
    bar_w, bar_h = min(round(300 * s), room), max(6, round(14 * s))
    x0, y0 = cx - bar_w // 2, bottom + max(4, round(10 * s))
    full = max(hold.max_s, 1e-6)
    _shade(frame, (x0, y0), (x0 + bar_w, y0 + bar_h), _WHITE, 0.6)
    fill = x0 + round(bar_w * min(hold.held_s / full, 1.0))
    cv2.rectangle(frame, (x0, y0), (fill, y0 + bar_h), color, -1)
    for mark in (hold.min_s, hold.target_s):
        tick = x0 + round(bar_w * min(mark / full, 1.0))
        cv2.line(frame, (tick, y0 - 3), (tick, y0 + bar_h + 3), _INK, max(1, round(2 * s)))


def _draw_message(frame: Image, status: LiveStatus, s: float) -> None:
    """Bottom: what to fix while the setup is not right, else the current cue."""
    h, w = frame.shape[:2]
    if status.setup_message:
        text, color = status.setup_message, _AMBER if status.ready else _RED
    elif status.cue:
        text, color = status.cue, _AMBER if status.cue_category == "fault" else _GREEN
    else:
        return
    _banner(frame, to_ascii(text), (w // 2, h - round(40 * s)), 0.9 * s, _WHITE, color, w)
