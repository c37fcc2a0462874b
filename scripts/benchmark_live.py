"""Live coaching benchmark: per-frame latency and sustained frame rate, and offline agreement.

Latency (default): the real BlazePose model (full, tracking mode) and the whole live analysis
on the frames of a real video resized to 640x480, fed one at a time as a camera would
(looped until ``--frames`` pictures). Prints the median and 95th percentile of the
per-frame processing time and the sustained frame rate, for the desktop path (picture →
events) and for the browser path (JPEG message → decoded → answer).

Agreement (``--agreement DIR``): every ``*.csv(.gz)`` keypoint recording in DIR played through
the live engine frame by frame and analysed offline (``pipeline.analyze_pose``), compared
exactly (``live.agreement``): reps per side, sides, faults, the peak angle, and start, end,
hold and extension to the frame; every figure that differs is printed, and the exit status is 1.

Load (``--sessions N``): N keypoint clients (pose in the browser) at 30 fps in real time
against one ``psoas live --serve`` process, sets of ``--seconds``: answer latency, sessions
falling behind, server CPU per session-second, and each set's report checked (see
``scripts/live_load.py``); exit status 1 when a target is missed (median < 40 ms, p95 <
100 ms, none behind; ``--no-latency-targets``: figures only) or a report is wrong.

Examples::

    python scripts/benchmark_live.py
    python scripts/benchmark_live.py --sessions 20 --seconds 60
    python scripts/benchmark_live.py --video ../shared/real/leg_raise_2.mp4 --frames 900
    python scripts/benchmark_live.py --agreement ../shared/devset
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from busy_machine import add_other_work_option

from psoas_coach.cli.native_log import filtered_stderr
from psoas_coach.config import AnalysisConfig
from psoas_coach.live.analyzer import CoachSettings, LiveAnalyzer
from psoas_coach.live.engine import LiveEngine, desktop_threads, mediapipe_backend
from psoas_coach.live.protocol import HEADER, encode_picture
from psoas_coach.live.session import LiveSession
from psoas_coach.pose.backend import ImageArray
from psoas_coach.pose.types import FloatArray
from psoas_coach.source.video import iter_frames

DEFAULT_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "real" / "leg_raise_2.mp4"
SIZE = (640, 480)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Live coaching latency and agreement.")
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO, help="real video to time")
    parser.add_argument("--frames", type=int, default=600, help="pictures to time (default 600)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed first pictures")
    parser.add_argument(
        "--pose-threads",
        type=int,
        default=desktop_threads(),
        metavar="N",
        help="threads of the desktop path's pose networks (default: as psoas live, "
        f"{desktop_threads()} here)",
    )
    parser.add_argument("--agreement", type=Path, metavar="DIR", help="keypoint recordings")
    parser.add_argument(
        "--sessions", type=int, metavar="N", help="load: N keypoint clients against one server"
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="load: seconds of each set (default 60)"
    )
    parser.add_argument(
        "--no-latency-targets",
        action="store_true",
        help="load: print the latency figures without judging them (the exit status then "
        "says only whether every session ran and its report is right; for a correctness "
        "check on a machine busy with other work)",
    )
    add_other_work_option(parser, prefix="load: ")
    parser.add_argument(
        "--engine-processes",
        type=int,
        metavar="N",
        help="load: the server's engine processes (default: one per core; 0: none)",
    )
    args = parser.parse_args(argv)
    if args.other_work is not None and args.sessions is None:
        parser.error("--other-work goes with --sessions (the load benchmark)")
    return args


def load_pictures(path: Path) -> tuple[list[ImageArray], float]:
    """Every picture of ``path`` resized to 640x480, and the video's frame rate."""
    import cv2

    frames: list[ImageArray] = []
    times: list[float] = []
    for time_s, image in iter_frames(path):
        frames.append(np.asarray(cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA), np.uint8))
        times.append(time_s)
    return frames, float(1.0 / np.median(np.diff(times)))


def camera(pictures: list[ImageArray], fps: float, count: int) -> Iterator[tuple[float, int]]:
    """``count`` picture times at ``fps`` with the index of the picture (the video looped)."""
    for k in range(count):
        yield k / fps, k % len(pictures)


def timed(
    step: Callable[[float, int], object], frames: Iterator[tuple[float, int]], warmup: int
) -> tuple[FloatArray, float]:
    """Per-picture milliseconds (after ``warmup``) and the sustained pictures per second."""
    times: list[float] = []
    start = 0.0
    for k, (time_s, index) in enumerate(frames):
        if k == warmup:
            start = time.perf_counter()
        before = time.perf_counter()
        step(time_s, index)
        if k >= warmup:
            times.append(1000.0 * (time.perf_counter() - before))
    return np.array(times), len(times) / (time.perf_counter() - start)


def report_latency(label: str, ms: FloatArray, fps: float) -> None:
    """One line of figures, with the targets (>= 25 fps, median < 40 ms)."""
    median, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
    verdict = "meets" if fps >= 25 and median < 40 else "MISSES"
    print(
        f"{label:<32} median {median:5.1f} ms   p95 {p95:5.1f} ms   sustained {fps:5.1f} fps   "
        f"({verdict} >= 25 fps and median < 40 ms)"
    )


