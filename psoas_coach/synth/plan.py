"""Random planning of a session: which leg, which faults, and every repetition's parameters.

:func:`plan_session` lays repetitions out one after the other, drawing the faults of each from the
spec's rates. Each candidate repetition is measured on its clean curves
(:func:`psoas_coach.synth.truth.measure_rep`) and drawn again while any measure sits within a hair
of a fault threshold (:class:`Margins`), so a correct analysis can score every case; after
``MAX_TRIES`` a plain repetition is taken.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.synth.motion import (
    PROFILES,
    TEN_NINETY_SHARE,
    TOP_SHARE,
    MotionPlan,
    PostureShift,
    RepMotion,
    Tremor,
    Twitch,
)
from psoas_coach.synth.spec import SynthSpec
from psoas_coach.synth.truth import Measures, measure_rep

MAX_TRIES = 40
_SETTLE_S = 0.3  # still time after a movement before the next one starts
_PRE_ONSET_S = 0.7  # still time before a repetition's onset
_MAX_KNEE_SHIFT_DEG = 18.0  # posture changes of the knee stay far below a repetition's 25 deg


@dataclass(frozen=True)
class Margins:
    """How far from a threshold (:class:`AnalysisConfig`, docs/definitions.md 4) truth must stay."""

    hold_s: float = 0.12
    extension_s: float = 0.08
    knee_peak_deg: float = 3.0
    back_lift_thigh: float = 0.03
    angle_deg: float = 4.0
    excursion_deg: float = 10.0


def near_threshold(m: Measures, config: AnalysisConfig, margins: Margins) -> str | None:
    """Name of the first measure of ``m`` within its margin of a threshold, else ``None``."""
    tol, ang = config.start_tolerance_deg, margins.angle_deg
    hold_gap = min(abs(m.hold_s - config.min_hold_s), abs(m.hold_s - config.max_hold_s))
    checks = (
        ("hold_s", hold_gap < margins.hold_s),
        ("extension_s", abs(m.extension_s - config.min_extension_s) < margins.extension_s),
        ("knee_peak", abs(m.knee_peak_deg - config.min_knee_peak_deg) < margins.knee_peak_deg),
        (
            "back_lift",
            abs(m.back_lift_thigh - config.max_back_lift_thigh) < margins.back_lift_thigh,
        ),
        ("support_drift", abs(m.support_drift_deg - config.support_drift_deg) < ang),
        ("knee_start", abs(abs(m.knee_start_deg - 90.0) - tol) < ang),
        ("hip_start", abs(abs(m.hip_start_deg - 90.0) - tol) < ang),
        ("excursion", m.excursion_deg < config.min_excursion_deg + margins.excursion_deg),
    )
    return next((name for name, bad in checks if bad), None)


@dataclass
class _State:
    """Where the planner stands: time, the legs' posture offsets, what was accepted."""

    plan: MotionPlan
    free_s: float
    knee_off: dict[str, float]
    hip_off: dict[str, float]
    previous: str | None = None


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _tremor(rng: np.random.Generator, amp_deg: float, lo_hz: float, hi_hz: float) -> Tremor:
    amps = amp_deg * rng.dirichlet([2.0, 2.0])
    return Tremor(
        amp_deg=tuple(float(a) for a in amps),
        freq_hz=tuple(float(f) for f in rng.uniform(lo_hz, hi_hz, 2)),
        phase=tuple(float(p) for p in rng.uniform(0, 2 * np.pi, 2)),
    )


def _intents(rng: np.random.Generator, spec: SynthSpec) -> set[str]:
    rates = spec.faults
    drawn = {
        "short_hold": rates.short_hold,
        "long_hold": rates.long_hold,
        "fast_extension": rates.fast_extension,
        "incomplete_extension": rates.incomplete_extension,
        "back_lift": rates.back_lift,
        "support_leg_drift": rates.support_leg_drift,
        "start_position": rates.start_position,
    }
    out = {code for code, p in drawn.items() if rng.random() < p}
    if {"short_hold", "long_hold"} <= out:
        out.discard("long_hold" if rng.random() < 0.5 else "short_hold")
    return out


def _choose_side(rng: np.random.Generator, spec: SynthSpec, previous: str | None) -> str:
    if previous is None:
        return SIDES[int(rng.integers(2))]
    if rng.random() < spec.faults.same_side_repeat:
        return previous
    return SIDES[1 - SIDES.index(previous)]


