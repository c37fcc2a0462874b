"""The pose estimator's own error on rendered videos with exact joints (``../shared/render_dev``).

For every ``render_*.mp4`` in DIR with its ``*.joints.json.gz`` (every frame's rendered joint
positions in pixels) and ``*.truth.json`` (which leg faces the camera) beside it, BlazePose is
run the way ``psoas analyze`` runs it (or its keypoints are read from ``--keypoints DIR``, the
folder ``scripts/score.py --keypoints`` fills), and compared with the rendered joints frame by
frame, per leg (the one facing the camera, ``near``, and the other, ``far``), on the raw
landmarks (no clean-up; the estimator's labels, so a frame with the legs swapped counts as
error):

- knee angle error (hip-knee-ankle in the picture, degrees): median absolute over all frames;
  and over the frames where that leg is extended (true knee angle above 150 degrees), the
  median absolute and the median signed error (negative: read short of straight);
- position error of the hip, knee and ankle (pixels): median over all frames and over the
  extended frames.

The rig's ``*UpLeg``, ``*Leg`` and ``*Foot`` joints are the hip, knee and ankle.

``--detect-each-frame`` runs BlazePose without following the body from frame to frame (its
detector's box crops every frame; ``MediaPipeBackend(track=False)``), to compare the two ways
of cropping (``scripts/score.py`` takes it too).

Examples::

    python scripts/pose_error.py ../shared/render_dev
    python scripts/pose_error.py ../shared/render_dev --pose-model heavy --keypoints /tmp/rkh
    python scripts/pose_error.py ../shared/render_dev --detect-each-frame --keypoints /tmp/rkd

Exit code 0, or 2 when DIR holds no rendered video with its joints.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np

from psoas_coach.kinematics.angles import interior_angle
from psoas_coach.pose.landmarks import joint
from psoas_coach.pose.mediapipe_backend import DEFAULT_MODEL, POSE_MODELS
from psoas_coach.pose.types import FloatArray, PoseSequence

#: Rig joint name stems of the hip, knee and ankle, and the knee angle (deg) above which a
#: leg counts as extended.
RIG = {"hip": "UpLeg", "knee": "Leg", "ankle": "Foot"}
EXTENDED_DEG = 150.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    from score import add_detect_option

    parser = argparse.ArgumentParser(description="BlazePose error against rendered joints.")
    parser.add_argument("dir", type=Path, help="folder of render_*.mp4 with their joints")
    parser.add_argument("--pose-model", choices=list(POSE_MODELS), default=DEFAULT_MODEL)
    parser.add_argument("--workers", type=int, default=2, help="pose processes (default 2)")
    add_detect_option(parser)
    parser.add_argument(
        "--keypoints",
        type=Path,
        default=None,
        help="folder of the videos' keypoint CSVs: read when present, else written there",
    )
    return parser.parse_args(argv)


def rendered_joints(video: Path, times_s: FloatArray) -> dict[str, dict[str, FloatArray]]:
    """Per side, the rendered hip, knee and ankle ``(F, 2)`` pixels at the frames nearest
    ``times_s``."""
    data = json.loads(gzip.decompress(video.with_suffix(".joints.json.gz").read_bytes()))
    names = data["names"]
    joints = np.asarray(data["joints"], dtype=float)
    frame_s = np.asarray(data["frame_index"], dtype=float) / float(data["fps"])
    pick = np.clip(np.searchsorted(frame_s, times_s - 1e-6), 0, frame_s.size - 1)
    return {
        side: {
            part: joints[pick, names.index(side.capitalize() + stem), 3:5]
            for part, stem in RIG.items()
        }
        for side in ("left", "right")
    }


def leg_errors(pose: PoseSequence, truth: dict[str, FloatArray], side: str) -> dict[str, float]:
    """Knee angle and position errors of one leg (see the module)."""
    est = {part: pose.xy[:, joint(side, part)] for part in RIG}
    true_knee = interior_angle(truth["hip"], truth["knee"], truth["ankle"])
    error = interior_angle(est["hip"], est["knee"], est["ankle"]) - true_knee
    extended = true_knee > EXTENDED_DEG
    figures = {
        "knee_deg": _median(np.abs(error)),
        "knee_ext_deg": _median(np.abs(error[extended])),
        "knee_ext_signed_deg": _median(error[extended]),
    }
    for part in RIG:
        gap = np.linalg.norm(est[part] - truth[part], axis=-1)
        figures[f"{part}_px"] = _median(gap)
        figures[f"{part}_ext_px"] = _median(gap[extended])
    return figures


def _median(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def main(argv: list[str] | None = None) -> int:
    """Print the error table of every rendered video in the folder."""
    from score import pose_backend_factory, recording_pose

    args = parse_args(argv)
    videos = sorted(
        v for v in args.dir.glob("render_*.mp4") if v.with_suffix(".joints.json.gz").exists()
    )
    if not videos:
        print(f"pose_error: no render_*.mp4 with its joints in {args.dir}", file=sys.stderr)
        return 2
    factory = pose_backend_factory(args.pose_model, args.detect_each_frame)
    how = ", detector's box on every frame" if args.detect_each_frame else ""
    print(
        f"BlazePose {args.pose_model}{how}: knee angle error (deg) all frames | extended: "
        f"|error| signed | position error (px) hip knee ankle, all / extended"
    )
    for video in videos:
        near = json.loads(video.with_suffix(".truth.json").read_text())["meta"]["near_side"]
        pose = recording_pose(video, args.workers, args.keypoints, args.pose_model, factory)
        truth = rendered_joints(video, pose.time_s)
        for side in (near, "right" if near == "left" else "left"):
            e = leg_errors(pose, truth[side], side)
            where = "near" if side == near else "far "
            print(
                f"{video.stem}  {side:5s} {where}  knee {e['knee_deg']:5.1f} | "
                f"{e['knee_ext_deg']:5.1f} {e['knee_ext_signed_deg']:+6.1f} | "
                + "  ".join(f"{p} {e[p + '_px']:5.1f}/{e[p + '_ext_px']:5.1f}" for p in RIG)
            )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
