"""Pose in the browser vs pose on the server, on the same frames of one video: keypoints per
joint, and the reps, sides and holds of the set.

The live page's own in-browser code (``psoas_coach/live/static/browser_pose.js``: MediaPipe's
``@mediapipe/pose``, full model, tracking and smoothing as on the server) runs in Debian's
headless Chromium on every ``--step``-th frame of VIDEO, read from a ``<video>`` element at its
media time, at the pace pose allows (not real time). The server's BlazePose
(:class:`~psoas_coach.pose.mediapipe_backend.MediaPipeBackend`) runs on the same frames. A
browser pose and a server pose are compared when their ``time_s`` are the nearest to each other
and less than half a frame apart (:func:`match_by_time`); a frame without such a partner is
counted, never compared with another frame.

Printed:

- frames replayed by each side and matched by time; of the matched, a person found by both,
  by the browser only, by the server only;
- per joint (shoulder, hip, knee, ankle of each side, and all 33 landmarks), over matched
  frames found by both: median and 90th percentile of the distance between the two landmarks,
  in pixels of the video and in per cent of its width (MediaPipe's normalized units x 100);
- reps per side, hold of each rep, and rep matching (start/end overlap, as
  ``scripts/live_agreement.py``) of three analyses: ``psoas analyze VIDEO`` (every frame up to
  30 fps: the reference), the server keypoints of the replayed frames, the browser keypoints
  of the replayed frames (both through :func:`psoas_coach.pipeline.analyze_pose`), and the
  browser keypoints played frame by frame through the live engine
  (:func:`psoas_coach.live.replay.replay`: the ``LiveAnalyzer`` the live server feeds with
  each ``pose`` message).

Example (about 2 browser poses a second on a 2-core machine without a GPU, so a 42 s video at
25 fps with ``--step 2`` takes about 5 minutes)::

    python scripts/browser_agreement.py ../shared/render_dev/render_0103.mp4 --step 2
    python scripts/browser_agreement.py VIDEO --save poses.json   # keep the browser's poses
    python scripts/browser_agreement.py VIDEO --load poses.json   # compare again, no browser

Exit status: 0; 2 for a missing video or browser pose files not installed (run setup.sh).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The joints printed (BlazePose indices), by name.
JOINTS = {
    "l_shoulder": 11,
    "r_shoulder": 12,
    "l_hip": 23,
    "r_hip": 24,
    "l_knee": 25,
    "r_knee": 26,
    "l_ankle": 27,
    "r_ankle": 28,
}
REPLAY_JS = """async ([fps, step, seconds]) => {
  const video = document.createElement("video");
  video.muted = true; video.preload = "auto"; video.src = "/replay/video";
  await new Promise((ok, bad) => { video.onloadeddata = ok;
    video.onerror = () => bad(new Error(`video: ${video.error && video.error.message}`)); });
  const estimator = await PsoasBrowserPose.load("pose/");
  window.replayOut = [];
  window.replayFinished = false;
  PsoasBrowserPose.replay(estimator, video, fps, step, (pose) => window.replayOut.push(pose),
    seconds > 0 ? seconds : Infinity).then(() => { window.replayFinished = true; });
  return video.duration;
}"""
FloatArray = npt.NDArray[np.float64]
#: One side's poses: ``(time_s, landmarks)`` per replayed frame, landmarks ``(33, 4)``
#: normalized ``x, y, z, visibility`` or None where no person was found.
Poses = list[tuple[float, FloatArray | None]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video", type=Path, help="a video file (H.264 MP4 plays in Chromium)")
    parser.add_argument("--step", type=int, default=2, help="replay every STEP-th frame")
    parser.add_argument("--seconds", type=float, default=float("inf"), help="replay only the start")
    parser.add_argument("--save", type=Path, help="write the browser's poses to this JSON file")
    parser.add_argument("--load", type=Path, help="read the browser's poses from --save's file")
    return parser.parse_args(argv)


def browser_poses(video: Path, fps: float, step: int, end_s: float) -> list[dict[str, Any]]:
    """The page's pose messages for the replayed frames (``frame``, ``time_s``, ``landmarks``)."""
    from fastapi.responses import FileResponse
    from playwright.sync_api import sync_playwright

    from psoas_coach.live.server import create_app
    from tests.serving import serve_app

    app = create_app()

    @app.get("/replay/video")
    async def replay_video() -> FileResponse:
        return FileResponse(video, media_type="video/mp4")

    with serve_app(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page()
        tab.goto(f"{url}/live/?pose=server")
        started = time.monotonic()
        tab.evaluate(REPLAY_JS, [fps, step, end_s if np.isfinite(end_s) else -1])
        while not tab.evaluate("() => window.replayFinished"):
            done = tab.evaluate("() => window.replayOut.length")
            rate = done / max(time.monotonic() - started, 1e-9)
            print(f"  browser: {done} frames, {rate:.2f}/s", file=sys.stderr, flush=True)
            tab.wait_for_timeout(15_000)
        poses: list[dict[str, Any]] = tab.evaluate("() => window.replayOut")
        browser.close()
    elapsed = time.monotonic() - started
    print(
        f"browser: {len(poses)} frames in {elapsed:.0f} s ({len(poses) / elapsed:.2f} poses/s, "
        "model load included)"
    )
    return poses


def server_poses(video: Path, step: int, end_s: float) -> Poses:
    """The server's BlazePose on every ``step``-th frame, at the frame's timestamp (seconds),
    landmarks normalized as the browser gives them."""
    from psoas_coach.pose.mediapipe_backend import MediaPipeBackend
    from psoas_coach.source.video import iter_frames

    out: Poses = []
    backend = MediaPipeBackend()
    try:
        for k, (time_s, image) in enumerate(iter_frames(video, max_fps=None)):
            if time_s >= end_s:
                break
            if k % step:
                continue
            found = backend.estimate(image, time_s)
            height, width = image.shape[:2]
            out.append(
                (
                    time_s,
                    None
                    if found is None
                    else np.column_stack(
                        [found.xy / [width, height], found.z / width, found.visibility]
                    ),
                )
            )
    finally:
        backend.close()
    return out


def as_sequence(poses: Poses, size: tuple[int, int]) -> Any:
    """A :class:`PoseSequence` in pixels from normalized landmarks, in time order."""
    from psoas_coach.pose.types import PoseSequence

    width, height = size
    ordered = sorted(poses, key=lambda pose: pose[0])
    raw = np.array(
        [lm if lm is not None else np.full((33, 4), np.nan) for _, lm in ordered],
        dtype=np.float64,
    )
    xy = raw[:, :, :2] * [width, height]
    times = np.array([t for t, _ in ordered], dtype=np.float64)
    return PoseSequence.from_arrays(
        times, xy, raw[:, :, 2] * width, raw[:, :, 3], width=width, height=height
    )


def match_by_time(
    browser_s: list[float], server_s: list[float], frame_s: float
) -> list[tuple[int, int]]:
    """Pairs ``(browser index, server index)`` of poses of the same frame: each server time's
    nearest browser time (seconds), kept when they are less than half a frame (``frame_s / 2``)
    apart. Where each side's times are a frame or more apart, no frame gets two partners; the
    pairs are in server order."""
    order = np.argsort(browser_s, kind="stable")
    times = np.asarray(browser_s, dtype=np.float64)[order]
    pairs: list[tuple[int, int]] = []
    if times.size == 0:
        return pairs
    for i, time_s in enumerate(server_s):
        right = int(np.searchsorted(times, time_s))
        near = min(
            (k for k in (right - 1, right) if 0 <= k < times.size),
            key=lambda k: abs(times[k] - time_s),
        )
        if abs(times[near] - time_s) < frame_s / 2:
            pairs.append((int(order[near]), i))
    return pairs


def print_joints(browser: Poses, server: Poses, fps: float, size: tuple[int, int]) -> None:
    """Frames matched by time, detection counts, per-joint distances (pixels, % of the width)."""
    pairs = match_by_time([t for t, _ in browser], [t for t, _ in server], 1 / fps)
    found = [(browser[b][1], server[s][1]) for b, s in pairs]
    both = [(b, s) for b, s in found if b is not None and s is not None]
    only_b = sum(1 for b, s in found if b is not None and s is None)
    only_s = sum(1 for b, s in found if b is None and s is not None)
    print(
        f"frames: browser {len(browser)}, server {len(server)}, matched by time {len(pairs)} "
        f"(within half a frame); person found by both {len(both)}, browser only {only_b}, "
        f"server only {only_s}"
    )
    if not both:
        return
    width, height = size
    b = np.array([pose for pose, _ in both])[:, :, :2] * [width, height]
    s = np.array([pose for _, pose in both])[:, :, :2] * [width, height]
    dist = np.linalg.norm(b - s, axis=-1)
    print(f"{'joint':<11} {'median px':>9} {'p90 px':>7} {'median %w':>9} {'p90 %w':>7}")
    for name, j in JOINTS.items():
        med, p90 = np.median(dist[:, j]), np.percentile(dist[:, j], 90)
        print(f"{name:<11} {med:9.2f} {p90:7.2f} {100 * med / width:9.2f} {100 * p90 / width:7.2f}")
    print(
        f"{'all 33':<11} {np.median(dist):9.2f} {np.percentile(dist, 90):7.2f} "
        f"{100 * np.median(dist) / width:9.2f} {100 * np.percentile(dist, 90) / width:7.2f}"
    )


def print_reps(name: str, reps: list[Any], reference: list[Any]) -> None:
    """Reps per side and holds of one analysis, matched against the reference's reps."""
    from psoas_coach.synth.scoring import match_reps

    sides = {side: sum(1 for r in reps if r.side == side) for side in ("left", "right")}
    holds = " ".join(
        f"{r.side[0].upper()}{r.hold_s:.1f}" if r.hold_s is not None else f"{r.side[0].upper()}-"
        for r in reps
    )
    pairs = [p for p in match_reps(reference, reps) if reference[p.truth].side == reps[p.pred].side]
    gaps = [
        abs(reps[p.pred].hold_s - reference[p.truth].hold_s)
        for p in pairs
        if reps[p.pred].hold_s is not None and reference[p.truth].hold_s is not None
    ]
    hold_gap = f", hold |diff| mean {np.mean(gaps):.2f} s max {max(gaps):.2f} s" if gaps else ""
    print(
        f"{name:<26} L {sides['left']:>2} R {sides['right']:>2}  matched {len(pairs)}/"
        f"{len(reference)}{hold_gap}\n    holds (s): {holds}"
    )


def main(argv: list[str] | None = None) -> int:
    """Replay, compare, print; the exit status."""
    args = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from psoas_coach.config import AnalysisConfig
    from psoas_coach.live.browser_pose import missing_files
    from psoas_coach.live.replay import replay
    from psoas_coach.outputs import analyze_file
    from psoas_coach.pipeline import analyze_pose
    from psoas_coach.source.video import probe_video

    if not args.video.is_file() or missing_files():
        print(
            f"error: {args.video} missing, or browser pose not installed (scripts/setup.sh)",
            file=sys.stderr,
        )
        return 2
    info = probe_video(args.video)
    size, fps = (info.width, info.height), info.fps
    print(f"{args.video.name}: {info.width}x{info.height} at {fps:g} fps, every {args.step}. frame")
    if args.load:
        poses = json.loads(args.load.read_text(encoding="utf-8"))
    else:
        poses = browser_poses(args.video, fps, args.step, args.seconds)
    if args.save:
        args.save.write_text(json.dumps(poses), encoding="utf-8")
    browser: Poses = [
        (
            float(p["time_s"]),
            None if p["landmarks"] is None else np.array(p["landmarks"], dtype=np.float64),
        )
        for p in poses
    ]
    server = server_poses(args.video, args.step, args.seconds)
    print_joints(browser, server, fps, size)
    with tempfile.TemporaryDirectory() as out:
        reference = analyze_file(args.video, Path(out), AnalysisConfig()).analysis
    assert reference is not None
    ref = reference.report.reps
    print_reps("psoas analyze (reference)", ref, ref)
    for name, frames in (
        ("server, replayed frames", server),
        ("browser, replayed frames", browser),
    ):
        print_reps(name, analyze_pose(as_sequence(frames, size)).report.reps, ref)
    _events, live = replay(as_sequence(browser, size))
    print_reps("browser, live engine", live.report.reps, ref)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
