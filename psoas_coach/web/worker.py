"""The analysis worker: threads inside the server that claim queued jobs from the database and
run them (:func:`psoas_coach.web.runner.run_job`), one job per thread at a time, each in a
child process with a memory limit (:mod:`psoas_coach.web.isolation`), or, with
``settings.ray_address``, as a task on that Ray cluster (:mod:`psoas_coach.web.ray_jobs`).

A finished job's folder is renamed from ``work/`` into ``results/`` and only then recorded, in
one transaction, with the job marked done; a failed job records its one-line reason. Jobs are
claimed atomically (see :func:`psoas_coach.storage.crud.jobs.claim_next_job`), so several
threads, or a second server on the same database, never run one job twice.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from psoas_coach.exceptions import PsoasError
from psoas_coach.pose.parallel import machine_cores
from psoas_coach.storage.crud import jobs as job_crud
from psoas_coach.storage.crud.jobs import JobTicket
from psoas_coach.storage.crud.results import summary_fields
from psoas_coach.storage.files import DataDir
from psoas_coach.web.isolation import AnalysisCrashError, run_job_isolated
from psoas_coach.web.runner import RunOutput
from psoas_coach.web.settings import Settings

if TYPE_CHECKING:
    from psoas_coach.cluster.engine import RayEngine

log = logging.getLogger("psoas_coach.web.worker")

#: Least time between two progress writes of one job, seconds.
PROGRESS_EVERY_S = 0.7
#: Seconds an idle worker waits before retrying after a database error.
ERROR_BACKOFF_S = 2.0


class JobCancelledError(Exception):
    """The running job was cancelled (or taken over) while it ran: drop its work."""


class CoreBudget:
    """The machine's cores shared by the jobs running at once: a job takes up to the pose
    processes it wants, at least one, and never more than are free, so several uploads never
    start more pose processes than there are cores. Use under :attr:`lock`."""

    def __init__(self, cores: int) -> None:
        self.total = max(1, cores)
        self.free = self.total
        self.lock = threading.Condition()

    def take(self, wanted: int) -> int:
        """Take up to ``wanted`` free cores (at least 1; call only while one is free)."""
        assert self.free > 0
        taken = max(1, min(wanted, self.free))
        self.free -= taken
        return taken

    def give(self, cores: int) -> None:
        """Give ``cores`` back and wake a thread waiting for one."""
        with self.lock:
            self.free += cores
            self.lock.notify_all()


class AnalysisWorker:
    """``settings.analysis_workers`` threads running queued analysis jobs until :meth:`stop`;
    together they never run more pose processes than the machine has cores (:class:`CoreBudget`:
    a job waits in the queue, saying so, until a core is free). With ``settings.ray_address``
    each job is one task of one core on the cluster: the threads are the only limit here."""

    def __init__(
        self, settings: Settings, session_factory: sessionmaker[Session], data: DataDir
    ) -> None:
        """Prepare (not start) the worker threads."""
        self._settings = settings
        self._sessions = session_factory
        self._data = data
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ray: RayEngine | None = None
        on_ray = bool(settings.ray_address)
        self.cores = CoreBudget(settings.analysis_workers if on_ray else machine_cores())

    def start(self) -> None:
        """Connect to the Ray cluster if there is one, then start the threads (daemon
        threads: they never keep the process alive).

        Raises:
            ClusterError: the Ray cluster of ``settings.ray_address`` does not answer.
        """
        if self._settings.ray_address:
            from psoas_coach.cluster.engine import open_engine

            self._ray = open_engine(self._settings.ray_address)
        for n in range(self._settings.analysis_workers):
            thread = threading.Thread(target=self._loop, name=f"psoas-analysis-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self) -> None:
        """Wake idle threads: a job was queued."""
        self._wake.set()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Ask the threads to finish their current job and wait up to ``timeout_s`` seconds."""
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        if self._ray is not None and not self._threads:
            from psoas_coach.cluster.engine import close_engine

            close_engine()
            self._ray = None

    @property
    def running(self) -> bool:
        """True while any thread is alive."""
        return any(t.is_alive() for t in self._threads)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = self._claim()
            except Exception:
                log.exception("claiming a job failed; retrying")
                self._stopping.wait(ERROR_BACKOFF_S)
                continue
            if claimed is None:
                self._wake.wait(self._settings.worker_poll_s)
                self._wake.clear()
                continue
            ticket, cores = claimed
            try:
                self._run(ticket, cores)
            finally:
                self.cores.give(cores)

    def _claim(self) -> tuple[JobTicket, int] | None:
        """The next queued job with the cores it may use, once a core is free; ``None`` when
        the queue is empty (or the worker stops)."""
        with self.cores.lock:
            while self.cores.free == 0 and not self._stopping.is_set():
                # Every round: jobs uploaded meanwhile must say why they wait too.
                with self._sessions() as db:
                    job_crud.note_queued(
                        db, f"waiting for a free core: all {self.cores.total} are analysing"
                    )
                self.cores.lock.wait(self._settings.worker_poll_s)
            if self._stopping.is_set():
                return None
            with self._sessions() as db:
                ticket = job_crud.claim_next_job(db)
            if ticket is None:
                return None
            wanted = 1 if self._ray is not None else self._settings.pose_workers
            return ticket, self.cores.take(wanted)

    def _run(self, ticket: JobTicket, cores: int) -> None:
        """Run one claimed job, with ``cores`` pose processes, to done or failed; never raises."""
        log.info("job %d: analysing %s", ticket.job_id, ticket.original_name)
        try:
            output = self._analyse(ticket, cores)
        except JobCancelledError:
            log.info("job %d: cancelled; its work was dropped", ticket.job_id)
            return
        except PsoasError as err:
            self._fail(ticket, str(err))
            return
        except AnalysisCrashError as err:
            log.error("job %d: unexpected failure: %s", ticket.job_id, err)
            self._fail(ticket, f"unexpected failure ({err})")
            return
        except Exception as err:
            log.exception("job %d: unexpected failure", ticket.job_id)
            self._fail(ticket, f"unexpected failure ({type(err).__name__}: {err})")
            return
        try:
            self._publish(ticket, output)
        except Exception as err:
            log.exception("job %d: storing the result failed", ticket.job_id)
            self._fail(ticket, f"storing the result failed ({type(err).__name__}: {err})")

    def _analyse(self, ticket: JobTicket, cores: int) -> RunOutput:
        """The job's analysis: on the Ray cluster, or in an isolated child process here."""
        if self._ray is not None:
            from psoas_coach.web.ray_jobs import run_job_on_ray

            return run_job_on_ray(
                self._ray,
                ticket,
                self._data,
                skeleton_video=self._settings.skeleton_video,
                progress=self._progress_writer(ticket),
            )
        return run_job_isolated(
            ticket,
            self._data,
            pose_workers=cores,
            skeleton_video=self._settings.skeleton_video,
            progress=self._progress_writer(ticket),
            memory_limit_mb=self._settings.analysis_memory_mb,
        )

    def _publish(self, ticket: JobTicket, output: RunOutput) -> None:
        """Move the finished folder into ``results/`` and record it with the job done."""
        publish_output(
            self._sessions, self._data, job_id=ticket.job_id, attempt=ticket.attempt, output=output
        )

    def _fail(self, ticket: JobTicket, reason: str) -> None:
        log.info("job %d: failed: %s", ticket.job_id, reason)
        try:
            with self._sessions() as db:
                job_crud.fail_job(db, job_id=ticket.job_id, attempt=ticket.attempt, reason=reason)
        except Exception:
            log.exception("job %d: recording the failure failed", ticket.job_id)

    def _progress_writer(self, ticket: JobTicket) -> Callable[[float, str], None]:
        """A progress callback that writes at most every :data:`PROGRESS_EVERY_S` seconds and
        raises :class:`JobCancelledError` once the job is no longer running as ours (cancelled)."""
        last = [0.0]

        def write(share: float, step: str) -> None:
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY_S and share < 1.0:
                return
            last[0] = now
            try:
                with self._sessions() as db:
                    ours = job_crud.set_progress(
                        db, job_id=ticket.job_id, attempt=ticket.attempt, progress=share, step=step
                    )
            except Exception:
                log.exception("job %d: progress not recorded", ticket.job_id)
                return
            if not ours:
                raise JobCancelledError(f"job {ticket.job_id} is no longer running")

        return write


