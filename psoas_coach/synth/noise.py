"""Realism on top of clean landmarks: frame timing, pixel noise, outliers, visibility, depth,
dropouts (frames with nobody found) and left/right label swaps, as a pose estimator produces them.

Arrays: ``xy`` ``(F, 33, 2)`` pixels, per-landmark arrays ``(F, 33)``, frame masks ``(F,)``.
"""

from __future__ import annotations

import numpy as np

from psoas_coach.pose.landmarks import LANDMARK_NAMES, MIRROR, NUM_LANDMARKS
from psoas_coach.pose.types import BoolArray, FloatArray

#: MediaPipe-like depth magnitude per body part (the near side negative, the far side positive).
_DEPTH: dict[str, float] = {
    "eye_inner": 0.021,
    "eye": 0.035,
    "eye_outer": 0.049,
    "ear": 0.07,
    "mouth": 0.021,
    "shoulder": 0.0977,
    "elbow": 0.1194,
    "wrist": 0.1194,
    "pinky": 0.1194,
    "index": 0.1194,
    "thumb": 0.1194,
    "hip": 0.0597,
    "knee": 0.0597,
    "ankle": 0.0597,
    "heel": 0.0597,
    "foot_index": 0.0597,
}
_EXTREMITIES = ("wrist", "pinky", "index", "thumb", "ankle", "heel", "foot_index")
_FAR_LEG = ("knee", "ankle", "heel", "foot_index")


def _side_of(name: str) -> str | None:
    for side in ("left", "right"):
        if name.startswith(f"{side}_") or name.endswith(f"_{side}"):
            return side
    return None


def _part_of(name: str) -> str:
    return (
        name.removeprefix("left_")
        .removeprefix("right_")
        .removesuffix("_left")
        .removesuffix("_right")
    )


def side_sign(near_side: str) -> FloatArray:
    """``(33,)``: -1 for the near side's landmarks, +1 for the far side's, 0 for the nose."""
    sides = [_side_of(n) for n in LANDMARK_NAMES]
    return np.array([0.0 if s is None else (-1.0 if s == near_side else 1.0) for s in sides])


def far_mask(near_side: str) -> BoolArray:
    """``(33,)`` True for the far side's landmarks."""
    return np.asarray(side_sign(near_side) > 0)


def frame_times(
    duration_s: float, fps: float, jitter: float, rng: np.random.Generator
) -> FloatArray:
    """``(F,)`` frame times in seconds from 0 to ``duration_s``; intervals vary by ``±jitter``."""
    n = int(np.ceil(duration_s * fps))
    steps = (1.0 + jitter * rng.uniform(-1.0, 1.0, n)) / fps
    t = np.concatenate([[0.0], np.cumsum(steps[:-1])])
    return np.asarray(t[t < duration_s], dtype=np.float64)


def noise_profile(near_side: str) -> FloatArray:
    """``(33,)`` multiplier of the pixel noise: far side x1.15, hands and feet x1.15, face x0.9."""
    far = far_mask(near_side)
    parts = [_part_of(n) for n in LANDMARK_NAMES]
    extremity = np.array([p in _EXTREMITIES for p in parts])
    face = np.array([p in ("nose", "eye_inner", "eye", "eye_outer", "ear", "mouth") for p in parts])
    scale = np.where(far, 1.15, 1.0) * np.where(extremity, 1.15, 1.0) * np.where(face, 0.9, 1.0)
    return np.asarray(scale, dtype=np.float64)


def runs_mask(
    time_s: FloatArray,
    per_min: float,
    max_s: float,
    rng: np.random.Generator,
    *,
    min_s: float = 0.0,
) -> BoolArray:
    """``(F,)`` mask of random runs: a Poisson count at ``per_min``, ``min_s`` (at least one
    frame) to ``max_s`` seconds long."""
    mask = np.zeros(time_s.shape, dtype=bool)
    if time_s.size < 2 or per_min <= 0:
        return mask
    span = float(time_s[-1] - time_s[0])
    period = span / (time_s.size - 1)
    for _ in range(int(rng.poisson(per_min * span / 60.0))):
        start = rng.uniform(time_s[0], time_s[-1])
        length = rng.uniform(max(0.5 * period, min_s), max(max_s, min_s, period))
        hit = (time_s >= start) & (time_s <= start + length)
        if not hit.any():
            hit[int(np.searchsorted(time_s, start)) - 1] = True
        mask |= hit
    return mask


