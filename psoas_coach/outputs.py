"""Analyse one input file and write its outputs: the unit of work of the CLI and of any job.

:func:`write_outputs` is the one writer of what an analysis gives, for ``psoas analyze``, the
dashboard's jobs and a saved live set alike: the annotated video if asked
(``<stem>.annotated.mp4``: over the video, with the face pixelated, or a skeleton on a plain
background), the plots (``<stem>.angles.svg``, ``<stem>.holds.svg``, rendered once and also
embedded in the HTML), then ``<stem>.json`` and ``<stem>.html`` last, so they carry every
warning met on the way. The keypoint CSV (``<stem>.csv``, the keypoints as estimated or
received) comes first when asked: :func:`analyze_file` asks for a video's, and writes it
even when the analysis fails, so pose estimation never has to run twice. Every file is
written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from psoas_coach.atomic import write_text_atomic
from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis
from psoas_coach.exceptions import InputError, InputNotFoundError, VideoError
from psoas_coach.faults.words import DEFAULT_LANGUAGE
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.csv_io import is_keypoint_csv, read_keypoints, write_keypoints
from psoas_coach.pose.types import PoseSequence
from psoas_coach.report.html import AnalysisLike

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm", ".mkv")

#: Called with the share of the work done, 0..1, and a short label of the current step.
Progress = Callable[[float, str], None]
#: How the keypoint CSV of an analysis is written (docs/definitions.md section 2): plain or
#: gzip-compressed.
KeypointFormat = Literal[".csv", ".csv.gz"]
#: How the annotated video is drawn: over the video's own pictures, over them with the face
#: pixelated, or on a plain background from the keypoints alone (no picture of the person).
VideoKind = Literal["plain", "blurred", "skeleton"]


@dataclass
class FileResult:
    """What analysing one input produced."""

    source: Path
    analysis: Analysis | None = None
    outputs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The files written by role: ``keypoints``, ``video``, ``angles``, ``holds``, ``json``,
    #: ``html``.
    files: dict[str, Path] = field(default_factory=dict)


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
    video: VideoKind | None = None,
    workers: int = 2,
    max_fps: float = 30.0,
    progress: Progress | None = None,
    language: str = DEFAULT_LANGUAGE,
    pose_model: str = "full",
    keypoints: KeypointFormat | None = None,
) -> FileResult:
    """Analyse ``path`` (video or keypoint CSV) and write its outputs into ``out_dir``
    (:func:`write_outputs`; ``video`` is the kind of annotated video, none by default;
    ``language`` that of the fault names and cues in the HTML report; ``pose_model`` the
    BlazePose landmark model for a video, ``"full"`` or ``"heavy"``; ``keypoints`` the
    format of the keypoint CSV: a video's is always written, ``.csv`` unless given, a keypoint
    CSV input's only when given, so an input is never overwritten).

    Raises a :class:`~psoas_coach.exceptions.PsoasError` when nothing usable comes out; a
    video's keypoint CSV is kept even when its analysis then fails, but not when the run is
    interrupted (Ctrl-C): then nothing of this input stays.
    """
    check_input(path)
    report_progress = progress or (lambda share, label: None)
    stem = stem or input_stem(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = FileResult(path)
    if is_video(path):
        pose = _video_pose(path, result, (workers, max_fps, pose_model), report_progress)
        keypoints = keypoints or ".csv"
    else:
        report_progress(0.0, "reading keypoints")
        pose = read_keypoints(path, result.warnings)
    if video in ("plain", "blurred") and not is_video(path):
        result.warnings.append("an annotated video needs a video input: none written")
        video = None
    report_progress(0.85 if is_video(path) else 0.3, "analysing")
    result.analysis = _analyze_keeping_keypoints(pose, config, result, (out_dir, stem, keypoints))
    written = write_outputs(
        result.analysis,
        out_dir,
        stem,
        keypoints=keypoints,
        video=video,
        source=path if is_video(path) else None,
        max_fps=max_fps,
        progress=report_progress,
        language=language,
    )
    result.files.update(written)
    result.outputs += list(written.values())
    report_progress(1.0, "done")
    return result


def _analyze_keeping_keypoints(
    pose: PoseSequence,
    config: AnalysisConfig,
    result: FileResult,
    keypoints_to: tuple[Path, str, KeypointFormat | None],
) -> Analysis:
    """:func:`analyze_pose` of ``pose``; when it fails, the keypoint CSV (``keypoints_to``:
    folder, stem, format) is written all the same, so pose estimation never runs twice."""
    try:
        return analyze_pose(pose, config, extra_warnings=result.warnings)
    except Exception:  # not Ctrl-C: then nothing of this input stays
        out_dir, stem, kind = keypoints_to
        if kind is not None and len(pose):
            result.files["keypoints"] = write_keypoint_file(pose, out_dir, stem, kind)
            result.outputs.append(result.files["keypoints"])
        raise


def write_outputs(
    analysis: Analysis,
    out_dir: Path,
    stem: str,
    *,
    keypoints: KeypointFormat | None = None,
    video: VideoKind | None = None,
    source: Path | None = None,
    max_fps: float = 30.0,
    progress: Progress | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Path]:
    """Write what ``analysis`` gives into ``out_dir``; the files by role (the HTML report's
    fault names and cues in ``language``).

    The keypoint CSV first when ``keypoints`` names its format (``<stem>.csv`` or
    ``<stem>.csv.gz``: ``analysis.keypoints``, all 33 landmarks as estimated or received;
    none for a set without frames), then the annotated video (``plain`` and ``blurred``
    draw over the pictures of the video at ``source``; a video that cannot be written
    becomes a warning of the report), then the plots, then the JSON and HTML reports. Each
    file is written whole or not at all; when the writing stops part-way (an error, Ctrl-C,
    a cancelled job), the files this call wrote are removed again, so no half set is left.
    """
    from psoas_coach.report.html import write_html
    from psoas_coach.report.plots import render_plots

    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    try:
        if keypoints is not None and len(analysis.keypoints):
            files["keypoints"] = write_keypoint_file(analysis.keypoints, out_dir, stem, keypoints)
        if video is not None and len(analysis.pose):
            target = out_dir / f"{stem}.annotated.mp4"
            if _write_video(analysis, target, video, source, max_fps, progress):
                files["video"] = target
        plots = render_plots(analysis.kinematics, analysis.report)
        for role, svg in (("angles", plots.angles), ("holds", plots.holds)):
            if svg is not None:
                write_text_atomic(out_dir / f"{stem}.{role}.svg", svg)
                files[role] = out_dir / f"{stem}.{role}.svg"
        analysis.report.save(out_dir / f"{stem}.json")
        files["json"] = out_dir / f"{stem}.json"
        write_html(analysis, out_dir / f"{stem}.html", plots, language)
        files["html"] = out_dir / f"{stem}.html"
    except BaseException:
        for path in files.values():
            path.unlink(missing_ok=True)
        raise
    return files


def write_keypoint_file(
    pose: PoseSequence, out_dir: Path, stem: str, kind: KeypointFormat = ".csv"
) -> Path:
    """Write ``pose`` as ``out_dir/<stem><kind>`` (atomically); its path. The one writer of
    an analysis's keypoint CSV (:func:`write_outputs`' ``keypoints`` role)."""
    target = out_dir / f"{stem}{kind}"
    write_keypoints(pose, target)
    return target


def _video_pose(
    path: Path,
    result: FileResult,
    how: tuple[int, float, str],
    progress: Progress,
) -> PoseSequence:
    """Estimate the pose of the video at ``path`` (``how``: workers, frame-rate cap, model)."""
    from psoas_coach.pose.video_pose import estimate_video

    workers, max_fps, model = how
    estimated = estimate_video(
        path,
        workers=workers,
        max_fps=max_fps,
        model=model,
        progress=lambda done: progress(0.85 * done.share, done.label()),
    )
    result.warnings.extend(estimated.warnings)
    return estimated.pose


def _write_video(
    analysis: AnalysisLike,
    out: Path,
    kind: VideoKind,
    source: Path | None,
    max_fps: float,
    progress: Progress | None,
) -> bool:
    """Write the annotated video of ``kind``; False (and a report warning) when it fails.

    ``progress`` hears the frames written (from 0.86 to 0.98 of the job; whatever it raises,
    e.g. a cancelled job, stops the writing and leaves no file).
    """
    from psoas_coach.report.annotate import write_annotated_video
    from psoas_coach.report.privacy_video import write_blurred_video, write_skeleton_video
    from psoas_coach.source.video import iter_frames, probe_video

    total = len(analysis.pose)
    report = progress or (lambda share, label: None)

    def written(count: int) -> None:
        report(0.86 + 0.12 * min(count / total, 1.0), f"annotated video {count}/{total} frames")

    written(0)
    try:
        if kind == "skeleton":
            write_skeleton_video(analysis, out, progress=written)
        elif source is None:
            raise VideoError("there is no video to draw on")
        elif kind == "blurred":
            write_blurred_video(source, analysis, out, max_fps=max_fps, progress=written)
        else:
            fps = min(probe_video(source).fps, max_fps)
            frames = iter_frames(source, max_fps=max_fps)
            write_annotated_video(frames, analysis, out, fps=fps, progress=written)
    except VideoError as err:
        analysis.report.warnings.append(f"annotated video not written: {err}")
        return False
    return True
