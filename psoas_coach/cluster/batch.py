"""A batch run: every input a task on the engine, every outcome recorded as it arrives.

An input whose output stem was already analysed with the same key (content hash, analysis
version, settings; :func:`~psoas_coach.cluster.inputs.analysis_key`) and whose files are
still there is skipped; everything else (new, changed, failed before) is submitted. The
index is saved after each round of outcomes, so a run stopped anywhere resumes where it was.
Ctrl-C cancels the tasks still running, removes their staging folders and returns with
``interrupted`` set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psoas_coach.cluster.engine import RayEngine, TaskLostError
from psoas_coach.cluster.index import BatchIndex, Entry
from psoas_coach.cluster.inputs import BatchItem, analysis_key, content_hash, output_stems
from psoas_coach.cluster.tasks import TaskOutcome, TaskSpec, analyze_task, remove_staging
from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import InputError
from psoas_coach.outputs import check_input

#: Seconds between two looks at the running tasks.
WAIT_S = 0.5


@dataclass
class Counts:
    """Where a batch stands: inputs in all, done now, skipped (done before), failed."""

    total: int
    done: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def finished(self) -> int:
        """Inputs with an outcome (done, skipped or failed)."""
        return self.done + self.skipped + self.failed


@dataclass
class BatchResult:
    """The outcome of :func:`run_batch`: the counts, this run's entries (in input order),
    whether Ctrl-C stopped it, and its wall-clock seconds."""

    counts: Counts
    entries: list[Entry] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


def run_batch(
    items: list[BatchItem],
    out_dir: Path,
    config: AnalysisConfig,
    engine: RayEngine,
    *,
    max_fps: float = 30.0,
    pose_model: str = "full",
    retries: int = 2,
    on_update: Callable[[Counts], None] | None = None,
) -> BatchResult:
    """Analyse ``items`` into ``out_dir`` on ``engine``; ``batch.json`` there says how each
    went. ``pose_model``: BlazePose landmark model of the videos; ``retries``: tries more for
    a task whose worker died."""
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_staging(out_dir)
    index = BatchIndex.load(out_dir)
    result = BatchResult(Counts(len(items)))
    notify = on_update or (lambda counts: None)
    pending: dict[Any, Entry] = {}
    looked = time.monotonic()
    try:
        for item, stem in zip(items, output_stems(items), strict=True):
            spec = TaskSpec(item.path, out_dir, stem, config, max_fps, pose_model)
            entry, handle = _submit(item, spec, engine, index, retries)
            _place(entry, result, index)
            if handle is not None:
                pending[handle] = entry
            if time.monotonic() - looked > WAIT_S:  # outcomes while thousands are queued
                _collect(engine, pending, result, index, 0.0)
                notify(result.counts)
                looked = time.monotonic()
        notify(result.counts)
        while pending:
            _collect(engine, pending, result, index, WAIT_S)
            notify(result.counts)
    except KeyboardInterrupt:
        engine.cancel(list(pending))
        result.interrupted = True
    finally:
        index.save()
        remove_staging(out_dir)
        result.seconds = time.monotonic() - started
    return result


def _submit(
    item: BatchItem, spec: TaskSpec, engine: RayEngine, index: BatchIndex, retries: int
) -> tuple[Entry, Any]:
    """The entry of ``item`` and the handle of its task ``spec``: done before (status
    ``skipped``, no task), failed at once (missing, unsupported or unreadable file, no task),
    or ``running``."""
    stem = spec.stem
    entry = Entry(stem, str(item.path), "", "running", item.athlete, item.date)
    try:
        check_input(item.path)
        entry.sha256 = content_hash(item.path)
    except (InputError, OSError) as err:
        entry.status, entry.reason = "failed", _reason(item.path, err)
        return entry, None
    entry.key = analysis_key(entry.sha256, spec.config, spec.pose_model)
    if index.is_done(stem, entry.key):
        entry.status = "skipped"
        return entry, None
    return entry, engine.submit(analyze_task, spec, retries=retries)


def _place(entry: Entry, result: BatchResult, index: BatchIndex) -> None:
    """Count an entry that needs no task (skipped or failed at once)."""
    result.entries.append(entry)
    if entry.status == "skipped":
        result.counts.skipped += 1
    elif entry.status == "failed":
        result.counts.failed += 1
        index.record(entry)


def _collect(
    engine: RayEngine,
    pending: dict[Any, Entry],
    result: BatchResult,
    index: BatchIndex,
    timeout_s: float,
) -> None:
    """Record the outcomes of the tasks that finished within ``timeout_s`` seconds."""
    ready = engine.wait(list(pending), timeout_s)
    for handle in ready:
        entry = pending.pop(handle)
        _apply(entry, _outcome(engine, handle))
        index.record(entry)
        if entry.status == "done":
            result.counts.done += 1
        else:
            result.counts.failed += 1
    if ready:
        index.save()


def _outcome(engine: RayEngine, handle: Any) -> TaskOutcome:
    try:
        outcome: TaskOutcome = engine.result(handle)
    except TaskLostError as err:
        return TaskOutcome(False, reason=str(err))
    return outcome


def _apply(entry: Entry, outcome: TaskOutcome) -> None:
    entry.status = "done" if outcome.ok else "failed"
    entry.reason = outcome.reason if outcome.ok else _named(entry.input, outcome.reason)
    entry.files, entry.reps = outcome.files, outcome.reps
    entry.seconds, entry.worker = round(outcome.seconds, 3), outcome.worker


def _named(path: str, reason: str) -> str:
    """``reason`` starting with the input's name (the task's own reasons mostly do)."""
    name = Path(path).name
    return reason if name in reason else f"{path}: {reason}"


def _reason(path: Path, err: Exception) -> str:
    if isinstance(err, InputError):
        return " ".join(str(err).split())
    return f"{path}: cannot read ({err.strerror or err})" if isinstance(err, OSError) else str(err)
