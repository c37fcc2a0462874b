"""Accuracy regression: figures pinned on the public devset and on hard synthetic recordings.

The full figures come from ``scripts/score.py``; these tests keep them from sliding back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.csv_io import read_keypoints
from psoas_coach.reps.types import Rep
from psoas_coach.synth.generator import generate, random_spec
from psoas_coach.synth.scoring import BenchmarkScore, score_recording, summarize_scores

DEVSET = Path(__file__).resolve().parents[2] / "shared" / "devset"


def _check(score: BenchmarkScore, *, mae_s: float, min_f1: float) -> None:
    assert score.count_exact_share == 1.0
    assert score.side_accuracy == 1.0
    assert score.hold_mae_s is not None and score.hold_mae_s <= mae_s
    assert score.extension_mae_s is not None and score.extension_mae_s <= mae_s
    for code, count in score.faults.items():
        assert count.f1 is None or count.f1 >= min_f1, (code, count)


def test_devset_meets_the_targets() -> None:
    files = sorted(DEVSET.glob("*.csv.gz"))
    assert files, f"devset not found at {DEVSET}"
    scores = []
    for path in files:
        truth_path = path.with_name(path.name.replace(".csv.gz", ".truth.json"))
        truth = [Rep.from_dict(r) for r in json.loads(truth_path.read_text())["reps"]]
        pred = analyze_pose(read_keypoints(path)).report.reps
        scores.append(score_recording(path.name, truth, pred))
    _check(summarize_scores(scores), mae_s=0.10, min_f1=0.95)


@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15, 16])
def test_hard_synthetic_recording(seed: int) -> None:
    rec = generate(random_spec(seed, hard=True))
    pred = analyze_pose(rec.pose).report.reps
    score = summarize_scores([score_recording(str(seed), rec.reps, pred)])
    _check(score, mae_s=0.15, min_f1=0.66)
