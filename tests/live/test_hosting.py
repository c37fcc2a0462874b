"""Engine processes (``live.hosting.ProcessHost``): the server's event loop never waits on them."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import threading
import time
from multiprocessing import Pipe

from psoas_coach.config import AnalysisConfig
from psoas_coach.exceptions import PoseBackendError
from psoas_coach.live.analyzer import CoachSettings
from psoas_coach.live.hosting import ProcessHost, SessionSpec, framed
from psoas_coach.pose.backend import PoseBackend


def _no_estimator() -> PoseBackend:
    raise PoseBackendError("a keypoint set must not start a pose estimator")


SPEC = SessionSpec(AnalysisConfig(), CoachSettings(), _no_estimator, 30.0, 60.0)
MUTE = json.dumps({"type": "mute", "muted": True})


def test_a_framed_message_is_what_a_connection_reads() -> None:
    reader, writer = Pipe(duplex=False)
    message = ("x" * 30_000, 7, {"a": [1.5]})  # more than one write, less than a pipe
    os.write(writer.fileno(), framed(pickle.dumps(message)))
    assert reader.recv() == message
    reader.close()
    writer.close()


def test_a_stalled_engine_process_never_blocks_the_event_loop() -> None:
    """Requests for a stopped engine process (ten times what a pipe holds) wait in the server
    while its loop goes on; once the process runs again every request is answered, in order."""

    async def scenario() -> tuple[list[str], float, int]:
        host = ProcessHost(1)
        try:
            await host.start("t", SPEC)
            victim = host.pids[0]
            assert victim is not None
            os.kill(victim, signal.SIGSTOP)
            # A loop that blocked on the pipe would wait here for this watchdog, not hang.
            watchdog = threading.Timer(3.0, os.kill, (victim, signal.SIGCONT))
            watchdog.start()
            try:
                big = json.dumps({"type": "mute", "muted": True, "pad": "x" * 15_000})
                calls = [asyncio.ensure_future(host.call("t", "text", big)) for _ in range(40)]
                ticks = 0
                started = time.monotonic()
                while time.monotonic() - started < 0.5:  # the loop keeps running
                    await asyncio.sleep(0.01)
                    ticks += 1
                assert not any(call.done() for call in calls)
            finally:
                watchdog.cancel()
                os.kill(victim, signal.SIGCONT)
            answers = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
            return answers, time.monotonic() - started, ticks
        finally:
            host.close()

    answers, _, ticks = asyncio.run(scenario())
    assert ticks >= 20
    assert answers == [json.dumps({"type": "muted", "muted": True})] * 40


def test_a_request_to_a_dead_engine_process_fails_with_the_reason() -> None:
    async def scenario() -> None:
        host = ProcessHost(1)
        try:
            await host.start("t", SPEC)
            assert await host.call("t", "text", MUTE) == json.dumps(
                {"type": "muted", "muted": True}
            )
            victim = host.pids[0]
            assert victim is not None
            os.kill(victim, signal.SIGKILL)
            try:
                await asyncio.wait_for(host.call("t", "text", MUTE), timeout=30)
            except PoseBackendError as err:
                assert str(err).startswith("live engine process stopped")
            else:
                raise AssertionError("a dead engine process answered")
        finally:
            host.close()

    asyncio.run(scenario())


def _lock_factory() -> PoseBackend:
    """A factory whose product cannot cross a pipe (a lock cannot be pickled)."""
    return threading.Lock()  # type: ignore[return-value]


def test_an_answer_that_cannot_be_pickled_fails_that_call_only() -> None:
    """The request's caller gets the reason; the requests queued with it are answered."""

    async def scenario() -> tuple[list[object], str]:
        host = ProcessHost(1)
        try:
            await host.start("t", SessionSpec(SPEC.config, SPEC.coach, _lock_factory, 30.0, 60.0))
            calls = [
                asyncio.ensure_future(host.call("t", "text", MUTE)),
                asyncio.ensure_future(host.call("t", "_factory")),
                asyncio.ensure_future(host.call("t", "muted")),
            ]
            results = await asyncio.wait_for(
                asyncio.gather(*calls, return_exceptions=True), timeout=30
            )
            return results, str(results[1])
        finally:
            host.close()

    results, reason = asyncio.run(scenario())
    assert results[0] == json.dumps({"type": "muted", "muted": True}) and results[2] is True
    assert isinstance(results[1], RuntimeError) and "pickle" in reason
