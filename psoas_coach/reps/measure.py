"""Measures of one repetition from its knee-angle curve and the signals around it
(docs/definitions.md section 3), no state.

Every crossing time is linearly interpolated between frames. Angles in degrees, times in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import BoolArray, FloatArray
from psoas_coach.reps.history import HIP, IDENTITY, KNEE, PELVIS, SEEN
from psoas_coach.reps.trust import not_measured, seen_share
from psoas_coach.reps.types import RepMeasures, finite_or_none

#: Share of the excursion that marks the start/end of a repetition and of the hold.
START_SHARE = 0.10
HOLD_SHARE = 0.90
#: Length of the window before the movement whose median is "just before the movement" (s).
PRE_WINDOW_S = 0.5
#: Shortest and longest width (s) of the moving average whose highest value is the peak angle.
PEAK_WINDOW_S = 0.3
PEAK_WINDOW_MAX_S = 1.2
#: Share of the excursion above which the knee is near the top of its movement.
NEAR_TOP_SHARE = 0.8
#: Walking back to the onset: a new low must be this much lower (deg), a rise this much higher
#: (deg) ends the walk, and so does this long (s) without a new low.
ONSET_STEP_DEG = 0.5
ONSET_NOISE_DEG = 4.0
SETTLE_S = 0.4
#: Share of the excursion under which a knee coming back counts as settled near rest, and
#: the most its settled level may lie above the level before the movement (else it did not
#: come back).
SETTLED_SHARE = 0.3
RETURN_SHARE = 0.2
#: A movement counts only if the leg was seen past half its excursion this long (s).
MIN_SEEN_TOP_S = 0.3
#: The march starts from 90/90 and moves one leg. A movement before which both knees were
#: further than TOGETHER_OFF_DEG from 90, and in which the other knee moved by at least
#: TOGETHER_SHARE of the working knee's excursion, is both legs moving together from outside
#: 90/90 (e.g. straight legs lowered in a leg raise, read 135-170 degrees): another exercise.
#: (March reps in which the other knee moves that much start with both knees within 8 degrees
#: of 90 on every labelled set here; single-leg start faults leave the other knee near 90.)
TOGETHER_OFF_DEG = 35.0
TOGETHER_SHARE = 0.5


@dataclass(frozen=True)
class KneeTiming:
    """Timing of one excursion of a knee-angle curve.

    ``hold_s`` is the time the knee stays at or above 90 % of the excursion: from the first
    moment it gets there to the last before it comes back (a dip under the level in between,
    measurement noise on a held leg, does not end the hold); NaN when it never got there.
    """

    baseline_deg: float
    peak_deg: float
    peak_s: float
    start_s: float
    end_s: float
    extension_s: float
    hold_s: float
    hold_start_s: float
    hold_end_s: float
    onset_s: float

    @property
    def returned(self) -> bool:
        """True when the knee came back under 10 % of the excursion (the movement is complete)."""
        return bool(np.isfinite(self.end_s))

    @property
    def excursion_deg(self) -> float:
        """Peak minus baseline, degrees."""
        return self.peak_deg - self.baseline_deg


def _crossing(t: FloatArray, y: FloatArray, i: int, level: float) -> float:
    """Time where ``y`` crosses ``level`` between samples ``i`` and ``i + 1``."""
    y0, y1 = y[i], y[i + 1]
    if y1 == y0:
        return float(t[i])
    return float(t[i] + (level - y0) / (y1 - y0) * (t[i + 1] - t[i]))


def last_rise_before(t: FloatArray, y: FloatArray, peak: int, level: float) -> float:
    """Time of the last upward crossing of ``level`` before index ``peak`` (t[0] if none)."""
    below = np.flatnonzero(y[:peak] < level)
    if below.size == 0:
        return float(t[0])
    return _crossing(t, y, int(below[-1]), level)


def first_fall_after(t: FloatArray, y: FloatArray, peak: int, level: float) -> float:
    """Time of the first downward crossing of ``level`` after index ``peak`` (NaN if none)."""
    below = np.flatnonzero(y[peak:] < level)
    if below.size == 0:
        return float("nan")
    return _crossing(t, y, peak + int(below[0]) - 1, level)


def first_rise_after(t: FloatArray, y: FloatArray, t0: float, level: float) -> float:
    """Time of the first upward crossing of ``level`` after time ``t0`` (t[-1] if none)."""
    above = np.flatnonzero((y >= level) & (t > t0))
    if above.size == 0:
        return float(t[-1])
    i = int(above[0])
    return float(t[i]) if i == 0 else _crossing(t, y, i - 1, level)


def time_above(
    t: FloatArray, y: FloatArray, level: float, t0: float, t1: float
) -> tuple[float, float, float]:
    """Total time ``y >= level`` within ``[t0, t1]``, and the first and last moments above.

    The curve is taken as linear between samples. Returns ``(seconds, first_s, last_s)``.
    """
    grid_t = np.concatenate(([t0], t[(t > t0) & (t < t1)], [t1]))
    grid_y = np.interp(grid_t, t, y)
    d = grid_y - level
    total, first, last = 0.0, np.nan, np.nan
    for i in range(grid_t.size - 1):
        a, b = d[i], d[i + 1]
        ta, tb = grid_t[i], grid_t[i + 1]
        if a >= 0 and b >= 0:
            lo, hi = ta, tb
        elif a < 0 and b < 0:
            continue
        else:
            tc = ta + (0 - a) / (b - a) * (tb - ta)
            lo, hi = (ta, tc) if a >= 0 else (tc, tb)
        total += hi - lo
        first = lo if np.isnan(first) else first
        last = hi
    return total, float(first), float(last)


def _pre_median(t: FloatArray, y: FloatArray, onset_s: float) -> float:
    """Median of ``y`` over the window just before ``onset_s`` (the value at onset if empty)."""
    pick = (t >= onset_s - PRE_WINDOW_S) & (t <= onset_s) & np.isfinite(y)
    if pick.any():
        return float(np.median(y[pick]))
    ok = np.isfinite(y)
    return float(np.interp(onset_s, t[ok], y[ok])) if ok.any() else float("nan")


def pre_value(t: FloatArray, y: FloatArray, onset_s: float) -> float:
    """The value of a signal "just before the movement": median over the pre-window."""
    return _pre_median(t, y, onset_s)


def plateau_peak(t: FloatArray, y: FloatArray, peak: int, base: float) -> float:
    """The peak value of ``y`` near index ``peak``: the highest moving average.

    The maximum of a noisy curve overshoots its true peak, which would raise the 90 % level and
    shorten every hold; averaging over half the time spent near the top (at least
    :data:`PEAK_WINDOW_S`, at most :data:`PEAK_WINDOW_MAX_S`) removes most of that overshoot
    without flattening a short hold.
    """
    near_top = y >= base + 0.8 * (y[peak] - base)
    dt = np.diff(t, append=t[-1])
    width = float(np.clip(0.5 * np.sum(dt[near_top]), PEAK_WINDOW_S, PEAK_WINDOW_MAX_S))
    half = width / 2
    best = -np.inf
    lo = int(np.searchsorted(t, t[peak] - 4 * half))
    hi = int(np.searchsorted(t, t[peak] + 4 * half, side="right"))
    for i in range(lo, hi):
        pick = (t >= t[i] - half) & (t <= t[i] + half)
        best = max(best, float(np.mean(y[pick])))
    return best


def find_onset(t: FloatArray, y: FloatArray, first: int, peak: int, rest_deg: float) -> int:
    """Index where the rise to ``peak`` began: walking back from the middle of the rise (the
    last frame under half the excursion from ``rest_deg`` before the knee first gets near the
    top, within :data:`NEAR_TOP_SHARE` of the excursion, at or after index ``first``) along the
    falling curve until it stops falling (a plateau of :data:`SETTLE_S`) or turns up again.
    The first rise to the top, not the last one before the peak: a knee that dips during the
    hold and rises again is one movement (docs/definitions.md section 3.7)."""
    exc = y[peak] - rest_deg
    top = first + int(np.argmax(y[first : peak + 1] >= rest_deg + NEAR_TOP_SHARE * exc))
    below = np.flatnonzero(y[:top] < y[peak] - 0.5 * exc)
    i = int(below[-1]) if below.size else top
    low_i = i
    for j in range(i, -1, -1):
        if y[j] < y[low_i] - ONSET_STEP_DEG:
            low_i = j
        elif y[j] > y[low_i] + ONSET_NOISE_DEG or t[low_i] - t[j] > SETTLE_S:
            break
    return low_i


def _settled_end(t: FloatArray, y: FloatArray, peak: int, top: float, base: float) -> float:
    """The end of an excursion whose knee settled back a little above its 10 % level (the
    rest level moved by noise or drift): the fall under 10 % of the excursion measured from
    where it settled. That level is the median of the frames after the peak within
    :data:`SETTLED_SHARE` of the excursion of their lowest; NaN when the knee never settled
    within :data:`RETURN_SHARE` of the excursion of ``base`` (it did not come back)."""
    after = y[peak:]
    low = float(np.min(after))
    settled = after < low + SETTLED_SHARE * (top - low)
    if settled.sum() < 3 or top <= base:
        return float("nan")
    rest = float(np.median(after[settled]))
    if rest - base > RETURN_SHARE * (top - base):
        return float("nan")
    return first_fall_after(t, y, peak, rest + START_SHARE * (top - rest))


def knee_timing(t: FloatArray, knee: FloatArray, rest_deg: float, after_s: float) -> KneeTiming:
    """Time one excursion of ``knee`` (``(N,)`` degrees on times ``t``).

    The window must hold the rest before the movement, the whole excursion and the return.
    ``rest_deg`` is a first guess of the angle at rest; the baseline is then refined as the
    median over :data:`PRE_WINDOW_S` before the movement's onset. The peak is searched at or
    after ``after_s`` (the moment the movement was noticed).
    """
    ok = np.isfinite(knee)
    t, knee = t[ok], knee[ok]
    first = int(np.searchsorted(t, after_s))
    peak = first + int(np.argmax(knee[first:]))
    onset_i = find_onset(t, knee, first, peak, rest_deg)
    onset = float(t[onset_i])
    base = _pre_median(t, knee, onset)
    top = plateau_peak(t, knee, peak, base)
    exc = top - base
    lo, hi = base + START_SHARE * exc, base + HOLD_SHARE * exc
    start = last_rise_before(t, knee, peak, lo)
    end = first_fall_after(t, knee, peak, lo)
    if not np.isfinite(end):
        end = _settled_end(t, knee, peak, top, base)
    reach = first_rise_after(t, knee, start, hi)
    _, hold_start, hold_end = time_above(t, knee, hi, start, end if np.isfinite(end) else t[-1])
    return KneeTiming(
        baseline_deg=base,
        peak_deg=top,
        peak_s=float(t[peak]),
        start_s=start,
        end_s=end,
        extension_s=reach - start,
        hold_s=hold_end - hold_start,
        hold_start_s=hold_start,
        hold_end_s=hold_end,
        onset_s=onset,
    )


def measure_rep(
    t: FloatArray, v: FloatArray, side: str, rest_deg: float, after_s: float
) -> RepMeasures | None:
    """Measure one repetition of ``side`` from history times ``t`` ``(N,)`` and rows ``v``
    ``(N, ROW_WIDTH)`` (layout in :mod:`psoas_coach.reps.history`).

    ``rest_deg`` is a first guess of the knee's rest angle and ``after_s`` when the movement
    was noticed (see :func:`knee_timing`). ``None`` when the knee never came back (no
    repetition). Figures that could not be measured are ``None``, with the reason in
    ``not_measured`` (:mod:`psoas_coach.reps.trust`).
    """
    other = "right" if side == "left" else "left"
    knee = v[:, KNEE[side]]
    if np.isfinite(knee).sum() < 3:
        return None
    timing = knee_timing(t, knee, rest_deg, after_s)
    if not timing.returned:
        return None  # it never came back: no repetition
    during = (t >= timing.start_s) & (t <= timing.end_s)
    other_knee_drift = _drift(t, v[:, KNEE[other]], during, timing.onset_s)
    if _legs_together(t, v[:, KNEE[other]], timing, other_knee_drift):
        return None  # both legs moved together from outside 90/90: another exercise
    seen = {s: v[:, SEEN[s]] > 0.5 for s in SIDES}
    halfway = timing.baseline_deg + 0.5 * timing.excursion_deg
    top_seen = seen[side] & during & (knee >= halfway)
    if np.sum(np.diff(t, append=t[-1])[top_seen]) < MIN_SEEN_TOP_S:
        return None  # hardly anything of the extension itself was seen: bridged over a gap

    moments = {
        "start_s": timing.start_s,
        "reach_s": timing.start_s + timing.extension_s,
        "hold_start_s": timing.hold_start_s,
        "hold_end_s": timing.hold_end_s,
        "end_s": timing.end_s,
    }
    missing = not_measured(side, t, seen, moments, _top_span(t, knee, timing))
    hip = v[:, HIP[side]]
    measures: dict[str, float | None] = {
        "extension_s": timing.extension_s,
        "hold_s": timing.hold_s,
        "knee_angle_peak_deg": timing.peak_deg,
        "hip_angle_peak_deg": _max(hip[during]),
        "knee_angle_start_deg": timing.baseline_deg,
        "hip_angle_start_deg": pre_value(t, hip, timing.onset_s),
        "back_lift_thigh": _rise(t, v[:, PELVIS], during, timing.onset_s),
        "support_drift_deg": _max_of(
            other_knee_drift,
            _drift(t, v[:, HIP[other]], during, timing.onset_s),
        ),
    }
    figures = {k: None if k in missing else finite_or_none(x) for k, x in measures.items()}
    for name, value in figures.items():
        if value is None and name not in missing:
            missing[name] = "the angles it is read from were missing"
    identity = v[during, IDENTITY] if during.any() else v[:, IDENTITY]
    identity = identity[np.isfinite(identity)]
    return RepMeasures(
        side=side,
        start_s=timing.start_s,
        peak_s=timing.peak_s,
        end_s=timing.end_s,
        hold_start_s=timing.hold_start_s,
        hold_end_s=timing.hold_end_s,
        excursion_deg=timing.excursion_deg,
        previous_side=None,
        side_confidence=float(np.mean(identity)) if identity.size else 1.0,
        seen_share=seen_share(t, seen[side], timing.start_s, timing.end_s),
        not_measured=missing,
        **figures,
    )


def _top_span(t: FloatArray, knee: FloatArray, timing: KneeTiming) -> tuple[float, float]:
    """First and last moment (s) the knee was within 20 % of the excursion of its peak."""
    ok = np.isfinite(knee)
    near = ok & (knee >= timing.baseline_deg + 0.8 * timing.excursion_deg)
    near &= (t >= timing.start_s) & (t <= timing.end_s)
    if not near.any():
        return timing.peak_s, timing.peak_s
    return float(t[near][0]), float(t[near][-1])


def _max(values: FloatArray) -> float | None:
    """Largest finite value, ``None`` when there is none."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else None


