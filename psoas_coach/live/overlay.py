"""The desktop window's overlay: skeleton, angles, per-side count, hold timer, current cue.

Drawn with the annotated video's helpers (:mod:`psoas_coach.report.annotate`), so the live
window and the annotated video look alike; sizes scale with the picture's shorter side.
"""

from __future__ import annotations

from psoas_coach.live.events import LiveStatus
from psoas_coach.pose.types import FloatArray
from psoas_coach.report.drawing import (
    AMBER,
    GREEN,
    RED,
    WHITE,
    Image,
    banner,
    draw_hold_timer,
    draw_panel,
    draw_skeleton,
    to_ascii,
)


def draw_overlay(frame: Image, landmarks: FloatArray, status: LiveStatus) -> Image:
    """Draw the live overlay on RGB ``frame`` ``(H, W, 3)`` uint8 (in place, returned).

    ``landmarks`` ``(33, 2)`` are in the frame's pixels (NaN: not drawn).
    """
    s = min(frame.shape[:2]) / 720.0
    draw_skeleton(frame, landmarks, s)
    note = "  (muted)" if status.muted else ""
    draw_panel(frame, status.counts, status.knee_deg, status.hip_deg, s, note)
    hold = status.hold
    if hold is not None:
        marks = (hold.min_s, hold.target_s)
        draw_hold_timer(frame, hold.held_s, hold.min_s, hold.max_s, s, marks)
    _draw_message(frame, status, s)
    return frame


def _draw_message(frame: Image, status: LiveStatus, s: float) -> None:
    """Bottom: what to fix while the setup is not right, else the current cue."""
    h, w = frame.shape[:2]
    if status.setup_message:
        message, color = status.setup_message, AMBER if status.ready else RED
    elif status.cue:
        message, color = status.cue, AMBER if status.cue_category == "fault" else GREEN
    else:
        return
    banner(frame, to_ascii(message), (w // 2, h - round(40 * s)), 0.9 * s, WHITE, color, w)
