"""Left/right label swaps are found and undone; the live and offline paths agree."""

from __future__ import annotations

import numpy as np

from psoas_coach.kinematics.swaps import SwapCorrector, correct_swaps, depth_scale, near_side_cue
from psoas_coach.pose.types import FloatArray
from psoas_coach.synth.generator import generate
from psoas_coach.synth.spec import SynthSpec


def _swap(xy: FloatArray, frames: FloatArray) -> FloatArray:
    from psoas_coach.pose.landmarks import MIRROR

    out = xy.copy()
    out[frames] = xy[frames][:, list(MIRROR)]
    return out


def test_injected_swaps_are_undone() -> None:
    rec = generate(SynthSpec(seed=3, swaps_per_min=0.0, outlier_rate=0.0))
    clean = rec.pose
    frames = np.zeros(len(clean), dtype=bool)
    for start in (100, 400, 900):
        frames[start : start + 6] = True
    swapped = clean.mirrored(frames)
    fixed, mask = correct_swaps(swapped, scale_px=100.0)
    found = mask & clean.detected
    assert (found == (frames & clean.detected)).all()
    both = np.isfinite(fixed.xy) & np.isfinite(clean.xy)
    assert np.allclose(fixed.xy[both], clean.xy[both])


def test_live_corrector_matches_offline_decisions() -> None:
    rec = generate(SynthSpec(seed=5))
    pose = rec.pose.mirrored(np.isin(np.arange(len(rec.pose)), np.arange(200, 210)))
    _, offline = correct_swaps(pose, scale_px=100.0)
    z_scale = depth_scale(pose.z)
    cue = near_side_cue(pose.z, pose.visibility, z_scale)
    near = "left" if np.sum(np.sign(cue[pose.detected])) >= 0 else "right"
    live = SwapCorrector(near_side=near, z_scale=z_scale, scale_px=100.0)
    decisions = [
        live.update(float(t), pose.xy[i], pose.z[i], pose.visibility[i])
        for i, t in enumerate(pose.time_s)
    ]
    online = np.array([d.legs or d.upper for d in decisions])
    assert (online == offline).all()
    assert online[200:210].all()
