"""Process figures the benchmark scripts share (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def tree_rss_bytes(pid: int) -> float:
    """Resident memory of process ``pid`` and all its descendants, bytes (0 if gone)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += float(line.split()[1]) * 1024
    return total


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds process ``pid`` has used so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def descendants(pid: int) -> list[int]:
    """Process ``pid``'s living children, grandchildren, ... (not ``pid`` itself)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                pending += children
        except OSError:
            continue
    return found


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds of process ``pid`` itself and of its living descendants together."""
    others = 0.0
    for child in descendants(pid):
        try:
            others += cpu_seconds(child)
        except OSError:
            continue
    return cpu_seconds(pid), others


def machine_ticks() -> tuple[int, int]:
    """The machine's CPU time so far in clock ticks, all cores: (total, stolen by the
    hypervisor for other guests), from the ``cpu`` line of ``/proc/stat`` (steal is its 8th
    figure; 0 where the kernel does not count it)."""
    figures = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(figures[:8]), figures[7] if len(figures) > 7 else 0


def stolen_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share (0-1) of the cores' time the hypervisor gave other guests between two
    :func:`machine_ticks` readings (0 when no time passed)."""
    total = after[0] - before[0]
    return (after[1] - before[1]) / total if total > 0 else 0.0
