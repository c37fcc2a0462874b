"""Benchmark: the plain pose loop against the product's video path, side by side, in one run.

(a) plain: OpenCV decodes every frame, BlazePose full estimates each, one process
    (``psoas_coach.pose.video_pose.estimate_video_plain``).
(b) ours: ``estimate_video`` with ``--workers`` processes (parallel chunks, frames capped at
    30 fps and shrunk before the estimator), then the analysis and the HTML report.
(c) ours with one worker (the product's one-process path), unless ``--no-single``.

By default the input is made the way phones and ffmpeg's defaults make video: the real
``../shared/real/leg_raise_1.mp4`` looped to 46 s, 1280x720 at 30 fps (``--clip 1080p30`` or
``1080p60``: 1920x1080 at 30 or 60 fps), H.264 (libx264, crf 23, preset medium) with its
default keyframe interval of 250 frames. Prints each wall time, the real-time factor (video
seconds per wall second), the speed-up over (a), the peak resident memory of each contender (all its
processes together) and whether the targets are met: (b) at least 2.5x real time (2x for
1080p or 60 fps) and 1.6x the plain loop, (c) at least as fast as the plain loop.

    .venv/bin/python scripts/benchmark_video.py [VIDEO] [--clip 720p30|1080p30|1080p60]
        [--workers 2] [--repeat N] [--quiet-wait SECONDS] [--no-single] [--json]
    .venv/bin/python scripts/benchmark_video.py --memory-minutes 20   # memory on a long 1080p video

``--memory-minutes M`` makes an M-minute 1080p clip instead (quick to encode) and runs
``psoas analyze`` on it in a process of its own, printing its wall time and the peak resident
memory of all its processes (target: under 1.5 GB for 20 minutes).
On a machine shared with other work, ``--repeat`` keeps each contender's best run and
``--quiet-wait`` waits for a quiet moment before each timing; every run prints how many
cores other programs used meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from proc_stats import tree_rss_bytes

from psoas_coach.cli.native_log import filtered_stderr
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.video_pose import estimate_video, estimate_video_plain
from psoas_coach.report.html import render_html
from psoas_coach.source.video import iter_frames, probe_video

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "real" / "leg_raise_1.mp4"
#: The default clips: (width, height, frames per second).
CLIPS = {"720p30": (1280, 720, 30), "1080p30": (1920, 1080, 30), "1080p60": (1920, 1080, 60)}
CLIP_SECONDS = 46.0
#: Targets on the 2-core reference machine: real-time factor of (b) (of 1080p or 60 fps
#: inputs), its speed-up over (a), and the one-worker path's speed-up over (a).
TARGET_REAL_TIME = 2.5
TARGET_REAL_TIME_LARGE = 2.0
TARGET_SPEEDUP = 1.6
TARGET_SINGLE_SPEEDUP = 1.0
#: Memory target for a 20-minute 1080p video, bytes.
TARGET_PEAK_RSS = 1.5e9


@dataclass
class Timing:
    """One contender's figures: wall seconds, real-time factor, frames and stage seconds.

    ``cpu_s`` is the CPU time this run used (all its processes), ``other_load_cores`` the CPU
    other programs used meanwhile, in cores (0 on a quiet machine; Linux only, else NaN),
    ``peak_rss_bytes`` the most resident memory its processes held together.
    """

    wall_s: float
    real_time_factor: float
    frames: int
    stages_s: dict[str, float]
    cpu_s: float = float("nan")
    other_load_cores: float = float("nan")
    peak_rss_bytes: float = float("nan")


class LoadMeter:
    """CPU used by other programs during a measurement, in cores (from /proc/stat)."""

    def __init__(self) -> None:
        self._start = (self._system_busy_s(), self._own_cpu_s(), time.perf_counter())

    @staticmethod
    def _system_busy_s() -> float:
        """Seconds of CPU the whole machine has spent busy since boot (NaN if unknown)."""
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return float("nan")
        ticks = [int(x) for x in fields]
        idle = ticks[3] + ticks[4]
        return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own_cpu_s() -> float:
        """CPU seconds used by this process and its finished children."""
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def own_cpu_s(self) -> float:
        """CPU seconds this process and its children used since this meter was made."""
        return self._own_cpu_s() - self._start[1]

    def other_cores(self) -> float:
        """Average cores used by other programs since this meter was made."""
        busy0, own0, t0 = self._start
        busy = self._system_busy_s() - busy0
        own = self._own_cpu_s() - own0
        return max(0.0, (busy - own) / (time.perf_counter() - t0))


@dataclass
class MemoryMeter:
    """Peak resident memory of this process and all its descendants together, sampled every
    ``every_s`` seconds on a thread (Linux /proc; NaN elsewhere)."""

    every_s: float = 0.1
    peak_bytes: float = float("nan")
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemoryMeter:
        if Path("/proc/self/status").exists():
            self.peak_bytes = 0.0
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self.sample()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(os.getpid()))

    def sample(self) -> None:
        """Take one sample now (also taken every ``every_s`` s)."""
        self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(os.getpid()))


def make_benchmark_video(
    source: Path,
    out: Path,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    seconds: float = CLIP_SECONDS,
    preset: str = "medium",
) -> Path:
    """Write ``source`` looped to ``seconds``, rescaled to ``width`` x ``height`` pixels at
    ``fps`` frames per second, as H.264 with ffmpeg's defaults (libx264, yuv420p, crf 23,
    a keyframe every 250 frames; ``preset`` medium unless told).

    Each output frame at ``k / fps`` s shows the latest source frame at or before that time
    (modulo the source's length).
    """
    import av

    decoded = list(iter_frames(source, max_fps=None))
    times = np.array([t for t, _ in decoded])
    frames = [
        av.VideoFrame.from_ndarray(image, format="rgb24").reformat(
            width=width, height=height, format="yuv420p"
        )
        for _, image in decoded
    ]
    period_s = times[-1] + (times[-1] - times[-2])
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.gop_size = 250
        stream.options = {"crf": "23", "preset": preset}
        for k in range(round(seconds * fps)):
            t = (k / fps) % period_s
            index = max(int(np.searchsorted(times, t + 1e-9, side="right")) - 1, 0)
            frame = av.VideoFrame.from_ndarray(frames[index].to_ndarray(), format="yuv420p")
            frame.pts, frame.time_base = k, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out


def wait_for_quiet(limit_s: float, *, max_other_cores: float = 0.1) -> None:
    """Wait (up to ``limit_s`` seconds) until other programs use under ``max_other_cores``."""
    deadline = time.perf_counter() + limit_s
    while time.perf_counter() < deadline:
        meter = LoadMeter()
        time.sleep(1.0)
        if meter.other_cores() < max_other_cores:
            return


def time_plain(video: Path, duration_s: float) -> Timing:
    """Wall time of the plain single-process loop on ``video``."""
    meter = LoadMeter()
    with MemoryMeter() as memory:
        start = time.perf_counter()
        pose = estimate_video_plain(video)
        wall = time.perf_counter() - start
    return Timing(
        wall,
        duration_s / wall,
        len(pose),
        {"pose": wall},
        meter.own_cpu_s(),
        meter.other_cores(),
        memory.peak_bytes,
    )


def time_ours(video: Path, duration_s: float, workers: int) -> Timing:
    """Wall time of ``estimate_video`` plus analysis and HTML report on ``video``."""
    meter = LoadMeter()
    with MemoryMeter() as memory:
        start = time.perf_counter()
        result = estimate_video(video, workers=workers)
        marks = {"pose": time.perf_counter() - start}
        analysis = analyze_pose(result.pose)
        marks["analysis"] = time.perf_counter() - start - marks["pose"]
        render_html(analysis)
        marks["report"] = time.perf_counter() - start - marks["pose"] - marks["analysis"]
        wall = time.perf_counter() - start
    return Timing(
        wall,
        duration_s / wall,
        len(result.pose),
        marks,
        meter.own_cpu_s(),
        meter.other_cores(),
        memory.peak_bytes,
    )


def run(
    video: Path,
    workers: int,
    repeat: int,
    quiet_wait_s: float = 0.0,
    *,
    plain: bool = True,
    single: bool = True,
) -> dict[str, Any]:
    """Time the contenders on ``video``, in turn, ``repeat`` times; keep each one's best.

    Before each timing, waits up to ``quiet_wait_s`` seconds for other programs to go quiet.
    """
    import mediapipe  # noqa: F401 - imported before timing, so no contender pays for it

    info = probe_video(video)
    contenders: dict[str, Callable[[], Timing]] = {
        "ours": lambda: time_ours(video, info.duration_s, workers)
    }
    if plain:
        contenders["plain"] = lambda: time_plain(video, info.duration_s)
    if single and workers != 1:
        contenders["single"] = lambda: time_ours(video, info.duration_s, 1)
    runs: dict[str, list[Timing]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, timed in contenders.items():
            wait_for_quiet(quiet_wait_s)
            runs[name].append(timed())
    best = {name: min(timings, key=lambda t: t.wall_s) for name, timings in runs.items()}
    large = info.height >= 1080 or info.fps > 31
    targets = {
        "real_time_factor": TARGET_REAL_TIME_LARGE if large else TARGET_REAL_TIME,
        "speedup": TARGET_SPEEDUP,
        "single_speedup": TARGET_SINGLE_SPEEDUP,
    }
    figures: dict[str, Any] = {
        "video": str(video),
        "size": f"{info.width}x{info.height}",
        "fps": info.fps,
        "duration_s": info.duration_s,
        "workers": workers,
        "repeat": repeat,
        "cores": os.cpu_count(),
        "all_wall_s": {name: [t.wall_s for t in timings] for name, timings in runs.items()},
        "targets": targets,
    }
    figures |= {name: asdict(timing) for name, timing in best.items()}
    met = [best["ours"].real_time_factor >= targets["real_time_factor"]]
    if "plain" in best:
        figures["speedup"] = best["plain"].wall_s / best["ours"].wall_s
        met.append(figures["speedup"] >= TARGET_SPEEDUP)
        if "single" in best:
            figures["single_speedup"] = best["plain"].wall_s / best["single"].wall_s
            met.append(figures["single_speedup"] >= TARGET_SINGLE_SPEEDUP)
    figures["targets_met"] = all(met)
    return figures


def print_figures(figures: dict[str, Any]) -> None:
    """Print the figures as plain lines."""
    print(
        f"video: {figures['video']} ({figures['size']}, {figures['fps']:.1f} fps, "
        f"{figures['duration_s']:.1f} s); {figures['cores']} cores"
    )
    labels = {
        "plain": "(a) plain loop",
        "ours": f"(b) ours, {figures['workers']} workers",
        "single": "(c) ours, 1 worker",
    }
    for key, label in labels.items():
        if key not in figures:
            continue
        t = figures[key]
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in t["stages_s"].items())
        print(
            f"{label:22s} {t['wall_s']:6.2f} s  {t['real_time_factor']:4.2f}x real time  "
            f"{t['frames']} frames  peak {t['peak_rss_bytes'] / 1e6:.0f} MB  ({stages}; "
            f"CPU {t['cpu_s']:.1f} s; other programs used {t['other_load_cores']:.2f} cores)"
        )
    if figures["repeat"] > 1:
        walls = "; ".join(
            f"{k} " + " ".join(f"{w:.2f}" for w in v) for k, v in figures["all_wall_s"].items()
        )
        print(f"best of {figures['repeat']}; all runs (s): {walls}")
    targets = figures["targets"]
    lines = [f"(b) >= {targets['real_time_factor']}x real time"]
    if "speedup" in figures:
        print(f"speed-up of (b) over (a): {figures['speedup']:.2f}x")
        lines.append(f"(b) >= {targets['speedup']}x (a)")
    if "single_speedup" in figures:
        print(f"speed-up of (c) over (a): {figures['single_speedup']:.2f}x")
        lines.append(f"(c) >= {targets['single_speedup']}x (a)")
    print(f"targets: {', '.join(lines)}: {'met' if figures['targets_met'] else 'NOT met'}")


def memory_check(minutes: float, workers: int, folder: Path) -> dict[str, Any]:
    """Run ``psoas analyze`` (a process of its own, as a user runs it) on a ``minutes`` long
    1080p30 clip; its wall time and the peak resident memory of all its processes."""
    video = make_benchmark_video(
        DEFAULT_SOURCE,
        folder / f"long{minutes:g}min1080p.mp4",
        width=1920,
        height=1080,
        seconds=minutes * 60.0,
        preset="ultrafast",
    )
    info = probe_video(video)
    command = [sys.executable, "-m", "psoas_coach.cli", "analyze", str(video)]
    command += ["--out", str(folder / "out"), "--workers", str(workers)]
    start = time.perf_counter()
    peak = 0.0
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as child:
        while child.poll() is None:
            peak = max(peak, tree_rss_bytes(child.pid))
            time.sleep(0.2)
        errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"psoas analyze failed ({child.returncode}): {errors.strip()[-500:]}")
    return {
        "video": str(video),
        "duration_s": info.duration_s,
        "wall_s": wall,
        "real_time_factor": info.duration_s / wall,
        "peak_rss_bytes": peak,
        "target_peak_rss_bytes": TARGET_PEAK_RSS,
        "targets_met": peak < TARGET_PEAK_RSS,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build the default video if none is given, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("video", nargs="?", type=Path, help="video to time (default: made)")
    parser.add_argument("--clip", choices=sorted(CLIPS), default="720p30", help="clip to make")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for (b)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument("--no-single", action="store_true", help="skip (c), one worker")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="seconds to wait, before each timing, for other programs to go quiet",
    )
    parser.add_argument(
        "--memory-minutes", type=float, help="time (b) on a clip this long, for its memory"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.memory_minutes:
            figures = memory_check(args.memory_minutes, args.workers, Path(tmp))
            if not args.json:
                print(
                    f"video: {figures['duration_s'] / 60:.1f} min 1080p30; psoas analyze "
                    f"--workers {args.workers}: {figures['wall_s']:.1f} s, "
                    f"{figures['real_time_factor']:.2f}x real time, peak "
                    f"{figures['peak_rss_bytes'] / 1e6:.0f} MB resident, all processes "
                    f"(target < {TARGET_PEAK_RSS / 1e6:.0f} MB: "
                    f"{'met' if figures['targets_met'] else 'NOT met'})"
                )
        else:
            width, height, fps = CLIPS[args.clip]
            video = args.video or make_benchmark_video(
                DEFAULT_SOURCE,
                Path(tmp) / f"bench{args.clip}.mp4",
                width=width,
                height=height,
                fps=fps,
            )
            figures = run(
                video, args.workers, max(1, args.repeat), args.quiet_wait, single=not args.no_single
            )
            if not args.json:
                print_figures(figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    with filtered_stderr():  # MediaPipe's native log lines stay off the figures
        status = main()
    sys.exit(status)
