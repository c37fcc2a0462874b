"""The work of one batch task on a worker: analyse one input, then move its files into place.

No Ray here: :mod:`psoas_coach.cluster.engine` runs :func:`analyze_task` as a Ray task. The
analysis writes into a private staging folder ``<out>/.partial/<name>-<random>/`` (with a
``worker.pid`` file naming the process that runs it), and only finished files are moved
(``os.replace``, atomic) to ``<out>/<stem>.*``, the JSON report last. A worker killed
mid-video leaves at most its staging folder, which the driver removes; its retry starts
afresh in a new one.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import PsoasError

#: Folder (under the output folder) of the tasks' staging folders.
STAGING = ".partial"
#: Order in which finished files are moved into place: the JSON report, which marks an
#: input as done, comes last.
PUBLISH_ORDER = ("keypoints", "video", "angles", "holds", "html", "json")


@dataclass(frozen=True)
class TaskSpec:
    """What one task analyses: ``path`` into ``out_dir / stem`` (``stem`` may hold
    sub-folders), with ``config``, decoding at most ``max_fps`` frames per second, with the
    BlazePose landmark model ``pose_model``."""

    path: Path
    out_dir: Path
    stem: str
    config: AnalysisConfig
    max_fps: float = 30.0
    pose_model: str = "full"


@dataclass
class TaskOutcome:
    """What a task gives back: ``ok`` with the files written (relative to the output
    folder) and reps per side, or the one-line ``reason`` it failed; the seconds it took and
    the worker (``host:pid``) that ran it."""

    ok: bool
    reason: str = ""
    files: dict[str, str] = field(default_factory=dict)
    reps: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""


def analyze_task(spec: TaskSpec) -> TaskOutcome:
    """Analyse ``spec.path`` on one core and publish its outputs; never raises for a bad
    input (the outcome says why), so only a dead worker makes Ray retry the task."""
    from psoas_coach.outputs import analyze_file

    started = time.monotonic()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    stage = staging_folder(spec.out_dir, spec.stem)
    try:
        (stage / "worker.pid").write_text(f"{os.getpid()}\n", encoding="utf-8")
        stem = Path(spec.stem).name
        result = analyze_file(
            spec.path,
            stage,
            spec.config,
            stem=stem,
            workers=1,
            max_fps=spec.max_fps,
            pose_model=spec.pose_model,
        )
        assert result.analysis is not None
        files = publish(stage, spec.out_dir / spec.stem, result.files)
        reps = dict(result.analysis.report.summary["reps"])
        outcome = TaskOutcome(True, files=files, reps=reps)
    except PsoasError as err:
        outcome = TaskOutcome(False, reason=" ".join(str(err).split()))
    except Exception as err:  # a bug, not a bad input: the index must still say so
        last = traceback.extract_tb(err.__traceback__)[-1]
        outcome = TaskOutcome(
            False,
            reason=f"{spec.path}: unexpected failure ({type(err).__name__}: {err}, "
            f"at {Path(last.filename).name}:{last.lineno})",
        )
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    outcome.seconds = time.monotonic() - started
    outcome.worker = worker
    return outcome


def staging_folder(out_dir: Path, stem: str) -> Path:
    """A new, empty staging folder for ``stem`` under ``out_dir/.partial``."""
    name = f"{Path(stem).name[:60]}-{uuid.uuid4().hex[:12]}"
    folder = out_dir / STAGING / name
    folder.mkdir(parents=True)
    return folder


def publish(stage: Path, target_stem: Path, files: dict[str, Path]) -> dict[str, str]:
    """Move the finished ``files`` (by role, in ``stage``) beside ``target_stem`` (each
    named ``<target_stem.name><its suffix>``) in :data:`PUBLISH_ORDER`; their paths relative
    to the output folder (``stage``'s grandparent)."""
    out_dir = stage.parent.parent
    target_stem.parent.mkdir(parents=True, exist_ok=True)
    moved: dict[str, str] = {}
    for role in sorted(files, key=_publish_rank):
        source = files[role]
        suffix = source.name[len(target_stem.name) :]
        target = target_stem.parent / f"{target_stem.name}{suffix}"
        os.replace(source, target)
        moved[role] = target.relative_to(out_dir).as_posix()
    return moved


def remove_staging(out_dir: Path) -> None:
    """Remove every staging folder under ``out_dir`` (those of killed or cancelled tasks)."""
    shutil.rmtree(out_dir / STAGING, ignore_errors=True)


def _publish_rank(role: str) -> int:
    return PUBLISH_ORDER.index(role) if role in PUBLISH_ORDER else 0
