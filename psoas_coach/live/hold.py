"""The hold countdown: seconds at the top of the extension, counted while they happen.

The repetition engine follows the moving leg (``RepEngine.movement()``, fed with the fast
tier's angles): its rest level before the movement, its highest angle so far and its last
clear rise. This component reads that movement, not a copy of it. The hold is the time the
knee stays at or above 90 % of its excursion (docs/definitions.md section 3); it starts at
the last upward crossing of that 90 % level in the engine's own signal history. The hold is
announced once the knee has stopped rising for ``confirm_s`` seconds, then every whole
second, then once the target is met ("switch"). The report's hold times come from the
settled repetition engine; these are the live estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.live.events import (
    Event,
    HoldEnded,
    HoldStarted,
    HoldState,
    HoldTargetMet,
    HoldTick,
    RepStarted,
)
from psoas_coach.reps.engine import END_CONFIRM_S, Movement, RepEngine
from psoas_coach.reps.history import KNEE
from psoas_coach.reps.measure import HOLD_SHARE, last_rise_before


@dataclass
class _Hold:
    """What the countdown said about one movement."""

    side: str
    trigger_s: float
    hold_start_s: float = float("nan")
    announced: bool = False
    ticks: int = 0
    target_met: bool = False
    below_since: float = float("nan")
    ended: bool = False


def hold_level_deg(movement: Movement) -> float:
    """The 90 % level of the movement's excursion so far, degrees."""
    return movement.rest_deg + HOLD_SHARE * movement.excursion_deg


class HoldTimer:
    """Per-frame hold countdown.

    Args:
        config: the analysis settings (``min_hold_s``, ``max_hold_s``, ``min_excursion_deg``).
        target_s: when to say "switch" (default ``min_hold_s``: with the athlete's reaction
            and the lowering to below 90 %, the hold the report measures lands inside the
            ``min_hold_s``-``max_hold_s`` band).
        confirm_s: seconds without a clear rise before the hold is announced.
    """

    def __init__(
        self, config: AnalysisConfig, *, target_s: float | None = None, confirm_s: float = 0.3
    ) -> None:
        self.config = config
        self.target_s = config.min_hold_s if target_s is None else target_s
        self.confirm_s = confirm_s
        self.reset()

    def reset(self) -> None:
        """Forget the movement in progress."""
        self._hold: _Hold | None = None

    def state(self, time_s: float) -> HoldState | None:
        """The announced hold in progress at ``time_s``, if any."""
        h = self._hold
        if h is None or not h.announced or h.ended:
            return None
        c = self.config
        return HoldState(h.side, time_s - h.hold_start_s, self.target_s, c.min_hold_s, c.max_hold_s)

    def update(self, time_s: float, engine: RepEngine, knee: dict[str, float]) -> list[Event]:
        """Feed one frame, after ``engine`` took it: both knee angles (degrees)."""
        events: list[Event] = []
        movement = engine.movement()
        h = self._hold
        if h is not None and (movement is None or movement.trigger_s != h.trigger_s):
            events += self._close(time_s)
        if movement is not None and self._hold is None:
            self._hold = _Hold(movement.side, movement.trigger_s)
            events.append(RepStarted(time_s, movement.side))
        if movement is not None and self._hold is not None and np.isfinite(knee[movement.side]):
            events += self._follow(time_s, self._hold, movement, knee[movement.side], engine)
        return events

    def _follow(
        self, time_s: float, h: _Hold, m: Movement, knee: float, engine: RepEngine
    ) -> list[Event]:
        if h.ended or m.excursion_deg < self.config.min_excursion_deg:
            return []
        level = hold_level_deg(m)
        if not h.announced:
            if knee < level or time_s - m.rising_s < self.confirm_s:
                return []
            h.announced, h.hold_start_s = True, _crossing_s(engine, m, level)
            return [HoldStarted(time_s, h.side, self.target_s), *self._count(time_s, h)]
        if knee < level:
            h.below_since = time_s if np.isnan(h.below_since) else h.below_since
            if time_s - h.below_since >= END_CONFIRM_S:
                return self._end(h, h.below_since)
            return []
        h.below_since = float("nan")
        return self._count(time_s, h)

    def _count(self, time_s: float, h: _Hold) -> list[Event]:
        held = time_s - h.hold_start_s
        events: list[Event] = []
        while h.ticks + 1 <= held:
            h.ticks += 1
            events.append(HoldTick(time_s, h.side, h.ticks, held, self.target_s))
        if not h.target_met and held >= self.target_s:
            h.target_met = True
            events.append(HoldTargetMet(time_s, h.side, held, self.target_s))
        return events

    def _end(self, h: _Hold, time_s: float) -> list[Event]:
        h.ended = True
        return [HoldEnded(time_s, h.side, time_s - h.hold_start_s)]

    def _close(self, time_s: float) -> list[Event]:
        h, self._hold = self._hold, None
        if h is None or not h.announced or h.ended:
            return []
        return self._end(h, time_s)


def _crossing_s(engine: RepEngine, m: Movement, level: float) -> float:
    """The last upward crossing of ``level`` by the moving knee before its peak so far."""
    t, rows = engine.recent(m.trigger_s)
    y = rows[:, KNEE[m.side]]
    ok = np.isfinite(y)
    t, y = t[ok], y[ok]
    if y.size == 0:
        return m.trigger_s
    return last_rise_before(t, y, int(np.argmax(y)), level)
