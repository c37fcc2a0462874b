"""Clean joint-angle curves of a synthetic psoas-march session, as functions of time.

A :class:`MotionPlan` describes the whole session analytically: each leg's resting posture
(near 90/90), slow posture shifts between repetitions, repetitions (:class:`RepMotion`), twitches
and a small physiological tremor. :func:`angles` evaluates it at any times, so the same plan gives
the frames of a recording and the fine time grid the ground truth is measured on.

All angles are interior angles in degrees (docs/definitions.md section 3.2); times in seconds;
the pelvis lift is in thigh lengths, perpendicular to the floor, relative to the shoulders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import FloatArray

PROFILES: tuple[str, str] = ("minjerk", "cosine")

#: Fraction of a movement's duration between its 10 % and 90 % points, per profile.
TEN_NINETY_SHARE: dict[str, float] = {"minjerk": 0.5130, "cosine": 0.5903}

#: Fraction of a movement's duration spent above 90 % of its amplitude, per profile.
TOP_SHARE: dict[str, float] = {"minjerk": 0.2435, "cosine": 0.2048}

#: Largest clean knee or hip angle the generator produces (an interior angle cannot pass 180).
MAX_ANGLE_DEG = 179.5
MIN_ANGLE_DEG = 15.0
_TAPER_S = 0.25


def profile_value(kind: str, x: FloatArray) -> FloatArray:
    """Smooth 0→1 step: ``kind`` is ``minjerk`` (5th-order) or ``cosine`` (raised cosine).

    Args:
        kind: profile name.
        x: ``(N,)`` normalised time; values outside [0, 1] are clamped.
    """
    u = np.clip(x, 0.0, 1.0)
    if kind == "minjerk":
        return np.asarray(u**3 * (10.0 - 15.0 * u + 6.0 * u**2), dtype=np.float64)
    if kind == "cosine":
        return np.asarray(0.5 - 0.5 * np.cos(np.pi * u), dtype=np.float64)
    raise ValueError(f"motion profile: expected one of {PROFILES}, found {kind!r}")


@dataclass(frozen=True)
class Tremor:
    """A sum of sinusoids: ``amp_deg[i] * sin(2π freq_hz[i] t + phase[i])``, degrees."""

    amp_deg: tuple[float, ...] = ()
    freq_hz: tuple[float, ...] = ()
    phase: tuple[float, ...] = ()

    def __call__(self, t: FloatArray) -> FloatArray:
        """Tremor at times ``t`` (``(N,)`` seconds), ``(N,)`` degrees."""
        out = np.zeros_like(t, dtype=np.float64)
        for a, f, p in zip(self.amp_deg, self.freq_hz, self.phase, strict=True):
            out += a * np.sin(2.0 * np.pi * f * t + p)
        return out


@dataclass(frozen=True)
class RepMotion:
    """One repetition's knee excursion and what moves with it.

    The working knee rises by ``excursion_deg`` over ``extension_s`` (the whole movement, not its
    10-90 % time), holds for ``plateau_s`` while drifting by ``hold_drift_deg`` with a tremor, then
    returns to its pre-rep angle over ``return_s``. The working hip, the support leg and the pelvis
    follow the knee's normalised rise ``m(t)`` (0 before, about 1 at the top):
    hip + ``hip_excursion_deg``·m, support knee/hip + ``support_*_deg``·m, pelvis
    ``lift_thigh``·m.
    """

    side: str
    onset_s: float
    extension_s: float
    plateau_s: float
    return_s: float
    excursion_deg: float
    hip_excursion_deg: float
    hold_drift_deg: float = 0.0
    hold_tremor: Tremor = field(default_factory=Tremor)
    support_knee_deg: float = 0.0
    support_hip_deg: float = 0.0
    lift_thigh: float = 0.0
    profile: str = "minjerk"

    @property
    def top_s(self) -> float:
        """Time the extension movement ends and the plateau begins, seconds."""
        return self.onset_s + self.extension_s

    @property
    def release_s(self) -> float:
        """Time the plateau ends and the return begins, seconds."""
        return self.top_s + self.plateau_s

    @property
    def finish_s(self) -> float:
        """Time the knee is back at its pre-rep angle, seconds."""
        return self.release_s + self.return_s

    def rise(self, t: FloatArray) -> FloatArray:
        """Working-knee rise above the pre-rep angle at times ``t`` (``(N,)`` s), ``(N,)`` deg."""
        out = np.zeros_like(t, dtype=np.float64)
        live = (t > self.onset_s) & (t < self.finish_s)
        if not live.any():
            return out
        tt = t[live]
        e, drift = self.excursion_deg, self.hold_drift_deg
        ext = e * profile_value(self.profile, (tt - self.onset_s) / self.extension_s)
        tau = np.clip((tt - self.top_s) / max(self.plateau_s, 1e-9), 0.0, 1.0)
        edge = np.minimum(tt - self.top_s, self.release_s - tt) / _TAPER_S
        taper = profile_value("cosine", edge)
        hold = e + drift * tau + self.hold_tremor(tt) * taper
        back = (e + drift) * (
            1.0 - profile_value(self.profile, (tt - self.release_s) / self.return_s)
        )
        out[live] = np.where(tt < self.top_s, ext, np.where(tt <= self.release_s, hold, back))
        return out

    def share(self, t: FloatArray) -> FloatArray:
        """Normalised rise ``m(t)`` = rise / excursion, ``(N,)`` (about 1 during the hold)."""
        return self.rise(t) / self.excursion_deg


@dataclass(frozen=True)
class Twitch:
    """A brief knee movement of one leg that is too small to be a repetition."""

    side: str
    onset_s: float
    duration_s: float
    amplitude_deg: float

    def rise(self, t: FloatArray) -> FloatArray:
        """Knee change at times ``t`` (``(N,)`` s): a raised-cosine bump, ``(N,)`` degrees."""
        x = np.clip((t - self.onset_s) / self.duration_s, 0.0, 1.0)
        return np.asarray(self.amplitude_deg * np.sin(np.pi * x) ** 2, dtype=np.float64)


@dataclass(frozen=True)
class PostureShift:
    """A slow, lasting change of one resting angle (``angle`` is ``knee`` or ``hip``)."""

    side: str
    angle: str
    onset_s: float
    duration_s: float
    delta_deg: float

    def value(self, t: FloatArray) -> FloatArray:
        """Change at times ``t`` (``(N,)`` s): 0 before, ``delta_deg`` after, ``(N,)`` deg."""
        x = (t - self.onset_s) / self.duration_s
        return self.delta_deg * profile_value("cosine", x)


@dataclass(frozen=True)
class MotionPlan:
    """The whole session's clean motion.

    Attributes:
        duration_s: length of the session, seconds.
        rest_knee_deg: resting knee angle ``{side: deg}`` (90 at 90/90).
        rest_hip_deg: resting hip angle ``{side: deg}``.
        reps: repetitions in time order (their windows never overlap).
        twitches: small knee movements that are not repetitions.
        shifts: posture changes between repetitions.
        tremor: ``{"knee_left": ..., "hip_right": ...}`` small continuous tremor per angle.
    """

    duration_s: float
    rest_knee_deg: dict[str, float]
    rest_hip_deg: dict[str, float]
    reps: tuple[RepMotion, ...] = ()
    twitches: tuple[Twitch, ...] = ()
    shifts: tuple[PostureShift, ...] = ()
    tremor: dict[str, Tremor] | None = None


@dataclass(frozen=True)
class Angles:
    """Clean angles at ``time_s`` (``(N,)``): knee/hip ``{side: (N,)}`` degrees, lift ``(N,)``."""

    time_s: FloatArray
    knee: dict[str, FloatArray]
    hip: dict[str, FloatArray]
    lift_thigh: FloatArray


def _resting(plan: MotionPlan, side: str, angle: str, t: FloatArray) -> FloatArray:
    base = (plan.rest_knee_deg if angle == "knee" else plan.rest_hip_deg)[side]
    out = np.full(t.shape, base, dtype=np.float64)
    for shift in plan.shifts:
        if shift.side == side and shift.angle == angle:
            out += shift.value(t)
    if plan.tremor is not None and f"{angle}_{side}" in plan.tremor:
        out += plan.tremor[f"{angle}_{side}"](t)
    return out


def _add_reps(plan: MotionPlan, t: FloatArray, out: Angles) -> None:
    for rep in plan.reps:
        live = (t > rep.onset_s) & (t < rep.finish_s)
        if not live.any():
            continue
        m = rep.share(t[live])
        other = SIDES[1 - SIDES.index(rep.side)]
        out.knee[rep.side][live] += rep.excursion_deg * m
        out.hip[rep.side][live] += rep.hip_excursion_deg * m
        out.knee[other][live] += rep.support_knee_deg * m
        out.hip[other][live] += rep.support_hip_deg * m
        out.lift_thigh[live] += rep.lift_thigh * m


def angles(plan: MotionPlan, t: FloatArray) -> Angles:
    """Evaluate the clean motion at times ``t`` (``(N,)`` seconds).

    Returns knee and hip interior angles per side (degrees, clipped to [15, 179.5]) and the pelvis
    lift above its resting height relative to the shoulders (thigh lengths, ``(N,)``).
    """
    tt = np.asarray(t, dtype=np.float64)
    out = Angles(
        time_s=tt,
        knee={s: _resting(plan, s, "knee", tt) for s in SIDES},
        hip={s: _resting(plan, s, "hip", tt) for s in SIDES},
        lift_thigh=np.zeros(tt.shape, dtype=np.float64),
    )
    _add_reps(plan, tt, out)
    for twitch in plan.twitches:
        out.knee[twitch.side] += twitch.rise(tt)
    for side in SIDES:
        np.clip(out.knee[side], MIN_ANGLE_DEG, MAX_ANGLE_DEG, out=out.knee[side])
        np.clip(out.hip[side], MIN_ANGLE_DEG, MAX_ANGLE_DEG, out=out.hip[side])
    return out
