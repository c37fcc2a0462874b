"""Each analysis job runs in a child process of its own, under a memory limit, so that no
input, however hostile, can take the server down: the child's address space is capped with
``RLIMIT_AS`` (its pose helper processes inherit the cap, each for itself), an analysis that
runs out of memory fails with a one-line reason, and the server process never holds the
job's data.

Messages from the child (over a pipe): ``("progress", share, step)`` while it runs, then one
of ``("done", RunOutput)``, ``("failed", message)`` for a product error (bad input),
``("memory", "")`` when the limit was reached and ``("crashed", "Type: message")`` for any
other exception. A child that dies without a word (killed by the system) fails the job too.
Cancelling (the progress callback raising) ends the child and removes its work folder.

Children are forked by multiprocessing's fork server, a fresh process that imported this
module (and so the analysis code) once: a job starts in milliseconds, not the second or two
a new interpreter takes, and never inherits the server's threads or connections.
"""

from __future__ import annotations

import multiprocessing
import shutil
import signal
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

from psoas_coach.exceptions import PsoasError
from psoas_coach.outputs import Progress
from psoas_coach.storage.crud.jobs import JobTicket
from psoas_coach.storage.files import DataDir
from psoas_coach.web.runner import RunOutput, run_job

#: Seconds between checks that the child is still alive while waiting for its messages.
POLL_S = 0.5
#: Seconds a stopped child has to clean up before it is killed.
STOP_GRACE_S = 10.0


class AnalysisLimitError(PsoasError):
    """The analysis needed more memory than the server allows one analysis."""


class AnalysisCrashError(Exception):
    """The analysis process failed unexpectedly (``str()``: the exception type and message,
    or how the process ended)."""


class _Stopped(BaseException):
    """Raised in the child when the server asks it to stop (SIGTERM)."""


def run_job_isolated(
    ticket: JobTicket,
    data: DataDir,
    *,
    pose_workers: int,
    skeleton_video: bool,
    progress: Progress,
    memory_limit_mb: float,
) -> RunOutput:
    """:func:`~psoas_coach.web.runner.run_job` in a child process whose address space is at
    most ``memory_limit_mb`` megabytes; the same result, or the same errors (a
    :class:`~psoas_coach.exceptions.PsoasError` for bad input), plus
    :class:`AnalysisLimitError` and :class:`AnalysisCrashError`. What ``progress`` raises
    (a cancelled job) stops the child and is raised here once its work folder is gone."""
    work = data.new_work_folder(f"job{ticket.job_id}")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    receiver, sender = context.Pipe(duplex=False)
    limit_bytes = int(memory_limit_mb * 1_000_000)
    process = context.Process(
        target=_child_main,
        args=(sender, ticket, data.root, work, pose_workers, skeleton_video, limit_bytes),
        name=f"psoas-job-{ticket.job_id}",
    )
    process.start()
    sender.close()
    done = False
    try:
        output = _follow(receiver, process, progress, memory_limit_mb)
        done = True
        return output
    finally:
        _end(process, finished=done)
        receiver.close()
        if not done:
            shutil.rmtree(work, ignore_errors=True)


def _follow(
    receiver: Connection,
    process: multiprocessing.process.BaseProcess,
    progress: Progress,
    memory_limit_mb: float,
) -> RunOutput:
    """Relay the child's progress until its outcome; raise its failure."""
    while True:
        if not receiver.poll(POLL_S):
            if not process.is_alive() and not receiver.poll(0):
                raise _silent_end(process, memory_limit_mb)
            continue
        try:
            kind, payload, *rest = receiver.recv()
        except EOFError:
            process.join(STOP_GRACE_S)
            raise _silent_end(process, memory_limit_mb) from None
        if kind == "progress":
            progress(payload, rest[0])
        elif kind == "done":
            output: RunOutput = payload
            return output
        elif kind == "failed":
            raise PsoasError(payload)
        elif kind == "memory":
            raise _memory_error(memory_limit_mb)
        else:
            raise AnalysisCrashError(payload)


def _memory_error(memory_limit_mb: float) -> AnalysisLimitError:
    return AnalysisLimitError(
        f"the analysis needed more than {memory_limit_mb:g} MB of memory, the server's "
        "limit for one analysis ($PSOAS_ANALYSIS_MEMORY_MB), and was stopped"
    )


def _silent_end(process: multiprocessing.process.BaseProcess, memory_limit_mb: float) -> Exception:
    """The error of a child that ended without sending its outcome."""
    code = process.exitcode
    if code == -signal.SIGKILL:  # the system's out-of-memory killer, most likely
        return _memory_error(memory_limit_mb)
    return AnalysisCrashError(f"the analysis process ended unexpectedly (exit code {code})")


def _end(process: multiprocessing.process.BaseProcess, *, finished: bool) -> None:
    """Make sure the child has ended: given time to exit once ``finished``, else asked to
    stop (it cleans up), then killed."""
    process.join(STOP_GRACE_S if finished else 0)
    if process.is_alive():
        process.terminate()
        process.join(STOP_GRACE_S)
    if process.is_alive():
        process.kill()
        process.join()


def _child_main(
    sender: Connection,
    ticket: JobTicket,
    root: Path,
    work: Path,
    pose_workers: int,
    skeleton_video: bool,
    limit_bytes: int,
) -> None:
    """The child: cap the address space, run the job, send the outcome."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    signal.signal(signal.SIGTERM, _raise_stopped)

    def progress(share: float, step: str) -> None:
        sender.send(("progress", share, step))

    message: tuple[str, Any]
    try:
        output = run_job(
            ticket,
            DataDir(root),
            work=work,
            pose_workers=pose_workers,
            skeleton_video=skeleton_video,
            progress=progress,
        )
        message = ("done", output)
    except _Stopped:
        return
    except MemoryError:
        message = ("memory", "")
    except PsoasError as err:
        message = ("failed", str(err))
    except Exception as err:  # every failure must reach the server, which records it
        message = ("crashed", f"{type(err).__name__}: {err}")
    sender.send(message)
    sender.close()


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped
