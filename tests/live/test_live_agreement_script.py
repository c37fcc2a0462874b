"""``scripts/live_agreement.py``'s own parts: ``--other-work`` (a core kept busy in bursts
while the videos play) and its argument."""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "live_agreement.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("live_agreement", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["live_agreement"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


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
