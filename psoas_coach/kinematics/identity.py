"""Leg identity: which labelled leg is the athlete's left, which the right (docs/definitions.md 1).

Filmed from the side, a supine athlete shows one side to the camera for the whole set, and the
pose estimator now and then exchanges the left and right labels, for a few frames or for
seconds. Three kinds of physical evidence say which labels are right:

* **depth and visibility** (per frame): the near side has the lower MediaPipe ``z`` and the
  higher visibility, so labels that make the far side look near are probably exchanged;
* **continuity** (between frames): a limb moves little from one frame to the next, so labels
  that jump onto the other limb's previous position mark the moment the estimator exchanged
  them; labels that stay put while the legs are apart mark that nothing was exchanged;
* **the head's place in the picture** (over the clip): lying on the back with the head to the
  right of the picture, the athlete shows the left side to the camera (head left: the right
  side). It is a prior for the near side; the estimator's own depth and visibility, when clear,
  decide.

:class:`IdentityModel` turns these into a two-state chain per label group ("labels as given" /
"labels exchanged"; the legs with the hips, and the upper body): depth and visibility score each
frame's state in nats per second of evidence, a change of state costs
:attr:`IdentityModel.switch_cost` nats unless the continuity evidence of that frame pays for it.
Offline, :func:`decode_identity` decides over the whole clip (Viterbi path, with forward-backward
posteriors as the confidence), so a short burst of confusing frames cannot relabel a repetition
whose evidence is consistent. Live, :class:`IdentityFilter` runs the same model forward, one
frame at a time: its verdict on the latest frame is the more probable state given the frames so
far, and it also keeps the Viterbi recursion, whose verdict on a frame is final once the best
paths into both states of the latest frame agree on it (then no later frame can change it, and
it is the whole clip's verdict).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from psoas_coach.pose.landmarks import INDEX, LANDMARK_NAMES, MIRROR, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence

#: Landmarks of the leg group (with the hips) and the upper-body group, left side.
LEG_PARTS = ("hip", "knee", "ankle", "heel", "foot_index")
LEG_LEFT = [INDEX[f"left_{p}"] for p in LEG_PARTS]
UPPER_LEFT = [i for i, n in enumerate(LANDMARK_NAMES) if "left" in n and i not in LEG_LEFT]
#: Whose depth and visibility tell the near side, and whose motion tells an exchange, per group.
_CUE = {
    "legs": [INDEX[f"left_{p}"] for p in ("hip", "knee", "ankle")],
    "upper": [INDEX[f"left_{p}"] for p in ("shoulder", "elbow", "wrist", "ear")],
}
_MOVING = {
    "legs": [INDEX[f"left_{p}"] for p in ("knee", "ankle", "heel", "foot_index")],
    "upper": [INDEX[f"left_{p}"] for p in ("elbow", "wrist", "pinky", "index", "thumb")],
}
GROUPS: dict[str, list[int]] = {"legs": LEG_LEFT, "upper": UPPER_LEFT}
_HEAD = [INDEX[n] for n in ("nose", "left_ear", "right_ear", "left_eye", "right_eye")]
#: Largest magnitude of one frame's depth or visibility term (units of a typical difference).
CUE_CLIP = 3.0
#: Visibility difference that counts as one unit of evidence.
VISIBILITY_UNIT = 0.1
#: Largest magnitude of one frame's continuity evidence (quarter thigh lengths).
JUMP_CLIP = 6.0
#: Longest frame interval (s) whose evidence counts in full (longer ones are capped to it).
MAX_DT_S = 0.1


def mirror(indices: list[int]) -> list[int]:
    """The right-side landmark indices of left-side ``indices``."""
    return [MIRROR[i] for i in indices]


def _row_mean(values: FloatArray) -> FloatArray:
    """Mean of the finite values of each row, 0 for a row with none."""
    ok = np.isfinite(values)
    count = ok.sum(axis=1)
    total = np.where(ok, values, 0.0).sum(axis=1)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), 0.0), dtype=np.float64)


#: The cue landmarks of both groups, left and mirrored (index arrays: every live frame asks).
_DEPTH_LEFT = np.array(_CUE["legs"] + _CUE["upper"])
_DEPTH_RIGHT = np.array(mirror(_CUE["legs"] + _CUE["upper"]))


#: The mirrored (right) landmarks of ``_CUE`` and ``_MOVING`` per group.
_CUE_RIGHT = {g: mirror(left) for g, left in _CUE.items()}
_MOVING_RIGHT = {g: mirror(left) for g, left in _MOVING.items()}


def depth_differences(z: FloatArray) -> FloatArray:
    """``(F, K)`` absolute left/right depth differences of the cue landmarks of both groups,
    ``z`` ``(F, 33)`` MediaPipe depth (any unit; the project stores it in pixels)."""
    return np.asarray(np.abs(z[:, _DEPTH_RIGHT] - z[:, _DEPTH_LEFT]), dtype=np.float64)


def depth_scale(z: FloatArray) -> float:
    """Typical absolute left/right depth difference of the cue landmarks (1 if unknown): the
    median of :func:`depth_differences`."""
    dz = depth_differences(z)
    finite = dz[np.isfinite(dz)]
    scale = float(np.median(finite)) if finite.size else 0.0
    return scale if scale > 0 else 1.0


def near_side_cue(
    z: FloatArray, visibility: FloatArray, z_scale: float, group: str = "legs"
) -> FloatArray:
    """Evidence that ``group``'s *left* labels are on the near side, per frame (``(F,)``).

    Positive: left looks near; negative: right looks near; 0: no evidence. ``z`` and
    ``visibility`` are ``(F, 33)``; ``z_scale`` is a typical left/right depth difference. Each
    of the depth and the visibility terms is clipped to ±:data:`CUE_CLIP`.
    """
    left = _CUE[group]
    dz = z[:, mirror(left)] - z[:, left]
    dv = visibility[:, left] - visibility[:, mirror(left)]
    z_term = np.clip(_row_mean(dz) / max(z_scale, 1e-6), -CUE_CLIP, CUE_CLIP)
    v_term = np.clip(_row_mean(dv) / VISIBILITY_UNIT, -CUE_CLIP, CUE_CLIP)
    return np.asarray(z_term + v_term, dtype=np.float64)


def continuity_evidence(
    xy: FloatArray, prev_xy: FloatArray, group: str, scale_px: float
) -> FloatArray:
    """Evidence from motion that ``group``'s labels were exchanged since ``prev_xy``.

    ``xy`` and ``prev_xy`` are ``(F, 33, 2)`` pixels. The result ``(F,)`` is positive when the
    labels sit nearer the other side's previous positions than their own, in units of a quarter
    ``scale_px`` (a thigh), clipped to ±:data:`JUMP_CLIP`; 0 where positions are missing.
    """
    left = _MOVING[group]
    right = mirror(left)
    same = _distance(xy[:, left], prev_xy[:, left]) + _distance(xy[:, right], prev_xy[:, right])
    cross = _distance(xy[:, left], prev_xy[:, right]) + _distance(xy[:, right], prev_xy[:, left])
    value = np.clip((same - cross) / (0.25 * scale_px), -JUMP_CLIP, JUMP_CLIP)
    return np.asarray(np.nan_to_num(value, nan=0.0), dtype=np.float64)


def _distance(a: FloatArray, b: FloatArray) -> FloatArray:
    """``(F,)`` sum of point distances of ``(F, N, 2)`` arrays over the points present in both."""
    d = np.linalg.norm(a - b, axis=-1)
    total = np.nansum(d, axis=1)
    return np.asarray(np.where(np.isnan(d).all(axis=1), np.nan, total), dtype=np.float64)


def head_near_side(xy: FloatArray) -> tuple[str | None, float]:
    """The near side implied by where the head lies, and the share of frames agreeing.

    ``xy`` is ``(F, 33, 2)`` pixels. Supine, head to the right of the picture: the left side
    faces the camera (a camera that does not mirror the picture). ``None`` when the body does
    not lie across the picture or no head is seen.
    """
    pts = xy[:, _HEAD]
    seen = np.isfinite(pts)
    head = np.where(seen, pts, 0.0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
    head[~seen.any(axis=1)] = np.nan
    hips = (xy[:, joint("left", "hip")] + xy[:, joint("right", "hip")]) / 2
    along = head - hips
    ok = np.isfinite(along).all(axis=1)
    if not ok.any():
        return None, 0.0
    v = along[ok]
    lying = np.abs(v[:, 0]) > np.abs(v[:, 1])
    if lying.mean() < 0.5:
        return None, 0.0
    right = float(np.mean(v[lying, 0] > 0))
    return ("left" if right >= 0.5 else "right"), max(right, 1.0 - right)


def _finite_mean(values: list[float]) -> float:
    """Mean of the finite ``values``, 0 with none: :func:`_row_mean` of one row, summed in
    the same order from 0.0 (numpy sums fewer than 8 values one after the other)."""
    total, count = 0.0, 0
    for v in values:
        if math.isfinite(v):
            total += v
            count += 1
        else:
            total += 0.0
    return total / count if count else 0.0


def _clip(value: float, limit: float) -> float:
    """``value`` clipped to ±``limit`` (NaN stays NaN, as ``np.clip``)."""
    return value if math.isnan(value) else min(max(value, -limit), limit)


def frame_cue(z: list[float], visibility: list[float], z_scale: float, group: str) -> float:
    """:func:`near_side_cue` of one frame, in float arithmetic: ``z`` and ``visibility`` are
    the frame's 33 values as lists (``ndarray.tolist()``); the same value, bit for bit."""
    left, right = _CUE[group], _CUE_RIGHT[group]
    dz = _finite_mean([z[r] - z[k] for k, r in zip(left, right, strict=True)])
    dv = _finite_mean([visibility[k] - visibility[r] for k, r in zip(left, right, strict=True)])
    z_term = _clip(dz / max(z_scale, 1e-6), CUE_CLIP)
    v_term = _clip(dv / VISIBILITY_UNIT, CUE_CLIP)
    return z_term + v_term


