"""One batch task's work, run here without Ray: outputs published beside their stem, the
staging folder gone, a bad input an outcome with its reason (never an exception)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from psoas_coach.cluster.tasks import STAGING, TaskSpec, analyze_task
from psoas_coach.config import AnalysisConfig
from tests.web.helpers import synthetic_csv


@pytest.fixture(scope="module")
def march(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_csv(tmp_path_factory.mktemp("in") / "march.csv.gz", seed=3, n_reps=2)


def test_outputs_land_beside_the_stem(march: Path, tmp_path: Path) -> None:
    outcome = analyze_task(TaskSpec(march, tmp_path, "Ana/2026-05-01/set1", AnalysisConfig()))
    assert outcome.ok, outcome.reason
    assert outcome.files == {
        "angles": "Ana/2026-05-01/set1.angles.svg",
        "holds": "Ana/2026-05-01/set1.holds.svg",
        "json": "Ana/2026-05-01/set1.json",
        "html": "Ana/2026-05-01/set1.html",
    }
    report = json.loads((tmp_path / "Ana/2026-05-01/set1.json").read_text())
    assert outcome.reps == report["summary"]["reps"] and sum(outcome.reps.values()) == 2
    assert outcome.worker.endswith(f":{os.getpid()}") and outcome.seconds > 0
    assert list((tmp_path / STAGING).iterdir()) == []


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("gone.mp4", None, "gone.mp4: file not found"),
        ("notes.txt", "hello", "notes.txt: unsupported file type"),
        ("empty.csv", "", "empty.csv"),
    ],
)
def test_bad_input_is_an_outcome(
    tmp_path: Path, name: str, content: str | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    outcome = analyze_task(TaskSpec(path, tmp_path / "out", "x", AnalysisConfig()))
    assert not outcome.ok and reason in outcome.reason
    assert outcome.files == {} and list((tmp_path / "out" / STAGING).iterdir()) == []
