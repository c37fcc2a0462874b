"""Load benchmark of live sets fed keypoints (pose in the athlete's browser), for
``scripts/benchmark_live.py --sessions N``.

One real ``psoas live --serve`` runs in its own process. This process plays N keypoint
clients at once on one asyncio loop: each replays a keypoint recording (``../shared/devset*``,
cut to ``--seconds`` and thinned to 30 frames a second) as ``pose`` messages in real time,
without waiting for answers, the clients started a fraction of a frame apart. It prints the
answer latency (message sent to its ``frame`` answer received) per session and overall, the
sessions that fell behind (more than a second of frames unanswered at some point), the
server's CPU seconds per session-second (from ``/proc``), this process's CPU (the clients'
share of the machine) and the round trip of a control message sent every 100 ms meanwhile
(the server's event loop kept free for others).

Then each session's report (the ``end`` answer) is compared, after the timing, with (a) the
same live engine fed the same messages here (``live.replay.session_report``): the report
dicts must be equal, every field; (b) the offline analysis (``pipeline.analyze_pose``, what
``psoas analyze`` runs) of the keypoints the messages carry as the server decodes them,
exactly (``live.agreement``): repetitions per side, sides in order and faults per repetition
equal, each repetition's start, end, hold and extension to the frame (within half the period
of the session's frames) and its peak knee angle within 0.5 deg; every figure that differs is
printed with both values.

The exit status is 1 when a client failed, a report is wrong, or (unless ``judge_latency`` is
off) a target is missed: median latency < 40 ms, 95th percentile < 100 ms, no session behind;
one line on stderr names what failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from busy_machine import other_work
from proc_stats import machine_ticks, stolen_share, tree_cpu_seconds
from websockets.asyncio.client import ClientConnection, connect

from psoas_coach.live.agreement import TIMED_FIGURES, Agreement, compare_reports, frame_period_s
from psoas_coach.live.replay import decoded_pose, pose_messages, session_report
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.csv_io import read_keypoints
from psoas_coach.pose.types import PoseSequence

SHARED = Path(__file__).resolve().parents[2] / "shared"
FPS = 30.0
#: Unanswered frames (seconds of them at 30 fps) that count as a session falling behind.
BEHIND_FRAMES = 30
#: Latency targets (milliseconds): median and 95th percentile of the answer latency.
MEDIAN_TARGET_MS = 40.0
P95_TARGET_MS = 100.0


@dataclass
class Client:
    """One keypoint client: its messages, and what it measured."""

    name: str
    messages: list[str]
    times: list[float]
    sent: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    engine_ms: list[float] = field(default_factory=list)
    most_unanswered: int = 0
    alone_cpu_s: float = 0.0
    report: dict[str, Any] | None = None
    error: str = ""


def frame_size(path: Path, pose: PoseSequence) -> tuple[int, int]:
    """The recording's picture size: from its ``.truth.json`` when there is one, else the
    smallest common size holding every landmark."""
    truth = path.with_name(path.name.replace(".csv.gz", ".truth.json"))
    if truth.is_file():
        meta = json.loads(truth.read_text())["meta"]
        return int(meta["width"]), int(meta["height"])
    for size in ((640, 480), (1280, 720), (1920, 1080), (3840, 2160)):
        if np.nanmax(pose.xy[..., 0]) < size[0] and np.nanmax(pose.xy[..., 1]) < size[1]:
            return size
    return 4096, 4096


def load_clients(count: int, seconds: float) -> list[Client]:
    """``count`` clients over the dev recordings (cycled), each its first ``seconds``."""
    paths = sorted((SHARED / "devset").glob("*.csv.gz"))
    paths += sorted((SHARED / "devset_hard").glob("*.csv.gz"))
    if not paths:
        raise SystemExit(f"error: no keypoint recordings in {SHARED}/devset*")
    clients = []
    for k in range(count):
        path = paths[k % len(paths)]
        pose = read_keypoints(path)
        pose = pose.select(pose.time_s < pose.time_s[0] + seconds)
        width, height = frame_size(path, pose)
        sized = PoseSequence(
            pose.time_s, pose.xy, pose.z, pose.visibility, width=width, height=height
        )
        messages = pose_messages(sized, fps=FPS)
        times = [json.loads(m)["time_s"] for m in messages]
        clients.append(Client(f"{k:02d}:{path.name.split('.')[0]}", messages, times))
    return clients


def start_server(port: int, processes: int | None) -> subprocess.Popen[str]:
    """``psoas live --serve`` on ``port`` (with ``--engine-processes`` unless ``None``),
    answering."""
    entry = "from psoas_coach.cli.__main__ import entry; entry()"
    command = [sys.executable, "-c", entry, "live", "--serve", "--port", str(port)]
    if processes is not None:
        command += ["--engine-processes", str(processes)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("error: psoas live --serve did not start") from None
            time.sleep(0.2)


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def play(url: str, client: Client, start: float) -> None:
    """Replay ``client``'s messages in real time from loop time ``start``, then end the set."""
    try:
        async with connect(url, max_size=None, open_timeout=60) as ws:
            assert json.loads(await ws.recv())["type"] == "ready"
            answers = asyncio.create_task(collect(ws, client))
            loop = asyncio.get_running_loop()
            for message, time_s in zip(client.messages, client.times, strict=True):
                await asyncio.sleep(max(0.0, start + time_s - client.times[0] - loop.time()))
                if client.error:
                    break
                client.sent.append(loop.time())
                await ws.send(message)
                unanswered = len(client.sent) - len(client.latency_ms)
                client.most_unanswered = max(client.most_unanswered, unanswered)
            await answers
            if client.error:
                return
            await ws.send(json.dumps({"type": "end"}))
            client.report = json.loads(await ws.recv(decode=True))["report"]
    except Exception as err:  # a client's failure is reported, the others go on
        client.error = f"{type(err).__name__}: {err}"