def _frame_distance(
    a: list[list[float]], b: list[list[float]], ia: list[int], ib: list[int]
) -> float:
    """:func:`_distance` of one frame: the summed distances of points ``a[ia[k]]`` and
    ``b[ib[k]]`` present in both (NaN if none), in the same order of operations."""
    total, present = 0.0, False  # (nansum's zero for a missing one leaves total as it is)
    for i, j in zip(ia, ib, strict=True):
        p, q = a[i], b[j]
        dx = p[0] - q[0]
        dy = p[1] - q[1]
        d = math.sqrt(dx * dx + dy * dy)
        if not math.isnan(d):
            total += d
            present = True
    return total if present else math.nan


def frame_continuity(
    xy: list[list[float]], prev_xy: list[list[float]], group: str, scale_px: float
) -> float:
    """:func:`continuity_evidence` of one frame, in float arithmetic: ``xy`` and ``prev_xy``
    are ``(33, 2)`` pixels as nested lists; the same value, bit for bit."""
    left, right = _MOVING[group], _MOVING_RIGHT[group]
    same = _frame_distance(xy, prev_xy, left, left) + _frame_distance(xy, prev_xy, right, right)
    cross = _frame_distance(xy, prev_xy, left, right) + _frame_distance(xy, prev_xy, right, left)
    value = _clip((same - cross) / (0.25 * scale_px), JUMP_CLIP)
    return 0.0 if math.isnan(value) else value


