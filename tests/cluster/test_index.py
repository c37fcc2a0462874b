"""``batch.json``: what counts as done, atomic saves, a damaged index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psoas_coach.cluster.index import INDEX_NAME, BatchIndex, Entry


def _done(out: Path) -> BatchIndex:
    (out / "a").mkdir(parents=True)
    (out / "a" / "x.json").write_text("{}")
    index = BatchIndex(out)
    index.record(Entry("a/x", "/in/x.mp4", "k1", "done", files={"json": "a/x.json"}))
    index.record(Entry("y", "/in/y.mp4", "k2", "failed", reason="y.mp4: not a video"))
    index.save()
    return index


@pytest.mark.parametrize(
    ("stem", "key", "remove", "expected"),
    [
        ("a/x", "k1", False, True),
        ("a/x", "other", False, False),  # content, version or settings changed
        ("a/x", "k1", True, False),  # an output was deleted since
        ("y", "k2", False, False),  # failed: tried again
        ("new", "k3", False, False),
    ],
)
def test_is_done(tmp_path: Path, stem: str, key: str, remove: bool, expected: bool) -> None:
    _done(tmp_path)
    if remove:
        (tmp_path / "a" / "x.json").unlink()
    assert BatchIndex.load(tmp_path).is_done(stem, key) is expected


def test_saved_index(tmp_path: Path) -> None:
    _done(tmp_path)
    data = json.loads((tmp_path / INDEX_NAME).read_text())
    assert data["counts"] == {"done": 1, "failed": 1}
    assert [e["stem"] for e in data["items"]] == ["a/x", "y"]
    assert data["items"][1]["reason"] == "y.mp4: not a video"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("text", ["", "{", '{"items": [{"stem": 1}]}', "[]"])
def test_damaged_index_means_start_afresh(tmp_path: Path, text: str) -> None:
    (tmp_path / INDEX_NAME).write_text(text)
    assert BatchIndex.load(tmp_path).entries == {}
