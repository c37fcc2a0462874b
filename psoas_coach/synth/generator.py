"""Synthetic side-view recordings of the supine banded psoas march, with exact ground truth.

``generate(spec)`` runs four stages, each with its own random stream drawn from ``spec.seed`` (so
changing the noise knobs never changes the motion or its truth):

1. plan the clean motion (:mod:`psoas_coach.synth.plan`) and measure its truth on the clean
   curves (:mod:`psoas_coach.synth.truth`);
2. pose a body scaled from ``spec.height_m`` (:mod:`psoas_coach.synth.body`) at every frame time;
3. map it into the picture: far-side parallax, head left or right, camera roll, scale and placement;
4. add realism (:mod:`psoas_coach.synth.noise`): noise, outliers, visibility, depth, dropouts
   and left/right swaps.

Example::

    rec = generate(random_spec(3, hard=True))
    rec.pose      # PoseSequence, pixels
    rec.reps      # truth, list[Rep]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence
from psoas_coach.reps.types import Rep
from psoas_coach.synth import noise
from psoas_coach.synth.body import Segments, body_landmarks, rotate, segments_for_height
from psoas_coach.synth.motion import MotionPlan, angles
from psoas_coach.synth.plan import plan_session
from psoas_coach.synth.spec import FaultRates, SynthSpec, random_spec
from psoas_coach.synth.truth import FAULT_CODES, truth_reps

__all__ = [
    "FAULT_CODES",
    "FaultRates",
    "SynthRecording",
    "SynthSpec",
    "generate",
    "random_spec",
]


@dataclass(frozen=True)
class SynthRecording:
    """A generated recording and its truth.

    Attributes:
        pose: the keypoints as an estimator would give them (noise, dropouts, swaps), pixels.
        reps: ground-truth repetitions (faults filled, no cues), time order.
        meta: spec summary (fps, width, height, duration_s, near_side, head_dir, height_m,
            roll_deg, noise_px, ...), JSON-ready.
        plan: the clean motion; ``motion.angles(plan, t)`` regenerates the clean angles.
        clean: noise-free landmarks at the same frame times (no dropouts, swaps or outliers).
        dropped: ``(F,)`` True on frames emptied as dropouts.
        swapped: ``(F,)`` True on frames whose left/right labels were exchanged.
        floor_dir: ``(2,)`` unit vector along the floor, head towards feet, in picture pixels
            (``y`` down).
        up_dir: ``(2,)`` unit vector perpendicular to the floor, away from it, picture pixels.
        thigh_px: thigh length in pixels, the mean of the near and the far leg's.
    """

    pose: PoseSequence
    reps: list[Rep]
    meta: dict[str, Any]
    plan: MotionPlan
    clean: PoseSequence
    dropped: BoolArray
    swapped: BoolArray
    floor_dir: FloatArray
    up_dir: FloatArray
    thigh_px: float


@dataclass(frozen=True)
class _Placement:
    """Body metres (``y`` up) → picture pixels (``y`` down): ``R(roll)(m ⊙ flip)·scale + shift``."""

    flip: FloatArray
    roll_deg: float
    scale: float
    shift: FloatArray

    def apply(self, xy: FloatArray) -> FloatArray:
        return rotate(xy * self.flip, self.roll_deg) * self.scale + self.shift

    def direction(self, v: FloatArray) -> FloatArray:
        return rotate(v * self.flip, self.roll_deg)


def _far_parallax(
    xy: FloatArray, seg: Segments, near_side: str, rng: np.random.Generator
) -> tuple[FloatArray, float]:
    """The far side seen slightly smaller and higher (a similarity: angles are kept).

    Returns the moved landmarks and the far side's scale factor.
    """
    far = noise.far_mask(near_side)
    centre = np.array([seg.trunk, seg.thigh])
    shrink = rng.uniform(0.95, 1.0)
    lift = np.array([0.0, rng.uniform(0.01, 0.04) * seg.thigh])
    out = xy.copy()
    out[:, far] = centre + shrink * (xy[:, far] - centre) + lift
    return out, float(shrink)


def _placement(body: FloatArray, spec: SynthSpec, rng: np.random.Generator) -> _Placement:
    """Flip for the head side, roll, then scale to ``spec.fill`` and place inside the frame."""
    flip = np.array([1.0 if spec.head_dir == "left" else -1.0, -1.0])
    pts = rotate(body.reshape(-1, 2) * flip, spec.roll_deg)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    size = hi - lo
    scale = min(spec.fill * spec.width / size[0], 0.85 * spec.height / size[1])
    room = np.array([spec.width, spec.height]) - size * scale
    shift = rng.uniform(0.1, 0.9, 2) * room - lo * scale
    return _Placement(flip, spec.roll_deg, float(scale), shift)


def _shake(time_s: FloatArray, amp_px: float, rng: np.random.Generator) -> FloatArray:
    """``(F, 2)`` slow camera shake: two low-frequency sinusoids per axis, pixels."""
    freqs = rng.uniform(0.05, 0.6, (2, 2))
    phases = rng.uniform(0.0, 2.0 * np.pi, (2, 2))
    waves = np.sin(2.0 * np.pi * freqs[None] * time_s[:, None, None] + phases[None])
    return np.asarray(0.5 * amp_px * waves.sum(axis=1), dtype=np.float64)


def _realism(
    clean: FloatArray,
    time_s: FloatArray,
    spec: SynthSpec,
    thigh_px: float,
    rng: np.random.Generator,
) -> tuple[PoseSequence, BoolArray, BoolArray]:
    """Noisy pose from clean pixels, with the dropout and swap masks."""
    n = time_s.size
    sigma = spec.noise_scale * spec.width / 1000.0
    xy = noise.add_pixel_noise(clean, sigma, noise.noise_profile(spec.near_side), rng)
    xy = noise.add_outliers(xy, spec.outlier_rate, thigh_px, rng)
    xy += _shake(time_s, spec.shake_px, rng)[:, None, :]
    vis = noise.visibility(n, spec.near_side, (spec.vis_near, spec.vis_far), spec.vis_noise, rng)
    hidden = noise.runs_mask(time_s, spec.occlusions_per_min, 2.0, rng)
    noise.occlude_far_leg(xy, vis, hidden, spec.near_side, sigma, rng)
    if spec.sideview:
        xy += noise.slow_drift(time_s, spec.drift_px, rng)
        over = noise.runs_mask(
            time_s, spec.drawn_over_per_min, spec.drawn_over_max_s, rng, min_s=0.2
        )
        noise.draw_far_leg_over_near(xy, vis, over, spec.near_side, sigma, rng)
    z = noise.depth(n, spec.near_side, rng, empty=spec.z_empty)
    dropped = noise.runs_mask(time_s, spec.dropouts_per_min, spec.dropout_max_s, rng)
    swapped = (
        noise.runs_mask(time_s, spec.swaps_per_min, spec.swap_max_s, rng, min_s=spec.swap_min_s)
        & ~dropped
    )
    xy[dropped] = np.nan
    pose = PoseSequence.from_arrays(time_s, xy, z, vis, width=spec.width, height=spec.height)
    return pose.mirrored(swapped), dropped, swapped


def _meta(
    spec: SynthSpec, rec_time: FloatArray, plan: MotionPlan, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "seed": spec.seed,
        "hard": spec.hard,
        "sideview": spec.sideview,
        "fps": spec.fps,
        "width": spec.width,
        "height": spec.height,
        "duration_s": round(plan.duration_s, 3),
        "near_side": spec.near_side,
        "head_dir": spec.head_dir,
        "height_m": spec.height_m,
        "roll_deg": round(spec.roll_deg, 2),
        "noise_px": round(spec.noise_scale * spec.width / 1000.0, 3),
        "frames": int(rec_time.size),
        "frame_jitter": round(spec.frame_jitter, 3),
        "z_empty": spec.z_empty,
        "twitches": len(plan.twitches),
        **extra,
    }


def generate(spec: SynthSpec) -> SynthRecording:
    """Generate one recording and its ground truth from ``spec`` (deterministic per seed)."""
    plan_rng, body_rng, place_rng, noise_rng = (
        np.random.default_rng(s)
        for s in np.random.SeedSequence([spec.seed, int(spec.hard)]).spawn(4)
    )
    plan = plan_session(spec, plan_rng)
    reps = truth_reps(plan)
    time_s = noise.frame_times(plan.duration_s, spec.fps, spec.frame_jitter, noise_rng)
    seg = segments_for_height(spec.height_m, body_rng)
    body = body_landmarks(angles(plan, time_s), seg, float(body_rng.uniform(-10.0, 10.0)))
    body, shrink = _far_parallax(body, seg, spec.near_side, body_rng)
    place = _placement(body, spec, place_rng)
    clean_xy = place.apply(body)
    thigh_px = seg.thigh * place.scale * (1.0 + shrink) / 2.0
    pose, dropped, swapped = _realism(clean_xy, time_s, spec, thigh_px, noise_rng)
    clean = PoseSequence.from_arrays(time_s, clean_xy, width=spec.width, height=spec.height)
    extra = {
        "thigh_px": round(thigh_px, 1),
        "dropout_frames": int(dropped.sum()),
        "swap_frames": int(swapped.sum()),
    }
    return SynthRecording(
        pose=pose,
        reps=reps,
        meta=_meta(spec, time_s, plan, extra),
        plan=plan,
        clean=clean,
        dropped=dropped,
        swapped=swapped,
        floor_dir=place.direction(np.array([1.0, 0.0])),
        up_dir=place.direction(np.array([0.0, 1.0])),
        thigh_px=float(thigh_px),
    )
