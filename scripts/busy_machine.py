"""Other work on the machine while a benchmark runs, on demand (``--other-work BUSY:IDLE`` of
``scripts/live_agreement.py`` and ``scripts/benchmark_live.py``): a loop keeping one core busy
for BUSY seconds, then idle for IDLE seconds, over and over, in its own process. This
machine's speed swings from day to day; this is a reproducible slow moment."""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from collections.abc import Iterator


def duty_cycle(text: str) -> tuple[float, float]:
    """``BUSY:IDLE`` seconds, BUSY > 0 and IDLE >= 0 (argparse type)."""
    busy, sep, idle = text.partition(":")
    try:
        cycle = (float(busy), float(idle))
    except ValueError:
        cycle = (float("nan"), float("nan"))
    if not sep or not cycle[0] > 0 or not cycle[1] >= 0 or max(cycle) == float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected BUSY:IDLE seconds, BUSY above 0 and IDLE 0 or more, e.g. 1:1"
        )
    return cycle


def add_other_work_option(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    """Add ``--other-work BUSY:IDLE`` to a benchmark's options (``prefix`` starts its help:
    the mode it belongs to)."""
    parser.add_argument(
        "--other-work",
        type=duty_cycle,
        metavar="BUSY:IDLE",
        help=f"{prefix}meanwhile keep one core busy for BUSY seconds, then idle for IDLE "
        "seconds, over and over (other work on the machine; IDLE 0: busy throughout)",
    )


#: The other work of ``--other-work``: a loop on one core, busy then idle, until killed.
_BUSY_LOOP = """
import sys, time
busy, idle = float(sys.argv[1]), float(sys.argv[2])
while True:
    end = time.monotonic() + busy
    while time.monotonic() < end:
        pass
    time.sleep(idle)
"""


@contextlib.contextmanager
def other_work(cycle: tuple[float, float] | None) -> Iterator[None]:
    """Keep one core busy in bursts (``cycle``: busy and idle seconds) while the block runs;
    nothing for ``None``."""
    if cycle is None:
        yield
        return
    command = [sys.executable, "-c", _BUSY_LOOP, str(cycle[0]), str(cycle[1])]
    worker = subprocess.Popen(command)
    try:
        yield
    finally:
        worker.kill()
        worker.wait()
