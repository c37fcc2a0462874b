"""Benchmark: keypoint analysis of a 60 s, 30 fps recording (target: under 0.5 s).

Times the keypoint path: reading the CSV, clean-up, angles, repetitions, faults and the JSON
report, on a synthetic recording made by the project's generator. Prints the median of several
runs per stage; the HTML report (plots) is timed and printed separately.

    python scripts/benchmark_analysis.py [--seconds 60] [--fps 30] [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

TARGET_S = 0.5


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints figures, returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="recording length (s)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    from psoas_coach.pipeline import analyze_pose
    from psoas_coach.pose.csv_io import read_keypoints, write_keypoints
    from psoas_coach.report.html import render_html
    from psoas_coach.synth.generator import generate
    from psoas_coach.synth.spec import SynthSpec

    n_reps = max(1, int(args.seconds / 7.5))
    rec = generate(SynthSpec(seed=7, n_reps=n_reps, fps=args.fps))
    keep = rec.pose.time_s < args.seconds
    pose = rec.pose.select(keep)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "bench.csv"
        write_keypoints(pose, csv_path)
        analyze_pose(read_keypoints(csv_path))  # warm-up: imports and caches
        read_times, analyze_times, save_times, html_times = [], [], [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            loaded = read_keypoints(csv_path)
            t1 = time.perf_counter()
            analysis = analyze_pose(loaded)
            t2 = time.perf_counter()
            analysis.report.save(Path(tmp) / "bench.json")
            t3 = time.perf_counter()
            render_html(analysis)
            html_times.append(time.perf_counter() - t3)
            read_times.append(t1 - t0)
            analyze_times.append(t2 - t1)
            save_times.append(t3 - t2)
    total = [a + b + c for a, b, c in zip(read_times, analyze_times, save_times, strict=True)]
    figures = {
        "frames": len(pose),
        "duration_s": round(pose.duration_s, 2),
        "reps_found": len(analysis.report.reps),
        "read_csv_s": round(statistics.median(read_times), 4),
        "analysis_s": round(statistics.median(analyze_times), 4),
        "write_json_s": round(statistics.median(save_times), 4),
        "total_s": round(statistics.median(total), 4),
        "html_report_s": round(statistics.median(html_times), 4),
        "target_s": TARGET_S,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"keypoint analysis of {figures['duration_s']} s at {args.fps:g} fps "
            f"({figures['frames']} frames, {figures['reps_found']} reps), median of {args.runs}:"
        )
        print(f"  read CSV     {figures['read_csv_s']:.3f} s")
        print(f"  analysis     {figures['analysis_s']:.3f} s")
        print(f"  write JSON   {figures['write_json_s']:.3f} s")
        verdict = "meets" if figures["total_s"] < TARGET_S else "MISSES"
        print(f"  total        {figures['total_s']:.3f} s  ({verdict} the {TARGET_S} s target)")
        print(
            f"  (HTML report with its plots, not in the target: {figures['html_report_s']:.3f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
