"""The hold countdown: seconds at the top of the extension, counted while they happen.

The repetition engine decides which leg is moving (``RepEngine.active_side()``, fed with the
fast tier's angles); this component follows that leg's knee angle. The hold is the time the
knee stays at or above 90 % of its excursion (SPEC section 3): the excursion is measured from
the rest level before the movement (a low percentile of the last seconds, as the engine does)
to the highest angle so far, and the hold starts at the last upward crossing of that 90 %
level. The hold is announced once the knee has stopped rising for ``confirm_s`` seconds, then
every whole second, then once the target is met ("switch"). The report's hold times come from
the repetition engine; these are the live estimates.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

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
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.reps.engine import END_CONFIRM_S, HIGH_STEP_DEG, REST_PERCENTILE, REST_WINDOW_S
from psoas_coach.reps.measure import HOLD_SHARE, last_rise_before

#: The longest movement followed (s); longer ones keep their latest samples only.
MAX_FOLLOW_S = 30.0


@dataclass
class _Movement:
    """One leg's movement in progress."""

    side: str
    start_s: float
    rest_deg: float
    t: deque[float] = field(default_factory=deque)
    knee: deque[float] = field(default_factory=deque)
    peak_deg: float = float("-inf")
    rising_s: float = float("-inf")
    rising_deg: float = float("-inf")
    hold_start_s: float = float("nan")
    announced: bool = False
    ticks: int = 0
    target_met: bool = False
    below_since: float = float("nan")
    ended: bool = False

    def add(self, time_s: float, knee: float) -> None:
        """Follow one angle (degrees) at ``time_s``: peak and last clear rise."""
        self.t.append(time_s)
        self.knee.append(knee)
        while self.t[0] < time_s - MAX_FOLLOW_S:
            self.t.popleft()
            self.knee.popleft()
        self.peak_deg = max(self.peak_deg, knee)
        if knee > self.rising_deg + HIGH_STEP_DEG:
            self.rising_deg, self.rising_s = knee, time_s

    @property
    def level_deg(self) -> float:
        """The 90 % level of the excursion so far, degrees."""
        return self.rest_deg + HOLD_SHARE * (self.peak_deg - self.rest_deg)

    def crossing_s(self) -> float:
        """Time of the last upward crossing of the 90 % level, seconds."""
        t, y = np.array(self.t), np.array(self.knee)
        return last_rise_before(t, y, int(np.argmax(y)), self.level_deg)


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
        """Forget the movement in progress and the recent angles."""
        self._recent: dict[str, deque[tuple[float, float]]] = {s: deque() for s in SIDES}
        self._move: _Movement | None = None

    def state(self, time_s: float) -> HoldState | None:
        """The announced hold in progress at ``time_s``, if any."""
        m = self._move
        if m is None or not m.announced or m.ended:
            return None
        c = self.config
        return HoldState(m.side, time_s - m.hold_start_s, self.target_s, c.min_hold_s, c.max_hold_s)

    def update(self, time_s: float, active_side: str | None, knee: dict[str, float]) -> list[Event]:
        """Feed one frame: the engine's moving leg and both knee angles (degrees)."""
        events: list[Event] = []
        m = self._move
        if m is not None and m.side != active_side:
            events += self._close(time_s)
        if active_side is not None and self._move is None:
            self._move = _Movement(active_side, time_s, self._rest(active_side))
            events.append(RepStarted(time_s, active_side))
        self._remember(time_s, knee)
        if self._move is not None and np.isfinite(knee[self._move.side]):
            self._move.add(time_s, knee[self._move.side])
            events += self._follow(time_s, self._move, knee[self._move.side])
        return events

    def _remember(self, time_s: float, knee: dict[str, float]) -> None:
        for side, recent in self._recent.items():
            if np.isfinite(knee[side]):
                recent.append((time_s, knee[side]))
            while recent and recent[0][0] < time_s - REST_WINDOW_S:
                recent.popleft()

    def _rest(self, side: str) -> float:
        """Rest level of ``side`` before its movement: a low percentile of the last seconds."""
        values = [k for _, k in self._recent[side]]
        return float(np.percentile(values, REST_PERCENTILE)) if values else 90.0

    def _follow(self, time_s: float, m: _Movement, knee: float) -> list[Event]:
        if m.ended or m.peak_deg - m.rest_deg < self.config.min_excursion_deg:
            return []
        if not m.announced:
            return self._maybe_start(time_s, m, knee)
        if knee < m.level_deg:
            m.below_since = time_s if np.isnan(m.below_since) else m.below_since
            if time_s - m.below_since >= END_CONFIRM_S:
                return self._end(m, m.below_since)
            return []
        m.below_since = float("nan")
        return self._count(time_s, m)

    def _maybe_start(self, time_s: float, m: _Movement, knee: float) -> list[Event]:
        if knee < m.level_deg or time_s - m.rising_s < self.confirm_s:
            return []
        m.announced, m.hold_start_s = True, m.crossing_s()
        return [HoldStarted(time_s, m.side, self.target_s), *self._count(time_s, m)]

    def _count(self, time_s: float, m: _Movement) -> list[Event]:
        held = time_s - m.hold_start_s
        events: list[Event] = []
        while m.ticks + 1 <= held:
            m.ticks += 1
            events.append(HoldTick(time_s, m.side, m.ticks, held, self.target_s))
        if not m.target_met and held >= self.target_s:
            m.target_met = True
            events.append(HoldTargetMet(time_s, m.side, held, self.target_s))
        return events

    def _end(self, m: _Movement, time_s: float) -> list[Event]:
        m.ended = True
        return [HoldEnded(time_s, m.side, time_s - m.hold_start_s)]

    def _close(self, time_s: float) -> list[Event]:
        m, self._move = self._move, None
        if m is None or not m.announced or m.ended:
            return []
        return self._end(m, time_s)
