"""Ground truth of a synthetic session, on its clean angle curves (docs/definitions.md 3-4).

Nothing here looks at the parameters a repetition was planned with: every figure is measured on
the clean curves of :func:`psoas_coach.synth.motion.angles`, sampled on a 1 ms grid with linear
interpolation at level crossings, as the contract's section 3 words it (docs/definitions.md
section 6 says where the analysis measures differently):

- pre-rep angles: the curves at the planned onset of the movement (the leg is still there);
- excursion: peak working-knee angle minus its pre-rep angle;
- ``start_s``/``end_s``: the working knee crosses 10 % of the excursion going out / coming back;
- ``peak_s``: time of the peak knee angle; ``hip_angle_peak_deg``: the working hip then;
- ``extension_s``: from the 10 % crossing to the first 90 % crossing on the way out;
- ``hold_s``: total time at or above 90 % of the excursion within ``[start_s, end_s]``.

Faults follow docs/definitions.md section 4 with the thresholds of :class:`AnalysisConfig`;
``back_lift`` uses the largest pelvis rise during ``[start_s, end_s]`` relative to its pre-rep
value, ``support_leg_drift`` the largest change of the other leg's knee or hip angle in that
window from its pre-rep value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import FloatArray
from psoas_coach.reps.types import Rep
from psoas_coach.synth.motion import MotionPlan, RepMotion, angles

#: The eight fault codes of docs/definitions.md section 4, in its order.
FAULT_CODES: tuple[str, ...] = (
    "short_hold",
    "long_hold",
    "fast_extension",
    "incomplete_extension",
    "back_lift",
    "support_leg_drift",
    "start_position",
    "same_side_repeat",
)

GRID_STEP_S = 0.001
_TAIL_S = 0.5


@dataclass(frozen=True)
class Measures:
    """The clean measures of one repetition, before fault rules (seconds and degrees)."""

    start_s: float
    peak_s: float
    end_s: float
    extension_s: float
    hold_s: float
    hold_start_s: float
    hold_end_s: float
    knee_peak_deg: float
    hip_peak_deg: float
    excursion_deg: float
    knee_start_deg: float
    hip_start_deg: float
    back_lift_thigh: float
    support_drift_deg: float


def above_intervals(t: FloatArray, y: FloatArray, level: float) -> FloatArray:
    """Intervals where ``y >= level``, edges linearly interpolated between samples.

    Args:
        t: ``(N,)`` increasing times, seconds.
        y: ``(N,)`` values.
        level: the threshold.

    Returns:
        ``(K, 2)`` array of ``[begin, end]`` times; an interval open at either end of ``t`` is
        closed there.
    """
    above = np.r_[False, y >= level, False]
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    begins, ends = edges[0::2], edges[1::2] - 1
    out = np.empty((begins.size, 2), dtype=np.float64)
    for k, (b, e) in enumerate(zip(begins, ends, strict=True)):
        out[k, 0] = t[b] if b == 0 else _cross(t, y, b - 1, level)
        out[k, 1] = t[e] if e == t.size - 1 else _cross(t, y, e, level)
    return out


def _cross(t: FloatArray, y: FloatArray, i: int, level: float) -> float:
    """Time between samples ``i`` and ``i + 1`` where the line through them meets ``level``."""
    dy = y[i + 1] - y[i]
    frac = 0.5 if dy == 0 else (level - y[i]) / dy
    return float(t[i] + frac * (t[i + 1] - t[i]))


def measure_rep(plan: MotionPlan, rep: RepMotion) -> Measures:
    """Measure one repetition of ``plan`` on a 1 ms grid of its clean curves."""
    t = np.arange(rep.onset_s, rep.finish_s + _TAIL_S, GRID_STEP_S)
    at0 = angles(plan, np.array([rep.onset_s]))
    clean = angles(plan, t)
    other = SIDES[1 - SIDES.index(rep.side)]
    knee = clean.knee[rep.side]
    base = float(at0.knee[rep.side][0])
    ipeak = int(np.argmax(knee))
    peak = float(knee[ipeak])
    excursion = peak - base
    ten = above_intervals(t, knee, base + 0.1 * excursion)
    start, end = next((a, b) for a, b in ten if a <= t[ipeak] <= b)
    hold = _clip_intervals(above_intervals(t, knee, base + 0.9 * excursion), start, end)
    window = (t >= start) & (t <= end)
    support = np.maximum(
        np.abs(clean.knee[other][window] - at0.knee[other][0]),
        np.abs(clean.hip[other][window] - at0.hip[other][0]),
    )
    return Measures(
        start_s=float(start),
        peak_s=float(t[ipeak]),
        end_s=float(end),
        extension_s=float(hold[0, 0] - start),
        hold_s=float(np.sum(hold[:, 1] - hold[:, 0])),
        hold_start_s=float(hold[0, 0]),
        hold_end_s=float(hold[-1, 1]),
        knee_peak_deg=peak,
        hip_peak_deg=float(clean.hip[rep.side][ipeak]),
        excursion_deg=excursion,
        knee_start_deg=base,
        hip_start_deg=float(at0.hip[rep.side][0]),
        back_lift_thigh=float(np.max(clean.lift_thigh[window] - at0.lift_thigh[0])),
        support_drift_deg=float(np.max(support)),
    )


def _clip_intervals(iv: FloatArray, lo: float, hi: float) -> FloatArray:
    clipped = np.clip(iv, lo, hi)
    return clipped[clipped[:, 1] > clipped[:, 0]]


def fault_codes(m: Measures, *, same_side: bool, config: AnalysisConfig) -> list[str]:
    """Fault codes of docs/definitions.md section 4 for measures ``m``, sorted alphabetically."""
    start_off = max(abs(m.knee_start_deg - 90.0), abs(m.hip_start_deg - 90.0))
    rules = {
        "short_hold": m.hold_s < config.min_hold_s,
        "long_hold": m.hold_s > config.max_hold_s,
        "fast_extension": m.extension_s < config.min_extension_s,
        "incomplete_extension": m.knee_peak_deg < config.min_knee_peak_deg,
        "back_lift": m.back_lift_thigh > config.max_back_lift_thigh,
        "support_leg_drift": m.support_drift_deg > config.support_drift_deg,
        "start_position": start_off > config.start_tolerance_deg,
        "same_side_repeat": same_side,
    }
    return sorted(code for code, hit in rules.items() if hit)


def to_rep(index: int, side: str, m: Measures, faults: list[str]) -> Rep:
    """A report :class:`Rep` (no cues) from clean measures."""
    return Rep(
        index=index,
        side=side,
        start_s=m.start_s,
        peak_s=m.peak_s,
        end_s=m.end_s,
        extension_s=m.extension_s,
        hold_s=m.hold_s,
        knee_angle_peak_deg=m.knee_peak_deg,
        hip_angle_peak_deg=m.hip_peak_deg,
        faults=faults,
        excursion_deg=m.excursion_deg,
        knee_angle_start_deg=m.knee_start_deg,
        hip_angle_start_deg=m.hip_start_deg,
        back_lift_thigh=m.back_lift_thigh,
        support_drift_deg=m.support_drift_deg,
        hold_start_s=m.hold_start_s,
        hold_end_s=m.hold_end_s,
    )


def truth_reps(plan: MotionPlan, config: AnalysisConfig | None = None) -> list[Rep]:
    """Ground-truth repetitions of ``plan`` in time order, faults by ``config`` (defaults)."""
    cfg = config or AnalysisConfig()
    out: list[Rep] = []
    previous: str | None = None
    for i, rep in enumerate(plan.reps):
        m = measure_rep(plan, rep)
        out.append(
            to_rep(i + 1, rep.side, m, fault_codes(m, same_side=rep.side == previous, config=cfg))
        )
        previous = rep.side
    return out
