"""The repetition engine: one object fed frame by frame (``update()``), offline and live.

Each leg has a small state machine (:class:`LegTracker`): at rest it follows the knee angle's
rest level; a rise of more than half the minimum excursion starts a candidate; the candidate
ends once the knee comes back under 10 % of its excursion. The finished candidate is measured
from the bounded signal history (docs/definitions.md section 3). When both legs move at once,
the larger excursion is the working leg and the other is support-leg drift; a candidate
therefore waits until the other leg cannot overlap it any more. Twitches under the minimum
excursion are dropped.
Faults are decided by the registered rules (``psoas_coach.faults``).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.kinematics.buffers import SignalHistory
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import FloatArray
from psoas_coach.reps.history import HIP, IDENTITY, KNEE, PELVIS, ROW_WIDTH, SEEN
from psoas_coach.reps.measure import SETTLED_SHARE, START_SHARE, measure_rep
from psoas_coach.reps.trust import rep_confidence
from psoas_coach.reps.types import FaultJudge, FrameQuality, Rep, RepMeasures

#: Seconds of history kept, and the longest repetition followed before giving up on it.
HISTORY_S = 45.0
MAX_REP_S = 30.0
#: Window (s) of the rest-level follower, the percentile of it a movement is measured from, and
#: seconds kept before a candidate's trigger.
REST_WINDOW_S = 3.0
REST_PERCENTILE = 20.0
LEAD_S = 6.0
#: A candidate ends after the knee stays under its 10 % level this long (s), or under its
#: SETTLED_SHARE level for SETTLED_S: back near rest, though above a rest level that noise or
#: a dip before the movement put too low (the measurement then decides from the refined
#: baseline whether it came back).
END_CONFIRM_S = 0.1
SETTLED_S = 1.0
#: A clear new high is this much (deg) above the last one; no clear new high for PLATEAU_S
#: seconds is a plateau.
HIGH_STEP_DEG = 2.0
PLATEAU_S = 0.8
#: A finished candidate stops waiting for the other leg's smaller movement after this (s).
RIVAL_WAIT_S = 1.0
#: The longest step (s) between two seen knee angles that counts in the rest window.
MAX_STEP_S = 0.1


@dataclass(frozen=True)
class Movement:
    """A leg movement the engine is following, as the live coach reads it.

    ``trigger_s``: when it was noticed; ``rest_deg``: the knee's rest level before it;
    ``peak_deg``: the highest knee angle so far; ``rising_s``: the last clear new high (s).
    """

    side: str
    trigger_s: float
    rest_deg: float
    peak_deg: float
    rising_s: float

    @property
    def excursion_deg(self) -> float:
        """Peak so far minus the rest level, degrees."""
        return self.peak_deg - self.rest_deg


@dataclass
class Candidate:
    """A leg movement being followed or finished but not yet released."""

    side: str
    trigger_s: float
    rest_deg: float
    peak_deg: float
    below_since: float | None = None
    settled_since: float | None = None
    rep: RepMeasures | None = None
    #: Last clear new high (deg, s) and the lowest angle since: a plateau, when it lasts.
    high_deg: float = float("-inf")
    high_s: float = float("-inf")
    low_since_high: float = float("inf")
    #: ``(trigger_s, rest_deg, peak_deg)`` of the movement this one replaced (rising from its
    #: plateau), the first of a chain: followed on and measured when this one alone is no
    #: repetition.
    origin: tuple[float, float, float] | None = None

    @property
    def excursion_deg(self) -> float:
        """Peak so far minus the rest level, degrees."""
        return self.peak_deg - self.rest_deg

    def end_level(self) -> float:
        """The knee angle under which the movement counts as returned (10 % of excursion)."""
        return self.rest_deg + START_SHARE * self.excursion_deg

    def came_back(self, t: float, knee: float) -> bool:
        """Follow the way back; True once the knee has been under the 10 % level for
        :data:`END_CONFIRM_S`, or under the :data:`SETTLED_SHARE` level for
        :data:`SETTLED_S`."""
        settled = knee < self.rest_deg + SETTLED_SHARE * self.excursion_deg
        if not settled:
            self.settled_since = None
        elif self.settled_since is None:
            self.settled_since = t
        if knee >= self.end_level():
            self.below_since = None
        elif self.below_since is None:
            self.below_since = t
        if self.below_since is not None and t - self.below_since >= END_CONFIRM_S:
            return True
        return self.settled_since is not None and t - self.settled_since >= SETTLED_S

    def rises_from_plateau(self, t: float, knee: float, trigger_deg: float) -> bool:
        """Follow highs and plateaus; True when ``knee`` starts a new movement from a plateau.

        The knee settled (no clear new high for :data:`PLATEAU_S`) and now rises by more than
        the trigger and half the excursion so far: the first movement never came back (a
        level shift, e.g. a support leg returning from a dip), this is a new one. Not so after
        a dip in a hold (:meth:`dipped_in_hold`): that is still the first movement.
        """
        settled = t - self.high_s >= PLATEAU_S
        rise = knee - self.low_since_high
        new = settled and rise > max(trigger_deg, 0.5 * self.excursion_deg)
        if new and not self.dipped_in_hold(trigger_deg):
            return True
        if knee > self.high_deg + HIGH_STEP_DEG and not settled:
            self.high_deg, self.high_s, self.low_since_high = knee, t, knee
        else:
            self.low_since_high = min(self.low_since_high, knee)
        return False

    def dipped_in_hold(self, trigger_deg: float) -> bool:
        """True when the knee made a repetition-sized movement (twice the trigger: the minimum
        excursion) and then fell from its high by more than half of it without coming back:
        a dip in the hold, which by docs/definitions.md section 3.7 does not end the
        repetition however deep it is (only the fall under the 10 % level does). A pose
        estimator drawing a held leg bent for a moment makes such dips. A level shift, the
        case a new movement is for, stays up where it settled instead."""
        x = self.excursion_deg
        return x >= 2 * trigger_deg and self.peak_deg - self.low_since_high > 0.5 * x

    def __post_init__(self) -> None:
        self.high_deg, self.high_s, self.low_since_high = (
            self.peak_deg,
            self.trigger_s,
            self.peak_deg,
        )


@dataclass
class LegTracker:
    """Rest-level follower and candidate detector of one leg.

    The rest level is the lowest knee angle of the last :data:`REST_WINDOW_S` seconds (a
    monotonic queue), so a slow extension cannot drag it along. The window counts seconds in
    which the leg was seen: a leg hidden for a while comes back with the rest level it had
    (at most :data:`MAX_STEP_S` of a gap counts).
    """

    side: str
    trigger_deg: float
    active: Candidate | None = None
    _lows: deque[tuple[float, float]] = field(default_factory=deque)
    _recent: deque[tuple[float, float]] = field(default_factory=deque)
    _seen_s: float = 0.0
    _last_t: float = float("nan")

    @property
    def rest_deg(self) -> float:
        """The current rest level in degrees (NaN before the first angle)."""
        return self._lows[0][1] if self._lows else float("nan")

    def update(self, t: float, knee: float) -> Candidate | None:
        """Feed one knee angle; returns a candidate whose movement just ended."""
        if not math.isfinite(knee):
            return None
        step = t - self._last_t if math.isfinite(self._last_t) else 0.0
        self._seen_s += min(max(step, 0.0), MAX_STEP_S)
        self._last_t = t
        if self.active is None:
            self._follow_rest(t, knee)
            if knee > self.rest_deg + self.trigger_deg:
                self.active = Candidate(self.side, t, self._typical_rest(), knee)
            return None
        return self._follow_active(t, knee)

    def _typical_rest(self) -> float:
        """A robust rest level for a new movement: a low percentile of the recent angles.

        The minimum triggers early, but noise drags it below the true rest; a movement measured
        from it might never seem to come back.
        """
        values = [k for _, k in self._recent]
        return float(np.percentile(values, REST_PERCENTILE)) if values else self.rest_deg

    def forget(self) -> None:
        """Drop the rest level and any movement in progress."""
        self.active = None
        self._lows.clear()
        self._recent.clear()

    def _follow_rest(self, t: float, knee: float) -> None:
        """Add ``knee`` to the rest window (kept on seen seconds, not clock time)."""
        now = self._seen_s
        lows = self._lows
        while lows and lows[-1][1] >= knee:
            lows.pop()
        lows.append((now, knee))
        while lows[0][0] < now - REST_WINDOW_S:
            lows.popleft()
        self._recent.append((now, knee))
        while self._recent[0][0] < now - REST_WINDOW_S:
            self._recent.popleft()

    def _follow_active(self, t: float, knee: float) -> Candidate | None:
        """Follow a movement until the knee is back under its 10 % level.

        A movement that settles without coming back and then rises again is replaced by the
        new one (it was no repetition: it never returned).
        """
        cand = self.active
        assert cand is not None
        if cand.rises_from_plateau(t, knee, self.trigger_deg):
            origin = cand.origin or (cand.trigger_s, cand.rest_deg, cand.peak_deg)
            self.active = Candidate(self.side, t, cand.low_since_high, knee, origin=origin)
            return None
        cand.peak_deg = max(cand.peak_deg, knee)
        if not cand.came_back(t, knee):
            return None
        self.forget()
        self._follow_rest(t, knee)
        return cand


@dataclass
class RepEngine:
    """Finds and measures repetitions frame by frame.

    Feed :meth:`update` once per frame with the (cleaned) angles of both legs and the pelvis
    height; it returns the repetitions released by that frame, in time order. Call
    :meth:`finish` at the end of a recording to release what is still pending.

    Args:
        config: thresholds (minimum excursion, fault limits).
        max_fps: the highest frame rate expected (sizes the bounded history).
        on_warning: called with a message when a movement is abandoned (e.g. too long).
        judge: decides a released repetition's faults (``psoas_coach.faults.judge.RULES``).
    """

    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    max_fps: float = 120.0
    on_warning: Callable[[str], None] | None = None
    judge: FaultJudge = field(kw_only=True)
    _legs: dict[str, LegTracker] = field(init=False)
    _history: SignalHistory = field(init=False)
    _pending: list[Candidate] = field(init=False, default_factory=list)
    _reps: list[Rep] = field(init=False, default_factory=list)
    _now: float = field(init=False, default=float("-inf"))

    def __post_init__(self) -> None:
        trigger = 0.5 * self.config.min_excursion_deg
        self._legs = {s: LegTracker(s, trigger) for s in SIDES}
        self._history = SignalHistory(int(HISTORY_S * self.max_fps), ROW_WIDTH)

    def reset(self) -> None:
        """Forget everything: a new set starts."""
        self.__post_init__()
        self._pending.clear()
        self._reps.clear()
        self._now = float("-inf")

    @property
    def reps(self) -> tuple[Rep, ...]:
        """Every repetition released so far (read-only)."""
        return tuple(self._reps)

    @property
    def counts(self) -> dict[str, int]:
        """Repetitions released so far per side."""
        return {s: sum(r.side == s for r in self._reps) for s in SIDES}

    def active_side(self) -> str | None:
        """The side whose movement is being followed now, if any (larger excursion first)."""
        moving = self.movement()
        return None if moving is None else moving.side

    def movement(self) -> Movement | None:
        """The movement being followed now, if any (the larger excursion when both legs
        move)."""
        moving = [leg.active for leg in self._legs.values() if leg.active is not None]
        if not moving:
            return None
        c = max(moving, key=lambda c: c.excursion_deg)
        return Movement(c.side, c.trigger_s, c.rest_deg, c.peak_deg, c.high_s)

    def recent(self, since_s: float) -> tuple[FloatArray, FloatArray]:
        """The signals fed since ``since_s``: times ``(N,)`` and rows ``(N, ROW_WIDTH)``
        (layout in :mod:`psoas_coach.reps.history`)."""
        return self._history.since(since_s)

    def update(
        self,
        time_s: float,
        knee_deg: dict[str, float],
        hip_deg: dict[str, float],
        pelvis_height_thigh: float,
        quality: FrameQuality | None = None,
    ) -> list[Rep]:
        """Feed one frame (angles in degrees, pelvis height in thigh lengths; NaN = unknown).

        ``quality`` says which legs were seen and how sure their labels are (default: both
        seen, labels sure).
        """
        quality = quality or FrameQuality()
        row = np.full(ROW_WIDTH, np.nan)
        for side in SIDES:
            row[KNEE[side]] = knee_deg[side]
            row[HIP[side]] = hip_deg[side]
            row[SEEN[side]] = float(quality.seen.get(side, True))
        row[PELVIS] = pelvis_height_thigh
        row[IDENTITY] = quality.identity
        self._history.append(time_s, row)
        self._now = time_s
        for side, leg in self._legs.items():
            done = leg.update(time_s, knee_deg[side])
            if done is not None:
                leg.active = self._measure(done)
        self._abandon_stale(time_s)
        return self._release(final=False)

    def update_frame(self, kin: Kinematics, i: int) -> list[Rep]:
        """Feed frame ``i`` of ``kin``: its angles, pelvis height, which legs were seen and how
        sure their labels are (see :meth:`update`)."""
        quality = FrameQuality({s: bool(kin.seen[s][i]) for s in SIDES}, float(kin.identity[i]))
        return self.update(*kin.at(i), quality)

    def finish(self) -> list[Rep]:
        """Release every pending repetition at the end of a recording.

        A movement still followed is measured too: it counts if the knee came back under its
        10 % level within the recording.
        """
        for leg in self._legs.values():
            cand = leg.active
            while cand is not None:
                cand = self._measure(cand)
            leg.forget()
        return self._release(final=True)

    def _abandon_stale(self, time_s: float) -> None:
        for leg in self._legs.values():
            if leg.active is not None and time_s - leg.active.trigger_s > MAX_REP_S:
                self._warn(f"{leg.side} leg stayed extended over {MAX_REP_S:.0f} s; not counted")
                leg.forget()

    def _warn(self, message: str) -> None:
        if self.on_warning is not None:
            self.on_warning(message)

    def _measure(self, cand: Candidate) -> Candidate | None:
        """Measure a finished movement; a repetition joins the pending ones.

        A movement that replaced another (it rose from that one's plateau) and is no
        repetition alone was part of the first: the knee never came back in between, so by
        docs/definitions.md section 3.5 it is one excursion. The first is returned, to be
        followed on until the knee is back under its levels (it ended here only under the
        second's) and measured then.
        """
        if self._count(cand):
            return None
        if cand.origin is None:
            return None
        trigger_s, rest_deg, peak_deg = cand.origin
        return Candidate(cand.side, trigger_s, rest_deg, max(peak_deg, cand.peak_deg))

    def _count(self, cand: Candidate) -> bool:
        """Measure ``cand``; True when it is a repetition (then pending)."""
        if cand.peak_deg - cand.rest_deg < self.config.min_excursion_deg * 0.8:
            return False
        t, v = self._history.since(cand.trigger_s - LEAD_S)
        measures = measure_rep(t, v, cand.side, cand.rest_deg, cand.trigger_s)
        if measures is None or not self._is_march(measures):
            return False
        cand.rep = measures
        self._pending.append(cand)
        return True

    def _is_march(self, m: RepMeasures) -> bool:
        """Big enough, reaching towards a straight knee, and starting near 90/90."""
        c = self.config
        peak = m.knee_angle_peak_deg if m.knee_angle_peak_deg is not None else 180.0
        start = m.knee_angle_start_deg if m.knee_angle_start_deg is not None else 90.0
        return (
            m.excursion_deg >= c.min_excursion_deg
            and peak >= c.min_rep_peak_knee_deg
            and abs(start - 90.0) <= c.max_rep_start_offset_deg
        )

    def _release(self, *, final: bool) -> list[Rep]:
        out: list[Rep] = []
        for cand in sorted(self._pending, key=lambda c: c.rep.start_s if c.rep else 0.0):
            if cand not in self._pending or cand.rep is None:
                continue
            if not final and self._may_overlap(cand):
                break
            rivals = [c for c in self._pending if c.rep is not None and _overlap(c.rep, cand.rep)]
            winner = max(rivals, key=lambda c: c.rep.excursion_deg if c.rep else 0.0)
            for c in rivals:
                self._pending.remove(c)
            assert winner.rep is not None
            if not self._beaten_by_released(winner.rep):
                out.append(self._emit(winner.rep))
        return out

    def _beaten_by_released(self, m: RepMeasures) -> bool:
        """True when a repetition already released overlaps ``m`` with a larger excursion:
        ``m`` was the support leg's drift during it."""
        return any(
            r.start_s < m.end_s and m.start_s < r.end_s and r.excursion_deg >= m.excursion_deg
            for r in self._reps[-2:]
        )

    def _may_overlap(self, cand: Candidate) -> bool:
        """True while the other leg's movement could still overlap ``cand``."""
        assert cand.rep is not None
        other = self._legs["right" if cand.side == "left" else "left"].active
        if other is None or other.trigger_s > cand.rep.end_s:
            return False
        smaller = other.excursion_deg < cand.rep.excursion_deg
        return not (smaller and self._now - cand.rep.end_s > RIVAL_WAIT_S)

    def _emit(self, m: RepMeasures) -> Rep:
        """Judge ``m`` and file it among the reps in time order (a rep whose leg was hidden
        for long can finish after one that started later)."""
        pos = bisect.bisect_right([r.start_s for r in self._reps], m.start_s)
        previous = self._reps[pos - 1].side if pos else None
        m = RepMeasures(**{**m.__dict__, "previous_side": previous})
        faults = self.judge.faults(m, self.config)
        confidence, notes = rep_confidence(m.side, m.side_confidence, m.seen_share, m.not_measured)
        rep = Rep.from_fields(
            vars(m),
            index=pos + 1,
            faults=faults,
            cues=[self.judge.cue(code) for code in faults],
            side_confidence=round(m.side_confidence, 3),
            confidence=round(confidence, 3),
            confidence_notes=notes,
            not_measured=dict(m.not_measured),
        )
        self._reps.insert(pos, rep)
        for k in range(pos + 1, len(self._reps)):
            later = self._reps[k]
            faults = self.judge.same_side(later, self._reps[k - 1].side)
            self._reps[k] = replace(
                later, index=k + 1, faults=faults, cues=[self.judge.cue(c) for c in faults]
            )
        return rep


def _overlap(a: RepMeasures, b: RepMeasures) -> bool:
    return a.start_s < b.end_s and b.start_s < a.end_s


__all__ = ["FrameQuality", "Movement", "RepEngine"]
