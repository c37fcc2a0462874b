"""Recognising uploads by name and content, and naming stored inputs (no server needed)."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest
from fastapi import HTTPException

from psoas_coach.storage.files import DataDir
from psoas_coach.web.runner import safe_stem, stored_suffix
from psoas_coach.web.uploads import kind_of, store_upload

MP4 = b"\x00\x00\x00\x20ftypisom" + b"\x00" * 64
CSV = b"time_s,nose_x\n0.0,1\n"
CASES = [
    # name, content, kind or HTTP status
    ("a.mp4", MP4, "video"),
    ("A.MOV", MP4, "video"),
    ("a.avi", b"RIFF\x00\x00\x00\x00AVI LIST", "video"),
    ("a.mkv", b"\x1a\x45\xdf\xa3" + b"\x00" * 20, "video"),
    ("a.webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 20, "video"),
    ("k.csv", CSV, "keypoints"),
    ("k.csv", b"\xef\xbb\xbf" + CSV, "keypoints"),
    ("k.csv.gz", gzip.compress(CSV), "keypoints"),
    ("k.CSV.GZ", gzip.compress(CSV), "keypoints"),
    ("a.mp4", b"RIFF\x00\x00\x00\x00AVI ", 415),
    ("k.csv.gz", CSV, 415),
    ("k.csv.gz", b"\x1f\x8b garbage", 415),
    ("k.csv", b"x,y\n", 415),
    ("a.gif", b"GIF89a", 415),
    ("noext", MP4, 415),
    ("a.mp4", b"", 400),
    ("a.mp4", MP4 * 1000, 413),
]


@pytest.mark.parametrize(("name", "content", "expected"), CASES)
def test_store_upload(tmp_path: Path, name: str, content: bytes, expected: str | int) -> None:
    data = DataDir(tmp_path / "data")
    if isinstance(expected, int):
        with pytest.raises(HTTPException) as caught:
            store_upload(io.BytesIO(content), name, data, max_bytes=10_000)
        assert caught.value.status_code == expected and name in str(caught.value.detail)
        assert list(data.uploads.iterdir()) == [] and list(data.work.iterdir()) == []
        return
    stored = store_upload(io.BytesIO(content), name, data, max_bytes=10_000)
    assert stored.kind == expected and stored.size_bytes == len(content)
    assert data.path(stored.stored_path).read_bytes() == content
    generated = Path(stored.stored_path).name
    assert generated.endswith(stored_suffix(name))
    assert re.fullmatch(r"[0-9a-f]{32}", generated[: -len(stored_suffix(name))])


@pytest.mark.parametrize(
    ("original", "stem"),
    [
        ("séance 1.mp4", "séance 1"),
        ("../../etc/passwd.csv", "passwd"),
        ("C:\\clips\\run.MOV", "run"),
        (".hidden.csv.gz", "hidden"),
        ('a<b>:"c"|?*.mp4', "abc"),
        (".mp4", "recording"),
        ("x" * 300 + ".mp4", "x" * 80),
    ],
)
def test_safe_stem(original: str, stem: str) -> None:
    assert safe_stem(original) == stem


def test_kind_of_refuses_unknown_types() -> None:
    with pytest.raises(HTTPException, match="unsupported file type"):
        kind_of("notes.txt")