def frame_head_side(xy: list[list[float]]) -> str | None:
    """The side :func:`head_near_side` gives for one frame (``(33, 2)`` pixels as nested
    lists), in float arithmetic: ``None`` when no head or hip is seen or the body does not lie
    across the picture."""
    along = []
    left_hip, right_hip = xy[joint("left", "hip")], xy[joint("right", "hip")]
    for c in (0, 1):
        total, count = 0.0, 0
        for i in _HEAD:
            v = xy[i][c]
            if math.isfinite(v):
                total += v
                count += 1
            else:
                total += 0.0
        head = total / count if count else math.nan
        along.append(head - (left_hip[c] + right_hip[c]) / 2)
    if not (math.isfinite(along[0]) and math.isfinite(along[1])):
        return None
    if not abs(along[0]) > abs(along[1]):
        return None
    return "left" if along[0] > 0 else "right"


@dataclass(frozen=True)
class IdentityModel:
    """The chain's weights, in nats (natural-log units of evidence).

    Attributes:
        evidence_per_s: nats per second of one unit of :func:`near_side_cue` (evidence counts
            per second, not per frame, so the frame rate does not change the decisions).
        given_per_s: nats per second in favour of the labels as given (the estimator is right
            most of the time; with no evidence either way, nothing is exchanged).
        switch_cost: nats for the labels to change between two consecutive frames.
        jump_weight: nats per unit of :func:`continuity_evidence`.
        gap_switch_cost: the cost of a change across a gap longer than ``max_gap_s``.
        head_prior: nats for the near side implied by the head's place in the picture.
        max_gap_s: frames farther apart than this give no continuity evidence.
    """

    evidence_per_s: float = 4.0
    given_per_s: float = 0.5
    switch_cost: float = 4.0
    jump_weight: float = 1.0
    gap_switch_cost: float = 1.0
    head_prior: float = 3.0
    max_gap_s: float = 0.5

    def emission(self, cue: FloatArray, near_sign: float, dt: FloatArray) -> FloatArray:
        """``(F, 2)`` log-scores of "as given" and "exchanged" for per-frame cues ``(F,)``."""
        e = near_sign * np.asarray(cue) * self.evidence_per_s * dt
        return np.stack([e / 2, -e / 2 - self.given_per_s * dt], axis=1)

    def frame_emission(self, cue: float, near_sign: float, dt: float) -> tuple[float, float]:
        """:meth:`emission` of one frame (``cue`` unitless, ``dt`` seconds), in floats."""
        e = near_sign * cue * self.evidence_per_s * dt
        return (e / 2, -e / 2 - self.given_per_s * dt)

    def frame_switch(self, jump: float, fresh: bool) -> float:
        """:meth:`switch` of one frame, in floats."""
        return -self.switch_cost + self.jump_weight * jump if fresh else -self.gap_switch_cost

    def switch(self, jump: FloatArray, fresh: BoolArray) -> FloatArray:
        """``(F,)`` log-score of a change of state into each frame (against staying: 0)."""
        toggle = -self.switch_cost + self.jump_weight * np.asarray(jump)
        return np.asarray(np.where(fresh, toggle, -self.gap_switch_cost), dtype=np.float64)


