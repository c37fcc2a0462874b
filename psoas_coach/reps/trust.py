"""How far a repetition's figures can be trusted: which could not be measured, how sure its
side is, and one confidence in [0, 1] with the reasons when it is low.

A time is measured where the knee angle crosses a level (docs/definitions.md section 3). Where
the working leg was not seen around that moment (hidden behind the other leg, drawn on it, or
missing) its angle there is bridged from the frames around, and the crossing could be anywhere
in the bridged stretch: a figure built on such a crossing is not measured (section 3.8).
"""

from __future__ import annotations

import math

import numpy as np

from psoas_coach.pose.types import BoolArray, FloatArray

#: A crossing between seen frames farther apart than this (s) was not seen.
MAX_UNSEEN_CROSSING_S = 0.6
#: A figure read where less than this share of its frames were seen is not measured.
MIN_SEEN_SHARE = 0.5
#: Below these, a rep carries a note saying why it is less sure.
LOW_SIDE_CONFIDENCE = 0.8
LOW_SEEN_SHARE = 0.8
#: Confidence of a rep that has a figure not measured, at most.
UNMEASURED_CAP = 0.8


def figure_words(name: str) -> str:
    """A figure's name in words, without its unit: ``hold_s`` → ``hold``,
    ``knee_angle_peak_deg`` → ``knee angle peak``."""
    return name.removesuffix("_s").removesuffix("_deg").replace("_", " ")


def crossing_seen(t: FloatArray, seen: BoolArray, at_s: float) -> bool:
    """True when the moment ``at_s`` (s) lies between seen frames at most
    :data:`MAX_UNSEEN_CROSSING_S` apart (``t`` ``(N,)`` seconds, ``seen`` ``(N,)``)."""
    times = t[seen]
    if not math.isfinite(at_s) or times.size == 0:
        return False
    k = int(np.searchsorted(times, at_s))
    before = times[k - 1] if k > 0 else -math.inf
    after = times[k] if k < times.size else math.inf
    if at_s in (after, before):
        return True
    return bool(after - before <= MAX_UNSEEN_CROSSING_S)


def seen_share(t: FloatArray, seen: BoolArray, t0: float, t1: float) -> float:
    """Share of the frames within ``[t0, t1]`` that were seen (1 when there are none)."""
    pick = (t >= t0) & (t <= t1)
    return float(seen[pick].mean()) if pick.any() else 1.0


def not_measured(
    side: str,
    t: FloatArray,
    seen: dict[str, BoolArray],
    moments: dict[str, float],
    top: tuple[float, float],
) -> dict[str, str]:
    """The figures of a rep of ``side`` that could not be measured, with the reason.

    ``moments`` holds the crossings ``start_s``, ``reach_s`` (90 % on the way out),
    ``hold_start_s``, ``hold_end_s`` and ``end_s``; ``top`` the span (s) where the knee was
    near its peak. ``seen`` holds both legs' ``(N,)`` masks on times ``t``.
    """
    other = "right" if side == "left" else "left"
    mine = seen[side]
    reasons: dict[str, str] = {}
    for moment, what in (("start_s", "started moving"), ("reach_s", "neared full extension")):
        if "extension_s" not in reasons and not crossing_seen(t, mine, moments[moment]):
            reasons["extension_s"] = f"the {side} leg was hidden when it {what}"
    for moment, what in (("hold_start_s", "reached"), ("hold_end_s", "left")):
        if "hold_s" not in reasons and not crossing_seen(t, mine, moments[moment]):
            reasons["hold_s"] = f"the {side} leg was hidden when it {what} the hold"
    if seen_share(t, mine, *top) < MIN_SEEN_SHARE:
        reasons["knee_angle_peak_deg"] = f"the {side} leg was hidden at full extension"
    if seen_share(t, seen[other], moments["start_s"], moments["end_s"]) < MIN_SEEN_SHARE:
        reasons["support_drift_deg"] = f"the {other} (support) leg was hidden during the rep"
    return reasons


def rep_confidence(
    side: str, side_confidence: float, leg_seen: float, missing: dict[str, str]
) -> tuple[float, list[str]]:
    """One confidence in [0, 1] for a rep, and the notes saying why it is low.

    The rep is as sure as its side and as the share of it where the working leg was seen
    (half weight), and a rep with a figure not measured is at most :data:`UNMEASURED_CAP`.
    """
    confidence = min(side_confidence, 0.5 + 0.5 * leg_seen)
    if missing:
        confidence = min(confidence, UNMEASURED_CAP)
    notes = []
    if side_confidence < LOW_SIDE_CONFIDENCE:
        notes.append(
            f"left or right unsure ({100 * side_confidence:.0f} % sure it was the {side} leg): "
            "the pose estimator mixed up the legs around this rep"
        )
    if leg_seen < LOW_SEEN_SHARE:
        notes.append(f"the {side} leg was hidden for {100 * (1 - leg_seen):.0f} % of the rep")
    notes += [f"{figure_words(name)} not measured: {why}" for name, why in missing.items()]
    return float(np.clip(confidence, 0.0, 1.0)), notes
