"""Legs drawn on top of each other: where the estimator puts a leg where it is not.

Filmed from the side, the far leg is behind the near one. Where the two legs really are in the
same pose (both at 90/90 at rest), drawing them on top of each other is right. Where one leg is
elsewhere (the far leg extended, held or on its way back but hidden; or, in a confused frame,
the near leg), BlazePose still draws both legs in one place: the misplaced leg's knee angle
then jumps to the other leg's and back, which would cut a hold in two, fake a fast extension or
count a movement the leg never made.

:func:`leg_view` finds the runs of frames where the two legs' knees and ankles coincide and
splits each run where the drawn position jumps. For each leg and each piece it compares the
knee angle with the leg's own angle just outside the run (at the run's edges) or with the
straight line between those (inside): a leg that moves into the other's pose gets there
continuously and is kept, a leg drawn where it is not jumps there. Such a piece is that leg
*not seen*: its positions are removed (clean-up bridges pieces up to :data:`MAX_BRIDGE_S` from
the frames around them) and every figure measured inside it is marked as not seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from psoas_coach.kinematics.angles import interior_angle
from psoas_coach.kinematics.medians import WindowMedians, window_nanmedian
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence

#: A leg's landmarks that are drawn over (the hip stays where it is).
LOWER_LEG = ("knee", "ankle", "heel", "foot_index")
#: Knees and ankles within this many thigh lengths of each other (on average): coincident.
COINCIDENT_THIGH = 0.25
#: Seconds of the running median that steadies the distance between the legs.
SETTLE_S = 0.2
#: A knee angle this far (deg) from where the leg's own frames around put it: drawn elsewhere.
DISAGREE_DEG = 25.0
#: The knee angle at an edge: the median of this many frames, searched up to CONTEXT_S away.
EDGE_FRAMES = 3
CONTEXT_S = 0.3
#: Pieces not seen up to this long (s) are bridged by clean-up; longer ones stay missing.
MAX_BRIDGE_S = 2.0
#: Seconds before a lone jump (a piece that agrees with the leg's frames at one end only) in
#: which the leg is taken as not known.
UNKNOWN_S = 1.0


@dataclass(frozen=True)
class LegView:
    """What was seen of each leg.

    Attributes:
        coincident: ``(F,)`` both legs drawn in one place.
        unseen: per side ``(F,)`` coincident frames where the leg was drawn where it was not.
        open_from: the first frame whose ``unseen`` verdicts frames still to come may change
            (``F`` for a whole recording; see :func:`leg_view`'s ``horizon``).
    """

    coincident: BoolArray
    unseen: dict[str, BoolArray]
    open_from: int


def coincident_frames(
    pose: PoseSequence, thigh_px: float, medians: WindowMedians | None = None
) -> BoolArray:
    """``(F,)`` frames where the two knees and ankles lie on each other: their mean distance,
    as a running median over :data:`SETTLE_S` (the estimator's jitter would break runs into
    pieces), within :data:`COINCIDENT_THIGH` thigh lengths. ``medians``: the running medians
    kept from the previous call (:class:`~psoas_coach.kinematics.medians.WindowMedians`)."""
    gaps = np.stack(
        [
            np.linalg.norm(pose.xy[:, joint("left", p)] - pose.xy[:, joint("right", p)], axis=-1)
            for p in ("knee", "ankle")
        ],
        axis=1,
    )
    seen = np.isfinite(gaps)
    mean_gap = np.where(seen, gaps, 0.0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
    mean_gap[~seen.any(axis=1)] = np.nan
    if medians is None:
        mean_gap = running_median(mean_gap, settle_frames(pose.fps))
    else:
        window = settle_frames(pose.fps)
        mean_gap = medians("coincident", pose.time_s, _padded(mean_gap, window), window)
    with np.errstate(invalid="ignore"):
        return np.asarray(mean_gap < COINCIDENT_THIGH * thigh_px)


def settle_frames(fps: float) -> int:
    """Frames (odd, at least 3) of the running median over :data:`SETTLE_S` at ``fps``."""
    return max(3, int(round(SETTLE_S * fps)) | 1)


def running_median(values: FloatArray, window: int) -> FloatArray:
    """Centred running median of ``(F,)`` over ``window`` frames (odd), ignoring NaN (NaN only
    where the whole window is)."""
    return window_nanmedian(sliding_window_view(_padded(values, window), window))


def _padded(values: FloatArray, window: int) -> FloatArray:
    """``(F + window - 1,)``: ``(F,)`` ``values`` with NaN for the centred windows beyond the
    ends."""
    half = window // 2
    return np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])


def leg_view(
    pose: PoseSequence,
    thigh_px: float,
    horizon: int | None = None,
    medians: WindowMedians | None = None,
) -> LegView:
    """Find where a leg was drawn on the other without being there (see the module).

    ``horizon``: for a recording still coming in, the first frame whose coincidence is not
    final yet (the frames after the last one change it); the result's ``open_from`` then says
    from which frame on the verdicts may still change (:func:`open_from`). ``medians``: the
    running medians kept from the previous call (:func:`coincident_frames`).
    """
    together = coincident_frames(pose, thigh_px, medians)
    t = pose.time_s
    hip, knee, ankle = (pose.xy[:, [joint(s, p) for s in SIDES]] for p in ("hip", "knee", "ankle"))
    angles = interior_angle(hip, knee, ankle).T.copy()  # (2, F): both knees in one pass
    knees = dict(zip(SIDES, angles, strict=True))
    jumps = np.fmax(*_edge_steps(angles))  # the larger, NaN-aware
    unseen = {s: np.zeros(len(pose), dtype=bool) for s in SIDES}
    first_open = len(pose)
    for side, knee in knees.items():
        leg = _Leg(t, knee, np.isfinite(knee), np.isfinite(knee) & ~together)
        for a, b in runs(together):
            pieces = _pieces(jumps, a, b)
            for lo, hi in pieces:
                unseen[side][_unknown(t, lo, hi, _misplaced(leg, (a, b), (lo, hi)))] = True
            for (lo, cut), (_, hi) in pairwise(pieces):
                unseen[side][_jump_unknown(leg, lo, cut, hi)] = True
        if horizon is not None:
            first_open = min(first_open, open_from(leg, together, jumps, horizon))
    return LegView(together, unseen, first_open)


def open_from(leg: _Leg, together: BoolArray, jumps: FloatArray, horizon: int) -> int:
    """The first frame whose verdict for ``leg`` frames from ``horizon`` on may change
    (``horizon`` when none).

    A run of coincident frames is judged as a whole: while it goes on past ``horizon``, or its
    :data:`CONTEXT_S` after it does, the end of its last piece and the line joining its edges
    are not known. Then every piece after its first cut may change; a run not cut yet may
    still turn out drawn elsewhere within :data:`UNKNOWN_S` before its end (or before a
    jump still to come), and beyond :data:`UNKNOWN_S` after its start where it started
    drawn elsewhere.
    """
    t = leg.t
    for a, b in runs(together[: horizon + 1]):
        if a >= horizon or (b <= horizon and t[b - 1] + CONTEXT_S < t[horizon]):
            continue
        pieces = _pieces(jumps, a, min(b, horizon))
        if len(pieces) > 1:
            return pieces[1][0]
        lead = max(a, int(np.searchsorted(t, t[horizon] - UNKNOWN_S - CONTEXT_S)))
        before = _edge(leg, leg.usable, t[a], -1, outside=True)
        if _differ(before, _edge(leg, leg.finite, t[a], +1, outside=False)):
            lead = min(lead, _follow_on(t, a, horizon).stop)
        return lead
    return horizon


@dataclass(frozen=True)
class _Leg:
    """One leg's knee angle ``(F,)`` (deg) on times ``t``, where it is known (``finite``) and
    where it is known outside the coincident runs (``usable``)."""

    t: FloatArray
    knee: FloatArray
    finite: BoolArray
    usable: BoolArray


def _edge_steps(knee: FloatArray) -> FloatArray:
    """``(..., F)`` at each frame, how far the median knee angle of the :data:`EDGE_FRAMES`
    frames from it on lies from that of the frames before it, degrees (NaN where either is
    empty), for knee angles ``(..., F)`` (e.g. both legs at once)."""
    n = knee.shape[-1]
    pad = np.full((*knee.shape[:-1], EDGE_FRAMES), np.nan)
    padded = np.concatenate([pad, knee, pad], axis=-1)
    medians = window_nanmedian(sliding_window_view(padded, EDGE_FRAMES, axis=-1))  # NaN: empty
    return np.asarray(np.abs(medians[..., EDGE_FRAMES : EDGE_FRAMES + n] - medians[..., :n]))


def _jump_unknown(leg: _Leg, lo: int, cut: int, hi: int) -> slice:
    """Where a leg is not known around a jump of its knee angle at ``cut`` between two pieces
    ``[lo, cut)`` and ``[cut, hi)`` of a coincident run (no frames when it does not jump).

    A knee does not jump; it was drawn on the other leg on one side of the jump, the side where
    it reads lower: a hidden leg is drawn on the resting one (the extension it made unseen ends
    in the jump up, the return it made unseen begins at the jump down).
    """
    before = _edge(leg, leg.finite, leg.t[cut], -1, outside=True)
    after = _edge(leg, leg.finite, leg.t[cut], +1, outside=False)
    if not _differ(before, after):
        return slice(cut, cut)
    assert before is not None and after is not None
    return _lead_up(leg.t, lo, cut) if before < after else _follow_on(leg.t, cut, hi)


def _unknown(t: FloatArray, lo: int, hi: int, bad: tuple[bool, bool]) -> slice:
    """The frames of a piece ``[lo, hi)`` where the leg is not known, from which of its ends
    (start, end) disagree with the leg's own frames around.

    Both ends: the whole piece. One end of a piece longer than :data:`UNKNOWN_S`: the leg was
    where it is drawn at the other end (it agrees there) and went elsewhere unseen at some
    moment before the jump, most likely shortly before; the :data:`UNKNOWN_S` next to the
    disagreeing end are not known.
    """
    start_bad, end_bad = bad
    if start_bad == end_bad:
        return slice(lo, hi) if start_bad else slice(lo, lo)
    return _lead_up(t, lo, hi, hi - 1) if end_bad else _follow_on(t, lo, hi)


def _lead_up(t: FloatArray, lo: int, stop: int, at: int | None = None) -> slice:
    """The frames of ``[lo, stop)`` within :data:`UNKNOWN_S` before frame ``at`` (``stop``)."""
    edge = t[stop if at is None else at]
    return slice(max(lo, int(np.searchsorted(t, edge - UNKNOWN_S))), stop)


def _follow_on(t: FloatArray, start: int, hi: int) -> slice:
    """The frames of ``[start, hi)`` within :data:`UNKNOWN_S` after frame ``start``."""
    return slice(start, min(hi, int(np.searchsorted(t, t[start] + UNKNOWN_S, side="right"))))


def remove_legs(xy: FloatArray, frames: dict[str, BoolArray]) -> FloatArray:
    """A copy of ``xy`` ``(F, 33, 2)`` with each leg's lower landmarks NaN on its frames."""
    out = xy.copy()
    for side, mask in frames.items():
        rows = np.flatnonzero(mask)
        for part in LOWER_LEG:
            out[rows, joint(side, part)] = np.nan
    return out


def runs(mask: BoolArray) -> list[tuple[int, int]]:
    """``[start, stop)`` index pairs of the True runs of ``(F,)`` ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _pieces(jumps: FloatArray, a: int, b: int) -> list[tuple[int, int]]:
    """``[a, b)`` split where either knee angle jumps by over :data:`DISAGREE_DEG` between the
    :data:`EDGE_FRAMES` frames before and after a frame (``jumps``: :func:`_edge_steps`, the
    larger of both legs), cuts at least :data:`EDGE_FRAMES` apart."""
    cuts = [a]
    for i in np.flatnonzero(jumps[a + EDGE_FRAMES : b - EDGE_FRAMES + 1] > DISAGREE_DEG).tolist():
        if a + EDGE_FRAMES + i - cuts[-1] >= EDGE_FRAMES:
            cuts.append(a + EDGE_FRAMES + i)
    return list(zip(cuts, [*cuts[1:], b], strict=True))


def _misplaced(leg: _Leg, run: tuple[int, int], piece: tuple[int, int]) -> tuple[bool, bool]:
    """Whether the leg's knee angle on ``piece`` (inside the coincident ``run``) departs by over
    :data:`DISAGREE_DEG` from the leg's own angle outside the run, at the piece's start and at
    its end: at the run's edges against the frames just outside; a piece inside the run
    against the line joining them (both ends then count alike)."""
    (a, b), (lo, hi) = run, piece
    t, knee = leg.t, leg.knee
    before = _edge(leg, leg.usable, t[a], -1, outside=True)
    after = _edge(leg, leg.usable, t[b - 1], +1, outside=True)
    if lo != a and hi != b:
        inside = knee[lo:hi][leg.finite[lo:hi]]
        value = float(np.median(inside)) if inside.size else None
        mid = float(t[(lo + hi - 1) // 2])
        bad = _differ(_line(before, after, t[a], t[b - 1], mid), value)
        return bad, bad
    start_bad = lo == a and _differ(before, _edge(leg, leg.finite, t[lo], +1, outside=False))
    end_bad = hi == b and _differ(after, _edge(leg, leg.finite, t[hi - 1], -1, outside=False))
    return start_bad, end_bad


def _differ(x: float | None, y: float | None) -> bool:
    return x is not None and y is not None and abs(x - y) > DISAGREE_DEG


def _line(
    before: float | None, after: float | None, t0: float, t1: float, at_s: float
) -> float | None:
    """The straight line from ``before`` at ``t0`` to ``after`` at ``t1``, at ``at_s`` (the
    known one if only one is)."""
    if before is None or after is None:
        return before if after is None else after
    return float(np.interp(at_s, [t0, t1], [before, after]))


def _edge(
    leg: _Leg, pick: BoolArray, edge_s: float, direction: int, *, outside: bool
) -> float | None:
    """Median knee angle of the :data:`EDGE_FRAMES` frames of ``pick`` nearest ``edge_s`` on
    one side (``direction`` -1: before, +1: after; with ``outside`` False the edge frame counts),
    searched up to :data:`CONTEXT_S` away; ``None`` when there are none."""
    t = leg.t
    if direction < 0:
        lo = int(np.searchsorted(t, edge_s - CONTEXT_S))
        hi = int(np.searchsorted(t, edge_s, side="left" if outside else "right"))
        idx = lo + np.flatnonzero(pick[lo:hi])[-EDGE_FRAMES:]
    else:
        lo = int(np.searchsorted(t, edge_s, side="right" if outside else "left"))
        hi = int(np.searchsorted(t, edge_s + CONTEXT_S, side="right"))
        idx = lo + np.flatnonzero(pick[lo:hi])[:EDGE_FRAMES]
    return small_median(leg.knee[idx].tolist()) if idx.size else None


def small_median(values: list[float]) -> float:
    """``np.median`` of a few ``values`` (at least one), on floats: the middle value, or the
    mean of the two middle ones ((a + b) / 2, as numpy's mean of two); NaN if any is NaN."""
    if any(math.isnan(v) for v in values):
        return math.nan
    ordered = sorted(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2
