"""``scripts/browser_agreement.py`` pairs a browser pose with the server pose of the same frame
by time (nearest ``time_s``, less than half a frame apart) and prints per-joint distances of
the pairs only. Built in code: no browser, no model."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "browser_agreement.py"
FRAME_S = 0.04  # 25 fps


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("browser_agreement", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


agreement = _script()


@pytest.mark.parametrize(
    ("browser_s", "server_s", "pairs"),
    [
        ([0.0, 0.08, 0.16], [0.0, 0.08, 0.16], [(0, 0), (1, 1), (2, 2)]),
        ([0.005, 0.087], [0.0, 0.08], [(0, 0), (1, 1)]),  # media vs stream clock rounding
        ([0.16, 0.0, 0.08], [0.0, 0.08, 0.16], [(1, 0), (2, 1), (0, 2)]),  # any order
        ([0.0, 0.16], [0.0, 0.08, 0.16], [(0, 0), (1, 2)]),  # a frame the browser missed
        ([0.0, 0.04, 0.08], [0.04], [(1, 0)]),  # the nearest, not the first
        ([0.02], [0.0], []),  # half a frame apart: another frame
        ([0.019], [0.0], [(0, 0)]),
        ([], [0.0, 0.04], []),
        ([0.0], [], []),
    ],
)
def test_poses_are_paired_by_time_within_half_a_frame(
    browser_s: list[float], server_s: list[float], pairs: list[tuple[int, int]]
) -> None:
    assert agreement.match_by_time(browser_s, server_s, FRAME_S) == pairs


def test_joint_distances_come_from_the_same_frames_only(capsys: pytest.CaptureFixture[str]) -> None:
    """Server poses at 0, 0.08, 0.16 s; the browser's are 3 px to the right at the same times,
    plus one at 0.12 s placed exactly on the server's pose (a frame the server never saw):
    every distance is 3 px, not the 0 px a nearest-pose match would find."""
    rng = np.random.default_rng(0)
    width, height = 640, 360
    server = [
        (t, np.column_stack([rng.uniform(0.2, 0.8, (33, 2)), np.zeros(33), np.ones(33)]))
        for t in (0.0, 0.08, 0.16)
    ]
    shift = np.array([3 / width, 0.0, 0.0, 0.0])
    browser = [(t, pose + shift) for t, pose in server] + [(0.12, server[1][1].copy())]
    agreement.print_joints(browser, server, 1 / FRAME_S, (width, height))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("frames: browser 4, server 3, matched by time 3")
    rows = {line.split()[0]: line.split()[-4:] for line in lines[2:]}
    assert list(rows) == [*agreement.JOINTS, "all"]
    assert all(values[:2] == ["3.00", "3.00"] for values in rows.values()), rows