@dataclass(frozen=True)
class Identity:
    """The leg identity decided for a clip.

    Attributes:
        near_side: the athlete's side facing the camera, ``"left"`` or ``"right"``.
        near_confidence: probability in [0.5, 1] that ``near_side`` is right.
        exchanged: per group (``"legs"``, ``"upper"``) ``(F,)`` True where the labels as given
            are exchanged.
        confidence: ``(F,)`` probability in [0, 1] that the legs' labels of each frame, once
            decided, are the athlete's own (1 where nobody is found).
        warnings: what a coach should know (e.g. the head and the depth disagree).
    """

    near_side: str
    near_confidence: float
    exchanged: dict[str, BoolArray]
    confidence: FloatArray
    warnings: list[str] = field(default_factory=list)

    @property
    def any_exchanged(self) -> BoolArray:
        """``(F,)`` frames where any group's labels were exchanged."""
        return np.asarray(self.exchanged["legs"] | self.exchanged["upper"])


def frame_steps(time_s: FloatArray) -> FloatArray:
    """``(F,)`` seconds each frame stands for: the interval to the previous frame, capped at
    :data:`MAX_DT_S` (the first frame gets the second's)."""
    if time_s.size < 2:
        return np.full(time_s.size, 1.0 / 30.0)
    dt = np.diff(time_s, prepend=time_s[0] - (time_s[1] - time_s[0]))
    return np.asarray(np.clip(dt, 1e-3, MAX_DT_S), dtype=np.float64)


