"""The setup check: is the athlete in view, filmed from the side, lying down, legs at 90/90?

Until every check passes (and both legs stay at 90/90 for ``hold_s`` seconds) nothing is
counted and the check names the first thing to fix. A verdict must last ``debounce_s`` seconds
before the message changes, so a flickering landmark does not make it jump. Once ready, the
check stays ready for the set; later problems are still reported (as warnings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.posture import UPRIGHT_DEG
from psoas_coach.pipeline import filmed_from_side
from psoas_coach.pose.backend import FramePose
from psoas_coach.pose.landmarks import INDEX, SIDES, joint
from psoas_coach.pose.types import FloatArray

#: What to fix, in the order checked, with the instruction for the athlete.
MESSAGES: dict[str, str] = {
    "no_person": "Lie down in front of the camera, your whole body in view",
    "body": "Move the camera back so your whole body is in view",
    "head": "Move the camera so your head and shoulders are in view",
    "feet": "Move the camera so your feet are in view",
    "side_view": "Turn the camera to film from your side",
    "lying": "Lie on your back",
    "start_position": "Bring both legs to 90/90",
}
READY_MESSAGE = "Ready: straighten one leg, hold, then switch"
#: Landmark groups that must be in the picture (one side is enough: the far side may hide).
GROUPS: dict[str, tuple[str, ...]] = {
    "body": ("hip", "knee"),
    "head": ("shoulder",),
    "feet": ("ankle", "heel", "foot_index"),
}
#: Share of the frame size a landmark may sit outside the picture and still count as in it.
EDGE_MARGIN = 0.01


@dataclass(frozen=True)
class _FramePoints:
    """One frame's landmarks as floats: ``xy`` 33 ``[x, y]`` pixels, ``visibility`` 33."""

    xy: list[list[float]]
    visibility: list[float]


@dataclass(frozen=True)
class SetupVerdict:
    """The check's current answer: ``ready``, or the ``problem`` code and its ``message``."""

    ready: bool
    problem: str
    message: str


