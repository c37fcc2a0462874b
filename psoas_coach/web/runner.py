"""Run one analysis job into a private work folder: :func:`psoas_coach.outputs.analyze_file`, then
the annotated video the athlete's privacy policy allows and the page's SVG plots.

Nothing here touches the database or ``results/``: the worker moves the finished folder into
place and records it, so a half-written result is never visible.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, fields
from pathlib import Path

from psoas_coach.atomic import write_text_atomic
from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import VideoError
from psoas_coach.outputs import Progress, analyze_file, input_stem
from psoas_coach.pipeline import Analysis
from psoas_coach.report.model import Report
from psoas_coach.storage.crud.jobs import JobTicket
from psoas_coach.storage.files import DataDir

#: File stem of every output in a result folder (``analysis.json``, ``analysis.html``, ...).
STEM = "analysis"
#: Pose estimation rate cap, frames per second (as ``psoas analyze``).
MAX_FPS = 30.0


@dataclass
class RunOutput:
    """A finished analysis in ``folder`` (under ``work/``): file names by role and the report.

    Roles: ``json``, ``html``, ``keypoints``, ``video``, ``angles``, ``holds``.
    """

    folder: Path
    report: Report
    files: dict[str, str] = field(default_factory=dict)


def stored_suffix(path: str) -> str:
    """The suffix of a stored file (``.csv.gz`` counts as one suffix)."""
    lowered = path.lower()
    return ".csv.gz" if lowered.endswith(".csv.gz") else Path(lowered).suffix


def safe_stem(original_name: str) -> str:
    """A file-system-safe stem of an uploaded file's name (any Unicode kept, separators,
    control characters and leading dots removed, at most 80 characters)."""
    stem = input_stem(Path(original_name.replace("\\", "/").split("/")[-1]))
    cleaned = "".join(c for c in stem if c.isprintable() and c not in '/\\:*?"<>|')
    return cleaned.strip().lstrip(".")[:80] or "recording"


def job_config(ticket: JobTicket) -> AnalysisConfig:
    """The job's stored settings; settings this version no longer has are left out (a job
    queued before an upgrade still runs)."""
    known = {f.name for f in fields(AnalysisConfig)}
    stored = {k: v for k, v in ticket.config.items() if k in known}
    return AnalysisConfig().updated(stored, origin=f"job {ticket.job_id} settings")


def run_job(
    ticket: JobTicket,
    data: DataDir,
    *,
    pose_workers: int,
    skeleton_video: bool,
    progress: Progress,
) -> RunOutput:
    """Analyse the ticket's input into a new folder in ``work/`` and return it.

    Raises what :func:`~psoas_coach.outputs.analyze_file` raises (a
    :class:`~psoas_coach.exceptions.PsoasError` for bad input); the work folder is removed then.
    """
    work = data.new_work_folder(f"job{ticket.job_id}")
    try:
        source = _link_input(data.path(ticket.input_path), work / "input", ticket)
        out = work / "out"
        config = job_config(ticket)
        plain_video = ticket.kind == "video" and not (ticket.keypoints_only or ticket.blur_faces)
        result = analyze_file(
            source,
            out,
            config,
            stem=STEM,
            video=plain_video,
            workers=pose_workers,
            max_fps=MAX_FPS,
            progress=progress,
        )
        assert result.analysis is not None
        run = RunOutput(out, result.analysis.report)
        run.files = {role: f"{STEM}.{ext}" for role, ext in (("json", "json"), ("html", "html"))}
        _keypoints(run, source, ticket)
        _video(run, source, ticket, skeleton_video, result.analysis, progress)
        _plots(run, result.analysis)
        return run
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _link_input(stored: Path, folder: Path, ticket: JobTicket) -> Path:
    """The stored input under the uploaded file's own name (reports show that name)."""
    folder.mkdir()
    link = folder / f"{safe_stem(ticket.original_name)}{stored_suffix(stored.name)}"
    try:
        os.symlink(stored, link)
    except OSError:
        shutil.copyfile(stored, link)
    return link


def _keypoints(run: RunOutput, source: Path, ticket: JobTicket) -> None:
    """A video's keypoints are written by the analysis; a CSV input is kept as they are."""
    if ticket.kind == "video":
        if (run.folder / f"{STEM}.csv").exists():
            run.files["keypoints"] = f"{STEM}.csv"
        return
    name = f"{STEM}{stored_suffix(source.name)}"
    shutil.copyfile(source, run.folder / name)
    run.files["keypoints"] = name


def _video(
    run: RunOutput,
    source: Path,
    ticket: JobTicket,
    skeleton_video: bool,
    analysis: Analysis,
    progress: Progress,
) -> None:
    """The annotated video the privacy policy allows (see :mod:`psoas_coach.web.privacy_video`)."""
    from psoas_coach.web.privacy_video import write_blurred_video, write_skeleton_video

    name = f"{STEM}.annotated.mp4"
    target = run.folder / name
    from_picture = ticket.kind == "video" and not ticket.keypoints_only
    blurred = from_picture and ticket.blur_faces
    skeleton = not from_picture and (ticket.kind == "video" or skeleton_video)
    if (blurred or skeleton) and analysis.pose.time_s.size:
        progress(0.92, "annotated video")
        try:
            if blurred:
                write_blurred_video(source, analysis, target, max_fps=MAX_FPS)
            else:
                write_skeleton_video(analysis, target)
        except VideoError as err:
            run.report.warnings.append(f"annotated video not written: {err}")
    if target.exists():
        run.files["video"] = name


def _plots(run: RunOutput, analysis: Analysis) -> None:
    """Angle and hold plots as SVG files for the session page."""
    from psoas_coach.report.plots import angles_svg, holds_svg

    if analysis.kinematics.time_s.size:
        write_text_atomic(run.folder / "angles.svg", angles_svg(analysis.kinematics, run.report))
        run.files["angles"] = "angles.svg"
    if run.report.reps:
        write_text_atomic(run.folder / "holds.svg", holds_svg(run.report))
        run.files["holds"] = "holds.svg"
