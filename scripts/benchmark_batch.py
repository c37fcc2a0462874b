"""Benchmark: ``psoas batch`` on a local Ray with 1 and 2 workers against ``psoas analyze``.

Copies one real video ``--videos`` times (default: ``../shared/real/leg_raise_2.mp4``, 8.6 s,
207 frames, four copies), then times, each in a process of its own and in one run:

(a) ``psoas analyze COPIES --workers 1``: the copies one after another on one core;
(b) ``psoas batch COPIES --workers 1``: a local Ray with one worker process;
(c) ``psoas batch COPIES --workers 2``: a local Ray with two worker processes.

Prints, for each, the wall time (Ray's start and stop included), videos per minute, pose
frames per second per core, and the overhead of (b) over (a); for (b) and (c) also the time
the tasks themselves took (``batch.json``'s ``seconds``), so Ray's fixed start-up cost shows
apart from the per-video cost. The load average before and after says how busy the machine
was with other work (figures on a shared machine are noisy; compare the ratios of one run).

    .venv/bin/python scripts/benchmark_batch.py [VIDEO] [--videos 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from psoas_coach.source.video import probe_video

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "real" / "leg_raise_2.mp4"
MAX_FPS = 30.0


@dataclass
class Timing:
    """One contender: wall seconds, cores used, seconds inside the tasks (batch only)."""

    name: str
    wall_s: float
    cores: int
    task_s: float = 0.0
    videos_per_min: float = 0.0
    frames_per_s_per_core: float = 0.0


def main() -> int:
    """Run the three contenders and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--videos", type=int, default=4, help="copies of the video (default 4)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    info = probe_video(args.video)
    frames = info.frame_count if info.fps <= MAX_FPS else int(info.duration_s * MAX_FPS)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="psoas-bench-batch-") as tmp:
        folder = Path(tmp)
        copies = _copies(args.video, folder / "in", args.videos)
        timings = [
            _run("analyze, 1 core", ["analyze", *copies, "--workers", "1"], folder / "a", 1),
            _run("batch, 1 worker", ["batch", *copies, "--workers", "1"], folder / "b", 1),
            _run("batch, 2 workers", ["batch", *copies, "--workers", "2"], folder / "c", 2),
        ]
    for timing in timings:
        timing.videos_per_min = args.videos / timing.wall_s * 60
        timing.frames_per_s_per_core = args.videos * frames / timing.wall_s / timing.cores
    _print(args, frames, timings, load_before, os.getloadavg()[0])
    if args.json:
        print(json.dumps([asdict(t) for t in timings], indent=1))
    return 0


def _copies(video: Path, folder: Path, count: int) -> list[str]:
    folder.mkdir(parents=True)
    paths = []
    for n in range(count):
        target = folder / f"{video.stem}-{n + 1}{video.suffix}"
        shutil.copyfile(video, target)
        paths.append(str(target))
    return paths


def _run(name: str, arguments: list[str], out: Path, cores: int) -> Timing:
    """Time ``psoas ARGUMENTS --out OUT -q`` in a process of its own."""
    command = [sys.executable, "-m", "psoas_coach.cli", *arguments, "--out", str(out), "-q"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - started
    timing = Timing(name, wall, cores)
    index = out / "batch.json"
    if index.exists():
        items = json.loads(index.read_text())["items"]
        timing.task_s = sum(item["seconds"] for item in items)
    return timing


def _print(
    args: argparse.Namespace, frames: int, timings: list[Timing], before: float, after: float
) -> None:
    print(f"{args.videos} x {args.video.name} ({frames} pose frames each)")
    print(f"load average (1 min) before {before:.2f}, after {after:.2f} on {os.cpu_count()} cores")
    header = f"{'contender':<18}{'wall s':>8}{'tasks s':>9}{'videos/min':>12}{'fps/core':>10}"
    print(header)
    for t in timings:
        tasks = f"{t.task_s:.1f}" if t.task_s else "-"
        print(
            f"{t.name:<18}{t.wall_s:>8.1f}{tasks:>9}{t.videos_per_min:>12.2f}"
            f"{t.frames_per_s_per_core:>10.1f}"
        )
    direct, one, two = timings
    print(f"overhead of batch (1 worker) over analyze: {one.wall_s / direct.wall_s - 1:+.0%}")
    print(f"speed-up of 2 workers over 1: {one.wall_s / two.wall_s:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