def decide_near_side(
    pose: PoseSequence, cues: dict[str, FloatArray], model: IdentityModel
) -> tuple[str, float, list[str]]:
    """The near side over the whole clip, its probability and any warning.

    The per-frame cues of both groups vote with their evidence (nats), the head's place in the
    picture adds :attr:`IdentityModel.head_prior`.
    """
    dt = frame_steps(pose.time_s)
    clipped = sum(np.clip(c, -2 * CUE_CLIP, 2 * CUE_CLIP) for c in cues.values())
    depth_llr = float(np.sum(clipped * dt)) * model.evidence_per_s / 2
    head, share = head_near_side(pose.xy)
    head_llr = 0.0 if head is None else (1.0 if head == "left" else -1.0) * model.head_prior
    head_llr *= max(0.0, 2.0 * share - 1.0)
    total = depth_llr + head_llr
    near = "left" if total >= 0 else "right"
    warnings = []
    if (
        head is not None
        and abs(depth_llr) > 4 * model.head_prior
        and (depth_llr > 0) != (head == "left")
    ):
        depth_near = "left" if depth_llr > 0 else "right"
        warnings.append(
            f"the pose estimator sees the {depth_near} side facing the camera, but lying on "
            f"the back with the head on this side of the picture the athlete shows the {head} "
            "side: if the athlete was on the back, check left and right in this report"
        )
    return near, _sigmoid(abs(total)), warnings


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(x, 50.0)))


def decode_identity(
    pose: PoseSequence, scale_px: float, model: IdentityModel | None = None
) -> Identity:
    """Decide the leg identity of a whole clip (see the module docstring).

    ``scale_px`` is the thigh length in pixels (the unit of the continuity evidence).
    """
    model = model or IdentityModel()
    z_scale = depth_scale(pose.z)
    cues = {g: near_side_cue(pose.z, pose.visibility, z_scale, g) for g in GROUPS}
    near, near_conf, warnings = decide_near_side(pose, cues, model)
    sign = 1.0 if near == "left" else -1.0
    detected = np.flatnonzero(pose.detected)
    exchanged = {g: np.zeros(len(pose), dtype=bool) for g in GROUPS}
    confidence = np.ones(len(pose))
    if detected.size:
        t = pose.time_s[detected]
        dt = frame_steps(t)
        fresh = np.zeros(detected.size, dtype=bool)
        fresh[1:] = np.diff(t) <= model.max_gap_s
        xy = pose.xy[detected]
        for group in GROUPS:
            jump = np.zeros(detected.size)
            jump[1:] = continuity_evidence(xy[1:], xy[:-1], group, scale_px)
            emit = model.emission(cues[group][detected], sign, dt)
            path, posterior = _decode_chain(emit, model.switch(jump, fresh))
            exchanged[group][detected] = path
            if group == "legs":
                confidence[detected] = posterior * near_conf
    return Identity(near, near_conf, exchanged, confidence, warnings)


