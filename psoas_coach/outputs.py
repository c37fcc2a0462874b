"""Analyse one input file and write its outputs: the unit of work of the CLI and of any job.

A video gives ``<stem>.csv`` (its keypoints, written first so pose estimation never has to
run twice), then ``<stem>.json`` and ``<stem>.html``, and with ``video=True`` the annotated
``<stem>.annotated.mp4``. A keypoint CSV gives the JSON and HTML. Every file is written
atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import InputError, InputNotFoundError, VideoError
from psoas_coach.pipeline import Analysis, analyze_pose
from psoas_coach.pose.csv_io import is_keypoint_csv, read_keypoints, write_keypoints
from psoas_coach.pose.types import PoseSequence

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm", ".mkv")

#: Called with the share of the work done, 0..1, and a short label of the current step.
Progress = Callable[[float, str], None]


@dataclass
class FileResult:
    """What analysing one input produced."""

    source: Path
    analysis: Analysis | None = None
    outputs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def input_stem(path: Path) -> str:
    """The file name without ``.csv.gz`` / ``.csv`` / video suffix."""
    name = path.name
    for suffix in (".csv.gz", *VIDEO_SUFFIXES, ".csv"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def is_video(path: Path) -> bool:
    """True when ``path`` has one of the accepted video suffixes."""
    return path.suffix.lower() in VIDEO_SUFFIXES


def check_input(path: Path) -> None:
    """Raise a one-line :class:`InputError` for a missing or unsupported input."""
    if not path.exists():
        raise InputNotFoundError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if not (is_video(path) or is_keypoint_csv(path)):
        raise InputError(
            f"{path}: unsupported file type (expected a video: "
            f"{', '.join(s[1:] for s in VIDEO_SUFFIXES)}; or a keypoint CSV: csv, csv.gz)"
        )


def analyze_file(
    path: Path,
    out_dir: Path,
    config: AnalysisConfig,
    *,
    stem: str | None = None,
    video: bool = False,
    workers: int = 2,
    max_fps: float = 30.0,
    progress: Progress | None = None,
) -> FileResult:
    """Analyse ``path`` (video or keypoint CSV) and write its outputs into ``out_dir``.

    Raises a :class:`~psoas_coach.exceptions.PsoasError` when nothing usable comes out; a
    video's keypoint CSV is kept even when its analysis then fails.
    """
    check_input(path)
    report_progress = progress or (lambda share, label: None)
    stem = stem or input_stem(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = FileResult(path)
    if is_video(path):
        pose = _video_pose(path, out_dir / f"{stem}.csv", result, workers, max_fps, report_progress)
    else:
        report_progress(0.0, "reading keypoints")
        pose = read_keypoints(path, result.warnings)
    report_progress(0.85 if is_video(path) else 0.3, "analysing")
    if video and not is_video(path):
        result.warnings.append("an annotated video needs a video input: none written")
    result.analysis = analyze_pose(pose, config, extra_warnings=result.warnings)
    _write_reports(result.analysis, out_dir, stem, result)
    if video and is_video(path):
        report_progress(0.9, "annotated video")
        _write_video(path, result.analysis, out_dir / f"{stem}.annotated.mp4", max_fps, result)
    report_progress(1.0, "done")
    return result


def _video_pose(
    path: Path, csv_path: Path, result: FileResult, workers: int, max_fps: float, progress: Progress
) -> PoseSequence:
    from psoas_coach.pose.video_pose import estimate_video

    estimated = estimate_video(
        path,
        workers=workers,
        max_fps=max_fps,
        progress=lambda share: progress(0.85 * share, "pose estimation"),
    )
    result.warnings.extend(estimated.warnings)
    write_keypoints(estimated.pose, csv_path)
    result.outputs.append(csv_path)
    return estimated.pose


def _write_reports(analysis: Analysis, out_dir: Path, stem: str, result: FileResult) -> None:
    from psoas_coach.report.html import write_html

    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    analysis.report.save(json_path)
    write_html(analysis, html_path)
    result.outputs += [json_path, html_path]


def _write_video(
    path: Path, analysis: Analysis, out: Path, max_fps: float, result: FileResult
) -> None:
    from psoas_coach.report.annotate import write_annotated_video
    from psoas_coach.source.video import iter_frames, probe_video

    fps = min(probe_video(path).fps, max_fps)
    try:
        write_annotated_video(iter_frames(path, max_fps=max_fps), analysis, out, fps=fps)
    except VideoError as err:
        result.warnings.append(f"annotated video not written: {err}")
        return
    result.outputs.append(out)
