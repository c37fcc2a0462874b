"""Keypoint CSV: round trip and every malformed case with its message."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from psoas_coach.exceptions import InputNotFoundError, KeypointCSVError
from psoas_coach.pose import csv_io
from psoas_coach.pose.csv_io import HEADER, read_keypoints, write_keypoints
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import PoseSequence
from psoas_coach.synth import hostile


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
        ("bad-gzip", "not a valid gzip file (corrupt or truncated)"),
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


def _semicolons(path: Path) -> None:
    path.write_bytes(hostile.header_line(";") + hostile.row_line(0.0, ";", ","))


def _decimal_commas(path: Path) -> None:
    path.write_bytes(hostile.header_line() + hostile.row_line(0.0, ",", ","))


def _tabs(path: Path) -> None:
    path.write_bytes(hostile.header_line("\t") + hostile.row_line(0.0, "\t"))


def _long_line(path: Path) -> None:
    hostile.zero_bomb(path, inflated_bytes=20_000_000)


def _too_late(path: Path) -> None:
    path.write_bytes(hostile.header_line() + hostile.row_line(0.0) + hostile.row_line(9000.0))


def _too_many_rows(path: Path) -> None:
    hostile.rows_bomb(path, inflated_bytes=101 * len(hostile.row_line(0.0)))


def _blank_lines(path: Path) -> None:
    hostile.write_gzip(path, [hostile.header_line(), b"\n" * 20_000])


def _quoted_field(path: Path) -> None:
    path.write_bytes(hostile.header_line() + b'"' + b"1\n" * 100_000)


DEFAULT = csv_io.CSVLimits()
HOSTILE: list[tuple[str, Callable[[Path], object], csv_io.CSVLimits, str]] = [
    (
        "corrupt.csv.gz",
        hostile.corrupt_gzip,
        DEFAULT,
        "not a valid gzip file (corrupt or truncated)",
    ),
    ("truncated.csv.gz", hostile.truncated_gzip, DEFAULT, "not a valid gzip file (corrupt or"),
    ("semi.csv", _semicolons, DEFAULT, "columns separated by ';': the keypoint CSV must be comma-"),
    ("tabs.csv", _tabs, DEFAULT, "columns separated by tabs"),
    ("commas.csv", _decimal_commas, DEFAULT, "(decimal commas? numbers must use '.')"),
    ("zeros.csv.gz", _long_line, DEFAULT, "line 2 is longer than 16384 bytes"),
    ("late.csv", _too_late, DEFAULT, "row 3: time_s 9000 s is past 7200 s"),
    ("quoted.csv", _quoted_field, DEFAULT, "row 2: not valid CSV (field larger than field limit"),
    # the row and text limits, made small (the same code as the real ones, without writing
    # hundreds of megabytes)
    ("many.csv.gz", _too_many_rows, csv_io.CSVLimits(rows=100), "more than 100 rows: too long"),
    ("blank.csv.gz", _blank_lines, csv_io.CSVLimits(text_bytes=10_000), "more than 0.01 MB"),
]


@pytest.mark.parametrize(("name", "make", "limits", "message"), HOSTILE)
def test_hostile_files_are_refused_within_limits(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    make: Any,
    limits: csv_io.CSVLimits,
    message: str,
) -> None:
    monkeypatch.setattr(csv_io, "LIMITS", limits)
    path = tmp_path / name
    make(path)
    with pytest.raises(KeypointCSVError) as info:
        read_keypoints(path)
    text = str(info.value)
    assert text.startswith(f"keypoint CSV {name}: ") and message in text, text
    assert "\n" not in text


def test_a_recording_at_the_row_limit_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_io, "LIMITS", csv_io.CSVLimits(rows=100))
    path = hostile.rows_bomb(
        tmp_path / "full.csv.gz", inflated_bytes=100 * len(hostile.row_line(0.0))
    )
    assert len(read_keypoints(path)) == 100