def add_pixel_noise(
    xy: FloatArray, sigma_px: float, profile: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """``xy`` plus white Gaussian noise of ``sigma_px`` × ``profile`` (``(33,)`` or ``(F, 33)``)."""
    scale = sigma_px * np.broadcast_to(profile, xy.shape[:2])[..., None]
    return xy + rng.normal(0.0, 1.0, xy.shape) * scale


def add_outliers(
    xy: FloatArray, rate: float, jump_px: float, rng: np.random.Generator
) -> FloatArray:
    """Single landmarks jumping ``jump_px`` × U(0.4, 1.5) away for one to three frames.

    ``rate`` is the chance per landmark and frame that a jump starts.
    """
    out = xy.copy()
    n = xy.shape[0]
    frames, marks = np.nonzero(rng.random(xy.shape[:2]) < rate)
    for f, j in zip(frames, marks, strict=True):
        angle = rng.uniform(0.0, 2.0 * np.pi)
        offset = jump_px * rng.uniform(0.4, 1.5) * np.array([np.cos(angle), np.sin(angle)])
        out[f : min(n, f + int(rng.integers(1, 4))), j] += offset
    return out


def visibility(
    n: int, near_side: str, means: tuple[float, float], noise: float, rng: np.random.Generator
) -> FloatArray:
    """``(n, 33)`` visibility: ``means`` = (near, far) side means (the face counts as near)."""
    far = far_mask(near_side)
    face = np.array([_part_of(x) in ("mouth", "nose") for x in LANDMARK_NAMES])
    base = np.where(far & ~face, means[1], means[0])
    vis = base[None, :] + rng.normal(0.0, noise, (n, NUM_LANDMARKS))
    return np.asarray(np.clip(vis, 0.0, 1.0), dtype=np.float64)


def far_leg_mask(near_side: str) -> BoolArray:
    """``(33,)`` True for the far leg's knee, ankle, heel and foot."""
    lower = np.array([_part_of(x) in _FAR_LEG for x in LANDMARK_NAMES])
    return np.asarray(far_mask(near_side) & lower)


def occlude_far_leg(
    xy: FloatArray,
    vis: FloatArray,
    frames: BoolArray,
    near_side: str,
    sigma_px: float,
    rng: np.random.Generator,
) -> None:
    """In place: on ``frames``, the far leg's lower landmarks get low visibility and 3x noise."""
    far = far_leg_mask(near_side)
    cells = frames[:, None] & far[None, :]
    count = int(cells.sum())
    if count == 0:
        return
    vis[cells] = rng.uniform(0.05, 0.35, count)
    xy[cells] += rng.normal(0.0, 3.0 * sigma_px, (count, 2))


def draw_far_leg_over_near(
    xy: FloatArray,
    vis: FloatArray,
    frames: BoolArray,
    near_side: str,
    sigma_px: float,
    rng: np.random.Generator,
) -> None:
    """In place: on ``frames``, the far leg's knee, ankle and foot are drawn on the near leg's.

    What a side camera does to BlazePose when the far leg is hidden behind the near one: the
    estimator puts the far leg where the near leg is (with its own noise), at lower visibility,
    wherever the far leg really is.
    """
    far = np.flatnonzero(far_leg_mask(near_side))
    near = [MIRROR[i] for i in far]
    rows = np.flatnonzero(frames)
    if rows.size == 0:
        return
    picked = xy[rows][:, near]
    xy[rows[:, None], far[None, :]] = picked + rng.normal(0.0, sigma_px, picked.shape)
    vis[rows[:, None], far[None, :]] = rng.uniform(0.15, 0.45, (rows.size, far.size))


def slow_drift(time_s: FloatArray, amp_px: float, rng: np.random.Generator) -> FloatArray:
    """``(F, 33, 2)`` slow drift of each landmark on its own: two sinusoids of 0.03-0.3 Hz per
    landmark and axis, ``amp_px`` pixels at most."""
    freqs = rng.uniform(0.03, 0.3, (2, NUM_LANDMARKS, 2))
    phases = rng.uniform(0.0, 2.0 * np.pi, (2, NUM_LANDMARKS, 2))
    waves = np.sin(2.0 * np.pi * freqs[None] * time_s[:, None, None, None] + phases[None])
    return np.asarray(0.5 * amp_px * waves.sum(axis=1), dtype=np.float64)


def depth(n: int, near_side: str, rng: np.random.Generator, *, empty: bool) -> FloatArray:
    """``(n, 33)`` MediaPipe-like relative depth (near side negative); all NaN when ``empty``."""
    if empty:
        return np.full((n, NUM_LANDMARKS), np.nan)
    size = np.array([_DEPTH.get(_part_of(x), 0.0) for x in LANDMARK_NAMES])
    base = side_sign(near_side) * size * rng.uniform(0.8, 1.25)
    return np.asarray(base[None, :] + rng.normal(0.0, 0.004, (n, NUM_LANDMARKS)), dtype=np.float64)