def _decode_chain(emit: FloatArray, switch: FloatArray) -> tuple[BoolArray, FloatArray]:
    """Viterbi path of a two-state chain and the posterior probability of that path's state.

    ``emit`` ``(N, 2)`` are per-frame log-scores of the states, ``switch`` ``(N,)`` the
    log-score of changing state into each frame (staying scores 0).
    """
    n = emit.shape[0]
    e0, e1 = emit[:, 0].tolist(), emit[:, 1].tolist()
    sw = switch.tolist()
    # Viterbi with back-pointers (True: came from the other state).
    v0, v1 = e0[0], e1[0]
    back0, back1 = [False] * n, [False] * n
    for k in range(1, n):
        s = sw[k]
        from0, from1 = v0, v1 + s
        to1_0, to1_1 = v0 + s, v1
        back0[k] = from1 > from0
        back1[k] = to1_0 > to1_1
        v0 = max(from0, from1) + e0[k]
        v1 = max(to1_0, to1_1) + e1[k]
    path = [False] * n
    state = v1 > v0
    for k in range(n - 1, 0, -1):
        path[k] = state
        # The state at k - 1: the other one when the best way into ``state`` was a change.
        state = not back1[k] if state else back0[k]
    path[0] = state
    a0, a1 = _forward(e0, e1, sw)
    b0, b1 = _backward(e0, e1, sw)
    p1 = 1.0 / (1.0 + np.exp(np.clip((np.array(a0) + b0) - (np.array(a1) + b1), -50, 50)))
    states = np.array(path, dtype=bool)
    return states, np.asarray(np.where(states, p1, 1.0 - p1), dtype=np.float64)


def _logaddexp(a: float, b: float) -> float:
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _forward(e0: list[float], e1: list[float], sw: list[float]) -> tuple[list[float], list[float]]:
    """Log forward messages of the two states (normalised each step)."""
    a0, a1 = [e0[0]], [e1[0]]
    for k in range(1, len(e0)):
        p0, p1 = a0[-1], a1[-1]
        n0 = _logaddexp(p0, p1 + sw[k]) + e0[k]
        n1 = _logaddexp(p0 + sw[k], p1) + e1[k]
        m = max(n0, n1)
        a0.append(n0 - m)
        a1.append(n1 - m)
    return a0, a1


def _backward(e0: list[float], e1: list[float], sw: list[float]) -> tuple[FloatArray, FloatArray]:
    """Log backward messages of the two states (normalised each step)."""
    n = len(e0)
    b0, b1 = [0.0] * n, [0.0] * n
    for k in range(n - 1, 0, -1):
        s0, s1 = b0[k] + e0[k], b1[k] + e1[k]
        n0 = _logaddexp(s0, s1 + sw[k])
        n1 = _logaddexp(s0 + sw[k], s1)
        m = max(n0, n1)
        b0[k - 1], b1[k - 1] = n0 - m, n1 - m
    return np.array(b0), np.array(b1)


def apply_identity(pose: PoseSequence, exchanged: dict[str, BoolArray]) -> PoseSequence:
    """A copy of ``pose`` with each group's labels exchanged on its ``(F,)`` frames."""
    xy, z, vis = pose.xy.copy(), pose.z.copy(), pose.visibility.copy()
    for group, left in GROUPS.items():
        rows = np.flatnonzero(exchanged[group])[:, None]
        right = mirror(left)
        for arr in (xy, z, vis):
            arr[rows, left], arr[rows, right] = arr[rows, right], arr[rows, left]
    return PoseSequence(
        pose.time_s, xy, z, vis, width=pose.width, height=pose.height, source=pose.source
    )


def exchange_frame(values: FloatArray, exchanged: dict[str, bool]) -> FloatArray:
    """A copy of one frame's ``(33, ...)`` values with the exchanged groups' labels swapped."""
    out = values.copy()
    for group, left in GROUPS.items():
        if exchanged.get(group, False):
            right = mirror(left)
            out[left], out[right] = values[right], values[left]
    return out


@dataclass(frozen=True)
class FrameIdentity:
    """One live frame's verdict: exchanged groups, and the confidence in the leg labels."""

    exchanged: dict[str, bool]
    confidence: float
    near_side: str