def _start_offsets(
    rng: np.random.Generator, spec: SynthSpec, side: str, state: _State, faulty: bool
) -> tuple[float, float]:
    """New knee and hip posture offsets (deg, relative to the rest angles) for the working leg."""
    rest_k = spec.rest_knee_deg[SIDES.index(side)]
    rest_h = spec.rest_hip_deg[SIDES.index(side)]
    cur_k = state.knee_off[side]
    if faulty:
        sign = 1.0 if rest_k >= 90.0 else -1.0
        knee_target = 90.0 + sign * _u(rng, 26.0, 32.0) - rest_k
        if abs(knee_target - cur_k) <= _MAX_KNEE_SHIFT_DEG and rng.random() < 0.4:
            return knee_target, 0.0
        sign = -1.0 if rng.random() < 0.6 else 1.0
        return 0.0, 90.0 + sign * _u(rng, 26.0, 40.0) - rest_h
    if rng.random() < 0.35:
        return _u(rng, -6.0, 6.0), _u(rng, -8.0, 8.0)
    return 0.0, 0.0


def _gap_events(
    rng: np.random.Generator,
    spec: SynthSpec,
    state: _State,
    side: str,
    offsets: tuple[float, float],
) -> tuple[float, tuple[Twitch, ...], tuple[PostureShift, ...]]:
    """Onset of the next repetition and the twitch/posture shifts placed in the rest before it."""
    t = state.free_s + _SETTLE_S
    twitches: tuple[Twitch, ...] = ()
    if rng.random() < spec.faults.twitch:
        amp = _u(rng, 5.0, max(5.0, spec.faults.twitch_max_deg))
        tw = Twitch(SIDES[int(rng.integers(2))], t, _u(rng, 0.4, 1.0), amp)
        twitches = (tw,)
        t += tw.duration_s + _SETTLE_S
    dk, dh = offsets[0] - state.knee_off[side], offsets[1] - state.hip_off[side]
    shifts: tuple[PostureShift, ...] = ()
    if abs(dk) > 0 or abs(dh) > 0:
        dur = _u(rng, 0.6, 1.0)
        shifts = tuple(
            PostureShift(side, name, t, dur, delta)
            for name, delta in (("knee", dk), ("hip", dh))
            if delta != 0.0
        )
        t += dur
    rest = _u(rng, *spec.rest_s)
    onset = max(t + _PRE_ONSET_S, state.free_s + rest)
    return onset, twitches, shifts


def _knee_top(rng: np.random.Generator, base: float, intents: set[str]) -> float:
    lo = max(base + 42.0, 112.0)
    if "incomplete_extension" in intents and lo < 146.5:
        return _u(rng, lo, 146.5)
    intents.discard("incomplete_extension")
    return _u(rng, 158.0, 178.0) if rng.random() < 0.85 else _u(rng, 153.5, 158.0)


def _support(
    rng: np.random.Generator, spec: SynthSpec, intents: set[str], exc: float
) -> tuple[float, float]:
    small = _u(rng, -6.0, 6.0), _u(rng, -6.0, 6.0)
    if "support_leg_drift" in intents:
        size = _u(rng, 26.0, 40.0)
        if rng.random() < 0.5 and size <= 0.6 * exc:
            return (size if rng.random() < 0.7 else -size), small[1]
        return small[0], (size if rng.random() < 0.5 else -size)
    if rng.random() < spec.faults.near_miss:
        return small[0], float(rng.choice([-1.0, 1.0])) * _u(rng, 9.0, 15.0)
    return small


def _lift(rng: np.random.Generator, spec: SynthSpec, intents: set[str]) -> float:
    if "back_lift" in intents:
        return _u(rng, 0.16, 0.35)
    if rng.random() < spec.faults.near_miss:
        return _u(rng, 0.04, 0.085)
    return _u(rng, 0.0, 0.04)


def _timing(
    rng: np.random.Generator, intents: set[str], profile: str
) -> tuple[float, float, float]:
    """Durations of the extension movement, plateau and return, seconds."""
    ten90 = _u(rng, 0.3, 0.68) if "fast_extension" in intents else _u(rng, 0.95, 2.0)
    ext = ten90 / TEN_NINETY_SHARE[profile]
    back = _u(rng, 0.6, 1.5)
    if "short_hold" in intents:
        hold = _u(rng, 0.4, 1.8)
    elif "long_hold" in intents:
        hold = _u(rng, 3.25, 5.0)
    else:
        hold = _u(rng, 2.2, 2.8)
    return ext, max(0.0, hold - TOP_SHARE[profile] * (ext + back)), back


