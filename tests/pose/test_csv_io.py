"""Keypoint CSV: round trip and every malformed case with its message."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from psoas_coach.exceptions import InputNotFoundError, KeypointCSVError
from psoas_coach.pose.csv_io import HEADER, read_keypoints, write_keypoints
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import PoseSequence


def small_pose(frames: int = 5) -> PoseSequence:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 640, (frames, NUM_LANDMARKS, 2))
    xy[2] = np.nan  # nobody in frame 2
    z = rng.normal(0, 0.1, (frames, NUM_LANDMARKS))
    vis = rng.uniform(0, 1, (frames, NUM_LANDMARKS))
    return PoseSequence.from_arrays(np.arange(frames) / 30, xy, z, vis, source="x")


@pytest.mark.parametrize("name", ["k.csv", "k.csv.gz"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    pose = small_pose()
    path = tmp_path / name
    write_keypoints(pose, path)
    back = read_keypoints(path)
    assert np.allclose(back.time_s, pose.time_s, atol=1e-4)
    assert np.allclose(back.xy, pose.xy, atol=0.006, equal_nan=True)
    assert np.allclose(back.visibility, pose.visibility, atol=0.0006)
    assert not back.detected[2] and back.detected[[0, 1, 3, 4]].all()
    if name.endswith(".gz"):
        assert gzip.decompress(path.read_bytes()).startswith(b"time_s,nose_x")


def test_empty_z_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    write_keypoints(small_pose(), path)
    rows = path.read_text().splitlines()
    header = rows[0].split(",")
    zcols = [i for i, h in enumerate(header) if h.endswith("_z")]
    out = [rows[0]]
    for row in rows[1:]:
        cells = row.split(",")
        for i in zcols:
            cells[i] = ""
        out.append(",".join(cells))
    path.write_text("\n".join(out) + "\n")
    assert np.isnan(read_keypoints(path).z).all()


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    return path


def _good_row(t: float) -> list[str]:
    return [f"{t}"] + ["1.0"] * (len(HEADER) - 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("", "file is empty"),
        ("header-only", "no data rows"),
        ("missing-column", "column left_knee_x missing"),
        ("not-a-number", "row 3 column nose_y: 'abc' is not a number"),
        ("short-row", "row 2 has 3 fields"),
        ("time-empty", "row 2: time_s is empty"),
        ("binary", "not a text CSV file"),
        ("bad-gzip", "cannot be read"),
    ],
)
def test_malformed_csv_messages(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / ("bad.csv.gz" if content == "bad-gzip" else "bad.csv")
    header = list(HEADER)
    if content == "":
        path.write_text("")
    elif content == "header-only":
        _write(path, header, [])
    elif content == "missing-column":
        i = header.index("left_knee_x")
        _write(path, header[:i] + header[i + 1 :], [])
    elif content == "not-a-number":
        bad = _good_row(0.1)
        bad[header.index("nose_y")] = "abc"
        _write(path, header, [_good_row(0.0), bad])
    elif content == "short-row":
        _write(path, header, [["0", "1", "2"]])
    elif content == "time-empty":
        _write(path, header, [[""] + _good_row(0.0)[1:]])
    elif content == "binary":
        path.write_bytes(b"\xff\xfe\x00\x81" * 10)
    elif content == "bad-gzip":
        path.write_bytes(b"not gzip at all")
    error = InputNotFoundError if content is None else KeypointCSVError
    with pytest.raises(error) as info:
        read_keypoints(path)
    text = str(info.value)
    assert path.name in text and message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("times", "kept", "note"),
    [
        (["0.0", "0.1", "0.2"], [0.0, 0.1, 0.2], None),
        (["0.0", "0.2", "0.1"], [0.0, 0.1, 0.2], "put in order"),
        (["0.0", "0.1", "0.1", "0.2"], [0.0, 0.1, 0.2], "1 rows repeating an earlier time"),
        (["0.3", "0.2", "0.1", "0.0"], [0.0, 0.1, 0.2, 0.3], "put in order"),
        (["0.0", "", "0.2"], [0.0, 0.2], "1 rows without a time (first: row 3)"),
    ],
)
def test_rows_out_of_order_repeated_or_without_time_are_repaired_with_a_warning(
    tmp_path: Path, times: list[str], kept: list[float], note: str | None
) -> None:
    rows = [[t, *_good_row(0.0)[1:]] for t in times]
    path = _write(tmp_path / "k.csv", list(HEADER), rows)
    warnings: list[str] = []
    pose = read_keypoints(path, warnings)
    assert pose.time_s.tolist() == kept
    if note is None:
        assert warnings == []
    else:
        assert len(warnings) >= 1 and note in warnings[-1] and "k.csv" in warnings[-1]
