"""Correction of left/right label swaps of the pose estimator (SPEC section 1).

Filmed from the side, one leg is near the camera for the whole set. Two kinds of evidence say
whether a frame's labels are swapped:

* depth and visibility: the near side has the lower MediaPipe ``z`` and the higher visibility;
  a frame whose labels make the far side look near is probably swapped;
* continuity: a correctly labelled limb moves little from one frame to the next; labels that
  jump onto the other limb's previous position are probably swapped.

:class:`SwapCorrector` weighs both per frame, separately for the legs (with the hips) and for the
upper body, so it serves live coaching as it is; :func:`correct_swaps` runs it offline after
learning the near side from the whole recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from psoas_coach.pose.landmarks import INDEX, LANDMARK_NAMES, MIRROR
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence

LEG_PARTS = ("hip", "knee", "ankle", "heel", "foot_index")
_LEFT = [i for i, n in enumerate(LANDMARK_NAMES) if "left" in n]
_LEG_LEFT = [INDEX[f"left_{p}"] for p in LEG_PARTS]
_UPPER_LEFT = [i for i in _LEFT if i not in _LEG_LEFT]
#: Landmarks whose depth/visibility best tell the near side.
_CUE_LEFT = [INDEX[f"left_{p}"] for p in ("shoulder", "hip", "knee", "ankle")]
_MOVING_LEFT = [INDEX[f"left_{p}"] for p in ("knee", "ankle", "heel", "foot_index")]


def _right(indices: list[int]) -> list[int]:
    return [MIRROR[i] for i in indices]


def near_side_cue(z: FloatArray, visibility: FloatArray, z_scale: float) -> FloatArray:
    """Evidence that the *left* labels are on the near side, per frame (``(F,)``, unitless).

    Positive: left looks near; negative: right looks near; 0: no evidence. ``z`` and
    ``visibility`` are ``(F, 33)``; ``z_scale`` is a typical left/right depth difference.
    """
    dz = z[:, _right(_CUE_LEFT)] - z[:, _CUE_LEFT]
    dv = visibility[:, _CUE_LEFT] - visibility[:, _right(_CUE_LEFT)]
    z_term = np.clip(_row_mean(dz) / max(z_scale, 1e-6), -3, 3)
    v_term = np.clip(_row_mean(dv) / 0.1, -3, 3)
    return np.asarray(z_term + v_term, dtype=np.float64)


def _row_mean(values: FloatArray) -> FloatArray:
    """Mean of the finite values of each row, 0 for a row with none."""
    ok = np.isfinite(values)
    count = ok.sum(axis=1)
    total = np.where(ok, values, 0.0).sum(axis=1)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), 0.0), dtype=np.float64)


def depth_scale(z: FloatArray) -> float:
    """Typical absolute left/right depth difference of the cue landmarks (1 if unknown)."""
    dz = np.abs(z[:, _right(_CUE_LEFT)] - z[:, _CUE_LEFT])
    finite = dz[np.isfinite(dz)]
    return float(np.median(finite)) if finite.size and np.median(finite) > 0 else 1.0


@dataclass(frozen=True)
class SwapDecision:
    """One frame's verdict: whether the leg and upper-body labels were swapped."""

    legs: bool
    upper: bool


class SwapCorrector:
    """Per-frame swap correction.

    Args:
        near_side: ``"left"`` or ``"right"`` if known (offline: learnt from the whole recording),
            ``None`` to learn it on the go from the depth/visibility cue.
        z_scale: typical left/right depth difference (see :func:`depth_scale`).
        scale_px: a body length scale in pixels (the thigh) for the continuity evidence.
        max_gap_s: continuity evidence is trusted only within this time of the last frame.
    """

    def __init__(
        self,
        *,
        near_side: str | None = None,
        z_scale: float = 1.0,
        scale_px: float = 100.0,
        max_gap_s: float = 0.5,
    ) -> None:
        self._near = near_side
        self._z_scale = z_scale
        self._scale = scale_px
        self._max_gap = max_gap_s
        self._vote = 0.0
        self._prev_xy: FloatArray | None = None
        self._prev_t = -np.inf
        self.swapped_frames = 0

    def reset(self) -> None:
        """Forget the previous frame (the near side, once known, is kept)."""
        self._prev_xy = None
        self._prev_t = -np.inf

    def update(
        self,
        time_s: float,
        xy: FloatArray,
        z: FloatArray,
        vis: FloatArray,
        cue: float | None = None,
    ) -> SwapDecision:
        """Decide on one frame (``xy`` ``(33, 2)``, ``z`` and ``vis`` ``(33,)``).

        ``cue`` is this frame's :func:`near_side_cue` when already computed (offline, in bulk).
        """
        if np.isnan(xy[:, 0]).all():
            return SwapDecision(False, False)
        if cue is None:
            cue = float(near_side_cue(z[None], vis[None], self._z_scale)[0])
        near_sign = self._near_sign(cue)
        fresh = self._prev_xy is not None and time_s - self._prev_t <= self._max_gap
        legs = self._decide(xy, cue * near_sign, _MOVING_LEFT, fresh)
        upper = self._decide(xy, cue * near_sign, _UPPER_LEFT, fresh)
        fixed = xy.copy()
        for group, swap in ((_LEG_LEFT, legs), (_UPPER_LEFT, upper)):
            if swap:
                fixed[group], fixed[_right(group)] = xy[_right(group)], xy[group]
        self._prev_xy, self._prev_t = fixed, time_s
        self.swapped_frames += int(legs or upper)
        return SwapDecision(legs, upper)

    def _near_sign(self, cue: float) -> float:
        if self._near is None:
            self._vote += np.sign(cue)
            return 1.0 if self._vote >= 0 else -1.0
        return 1.0 if self._near == "left" else -1.0

    def _decide(self, xy: FloatArray, cue_ok: float, group: list[int], fresh: bool) -> bool:
        """Swap when the cue (consistent > 0) and continuity together favour the swap."""
        continuity = 0.0
        if fresh and self._prev_xy is not None:
            continuity = float(
                continuity_evidence(xy[None], self._prev_xy[None], group, self._scale)[0]
            )
        return -cue_ok + continuity > 0


