"""Posture during a repetition, cued while it happens, decided by the registered fault rules.

A coach says "keep your back down" when the back lifts, not after the rep. While a leg moves
(``RepEngine.movement()`` of the fast tier's engine), :class:`PostureWatch` measures the
pelvis rise and the other leg's drift from their values just before the movement, read from
the engine's own signal history, and asks the fault rules (``faults.base.detect_faults``) about
a repetition whose every other measure is unremarkable: the rules' own thresholds decide. A
value must hold for ``persist_s`` seconds before it counts (noise spikes do not). The report's
faults come from the repetition engine at the end of each repetition.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.faults.base import detect_faults
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import FloatArray
from psoas_coach.reps.engine import Movement, RepEngine
from psoas_coach.reps.history import HIP, KNEE, PELVIS
from psoas_coach.reps.measure import PRE_WINDOW_S, pre_value
from psoas_coach.reps.types import RepMeasures

#: Faults that can be seen while the repetition is still going on.
WATCHED = ("back_lift", "support_leg_drift")
#: The engine notices a movement a little after its onset: the "before" window ends this
#: many seconds before the engine's trigger.
PRE_OFFSET_S = 0.3
_COLUMNS = {
    "knee_left": KNEE["left"],
    "knee_right": KNEE["right"],
    "hip_left": HIP["left"],
    "hip_right": HIP["right"],
    "pelvis": PELVIS,
}


class PostureWatch:
    """Per-frame in-repetition posture check.

    Args:
        config: the thresholds the fault rules use.
        persist_s: seconds a fault's measure must stay over its limit.
    """

    def __init__(self, config: AnalysisConfig, *, persist_s: float = 0.3) -> None:
        self.config = config
        self.persist_s = persist_s
        self.reset()

    def reset(self) -> None:
        """Forget the movement in progress."""
        self._trigger_s: float | None = None
        self._side: str | None = None
        self._base: dict[str, float] = {}
        self._recent: deque[tuple[float, float, float]] = deque()
        self._told: set[str] = set()

    def update(
        self,
        time_s: float,
        engine: RepEngine,
        knee: dict[str, float],
        hip: dict[str, float],
        pelvis_height_thigh: float,
    ) -> list[str]:
        """Feed one frame, after ``engine`` took it (degrees, thigh lengths); fault codes
        newly seen in this movement."""
        movement = engine.movement()
        trigger = None if movement is None else movement.trigger_s
        if trigger != self._trigger_s:
            self._start(engine, movement)
        if self._side is None:
            return []
        return self._check(time_s, knee, hip, pelvis_height_thigh)

    def _start(self, engine: RepEngine, movement: Movement | None) -> None:
        self._told, self._recent = set(), deque()
        if movement is None:
            self._trigger_s = self._side = None
            return
        self._trigger_s, self._side = movement.trigger_s, movement.side
        onset = movement.trigger_s - PRE_OFFSET_S
        t, rows = engine.recent(onset - PRE_WINDOW_S)
        self._base = {name: _pre(t, rows[:, k], onset) for name, k in _COLUMNS.items()}

    def _check(
        self, time_s: float, knee: dict[str, float], hip: dict[str, float], pelvis: float
    ) -> list[str]:
        assert self._side is not None
        other = "right" if self._side == "left" else "left"
        lift = pelvis - self._base["pelvis"]
        drift = max(
            abs(knee[other] - self._base[f"knee_{other}"]),
            abs(hip[other] - self._base[f"hip_{other}"]),
        )
        self._recent.append((time_s, lift, drift))
        while self._recent[0][0] < time_s - self.persist_s:
            self._recent.popleft()
        if time_s - self._recent[0][0] < 0.8 * self.persist_s:
            return []
        held = np.array(self._recent)
        codes = self._rule_codes(float(np.min(held[:, 1])), float(np.min(held[:, 2])))
        new = [c for c in codes if c not in self._told]
        self._told.update(new)
        return new

    def _rule_codes(self, lift_thigh: float, drift_deg: float) -> list[str]:
        """The watched faults the rules find for these measures (others kept unremarkable)."""
        if not (np.isfinite(lift_thigh) or np.isfinite(drift_deg)):
            return []
        c = self.config
        measures = RepMeasures(
            side=self._side or SIDES[0],
            start_s=0.0,
            peak_s=0.0,
            end_s=0.0,
            extension_s=c.min_extension_s + 1.0,
            hold_s=0.5 * (c.min_hold_s + c.max_hold_s),
            hold_start_s=0.0,
            hold_end_s=0.0,
            excursion_deg=c.min_excursion_deg,
            knee_angle_peak_deg=180.0,
            hip_angle_peak_deg=180.0,
            knee_angle_start_deg=90.0,
            hip_angle_start_deg=90.0,
            back_lift_thigh=lift_thigh if np.isfinite(lift_thigh) else 0.0,
            support_drift_deg=drift_deg if np.isfinite(drift_deg) else 0.0,
            previous_side=None,
        )
        return [code for code in detect_faults(measures, c) if code in WATCHED]


def _pre(t: FloatArray, y: FloatArray, onset_s: float) -> float:
    """``reps.measure.pre_value``, NaN when the signal is unknown before ``onset_s``."""
    ok = np.isfinite(y)
    if not ok.any():
        return float("nan")
    return pre_value(t[ok], y[ok], onset_s)
