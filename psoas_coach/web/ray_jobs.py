"""A dashboard job run as a task on a Ray cluster (``psoas serve --ray ADDRESS``).

The job stays queued, claimed and recorded in the database by the server's worker threads
(:mod:`psoas_coach.web.worker`); only the analysis runs on the cluster. The task never
touches the database: it reads the stored input and writes the finished folder under the
data directory's ``work/``, which must be on storage every node sees at the same path, and
returns the :class:`~psoas_coach.web.runner.RunOutput` (file names and report). A task whose
worker dies is retried by Ray in a clean work folder; a cancelled job cancels its task.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from psoas_coach.cluster.engine import RayEngine, TaskLostError
from psoas_coach.exceptions import PsoasError
from psoas_coach.outputs import Progress
from psoas_coach.storage.crud.jobs import JobTicket
from psoas_coach.storage.files import DataDir
from psoas_coach.web.isolation import AnalysisCrashError
from psoas_coach.web.runner import RunOutput, run_job

log = logging.getLogger("psoas_coach.web.ray_jobs")

#: Seconds between two looks at the task (and at whether the job was cancelled).
POLL_S = 0.5
#: Progress shown while the task runs on the cluster (it reports none back).
RUNNING_SHARE = 0.05
#: Tries more for a task whose worker died.
RETRIES = 2


def run_job_on_ray(
    engine: RayEngine,
    ticket: JobTicket,
    data: DataDir,
    *,
    skeleton_video: bool,
    progress: Progress,
) -> RunOutput:
    """Run the job as one Ray task of one core and wait for it; the same result and errors
    as :func:`~psoas_coach.web.isolation.run_job_isolated` (a
    :class:`~psoas_coach.exceptions.PsoasError` for bad input,
    :class:`~psoas_coach.web.isolation.AnalysisCrashError` for the rest). What ``progress``
    raises (a cancelled job) cancels the task and is raised once its work folder is gone."""
    work = data.new_work_folder(f"job{ticket.job_id}")
    handle = engine.submit(job_task, ticket, data.root, work, skeleton_video, retries=RETRIES)
    log.info("job %d: sent to the %s as a task", ticket.job_id, engine.where)
    finished = False
    try:
        while not engine.wait([handle], POLL_S):
            progress(RUNNING_SHARE, f"analysing on the {engine.where}")
        try:
            kind, payload = engine.result(handle)
        except TaskLostError as err:
            raise AnalysisCrashError(str(err)) from err
        finished = True
    finally:
        if not finished:
            engine.cancel([handle])
            shutil.rmtree(work, ignore_errors=True)
    if kind == "done":
        output: RunOutput = payload
        return output
    shutil.rmtree(work, ignore_errors=True)
    if kind == "failed":
        raise PsoasError(payload)
    raise AnalysisCrashError(payload)


def job_task(ticket: JobTicket, root: Path, work: Path, skeleton_video: bool) -> tuple[str, Any]:
    """The task on a Ray worker: ``("done", RunOutput)``, ``("failed", message)`` for bad
    input or ``("crashed", "Type: message")``; pose estimation on this one core."""
    shutil.rmtree(work, ignore_errors=True)  # a retry starts from a clean folder
    work.mkdir(parents=True)
    try:
        output = run_job(
            ticket,
            DataDir(root),
            work=work,
            pose_workers=1,
            skeleton_video=skeleton_video,
            progress=lambda share, step: None,
        )
    except PsoasError as err:
        return ("failed", str(err))
    except Exception as err:  # every failure must reach the server, which records it
        return ("crashed", f"{type(err).__name__}: {err}")
    return ("done", output)