def continuity_evidence(
    xy: FloatArray, prev_xy: FloatArray, group: list[int], scale_px: float
) -> FloatArray:
    """Evidence from motion that ``xy``'s labels of ``group`` are swapped against ``prev_xy``.

    ``xy`` and ``prev_xy`` are ``(F, 33, 2)``; ``group`` lists left-side landmark indices. The
    result ``(F,)`` is positive when the labels sit nearer the other side's previous positions,
    in units of a quarter ``scale_px``, clipped to ±6; 0 where positions are missing.
    """
    right = _right(group)
    same = _distance(xy[:, group], prev_xy[:, group]) + _distance(xy[:, right], prev_xy[:, right])
    cross = _distance(xy[:, group], prev_xy[:, right]) + _distance(xy[:, right], prev_xy[:, group])
    value = np.clip((same - cross) / (0.25 * scale_px), -6, 6)
    return np.asarray(np.nan_to_num(value, nan=0.0), dtype=np.float64)


def _distance(a: FloatArray, b: FloatArray) -> FloatArray:
    """``(F,)`` sum of point distances of ``(F, N, 2)`` arrays over the points present in both."""
    d = np.linalg.norm(a - b, axis=-1)
    total = np.nansum(d, axis=1)
    return np.asarray(np.where(np.isnan(d).all(axis=1), np.nan, total), dtype=np.float64)


def correct_swaps(
    pose: PoseSequence, scale_px: float, *, max_gap_s: float = 0.5
) -> tuple[PoseSequence, BoolArray]:
    """Offline swap correction: learn the near side from the whole recording, then fix frames.

    Makes the same decisions as feeding every frame to :class:`SwapCorrector` with the learnt
    near side, with the evidence computed in bulk. Returns the corrected sequence and a ``(F,)``
    mask of frames where any labels were swapped.
    """
    z_scale = depth_scale(pose.z)
    cue = near_side_cue(pose.z, pose.visibility, z_scale)
    detected = np.flatnonzero(pose.detected)
    near_sign = 1.0 if np.sum(np.sign(cue[detected])) >= 0 else -1.0
    masks = []
    for group in (_MOVING_LEFT, _UPPER_LEFT):
        masks.append(_chain(pose, detected, cue * near_sign, group, scale_px, max_gap_s))
    legs, upper = masks
    return _apply(pose, legs, upper), legs | upper


def _chain(
    pose: PoseSequence,
    detected: npt.NDArray[np.intp],
    cue_ok: FloatArray,
    group: list[int],
    scale_px: float,
    max_gap_s: float,
) -> BoolArray:
    """Decisions of one landmark group along the detected frames (a two-state recursion)."""
    swapped = np.zeros(len(pose), dtype=bool)
    if detected.size == 0:
        return swapped
    xy = pose.xy[detected]
    cont = np.zeros(detected.size)
    cont[1:] = continuity_evidence(xy[1:], xy[:-1], group, scale_px)
    fresh = np.zeros(detected.size, dtype=bool)
    fresh[1:] = np.diff(pose.time_s[detected]) <= max_gap_s
    cont = np.where(fresh, cont, 0.0).tolist()
    base = (-cue_ok[detected]).tolist()
    prev = False
    for k in range(detected.size):
        # Against a swapped previous frame, raw continuity evidence points the other way.
        prev = base[k] + (-cont[k] if prev else cont[k]) > 0
        swapped[detected[k]] = prev
    return swapped


def _apply(pose: PoseSequence, legs: BoolArray, upper: BoolArray) -> PoseSequence:
    xy, z, vis = pose.xy.copy(), pose.z.copy(), pose.visibility.copy()
    for group, mask in ((_LEG_LEFT, legs), (_UPPER_LEFT, upper)):
        rows = np.flatnonzero(mask)[:, None]
        for arr in (xy, z, vis):
            arr[rows, group], arr[rows, _right(group)] = arr[rows, _right(group)], arr[rows, group]
    return PoseSequence(
        pose.time_s, xy, z, vis, width=pose.width, height=pose.height, source=pose.source
    )
