"""A coach's corrections to the repetitions: the side of a rep flipped, and the
``same_side_repeat`` verdicts that follow from the new order of sides.

The automatic result stays as the analysis wrote it; the dashboard applies these on top, so
that its summary and trends follow the coach (:func:`with_sides`).
"""

from __future__ import annotations

from dataclasses import replace

from psoas_coach.faults.base import cue_for, fault_codes
from psoas_coach.reps.types import Rep

#: The fault of a rep on the same leg as the rep before it (docs/definitions.md section 4).
SAME_SIDE = "same_side_repeat"


def same_side_verdict(rep: Rep, previous_side: str | None) -> list[str]:
    """``rep``'s fault codes with ``same_side_repeat`` decided again against the side of the
    rep before it (``None``: the first rep), in registry order."""
    codes = set(rep.faults) - {SAME_SIDE}
    if rep.side == previous_side:
        codes.add(SAME_SIDE)
    return [c for c in fault_codes() if c in codes]


def with_sides(reps: list[Rep], sides: dict[int, str]) -> list[Rep]:
    """``reps`` (in time order) with the coach's sides (``{rep index: side}``) applied: a
    flipped rep is sure of its side, and ``same_side_repeat`` is decided again throughout."""
    out: list[Rep] = []
    for rep in reps:
        side = sides.get(rep.index, rep.side)
        fixed = rep if side == rep.side else replace(rep, side=side, side_confidence=1.0)
        faults = same_side_verdict(fixed, out[-1].side if out else None)
        if faults != fixed.faults:
            fixed = replace(fixed, faults=faults, cues=[cue_for(c) for c in faults])
        out.append(fixed)
    return out
