"""Run one analysis job into a private work folder: :func:`psoas_coach.outputs.analyze_file`
with the annotated video the athlete's privacy policy allows (the same writer as the CLI's).

Nothing here touches the database or ``results/``: the worker moves the finished folder into
place and records it, so a half-written result is never visible.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, fields
from pathlib import Path

from psoas_coach.config import AnalysisConfig
from psoas_coach.outputs import Progress, VideoKind, analyze_file, input_stem
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
    work: Path | None = None,
) -> RunOutput:
    """Analyse the ticket's input into ``work`` (by default a new folder in ``work/``) and
    return it, with the keypoints as estimated or read (``analysis.csv``, or
    ``analysis.csv.gz`` for a compressed keypoint upload).

    Raises what :func:`~psoas_coach.outputs.analyze_file` raises (a
    :class:`~psoas_coach.exceptions.PsoasError` for bad input); the work folder is removed then.
    """
    work = work or data.new_work_folder(f"job{ticket.job_id}")
    try:
        source = _link_input(data.path(ticket.input_path), work / "input", ticket)
        out = work / "out"
        config = job_config(ticket)
        result = analyze_file(
            source,
            out,
            config,
            stem=STEM,
            video=video_kind(ticket, skeleton_video),
            workers=pose_workers,
            max_fps=MAX_FPS,
            progress=progress,
            language=ticket.language,
            keypoints=".csv.gz" if stored_suffix(source.name) == ".csv.gz" else ".csv",
        )
        assert result.analysis is not None
        run = RunOutput(out, result.analysis.report)
        run.files = {role: path.name for role, path in result.files.items()}
        return run
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def video_kind(ticket: JobTicket, skeleton_video: bool) -> VideoKind | None:
    """The annotated video the athlete's privacy policy allows: over the picture (face
    pixelated when asked), or a skeleton from the keypoints alone (keypoints-only policy, and
    keypoint uploads when the dashboard makes skeleton videos)."""
    if ticket.kind == "video" and not ticket.keypoints_only:
        return "blurred" if ticket.blur_faces else "plain"
    if ticket.kind == "video" or skeleton_video:
        return "skeleton"
    return None


def _link_input(stored: Path, folder: Path, ticket: JobTicket) -> Path:
    """The stored input under the uploaded file's own name (reports show that name)."""
    folder.mkdir()
    link = folder / f"{safe_stem(ticket.original_name)}{stored_suffix(stored.name)}"
    try:
        os.symlink(stored, link)
    except OSError:
        shutil.copyfile(stored, link)
    return link