async def collect(ws: ClientConnection, client: Client) -> None:
    """Receive one ``frame`` answer per message, timing each (a failure is noted in
    ``client.error``)."""
    loop = asyncio.get_running_loop()
    try:
        while len(client.latency_ms) < len(client.messages):
            answer = json.loads(await ws.recv())
            if answer["type"] != "frame":
                raise RuntimeError(f"unexpected answer {str(answer)[:80]}")
            sent = client.sent[len(client.latency_ms)]
            client.latency_ms.append(1000.0 * (loop.time() - sent))
            client.engine_ms.append(float(answer["ms"]["total"]))
    except Exception as err:  # the sender notices and stops
        client.error = f"{type(err).__name__}: {err}"


async def ping(url: str, stop: asyncio.Event, rtt_ms: list[float]) -> None:
    """A control message every 100 ms until ``stop``: the event loop's responsiveness."""
    loop = asyncio.get_running_loop()
    async with connect(url, open_timeout=60) as ws:
        await ws.recv()
        while not stop.is_set():
            before = loop.time()
            await ws.send(json.dumps({"type": "mute", "muted": False}))
            await ws.recv()
            rtt_ms.append(1000.0 * (loop.time() - before))
            await asyncio.sleep(0.1)


async def warm_up(url: str) -> None:
    """Open and close a few connections so the server's engine processes are started."""
    for _ in range(4):
        async with connect(url, open_timeout=120) as ws:
            await ws.recv()


async def drive(url: str, clients: list[Client], rtt_ms: list[float]) -> None:
    """All clients at once, started 1/N of a frame apart, with the ping client."""
    stop = asyncio.Event()
    pinger = asyncio.create_task(ping(url, stop, rtt_ms))
    start = asyncio.get_running_loop().time() + 1.0
    offsets = [start + k / (FPS * len(clients)) for k in range(len(clients))]
    await asyncio.gather(*(play(url, c, t) for c, t in zip(clients, offsets, strict=True)))
    stop.set()
    await pinger


def figures(ms: list[float]) -> str:
    """Median and 95th percentile, milliseconds."""
    if not ms:
        return "median   -    p95   -  "
    return f"median {np.median(ms):5.1f} p95 {np.percentile(ms, 95):6.1f}"


def compare(client: Client) -> tuple[bool, Agreement | None]:
    """(report equals the engine's here, its agreement with offline; ``None``: no report).
    The CPU seconds the engine here took go to ``client.alone_cpu_s``."""
    if client.report is None:
        return False, None
    start = time.process_time()
    here = session_report(client.messages).report.to_dict()
    client.alone_cpu_s = time.process_time() - start
    same = client.report == here
    offline = analyze_pose(decoded_pose(client.messages, client.name)).report.to_dict()
    return same, compare_reports(client.report, offline, frame_period_s(client.times))