class SurvivorPaths:
    """Viterbi recursion of a two-state chain run one frame at a time (as
    :func:`_decode_chain`), releasing each frame's state once it is final: once the best paths
    into both states of the latest frame pass through the same state of a frame, that state is
    on the best path of the whole chain whatever frames come next.

    Args:
        max_pending: frames kept undecided at most; older ones are decided by the best path
            so far (which frames still to come could have changed).
    """

    def __init__(self, max_pending: int = 300) -> None:
        self.max_pending = max_pending
        self.reset()

    def reset(self) -> None:
        """Forget every frame."""
        self._score = (0.0, 0.0)
        self._back: deque[tuple[bool, bool]] = deque()

    @property
    def pending(self) -> int:
        """Frames added and not yet decided."""
        return len(self._back)

    def update(self, emit: tuple[float, float], switch: float) -> list[bool]:
        """Add a frame (``emit``: log-scores of the two states, ``switch``: log-score of a
        change of state into it); the states of the frames decided now, oldest first (True:
        the second state)."""
        v0, v1 = self._score
        from0, from1 = v0, v1 + switch
        to1_0, to1_1 = v0 + switch, v1
        self._back.append((from1 > from0, to1_0 > to1_1))
        self._score = (max(from0, from1) + emit[0], max(to1_0, to1_1) + emit[1])
        decided = self._merged()
        if decided >= 0:
            return self._release(decided + 1, False)
        if len(self._back) > self.max_pending:
            best = self._score[1] > self._score[0]
            return self._release(len(self._back) - self.max_pending, best)
        return []

    def finish(self) -> list[bool]:
        """The states of every frame not decided yet (the chain ends here), oldest first."""
        v0, v1 = self._score
        return self._release(len(self._back), v1 > v0)

    def _merged(self) -> int:
        """The latest pending frame where the best paths into both latest states meet (-1)."""
        a, b = False, True
        for k in range(len(self._back) - 1, 0, -1):
            back0, back1 = self._back[k]
            a = not back1 if a else back0
            b = not back1 if b else back0
            if a == b:
                return k - 1
        return -1

    def _release(self, count: int, state: bool) -> list[bool]:
        """Decide the ``count`` oldest frames: the states on the path back from ``state`` of
        the latest frame (any state, where the paths met there)."""
        path = [False] * len(self._back)
        for k in range(len(self._back) - 1, -1, -1):
            path[k] = state
            back0, back1 = self._back[k]
            state = not back1 if state else back0
        for _ in range(count):
            self._back.popleft()
        return path[:count]


