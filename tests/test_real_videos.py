"""Real videos of other supine exercises: the real BlazePose model finds the person, and the
analysis counts zero psoas-march repetitions (../shared/real)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.outputs import analyze_file

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "workers"),
    [
        ("glute_bridge.mp4", 1),
        ("glute_bridge.mp4", 2),
        ("leg_raise_1.mp4", 2),
        ("leg_raise_2.mp4", 2),
        ("leg_raise_3.mp4", 2),
        ("leg_raise_4.mp4", 2),
    ],
)
def test_real_video_gives_zero_reps(name: str, workers: int, tmp_path: Path) -> None:
    video = REAL / name
    assert video.exists(), f"real video missing: {video}"
    result = analyze_file(video, tmp_path, AnalysisConfig(), workers=workers)
    report = json.loads((tmp_path / f"{video.stem}.json").read_text())
    assert report["reps"] == []
    assert report["assessable"]
    assert report["person_found_share"] >= 0.95
    assert (tmp_path / f"{video.stem}.csv").exists()
    assert (tmp_path / f"{video.stem}.html").exists()
    assert result.analysis is not None and len(result.analysis.pose) > 0