def _max_of(*values: float | None) -> float | None:
    known = [x for x in values if x is not None]
    return max(known) if known else None


def _rise(t: FloatArray, y: FloatArray, during: BoolArray, onset_s: float) -> float | None:
    """Largest rise of ``y`` during the rep over its value just before the movement."""
    if not np.isfinite(y).any():
        return None
    top = _max(y[during])
    return None if top is None else top - pre_value(t, y, onset_s)


def _legs_together(
    t: FloatArray, other_knee: FloatArray, timing: KneeTiming, moved: float | None
) -> bool:
    """Whether both knees were over :data:`TOGETHER_OFF_DEG` from 90 before the movement and
    the other knee (``other_knee``, deg) moved with the working one by at least
    :data:`TOGETHER_SHARE` of its excursion during it (``moved``: its largest departure)."""
    before = pre_value(t, other_knee, timing.onset_s)
    if not (np.isfinite(before) and np.isfinite(timing.baseline_deg)):
        return False
    if min(abs(timing.baseline_deg - 90.0), abs(before - 90.0)) <= TOGETHER_OFF_DEG:
        return False
    return moved is not None and moved >= TOGETHER_SHARE * timing.excursion_deg


def _drift(t: FloatArray, y: FloatArray, during: BoolArray, onset_s: float) -> float | None:
    """Largest departure of ``y`` during the rep from its value just before the movement."""
    if not np.isfinite(y).any():
        return None
    return _max(np.abs(y[during] - pre_value(t, y, onset_s)))
