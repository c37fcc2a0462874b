"""The data directory: generated names, no way out of the root, sweeping unreferenced files."""

from __future__ import annotations

from pathlib import Path

import pytest

from psoas_coach.storage.files import DataDir


def test_paths_stay_inside_the_root(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    upload = data.new_upload(".csv.gz")
    assert upload.parent == data.uploads and upload.name.endswith(".csv.gz")
    assert data.path(data.relative(upload)) == upload
    for bad in ("../outside", "/etc/passwd", "uploads/../../x", "."):
        with pytest.raises(ValueError, match="outside the data directory"):
            data.path(bad)


def test_sweep_removes_only_unreferenced(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    kept, orphan = data.new_upload(".mp4"), data.new_upload(".mp4")
    kept.write_bytes(b"k")
    orphan.write_bytes(b"o")
    folder = data.new_result_folder()
    folder.mkdir()
    (folder / "analysis.json").write_text("{}")
    gone = data.sweep([data.relative(kept), data.relative(folder)])
    assert gone == [data.relative(orphan)]
    assert kept.exists() and folder.exists() and not orphan.exists()


def test_clear_work_empties_work(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    (data.new_work_folder("job1") / "partial.mp4").write_bytes(b"x")
    data.clear_work()
    assert list(data.work.iterdir()) == []
