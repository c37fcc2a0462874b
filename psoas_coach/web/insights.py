"""What a coach reads at a glance: session figures over several recordings, roster flags and the
trend points of an athlete. Built from the results' summary columns (no report file is read).

Flags (thresholds below): a fault in at least :data:`FLAG_FAULT_SHARE` of one side's reps and
at least :data:`FLAG_MIN_FAULTS` times ("back lifts off the floor in 40 % of left-leg reps"), a
hold or extension asymmetry of at least :data:`FLAG_ASYMMETRY_PCT` ("left hold 30 % shorter than
right"), a side without reps, no reps at all, pain noted. Flags come ranked, most urgent first:
pain, missing reps, then faults (weighted by :data:`FAULT_WEIGHT` times their share of reps) and
asymmetries (by their size), so a page can show the first few and fold the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from psoas_coach.faults.words import fault_name
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.storage.models import Result, TrainingSession
from psoas_coach.web.schemas import SessionSummary, TrendPoint

#: A fault in at least this share of one side's reps is flagged on the roster...
FLAG_FAULT_SHARE = 0.3
#: ...when it occurred at least this often (one fault in three reps is not yet a pattern).
FLAG_MIN_FAULTS = 2
#: A left/right difference of at least this many percent is flagged on the roster.
FLAG_ASYMMETRY_PCT = 15.0
#: How much a fault matters to a coach, for ranking flags (unlisted codes weigh 1): a lifting
#: back loads the spine; a moving support leg, a rushed or short rep lose the exercise's point.
FAULT_WEIGHT: dict[str, float] = {
    "back_lift": 3.0,
    "support_leg_drift": 2.0,
    "incomplete_extension": 2.0,
    "fast_extension": 2.0,
    "short_hold": 2.0,
    "start_position": 1.5,
}
#: Ranking scores of the flags that are not a fault share or an asymmetry size.
PAIN_SCORE, NO_REPS_SCORE, NO_SIDE_SCORE = 1000.0, 900.0, 800.0


def asymmetry_pct(left: float | None, right: float | None) -> float | None:
    """``100 * (left - right) / max(left, right)``, as the report's summary defines it."""
    if left is None or right is None or max(left, right) <= 0:
        return None
    return 100.0 * (left - right) / max(left, right)


def _weighted_mean(pairs: list[tuple[float | None, int]]) -> float | None:
    known = [(value, n) for value, n in pairs if value is not None and n > 0]
    total = sum(n for _, n in known)
    return sum(value * n for value, n in known) / total if total else None


def summarize_results(results: Sequence[Result]) -> SessionSummary:
    """Figures over ``results`` (one per recording): reps, rep-weighted means, fault rates."""
    reps = {s: sum(getattr(r, f"reps_{s}") for r in results) for s in SIDES}
    hold: dict[str, float | None] = {}
    extension: dict[str, float | None] = {}
    rate: dict[str, float | None] = {}
    counts: dict[str, dict[str, int]] = {s: {} for s in SIDES}
    for s in SIDES:
        hold[s] = _weighted_mean([(getattr(r, f"mean_hold_{s}_s"), _n(r, s)) for r in results])
        extension[s] = _weighted_mean(
            [(getattr(r, f"mean_extension_{s}_s"), _n(r, s)) for r in results]
        )
        faulty = sum(getattr(r, f"faulty_reps_{s}") for r in results)
        rate[s] = 100.0 * faulty / reps[s] if reps[s] else None
        for r in results:
            for code, n in r.fault_counts.get(s, {}).items():
                counts[s][code] = counts[s].get(code, 0) + int(n)
    return SessionSummary(
        analysed=len(results),
        reps=reps,
        mean_hold_s=hold,
        mean_extension_s=extension,
        fault_rate_pct=rate,
        hold_asymmetry_pct=asymmetry_pct(hold["left"], hold["right"]),
        extension_asymmetry_pct=asymmetry_pct(extension["left"], extension["right"]),
        fault_counts=counts,
    )


def _n(result: Result, side: str) -> int:
    n: int = getattr(result, f"reps_{side}")
    return n


def flags(summary: SessionSummary, session: TrainingSession | None = None) -> list[str]:
    """Plain-words flags of one session's figures, most urgent first (module docstring)."""
    scored: list[tuple[float, str]] = []
    if session is not None and session.pain_notes:
        scored.append((PAIN_SCORE, "pain noted"))
    if summary.analysed and not any(summary.reps.values()):
        scored.append((NO_REPS_SCORE, "no reps found: check the video"))
    for side in SIDES:
        n = summary.reps[side]
        for code, count in summary.fault_counts.get(side, {}).items():
            if n and count >= FLAG_MIN_FAULTS and count / n >= FLAG_FAULT_SHARE:
                text = f"{fault_name(code)} in {100 * count / n:.0f} % of {side}-leg reps"
                scored.append((100 * FAULT_WEIGHT.get(code, 1.0) * count / n, text))
    other = {"left": "right", "right": "left"}
    for side in SIDES:
        if summary.reps[side] == 0 and summary.reps[other[side]] > 0:
            scored.append((NO_SIDE_SCORE, f"no {side}-leg reps"))
    scored += _asymmetry_flag("hold", summary.hold_asymmetry_pct)
    scored += _asymmetry_flag("extension", summary.extension_asymmetry_pct)
    return [text for _, text in sorted(scored, key=lambda st: -st[0])]


def _asymmetry_flag(measure: str, pct: float | None) -> list[tuple[float, str]]:
    if pct is None or abs(pct) < FLAG_ASYMMETRY_PCT:
        return []
    shorter, longer = ("left", "right") if pct < 0 else ("right", "left")
    return [(abs(pct), f"{shorter} {measure} {abs(pct):.0f} % shorter than {longer}")]


def trend_points(pairs: Sequence[tuple[TrainingSession, Result]]) -> list[TrendPoint]:
    """One point per session that has results, by date (``pairs`` in date order)."""
    grouped: dict[int, tuple[TrainingSession, list[Result]]] = {}
    for session, result in pairs:
        grouped.setdefault(session.id, (session, []))[1].append(result)
    points = []
    for session, results in grouped.values():
        s = summarize_results(results)
        points.append(
            TrendPoint(
                session_id=session.id,
                date=session.date,
                reps=s.reps,
                mean_hold_s=s.mean_hold_s,
                mean_extension_s=s.mean_extension_s,
                fault_rate_pct=s.fault_rate_pct,
                hold_asymmetry_pct=s.hold_asymmetry_pct,
                extension_asymmetry_pct=s.extension_asymmetry_pct,
            )
        )
    return sorted(points, key=lambda p: (p.date, p.session_id))
