"""``--other-work`` of ``scripts/live_agreement.py`` and ``scripts/benchmark_live.py``
(``scripts/busy_machine.py``: a core kept busy in bursts while the benchmark runs) and its
argument."""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.live.test_benchmark_live import _script_module

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    module: ModuleType = _script_module("busy_machine")
    return module


@pytest.mark.parametrize("name", ["live_agreement.py", "benchmark_live.py"])
def test_both_benchmarks_take_other_work(name: str) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / name), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "--other-work BUSY:IDLE" in done.stdout
    bad = subprocess.run(
        [sys.executable, str(SCRIPTS / name), "--other-work", "0:1", "x"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and "BUSY:IDLE" in bad.stderr


def test_other_work_takes_busy_and_idle_seconds(script: ModuleType) -> None:
    assert script.duty_cycle("1:1") == (1.0, 1.0)
    assert script.duty_cycle("0.5:0") == (0.5, 0.0)
    for bad in ("1", "0:1", "1:-1", "a:b", "inf:1", "1:nan", ":1"):
        with pytest.raises(argparse.ArgumentTypeError, match="BUSY:IDLE"):
            script.duty_cycle(bad)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_other_work_keeps_a_core_busy_while_the_block_runs_and_stops_after(
    script: ModuleType,
) -> None:
    before = _children_cpu_s()
    with script.other_work((0.3, 0.0)):
        time.sleep(1.0)
    busy = _children_cpu_s() - before  # the worker was reaped: its CPU is counted
    assert busy > 0.3
    with script.other_work(None):
        time.sleep(0.2)
    assert _children_cpu_s() - before - busy < 0.05