def run(
    sessions: int,
    seconds: float,
    processes: int | None = None,
    *,
    judge_latency: bool = True,
    other: tuple[float, float] | None = None,
) -> int:
    """The load benchmark against a server with ``processes`` engine processes (``None``:
    its default, one per core), with ``other`` work on the machine meanwhile (busy and idle
    seconds of one core, ``busy_machine.other_work``; ``None``: none); exit status 0 when
    every report is right, no client failed and (when ``judge_latency``) the latency targets
    are met with no session behind."""
    clients = load_clients(sessions, seconds)
    port = free_port()
    url = f"ws://127.0.0.1:{port}/live/ws"
    load = os.getloadavg()
    server = start_server(port, processes)
    rtt_ms: list[float] = []
    try:
        asyncio.run(warm_up(url))  # engine processes started before the timing
        before, own_cpu, wall = tree_cpu_seconds(server.pid), _own_cpu(), time.monotonic()
        ticks = machine_ticks()
        with other_work(other):
            asyncio.run(drive(url, clients, rtt_ms))
        stolen = stolen_share(ticks, machine_ticks())
        wall = time.monotonic() - wall
        after, own_cpu = tree_cpu_seconds(server.pid), _own_cpu() - own_cpu
        server_cpu = (after[0] - before[0], after[1] - before[1])
    finally:
        server.terminate()
        server.wait(30)
    session_s = sum(c.times[-1] - c.times[0] + 1 / FPS for c in clients)
    load_after = os.getloadavg()
    print(
        f"{sessions} keypoint clients at {FPS:g} fps in real time, sets of up to {seconds:g} s "
        f"from {SHARED}/devset*; one psoas live --serve (engine processes: "
        f"{'one per core' if processes is None else processes}); {os.cpu_count()} CPU cores, "
        f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after "
        f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
        + (
            ""
            if other is None
            else f"; other work meanwhile: one core busy {other[0]:g} s, "
            f"idle {other[1]:g} s, over and over"
        )
    )
    missed, problems = report(clients, server_cpu, own_cpu, wall, session_s, rtt_ms)
    print_machine_speed(clients, server_cpu, stolen)
    problems += missed if judge_latency else []
    if problems:
        print(f"load benchmark failed: {'; '.join(problems)}", file=sys.stderr)
    return 1 if problems else 0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(
    clients: list[Client],
    server_cpu: tuple[float, float],
    own_cpu: float,
    wall: float,
    session_s: float,
    rtt_ms: list[float],
) -> tuple[list[str], list[str]]:
    """Print the per-session and overall figures; the latency targets missed and the other
    problems found (failed sessions, wrong reports), in words."""
    print(f"{'session':<18}{'frames':>7}  latency ms              engine ms   unanswered  report")
    results = [compare(c) for c in clients]
    for c, (same, agreement) in zip(clients, results, strict=True):
        print(
            f"{c.name:<18}{len(c.messages):>7}  {figures(c.latency_ms)}  "
            f"{np.median(c.engine_ms or [np.nan]):5.1f}  {c.most_unanswered:>10}  "
            f"{c.error or verdict(c, same, agreement)}"
        )
        for difference in [] if agreement is None else agreement.differences:
            print(f"    {difference}")
    answered = [ms for c in clients for ms in c.latency_ms]
    latency = answered or [float("nan")]
    behind = sum(c.most_unanswered > BEHIND_FRAMES or bool(c.error) for c in clients)
    median, p95 = float(np.median(latency)), float(np.percentile(latency, 95))
    print(
        f"overall answer latency median {median:.1f} ms, p95 {p95:.1f} ms, max "
        f"{max(latency):.0f} ms; sessions behind (> {BEHIND_FRAMES} frames unanswered): "
        f"{behind}/{len(clients)}  (targets: median < {MEDIAN_TARGET_MS:g} ms, p95 < "
        f"{P95_TARGET_MS:g} ms, none behind)"
    )
    print_cpu(server_cpu, own_cpu, wall, session_s, len(answered), rtt_ms)
    return missed_targets(median, p95, behind, len(clients)), report_checks(clients, results)


def missed_targets(median_ms: float, p95_ms: float, behind: int, sessions: int) -> list[str]:
    """The load targets missed, in words: median answer latency < 40 ms, 95th percentile
    < 100 ms (a ``nan``, no answer at all, misses both), no session behind."""
    missed = []
    if not median_ms < MEDIAN_TARGET_MS:
        missed.append(f"median latency {median_ms:.1f} ms, target < {MEDIAN_TARGET_MS:g} ms")
    if not p95_ms < P95_TARGET_MS:
        missed.append(f"p95 latency {p95_ms:.1f} ms, target < {P95_TARGET_MS:g} ms")
    if behind:
        missed.append(f"{behind}/{sessions} sessions behind, target none")
    return missed