class SetupCheck:
    """Per-frame setup check.

    Args:
        config: the analysis settings (``start_tolerance_deg``).
        tolerance_deg: how far (deg) knees and hips may be from 90 at the start (default:
            ``start_tolerance_deg + 15``: a start off by more than the fault limit is still
            counted, and flagged by the ``start_position`` rule).
        hold_s: seconds both legs must stay at 90/90 before counting starts.
        debounce_s: seconds a new problem must last before the message changes.
        min_visibility: landmarks below this visibility (0-1) count as not in view.
    """

    def __init__(
        self,
        config: AnalysisConfig,
        *,
        tolerance_deg: float | None = None,
        hold_s: float = 0.5,
        debounce_s: float = 0.4,
        min_visibility: float = 0.5,
    ) -> None:
        default_tolerance = config.start_tolerance_deg + 15.0
        self.tolerance_deg = default_tolerance if tolerance_deg is None else tolerance_deg
        self.hold_s = hold_s
        self.debounce_s = debounce_s
        self.min_visibility = min_visibility
        self.reset()

    def reset(self) -> None:
        """Back to "nobody in view", not ready."""
        self.ready = False
        self.ready_since_s = float("nan")
        self._shown: str | None = None
        self._candidate = ("", float("-inf"))
        self._start_since = float("nan")

    def update(
        self,
        time_s: float,
        raw: FramePose | None,
        angles: dict[str, dict[str, float]],
        frame_size: tuple[int, int],
        thigh_px: float,
    ) -> SetupVerdict:
        """Judge one frame; returns the (debounced) verdict.

        ``raw`` is the estimator's frame (pixels, visibility; ``None``: nobody found),
        ``angles`` the smoothed ``{"knee": {side: deg}, "hip": {side: deg}}``, ``frame_size``
        ``(width, height)`` pixels (0 when unknown), ``thigh_px`` the thigh length in pixels.
        """
        code = self._problem(raw, frame_size, thigh_px)
        if code == "" and not self._at_90_90(angles):
            code = "start_position"
        self._follow_start(time_s, code)
        if not self.ready and code == "" and time_s - self._start_since >= self.hold_s:
            self.ready, self.ready_since_s = True, self._start_since
        if self.ready and code == "start_position":
            code = ""  # legs leave 90/90 during every rep: no problem once counting
        shown = self._debounce(time_s, code if code or self.ready else "start_position")
        if shown == "":
            return SetupVerdict(self.ready, "", READY_MESSAGE)
        return SetupVerdict(self.ready, shown, MESSAGES[shown])

    def _follow_start(self, time_s: float, code: str) -> None:
        """Remember since when the view is right and both legs are at 90/90."""
        if code:
            self._start_since = float("nan")
        elif not np.isfinite(self._start_since):
            self._start_since = time_s

    def _debounce(self, time_s: float, code: str) -> str:
        """The code to show: ``code`` once it has lasted ``debounce_s`` (at once when "")."""
        candidate, since = self._candidate
        if code != candidate:
            self._candidate = (code, time_s)
            since = time_s
        first = self._shown is None
        if code != self._shown and (first or code == "" or time_s - since >= self.debounce_s):
            self._shown = code
        return code if self._shown is None else self._shown

    def _problem(self, raw: FramePose | None, frame_size: tuple[int, int], thigh_px: float) -> str:
        """The first view problem of a frame ("" when none); labels need not be corrected."""
        if raw is None or not np.isfinite(raw.xy).any():
            return "no_person"
        points = _FramePoints(raw.xy.tolist(), raw.visibility.tolist())
        for group, parts in GROUPS.items():
            if not self._group_in_view(points, parts, frame_size):
                return group
        if not filmed_from_side(raw.xy, thigh_px):
            return "side_view"
        if trunk_tilt_of(raw.xy) > UPRIGHT_DEG:
            return "lying"
        return ""

    def _group_in_view(
        self, raw: _FramePoints, parts: tuple[str, ...], frame_size: tuple[int, int]
    ) -> bool:
        """True when every landmark of ``parts`` of at least one side is seen in the picture."""
        return any(
            all(self._in_view(raw, INDEX[f"{side}_{part}"], frame_size) for part in parts)
            for side in SIDES
        )

    def _in_view(self, raw: _FramePoints, index: int, frame_size: tuple[int, int]) -> bool:
        if not raw.visibility[index] >= self.min_visibility:
            return False
        x, y = raw.xy[index]
        width, height = frame_size
        if not (math.isfinite(x) and math.isfinite(y)):
            return False
        if width <= 0 or height <= 0:
            return True
        mx, my = EDGE_MARGIN * width, EDGE_MARGIN * height
        return bool(-mx <= x <= width + mx and -my <= y <= height + my)

    def _at_90_90(self, angles: dict[str, dict[str, float]]) -> bool:
        # on floats: np.abs(values - 90.0) <= tolerance's verdicts, NaN failing
        return all(
            abs(angles[kind][side] - 90.0) <= self.tolerance_deg
            for kind in ("knee", "hip")
            for side in SIDES
        )


def trunk_tilt_of(xy: FloatArray) -> float:
    """Angle of the shoulder-to-hip line from horizontal, degrees (0 when unknown), of one
    frame ``xy`` ``(33, 2)`` pixels: ``kinematics.posture.trunk_tilt_deg`` of it as a
    one-frame sequence, the same value, computed on floats (every frame asks, twice)."""
    hip, shoulder = _frame_midpoint(xy, "hip"), _frame_midpoint(xy, "shoulder")
    dx, dy = hip[0] - shoulder[0], hip[1] - shoulder[1]
    tilt = float(np.degrees(np.arctan2(abs(dy), abs(dx))))
    return tilt if math.isfinite(tilt) else 0.0


def _frame_midpoint(xy: FloatArray, name: str) -> tuple[float, float]:
    """``angles.midpoint`` of one frame: the mean of the left and right landmark ``name``,
    either one if only one is seen (a landmark with a coordinate not finite is not seen, as
    ``PoseSequence.from_arrays`` has it)."""
    a, b = (_seen_point(xy, joint(s, name)) for s in SIDES)
    return _mid(a[0], b[0]), _mid(a[1], b[1])


def _seen_point(xy: FloatArray, index: int) -> tuple[float, float]:
    x, y = float(xy[index, 0]), float(xy[index, 1])
    return (x, y) if math.isfinite(x) and math.isfinite(y) else (math.nan, math.nan)


def _mid(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else (a + b) / 2