class IdentityFilter:
    """The model of :func:`decode_identity` run causally, one frame at a time (live).

    The near side is learnt on the go from the evidence so far (with the head prior); each
    group's state follows the forward recursion of the same chain, and the decision is the
    state more probable given the frames so far. The same chain's Viterbi recursion
    (:class:`SurvivorPaths`) gives, some frames later, the verdicts no later frame can change
    (:meth:`settled`).

    Args:
        model: the chain's weights (as offline).
        scale_px: thigh length in pixels for the continuity evidence (updated by the caller
            through :meth:`set_scale` as it is learnt).
    """

    def __init__(
        self,
        model: IdentityModel | None = None,
        *,
        scale_px: float = 100.0,
        max_pending: int = 300,
    ) -> None:
        self.model = model or IdentityModel()
        self._scale = scale_px
        self._paths = {g: SurvivorPaths(max_pending) for g in GROUPS}
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new set starts."""
        self._alpha = {g: (0.0, 0.0) for g in GROUPS}
        for paths in self._paths.values():
            paths.reset()
        self._decided: dict[str, deque[bool]] = {g: deque() for g in GROUPS}
        self._chained: deque[bool] = deque()  # per frame given, oldest first: in the chain
        self._prev_xy: list[list[float]] | None = None  # the previous frame's (33, 2) pixels
        self._prev_t = -math.inf
        self._depth_llr = 0.0
        self._head_votes = [0, 0]
        self.frames = 0

    def set_scale(self, scale_px: float) -> None:
        """Use ``scale_px`` (thigh length, pixels) for the continuity evidence from now on."""
        if math.isfinite(scale_px) and scale_px > 0:
            self._scale = scale_px

    @property
    def near_side(self) -> str:
        """The near side as learnt so far."""
        return "left" if self._near_llr() >= 0 else "right"

    def _near_llr(self) -> float:
        left, right = self._head_votes
        total = left + right
        head = 0.0
        if total:
            share = max(left, right) / total
            head = (1.0 if left >= right else -1.0) * self.model.head_prior * (2 * share - 1)
        return self._depth_llr + head

    def update(
        self, time_s: float, xy: FloatArray, z: FloatArray, vis: FloatArray, z_scale: float
    ) -> FrameIdentity:
        """Decide on one frame (``xy`` ``(33, 2)`` pixels, ``z`` and ``vis`` ``(33,)``).

        ``z_scale`` is the typical left/right depth difference seen so far (see
        :func:`depth_scale`).
        """
        self._chained.append(not np.isnan(xy[:, 0]).all())
        if not self._chained[-1]:
            return FrameIdentity({g: False for g in GROUPS}, 1.0, self.near_side)
        dt = min(max(time_s - self._prev_t, 1e-3), MAX_DT_S)
        points, zs, vs = xy.tolist(), z.tolist(), vis.tolist()
        cues = {g: frame_cue(zs, vs, z_scale, g) for g in GROUPS}
        self._learn_near(points, cues, dt)
        sign = 1.0 if self.near_side == "left" else -1.0
        fresh = self._prev_xy is not None and time_s - self._prev_t <= self.model.max_gap_s
        decision: dict[str, bool] = {}
        posterior = 1.0
        for group in GROUPS:
            jump = 0.0
            if fresh and self._prev_xy is not None:
                jump = frame_continuity(points, self._prev_xy, group, self._scale)
            emit = self.model.frame_emission(cues[group], sign, dt)
            s = self.model.frame_switch(jump, fresh)
            decision[group], n1_n0 = self._forward_step(group, emit, s)
            self._decided[group].extend(self._paths[group].update(emit, s))
            if group == "legs":
                posterior = 1.0 / (1.0 + math.exp(-min(abs(n1_n0), 50.0)))
        self._prev_xy = points  # continuity compares raw labels, as offline
        self._prev_t = time_s
        self.frames += 1
        confidence = posterior * _sigmoid(abs(self._near_llr()))
        return FrameIdentity(decision, confidence, self.near_side)

    def _forward_step(self, group: str, emit: tuple[float, float], s: float) -> tuple[bool, float]:
        """One step of ``group``'s forward recursion (log-scores ``emit``, switch score
        ``s``): whether "exchanged" is now the more probable state, and the log-odds for it."""
        p0, p1 = self._alpha[group]
        n0 = _logaddexp(p0, p1 + s) + emit[0]
        n1 = _logaddexp(p0 + s, p1) + emit[1]
        m = max(n0, n1)
        self._alpha[group] = (n0 - m, n1 - m)
        return n1 > n0, n1 - n0

    def settled(self) -> list[dict[str, bool]]:
        """The final verdicts (exchanged groups, as the whole clip's Viterbi path has them) of
        the oldest frames given to :meth:`update` that have one now, in order; frames with
        nobody exchange nothing."""
        out: list[dict[str, bool]] = []
        while self._chained:
            if not self._chained[0]:
                out.append({g: False for g in GROUPS})
            elif all(self._decided[g] for g in GROUPS):
                out.append({g: self._decided[g].popleft() for g in GROUPS})
            else:
                break
            self._chained.popleft()
        return out

    def finish(self) -> list[dict[str, bool]]:
        """The verdicts of every frame still without one (the set ends): :meth:`settled`."""
        for group, paths in self._paths.items():
            self._decided[group].extend(paths.finish())
        return self.settled()

    def _learn_near(self, xy: list[list[float]], cues: dict[str, float], dt: float) -> None:
        clipped = sum(_clip(c, 2 * CUE_CLIP) for c in cues.values())
        self._depth_llr += clipped * dt * self.model.evidence_per_s / 2
        head = frame_head_side(xy)
        if head is not None:
            self._head_votes[0 if head == "left" else 1] += 1