def desktop_path(pictures: list[ImageArray], fps: float, args: argparse.Namespace) -> None:
    """Camera picture in, events out: :class:`LiveEngine` with BlazePose."""
    pose_ms: list[float] = []
    with LiveEngine(mediapipe_backend(args.pose_threads), LiveAnalyzer(fps=fps)) as engine:

        def step(time_s: float, index: int) -> None:
            pose_ms.append(engine.process(time_s, pictures[index]).pose_ms)

        ms, rate = timed(step, camera(pictures, fps, args.frames + args.warmup), args.warmup)
    report_latency(f"camera picture -> events (pose on {args.pose_threads} threads)", ms, rate)
    pose = np.array(pose_ms[args.warmup :])
    rest = ms - pose
    print(
        f"  of which BlazePose median {np.median(pose):.1f} ms; the live analysis median "
        f"{np.median(rest):.1f} ms, p95 {np.percentile(rest, 95):.1f} ms"
    )


def browser_path(pictures: list[ImageArray], fps: float, args: argparse.Namespace) -> None:
    """JPEG message in, JSON-ready answer out: what the server does per browser picture."""
    jpegs = [encode_picture(0.0, p, quality=70)[HEADER.size :] for p in pictures]
    session = LiveSession(AnalysisConfig(), CoachSettings(), mediapipe_backend)
    try:

        def step(time_s: float, index: int) -> None:
            session.picture(HEADER.pack(time_s) + jpegs[index])

        ms, rate = timed(step, camera(pictures, fps, args.frames + args.warmup), args.warmup)
    finally:
        session.close()
    report_latency("browser JPEG message -> answer", ms, rate)
    print(f"  (JPEG messages of {np.mean([len(j) for j in jpegs]) / 1000:.0f} kB on average)")


def latency(args: argparse.Namespace) -> None:
    """Time the desktop path and the browser path on the same pictures."""
    pictures, fps = load_pictures(args.video)
    print(
        f"{args.video.name}: {len(pictures)} pictures at 640x480, {fps:g} fps, looped to "
        f"{args.frames} timed (+{args.warmup} warm-up); {os.cpu_count()} CPU cores"
    )
    desktop_path(pictures, fps, args)
    browser_path(pictures, fps, args)


def agreement(folder: Path) -> int:
    """Live vs offline, exactly, on every keypoint recording in ``folder``; exit status."""
    from psoas_coach.live.agreement import compare_reports, frame_period_s
    from psoas_coach.live.replay import replay
    from psoas_coach.pipeline import analyze_pose
    from psoas_coach.pose.csv_io import read_keypoints

    paths = sorted([*folder.glob("*.csv.gz"), *folder.glob("*.csv")])
    if not paths:
        print(f"error: no keypoint recordings in {folder}", file=sys.stderr)
        return 2
    results = []
    delays: list[float] = []
    for path in paths:
        pose = read_keypoints(path)
        events, analysis = replay(pose)
        offline, live = analyze_pose(pose).report, analysis.report
        delays += announcement_delays(events, float(pose.time_s[-1]))
        period = frame_period_s(pose.time_s)
        result = compare_reports(live.to_dict(), offline.to_dict(), period)
        results.append(result)
        print(
            f"{path.name:<22} offline {offline.summary['reps']}  live {live.summary['reps']}  "
            f"{result.reps} reps compared (to the frame: within {500 * period:.1f} ms): "
            f"{'agree' if result.agrees else 'DIFFER'}"
        )
        for difference in result.differences:
            print(f"    {difference}")
    agreeing = sum(r.agrees for r in results)
    largest = {n: max(r.largest_s[n] for r in results) for n in results[0].largest_s}
    print(
        f"live agrees exactly with offline (reps per side, sides in order, faults, peak angle "
        f"within 0.5 deg; start, end, hold and extension to the frame, i.e. equal within half "
        f"the recording's frame period) on {agreeing}/{len(paths)}, "
        f"{sum(r.reps for r in results)} reps compared; "
        "largest difference "
        + ", ".join(f"{name} {value:.3f} s" for name, value in largest.items())
    )
    if delays:
        print(
            f"a repetition is announced live (its count and figures) a median "
            f"{np.median(delays):.2f} s after its end_s (90th percentile "
            f"{np.percentile(delays, 90):.2f} s, max {max(delays):.2f} s; {len(delays)} reps "
            "announced before the set ended)"
        )
    if agreeing < len(paths):
        print(f"agreement failed: {len(paths) - agreeing} recordings differ", file=sys.stderr)
    return 0 if agreeing == len(paths) else 1


def announcement_delays(events: list[Any], last_s: float) -> list[float]:
    """Seconds from each repetition's ``end_s`` to the live event that announced it, for the
    repetitions announced before the set's last frame (the rest come with its end)."""
    from psoas_coach.live.events import RepFinished

    return [
        e.time_s - e.rep.end_s for e in events if isinstance(e, RepFinished) and e.time_s < last_s
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints the command first."""
    args = parse_args(argv)
    print("$ python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])]))
    if args.agreement is not None:
        return agreement(args.agreement)
    if args.sessions is not None:
        from live_load import run

        return run(
            args.sessions,
            args.seconds,
            args.engine_processes,
            judge_latency=not args.no_latency_targets,
            other=args.other_work,
        )
    latency(args)
    return 0


if __name__ == "__main__":
    with filtered_stderr():  # MediaPipe's native log lines stay off the figures
        status = main()
    sys.exit(status)