def publish_output(
    session_factory: sessionmaker[Session],
    data: DataDir,
    *,
    job_id: int,
    attempt: int,
    output: RunOutput,
) -> None:
    """Move a finished ``output`` folder into ``results/`` and record its :class:`Result`
    with running job ``job_id`` (claimed as ``attempt``) done, in one transaction."""
    target = data.new_result_folder()
    os.replace(output.folder, target)
    shutil.rmtree(output.folder.parent, ignore_errors=True)
    folder = data.relative(target)
    fields = summary_fields(output.report)
    fields.update(_file_fields(folder, output.files))
    with session_factory() as db:
        done = job_crud.complete_job(db, job_id=job_id, attempt=attempt, result_fields=fields)
    if not done.kept:
        log.info("job %d: gone or taken over; result discarded", job_id)
        data.remove(folder)
    if done.delete_raw is not None:
        data.remove(done.delete_raw)
    log.info("job %d: done", job_id)


def _file_fields(folder: str, files: dict[str, str]) -> dict[str, str | None]:
    """Result columns of the files of a folder, relative to the data directory."""

    def path(role: str) -> str | None:
        return f"{folder}/{files[role]}" if role in files else None

    return {
        "folder": folder,
        "report_json": f"{folder}/{files['json']}",
        "report_html": f"{folder}/{files['html']}",
        "keypoints_csv": path("keypoints"),
        "annotated_video": path("video"),
        "angles_svg": path("angles"),
        "holds_svg": path("holds"),
    }
