"""Applying a ``SwapCorrector`` decision to a frame's landmarks.

``kinematics.swaps.SwapCorrector.update`` says which label groups of a frame are swapped (legs
with the hips; the upper body); offline, ``correct_swaps`` exchanges them. This does the same
for one live frame, with the groups built from the same public definitions.
"""

from __future__ import annotations

from psoas_coach.kinematics.swaps import LEG_PARTS, SwapDecision
from psoas_coach.pose.landmarks import INDEX, LANDMARK_NAMES, MIRROR
from psoas_coach.pose.types import FloatArray

#: Left-side landmark indices of the leg group (hips included) and of the upper body.
LEG_LEFT = [INDEX[f"left_{part}"] for part in LEG_PARTS]
UPPER_LEFT = [i for i, n in enumerate(LANDMARK_NAMES) if "left" in n and i not in LEG_LEFT]


def apply_swap(xy: FloatArray, decision: SwapDecision) -> FloatArray:
    """A copy of ``xy`` ``(33, ...)`` with the left/right labels of swapped groups exchanged."""
    fixed = xy.copy()
    for group, swapped in ((LEG_LEFT, decision.legs), (UPPER_LEFT, decision.upper)):
        if swapped:
            mirror = [MIRROR[i] for i in group]
            fixed[group], fixed[mirror] = xy[mirror], xy[group]
    return fixed