def _draw_rep(
    rng: np.random.Generator,
    spec: SynthSpec,
    side: str,
    onset: float,
    bases: tuple[float, float],
    intents: set[str],
) -> RepMotion:
    knee_base, hip_base = bases
    top = _knee_top(rng, knee_base, intents)
    exc = top - knee_base
    drift = _u(rng, -0.04, 0.015) * exc
    tremor = _tremor(rng, min(_u(rng, 0.2, 0.8), 0.01 * exc), 4.0, 9.0)
    exc -= max(0.0, top + max(drift, 0.0) + sum(tremor.amp_deg) - 179.2)
    hip_top = min(_u(rng, 138.0, 168.0), 175.0)
    hip_exc = (hip_top - hip_base) * float(np.clip(exc / 85.0, 0.45, 1.0))
    profile = spec.profile if spec.profile in PROFILES else PROFILES[int(rng.integers(2))]
    ext, plateau, back = _timing(rng, intents, profile)
    sup_knee, sup_hip = _support(rng, spec, intents, exc)
    return RepMotion(
        side=side,
        onset_s=onset,
        extension_s=ext,
        plateau_s=plateau,
        return_s=back,
        excursion_deg=exc,
        hip_excursion_deg=hip_exc,
        hold_drift_deg=drift,
        hold_tremor=tremor,
        support_knee_deg=sup_knee,
        support_hip_deg=sup_hip,
        lift_thigh=_lift(rng, spec, intents),
        profile=profile,
    )


def _candidate(
    rng: np.random.Generator, spec: SynthSpec, state: _State, side: str, plain: bool
) -> tuple[MotionPlan, RepMotion, tuple[float, float]]:
    intents = set() if plain else _intents(rng, spec)
    offsets = _start_offsets(rng, spec, side, state, "start_position" in intents)
    onset, twitches, shifts = _gap_events(rng, spec, state, side, offsets)
    i = SIDES.index(side)
    bases = spec.rest_knee_deg[i] + offsets[0], spec.rest_hip_deg[i] + offsets[1]
    rep = _draw_rep(rng, spec, side, onset, bases, intents)
    plan = replace(
        state.plan,
        reps=(*state.plan.reps, rep),
        twitches=(*state.plan.twitches, *twitches),
        shifts=(*state.plan.shifts, *shifts),
    )
    return plan, rep, offsets


def _add_rep(rng: np.random.Generator, spec: SynthSpec, state: _State, margins: Margins) -> None:
    side = _choose_side(rng, spec, state.previous)
    config = AnalysisConfig()
    for attempt in range(MAX_TRIES):
        plan, rep, offsets = _candidate(rng, spec, state, side, plain=attempt == MAX_TRIES - 1)
        if near_threshold(measure_rep(plan, rep), config, margins) is None:
            break
    state.plan = plan
    state.free_s = rep.finish_s
    state.knee_off[side], state.hip_off[side] = offsets
    state.previous = side


def rest_tremor(rng: np.random.Generator, amp_deg: float) -> dict[str, Tremor]:
    """Small continuous tremor for each of the four angles (``knee_left`` ... ``hip_right``)."""
    return {f"{a}_{s}": _tremor(rng, amp_deg, 2.0, 7.0) for a in ("knee", "hip") for s in SIDES}


def plan_session(
    spec: SynthSpec, rng: np.random.Generator, margins: Margins | None = None
) -> MotionPlan:
    """Plan the clean motion of a whole session: ``spec.n_reps`` repetitions and their rests."""
    start = MotionPlan(
        duration_s=0.0,
        rest_knee_deg=dict(zip(SIDES, spec.rest_knee_deg, strict=True)),
        rest_hip_deg=dict(zip(SIDES, spec.rest_hip_deg, strict=True)),
        tremor=rest_tremor(rng, spec.tremor_deg),
    )
    state = _State(start, _u(rng, 0.5, 1.5), {s: 0.0 for s in SIDES}, {s: 0.0 for s in SIDES})
    for _ in range(spec.n_reps):
        _add_rep(rng, spec, state, margins or Margins())
    return replace(state.plan, duration_s=state.free_s + _u(rng, 1.5, 3.0))
