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
``psoas analyze`` runs) of the keypoints the messages carry as the server decodes them:
repetitions per side, sides in order and faults per repetition equal, holds within 0.2 s.
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
from proc_stats import tree_cpu_seconds
from websockets.asyncio.client import ClientConnection, connect

from psoas_coach.live.replay import decoded_pose, pose_messages, session_report
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.csv_io import read_keypoints
from psoas_coach.pose.types import PoseSequence

SHARED = Path(__file__).resolve().parents[2] / "shared"
FPS = 30.0
#: Unanswered frames (seconds of them at 30 fps) that count as a session falling behind.
BEHIND_FRAMES = 30
HOLD_TOLERANCE_S = 0.2


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


def compare(client: Client) -> tuple[bool, bool, float]:
    """(report equals the engine's here, agrees with offline, largest hold difference s)."""
    if client.report is None:
        return False, False, float("nan")
    same = client.report == session_report(client.messages).report.to_dict()
    offline = analyze_pose(decoded_pose(client.messages, client.name)).report
    live = client.report["reps"]
    agree = [r["side"] for r in live] == [r.side for r in offline.reps]
    agree &= [r["faults"] for r in live] == [list(r.faults) for r in offline.reps]
    agree &= client.report["summary"]["reps"] == offline.summary["reps"]
    holds = [
        abs((a["hold_s"] or 0.0) - (b.hold_s or 0.0))
        for a, b in zip(live, offline.reps, strict=False)
    ]
    worst = max(holds, default=0.0)
    return same, agree and worst <= HOLD_TOLERANCE_S, worst


def run(sessions: int, seconds: float, processes: int | None = None) -> int:
    """The load benchmark against a server with ``processes`` engine processes (``None``:
    its default, one per core); exit status 0 when every report is right and no client
    failed."""
    clients = load_clients(sessions, seconds)
    port = free_port()
    url = f"ws://127.0.0.1:{port}/live/ws"
    load = os.getloadavg()
    server = start_server(port, processes)
    rtt_ms: list[float] = []
    try:
        asyncio.run(warm_up(url))  # engine processes started before the timing
        before, own_cpu, wall = tree_cpu_seconds(server.pid), _own_cpu(), time.monotonic()
        asyncio.run(drive(url, clients, rtt_ms))
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
    )
    return report(clients, server_cpu, own_cpu, wall, session_s, rtt_ms)


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
) -> int:
    """Print the per-session and overall figures; exit status."""
    print(f"{'session':<18}{'frames':>7}  latency ms              engine ms   unanswered  report")
    results = []
    for c in clients:
        same, agree, hold = compare(c)
        results.append((same, agree, hold))
        verdict = c.error or (
            f"{'identical' if same else 'DIFFERENT'}, offline {'agrees' if agree else 'DIFFERS'}"
        )
        print(
            f"{c.name:<18}{len(c.messages):>7}  {figures(c.latency_ms)}  "
            f"{np.median(c.engine_ms or [np.nan]):5.1f}  {c.most_unanswered:>10}  {verdict}"
        )
    latency = [ms for c in clients for ms in c.latency_ms]
    behind = sum(c.most_unanswered > BEHIND_FRAMES or bool(c.error) for c in clients)
    median, p95 = np.median(latency), np.percentile(latency, 95)
    met = "meets" if median < 40 and p95 < 100 and behind == 0 else "MISSES"
    print(
        f"overall answer latency median {median:.1f} ms, p95 {p95:.1f} ms, max "
        f"{max(latency):.0f} ms; sessions behind (> {BEHIND_FRAMES} frames unanswered): "
        f"{behind}/{len(clients)}  ({met} median < 40 ms, p95 < 100 ms, none behind)"
    )
    total = sum(server_cpu)
    print(
        f"server CPU {total:.1f} s (main process {server_cpu[0]:.1f} s, engine processes "
        f"{server_cpu[1]:.1f} s) over {session_s:.0f} session-seconds: "
        f"{total / session_s:.4f} s per session-second ({total / wall:.2f} cores busy on "
        f"average over {wall:.0f} s)"
    )
    answered = max(1, len(latency))
    per_frame = [1000.0 * cpu / answered for cpu in (total, *server_cpu)]
    cores = os.cpu_count() or 1
    print(
        f"server CPU per frame answered {per_frame[0]:.2f} ms (main {per_frame[1]:.2f}, "
        f"engines {per_frame[2]:.2f}): {cores} idle cores would carry about "
        f"{1000.0 * cores / per_frame[0] / FPS:.0f} sessions at {FPS:g} fps"
    )
    print(f"clients (this process) CPU {own_cpu:.1f} s: {own_cpu / wall:.2f} cores on average")
    print(f"control message round trip meanwhile (event loop free?): {figures(rtt_ms)} ms")
    identical = sum(r[0] for r in results)
    agreeing = sum(r[1] for r in results)
    worst = max((r[2] for r in results if np.isfinite(r[2])), default=0.0)
    print(
        f"reports identical to the same engine fed the same messages here: "
        f"{identical}/{len(clients)}; agree with offline analysis of the same keypoints (reps "
        f"per side, sides in order, faults, holds within {HOLD_TOLERANCE_S} s): "
        f"{agreeing}/{len(clients)}, largest hold difference {worst:.3f} s"
    )
    return 0 if identical == agreeing == len(clients) else 1