def verdict(client: Client, same: bool, agreement: Agreement | None) -> str:
    """The session's report in words: equal to the engine's here, and offline agreement."""
    if agreement is None:
        return "no report"
    sides = client.report["summary"]["reps"] if client.report else {}
    return (
        f"{'identical' if same else 'DIFFERENT'}, offline "
        f"{'agrees' if agreement.agrees else 'DIFFERS'} on {agreement.reps} reps "
        f"({sides.get('left', 0)} left, {sides.get('right', 0)} right)"
    )


def print_cpu(
    server_cpu: tuple[float, float],
    own_cpu: float,
    wall: float,
    session_s: float,
    answered: int,
    rtt_ms: list[float],
) -> None:
    """The server's and the clients' CPU, and the control message's round trip."""
    total = sum(server_cpu)
    print(
        f"server CPU {total:.1f} s (main process {server_cpu[0]:.1f} s, engine processes "
        f"{server_cpu[1]:.1f} s) over {session_s:.0f} session-seconds: "
        f"{total / session_s:.4f} s per session-second ({total / wall:.2f} cores busy on "
        f"average over {wall:.0f} s)"
    )
    per_frame = [1000.0 * cpu / max(1, answered) for cpu in (total, *server_cpu)]
    cores = os.cpu_count() or 1
    print(
        f"server CPU per frame answered {per_frame[0]:.2f} ms (main {per_frame[1]:.2f}, "
        f"engines {per_frame[2]:.2f}): {cores} idle cores would carry about "
        f"{1000.0 * cores / per_frame[0] / FPS:.0f} sessions at {FPS:g} fps"
    )
    print(f"clients (this process) CPU {own_cpu:.1f} s: {own_cpu / wall:.2f} cores on average")
    print(f"control message round trip meanwhile (event loop free?): {figures(rtt_ms)} ms")


def print_machine_speed(
    clients: list[Client], server_cpu: tuple[float, float], stolen: float
) -> None:
    """How fast this machine was: the engine's CPU a frame in this process alone (the report
    check's replay, after the timing: no server, no sockets, no other work), the server's
    CPU a frame under load against it, and the share of the cores' time the hypervisor gave
    other guests during the run. This machine's speed swings from day to day (the same
    commit has needed 2.5 times the CPU a frame): compare figures only with this line."""
    frames = sum(len(c.messages) for c in clients if c.report is not None)
    alone_ms = 1000.0 * sum(c.alone_cpu_s for c in clients) / max(1, frames)
    answered = sum(len(c.latency_ms) for c in clients)
    served_ms = 1000.0 * sum(server_cpu) / max(1, answered)
    ratio = f"{served_ms / alone_ms:.1f} times" if alone_ms > 0 else "- (no report)"
    print(
        f"machine speed: the engine alone in this process {alone_ms:.2f} ms of CPU a frame "
        f"(the server under load {ratio} that); CPU stolen by the hypervisor during the run "
        f"{100.0 * stolen:.1f} % of the cores' time"
    )


def report_checks(clients: list[Client], results: list[tuple[bool, Agreement | None]]) -> list[str]:
    """Print the report checks' totals; the problems found."""
    identical = sum(same for same, _ in results)
    agreements = [a for _, a in results if a is not None]
    agreeing = sum(a.agrees for a in agreements)
    largest = {
        name: max((a.largest_s[name] for a in agreements), default=0.0) for name in TIMED_FIGURES
    }
    print(
        f"reports identical to the same engine fed the same messages here: "
        f"{identical}/{len(clients)}; agree exactly with offline analysis of the same keypoints "
        f"(reps per side, sides in order, faults, peak angle; start, end, hold and extension "
        f"to the frame, i.e. equal within half the period of the session's frames, "
        f"{500.0 / FPS:.1f} "
        f"ms at {FPS:g} fps): "
        f"{agreeing}/{len(clients)}, {sum(a.reps for a in agreements)} reps compared"
    )
    differences = ", ".join(f"{name} {value:.3f} s" for name, value in largest.items())
    compared = any(a.reps for a in agreements)
    print(f"largest live - offline difference: {differences if compared else '- (no reps)'}")
    failed = sum(bool(c.error) for c in clients)
    problems = [f"{failed}/{len(clients)} sessions failed"] if failed else []
    if identical < len(clients):
        problems.append(f"reports identical to the engine's {identical}/{len(clients)}")
    if agreeing < len(clients):
        problems.append(f"offline agreement {agreeing}/{len(clients)}")
    return problems
