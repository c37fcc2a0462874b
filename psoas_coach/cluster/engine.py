"""The one module that talks to Ray (imported lazily, inside the functions).

:func:`connect` starts a private local Ray (no dashboard, no usage statistics, a small
object store) or joins a running cluster by address; :class:`RayEngine` submits functions as
tasks of one CPU each, waits for them and cancels them. A task whose worker process dies
(killed, out of memory, a lost node) is retried by Ray on any worker, up to ``retries``
times; a function's own result (a failure included) is never retried.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from psoas_coach.exceptions import PsoasError

#: Seconds to wait for a cluster's head to accept a connection.
CONNECT_TIMEOUT_S = 10.0
#: Seconds to wait for cancelled tasks to end.
CANCEL_WAIT_S = 10.0
#: Object store of a local Ray, bytes: tasks return small outcomes, files go to storage.
LOCAL_OBJECT_STORE_BYTES = 100_000_000


class ClusterError(PsoasError):
    """Ray cannot be started or the cluster cannot be reached."""


class TaskLostError(Exception):
    """A task could not finish on any worker (``str()``: why, in one line)."""


def quiet_ray_environment() -> None:
    """Environment for Ray on a closed network: no usage statistics, no import warnings."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DISABLE_IMPORT_WARNING", "1")


@contextmanager
def connect(address: str | None, *, cpus: int) -> Iterator[RayEngine]:
    """:func:`open_engine` for the block; Ray is shut down (a local one stopped) on exit."""
    engine = open_engine(address, cpus=cpus)
    try:
        yield engine
    finally:
        close_engine()


def open_engine(address: str | None, *, cpus: int = 1) -> RayEngine:
    """A :class:`RayEngine` on the cluster at ``address`` (``host:port`` or ``auto``), or
    on a local Ray with ``cpus`` worker processes started here (:func:`close_engine` stops it).
    When this process is connected already, that connection is used.

    Raises:
        ClusterError: Ray cannot start or the cluster does not answer.
    """
    quiet_ray_environment()
    import ray

    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address:
        options["address"] = address
    else:
        options.update(
            address="local",  # a new Ray of our own, even where a cluster runs already
            num_cpus=cpus,
            include_dashboard=False,
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
        )
    where = f"Ray cluster at {address}" if address else "local Ray"
    if ray.is_initialized():
        return RayEngine(where)
    if address and address != "auto":
        check_reachable(address)
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ClusterError(f"{where}: cannot start or connect ({_connect_reason(err)})") from err
    return RayEngine(where)


def check_reachable(address: str) -> None:
    """Raise :class:`ClusterError` at once when nothing answers at ``address`` (``host:port``;
    Ray itself would keep retrying for minutes)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"Ray cluster at {address}: expected HOST:PORT, e.g. head:6379")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ClusterError(f"Ray cluster at {address}: nothing answers there ({reason})") from err


def close_engine() -> None:
    """Disconnect from Ray (and stop a local Ray this process started)."""
    import ray

    ray.shutdown()


class RayEngine:
    """Tasks on the connected Ray: :meth:`submit`, :meth:`wait`, :meth:`result`,
    :meth:`cancel`. Task handles are Ray object references."""

    def __init__(self, where: str) -> None:
        """An engine on the Ray that :func:`connect` joined (``where``: for messages)."""
        self.where = where
        self._remotes: dict[tuple[Callable[..., Any], int], Any] = {}

    def cpus(self) -> int:
        """CPUs of the whole cluster (what can run at once)."""
        import ray

        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        return int(resources.get("CPU", 0))

    def submit(self, function: Callable[..., Any], *args: Any, retries: int) -> Any:
        """Run ``function(*args)`` as a task of one CPU; retried up to ``retries`` times only
        when its worker dies. Returns the task's handle."""
        import ray

        key = (function, retries)
        if key not in self._remotes:  # one export per function, not one per task
            self._remotes[key] = ray.remote(
                num_cpus=1, max_retries=retries, retry_exceptions=False
            )(function)
        return self._remotes[key].remote(*args)

    def wait(self, handles: list[Any], timeout_s: float) -> list[Any]:
        """The handles of ``handles`` that finished within ``timeout_s`` seconds (maybe none)."""
        import ray

        if not handles:
            return []
        ready, _ = ray.wait(handles, num_returns=len(handles), timeout=timeout_s)
        return list(ready)

    def result(self, handle: Any) -> Any:
        """What the finished task returned.

        Raises:
            TaskLostError: its workers died every time it was tried, or it was cancelled.
        """
        import ray

        try:
            return ray.get(handle)
        except ray.exceptions.RayError as err:
            raise TaskLostError(_lost_reason(err)) from err

    def cancel(self, handles: list[Any]) -> None:
        """Stop ``handles`` now (their worker processes are killed), waiting up to
        :data:`CANCEL_WAIT_S` seconds for them to end, so no file is written after."""
        import ray

        for handle in handles:
            try:
                ray.cancel(handle, force=True)
            except ray.exceptions.RayError:
                continue  # finished meanwhile
        if handles:
            ray.wait(handles, num_returns=len(handles), timeout=CANCEL_WAIT_S)


def _lost_reason(err: Exception) -> str:
    import ray

    if isinstance(err, ray.exceptions.OutOfMemoryError):
        return "the worker ran out of memory every time the task was tried"
    if isinstance(err, ray.exceptions.TaskCancelledError):
        return "cancelled"
    if isinstance(err, ray.exceptions.WorkerCrashedError | ray.exceptions.NodeDiedError):
        return "the worker process died every time the task was tried"
    return f"the task failed on the cluster ({type(err).__name__}: {_one_line(err)})"


def _connect_reason(err: BaseException) -> str:
    """Why ``ray.init`` failed, in one line: a missing token named as such."""
    chain: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and len(chain) < 5:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any("AuthToken" in str(e) or "Authentication" in str(e) for e in chain):
        return (
            "the cluster asks for its token: set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN "
            "(or copy the head's ~/.ray/auth_token)"
        )
    return _one_line(err)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text[:300]
