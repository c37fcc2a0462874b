"""Benchmark: the plain pose loop against the product's video path, side by side, in one run.

(a) plain: OpenCV decodes every frame, BlazePose full estimates each, one process
    (``psoas_coach.pose.video_pose.estimate_video_plain``).
(b) ours: ``estimate_video`` (parallel chunks, frames capped at 30 fps and shrunk before the
    estimator), then the analysis (``psoas_coach.pipeline.analyze_pose``) and the HTML report
    (``psoas_coach.report.html.render_html``) when those modules exist.

By default the input is made from ``../shared/real/leg_raise_1.mp4`` rescaled to 1280x720 and
resampled to 30 fps (about 12 s, H.264, a keyframe every 2 s). Prints each wall time, the
real-time factor (video seconds per wall second) and the speed-up of (b) over (a).

    .venv/bin/python scripts/benchmark_video.py [VIDEO] [--workers 2] [--repeat N]
        [--quiet-wait SECONDS] [--json]

On a machine shared with other work, ``--repeat`` keeps each contender's best run and
``--quiet-wait`` waits for a quiet moment before each timing; every run prints how many
cores other programs used meanwhile.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from psoas_coach.cli.native_log import filtered_stderr
from psoas_coach.pose.video_pose import estimate_video, estimate_video_plain
from psoas_coach.source.video import iter_frames, probe_video

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "real" / "leg_raise_1.mp4"
#: Targets on the 2-core reference machine.
TARGET_REAL_TIME = 2.0
TARGET_SPEEDUP = 1.6


@dataclass
class Timing:
    """One contender's figures: wall seconds, real-time factor, frames and stage seconds.

    ``cpu_s`` is the CPU time this run used (all its processes), ``other_load_cores`` the CPU
    other programs used meanwhile, in cores (0 on a quiet machine; Linux only, else NaN).
    """

    wall_s: float
    real_time_factor: float
    frames: int
    stages_s: dict[str, float]
    cpu_s: float = float("nan")
    other_load_cores: float = float("nan")


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


def make_benchmark_video(
    source: Path, out: Path, *, width: int = 1280, height: int = 720, fps: int = 30
) -> Path:
    """Write ``source`` rescaled to ``width`` x ``height`` pixels at ``fps`` frames per second.

    Each output frame at ``k / fps`` s shows the latest source frame at or before that time.
    H.264 (libx264), yuv420p, a keyframe every 2 s.
    """
    import av

    frames = list(iter_frames(source, max_fps=None))
    duration_s = frames[-1][0] + (frames[-1][0] - frames[-2][0])
    times = np.array([t for t, _ in frames])
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.gop_size = 2 * fps
        stream.options = {"crf": "20", "preset": "veryfast"}
        for k in range(int(duration_s * fps)):
            index = int(np.searchsorted(times, k / fps + 1e-9, side="right")) - 1
            frame = av.VideoFrame.from_ndarray(frames[max(index, 0)][1], format="rgb24")
            frame = frame.reformat(width=width, height=height, format="yuv420p")
            frame.pts, frame.time_base = k, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out


def optional_stages() -> tuple[Callable[[Any], Any], Callable[[Any], str]] | None:
    """``(analyze_pose, render_html)`` when both modules exist, else ``None``."""
    try:
        pipeline = importlib.import_module("psoas_coach.pipeline")
        html = importlib.import_module("psoas_coach.report.html")
    except ImportError:
        return None
    return pipeline.analyze_pose, html.render_html


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
    start = time.perf_counter()
    pose = estimate_video_plain(video)
    wall = time.perf_counter() - start
    return Timing(
        wall, duration_s / wall, len(pose), {"pose": wall}, meter.own_cpu_s(), meter.other_cores()
    )


def time_ours(video: Path, duration_s: float, workers: int) -> Timing:
    """Wall time of ``estimate_video`` plus analysis and report (when available) on ``video``."""
    stages = optional_stages()
    meter = LoadMeter()
    start = time.perf_counter()
    result = estimate_video(video, workers=workers)
    marks = {"pose": time.perf_counter() - start}
    if stages is not None:
        analyze, render = stages
        analysis = analyze(result.pose)
        marks["analysis"] = time.perf_counter() - start - marks["pose"]
        render(analysis)
        marks["report"] = time.perf_counter() - start - marks["pose"] - marks["analysis"]
    wall = time.perf_counter() - start
    return Timing(
        wall, duration_s / wall, len(result.pose), marks, meter.own_cpu_s(), meter.other_cores()
    )


def run(video: Path, workers: int, repeat: int, quiet_wait_s: float = 0.0) -> dict[str, Any]:
    """Time both contenders on ``video``, alternating, ``repeat`` times; keep each one's best.

    Before each timing, waits up to ``quiet_wait_s`` seconds for other programs to go quiet.
    """
    import mediapipe  # noqa: F401 - imported before timing, so neither side pays for it

    info = probe_video(video)
    plains: list[Timing] = []
    ourses: list[Timing] = []
    for _ in range(repeat):
        wait_for_quiet(quiet_wait_s)
        plains.append(time_plain(video, info.duration_s))
        wait_for_quiet(quiet_wait_s)
        ourses.append(time_ours(video, info.duration_s, workers))
    plain = min(plains, key=lambda t: t.wall_s)
    ours = min(ourses, key=lambda t: t.wall_s)
    speedup = plain.wall_s / ours.wall_s
    return {
        "video": str(video),
        "size": f"{info.width}x{info.height}",
        "fps": info.fps,
        "duration_s": info.duration_s,
        "workers": workers,
        "repeat": repeat,
        "all_wall_s": {"plain": [t.wall_s for t in plains], "ours": [t.wall_s for t in ourses]},
        "analysis_and_report_timed": optional_stages() is not None,
        "plain": asdict(plain),
        "ours": asdict(ours),
        "speedup": speedup,
        "targets": {"real_time_factor": TARGET_REAL_TIME, "speedup": TARGET_SPEEDUP},
        "targets_met": ours.real_time_factor >= TARGET_REAL_TIME and speedup >= TARGET_SPEEDUP,
    }


def print_figures(figures: dict[str, Any]) -> None:
    """Print the figures as plain lines."""
    print(
        f"video: {figures['video']} ({figures['size']}, {figures['fps']:.1f} fps, "
        f"{figures['duration_s']:.1f} s)"
    )
    if not figures["analysis_and_report_timed"]:
        print("note: psoas_coach.pipeline / report.html missing: (b) times pose only")
    for key, label in (("plain", "(a) plain loop"), ("ours", "(b) ours")):
        t = figures[key]
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in t["stages_s"].items())
        print(
            f"{label:16s} {t['wall_s']:6.2f} s  {t['real_time_factor']:4.2f}x real time  "
            f"{t['frames']} frames  ({stages}; CPU {t['cpu_s']:.1f} s; other programs used "
            f"{t['other_load_cores']:.2f} cores)"
        )
    if figures["repeat"] > 1:
        plain, ours = (
            " ".join(f"{w:.2f}" for w in figures["all_wall_s"][k]) for k in ("plain", "ours")
        )
        print(f"best of {figures['repeat']}; all runs: plain {plain} s, ours {ours} s")
    print(f"speed-up plain/ours: {figures['speedup']:.2f}x")
    targets = figures["targets"]
    print(
        f"targets: >= {targets['real_time_factor']}x real time and >= {targets['speedup']}x "
        f"speed-up: {'met' if figures['targets_met'] else 'NOT met'}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build the default video if none is given, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("video", nargs="?", type=Path, help="video to time (default: made)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for (b)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="seconds to wait, before each timing, for other programs to go quiet",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        video = args.video or make_benchmark_video(DEFAULT_SOURCE, Path(tmp) / "bench720p30.mp4")
        figures = run(video, args.workers, max(1, args.repeat), args.quiet_wait)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_figures(figures)
    return 0


if __name__ == "__main__":
    with filtered_stderr():  # MediaPipe's native log lines stay off the figures
        status = main()
    sys.exit(status)
