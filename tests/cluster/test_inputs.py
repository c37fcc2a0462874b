"""What a batch analyses: files, folders and manifests; output stems; the skip key."""

from __future__ import annotations

from pathlib import Path

import pytest

from psoas_coach.cluster.inputs import (
    BatchItem,
    analysis_key,
    collect_inputs,
    content_hash,
    output_stems,
    safe_part,
)
from psoas_coach.config import AnalysisConfig


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_folders_manifests_and_files_in_order(tmp_path: Path) -> None:
    a = _touch(tmp_path / "in" / "b" / "a.mp4")
    b = _touch(tmp_path / "in" / "set.csv.gz")
    _touch(tmp_path / "in" / "notes.txt")
    _touch(tmp_path / "in" / ".hidden.mp4")
    _touch(tmp_path / "in" / "out" / "a.csv")  # an output of an earlier batch
    manifest = _touch(
        tmp_path / "day.csv",
        "Athlete, Date ,file\nAna,2026-05-01,in/b/a.mp4\n,2026-05-01,x.mp4\nBo,,/abs/c.mov\n",
    )
    single = _touch(tmp_path / "single.mov")
    items, problems = collect_inputs(
        [tmp_path / "in", manifest, single, tmp_path / "in"], exclude=tmp_path / "in" / "out"
    )
    assert items == [
        BatchItem(a.resolve()),
        BatchItem(b.resolve()),
        BatchItem(a.resolve(), "Ana/2026-05-01", "Ana", "2026-05-01"),
        BatchItem(Path("/abs/c.mov"), "Bo", "Bo", ""),
        BatchItem(single.resolve()),
    ]
    assert [p.reason for p in problems] == [f"{manifest}, line 3: athlete or file missing"]


def test_empty_folder_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    items, problems = collect_inputs([tmp_path / "empty"])
    assert items == [] and problems[0].reason == f"{tmp_path / 'empty'}: folder has no video or CSV"


def test_keypoint_csv_is_not_a_manifest(tmp_path: Path) -> None:
    keypoints = _touch(tmp_path / "k.csv", "time_s,nose_x,nose_y\n0,1,2\n")
    assert collect_inputs([keypoints])[0] == [BatchItem(keypoints.resolve())]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Ana", "Ana"), ("a/b", "a_b"), ("..", "_"), (" x\ty ", "x_y"), ("Zoë", "Zoë")],
)
def test_safe_part(text: str, expected: str) -> None:
    assert safe_part(text) == expected


def test_output_stems_are_unique(tmp_path: Path) -> None:
    items = [
        BatchItem(tmp_path / "a" / "set.mp4"),
        BatchItem(tmp_path / "b" / "set.csv.gz"),
        BatchItem(tmp_path / "set.mp4", "Ana/2026"),
        BatchItem(tmp_path / "c" / "set.mp4"),
    ]
    assert output_stems(items) == ["set", "set-2", "Ana/2026/set", "set-3"]


def test_analysis_key_follows_content_settings_and_pose_model(tmp_path: Path) -> None:
    one = content_hash(_touch(tmp_path / "1.mp4", "one"))
    assert one == content_hash(_touch(tmp_path / "copy.mp4", "one"))
    two = content_hash(_touch(tmp_path / "2.mp4", "two"))
    config = AnalysisConfig()
    keys = {
        analysis_key(one, config),
        analysis_key(two, config),
        analysis_key(one, config.updated({"min_hold_s": 1.5})),
        analysis_key(one, config, "heavy"),
    }
    assert len(keys) == 4
    assert analysis_key(one, AnalysisConfig()) == analysis_key(one, config)
