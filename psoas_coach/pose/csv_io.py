"""Keypoint CSV (docs/definitions.md section 2): read into and write from a :class:`PoseSequence`.

One header row, then one row per frame: ``time_s`` then ``NAME_x``, ``NAME_y`` (pixels),
``NAME_z`` (may be empty) and ``NAME_visibility`` for the 33 BlazePose landmarks. A frame with no
person has every landmark cell empty. ``.csv`` and ``.csv.gz`` are both read and written.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

from psoas_coach.atomic import write_bytes_atomic
from psoas_coach.exceptions import InputNotFoundError, KeypointCSVError
from psoas_coach.pose.landmarks import LANDMARK_NAMES
from psoas_coach.pose.types import FloatArray, PoseSequence

COORDS = ("x", "y", "z", "visibility")
HEADER: tuple[str, ...] = ("time_s", *(f"{n}_{c}" for n in LANDMARK_NAMES for c in COORDS))
CSV_SUFFIXES = (".csv", ".csv.gz")


def is_keypoint_csv(path: Path) -> bool:
    """True when ``path`` has a keypoint CSV suffix (``.csv`` or ``.csv.gz``)."""
    return path.name.lower().endswith(CSV_SUFFIXES)


def read_keypoints(path: Path, warnings: list[str] | None = None) -> PoseSequence:
    """Read a keypoint CSV into a :class:`PoseSequence`.

    Rows out of time order are put in order, rows repeating an earlier time and rows without a
    time are dropped; each such repair appends one line to ``warnings`` (when given).

    Raises:
        InputNotFoundError: the file does not exist.
        KeypointCSVError: empty file, missing column, non-number cell, wrong row length, or
            no row with a time. The message names file, row and column.
    """
    label = f"keypoint CSV {path.name}"
    rows = _read_rows(path, label)
    if not rows:
        raise KeypointCSVError(f"{label}: file is empty")
    header, data = rows[0], rows[1:]
    columns = _column_index(header, label)
    if not data:
        raise KeypointCSVError(f"{label}: no data rows after the header")
    table = _to_float_table(header, data, label)
    table = _in_time_order(table, columns["time_s"], label, warnings)
    time_s = table[:, columns["time_s"]]
    n = len(table)
    picked = table[:, [columns[name] for name in HEADER[1:]]].reshape(n, len(LANDMARK_NAMES), 4)
    return PoseSequence.from_arrays(
        time_s, picked[:, :, :2], picked[:, :, 2], picked[:, :, 3], source=path.name
    )


def _read_rows(path: Path, label: str) -> list[list[str]]:
    if not path.exists():
        raise InputNotFoundError(f"{label}: file not found")
    try:
        raw = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise KeypointCSVError(f"{label}: cannot be read ({err})") from None
    except UnicodeDecodeError:
        raise KeypointCSVError(f"{label}: not a text CSV file (binary content)") from None
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _column_index(header: list[str], label: str) -> dict[str, int]:
    index = {name.strip(): i for i, name in enumerate(header)}
    for name in HEADER:
        if name not in index:
            raise KeypointCSVError(f"{label}: column {name} missing")
    return index


def _cell(text: str) -> float:
    text = text.strip()
    return float(text) if text else np.nan


def _to_float_table(header: list[str], data: list[list[str]], label: str) -> FloatArray:
    width = len(header)
    for i, row in enumerate(data):
        if len(row) != width:
            raise KeypointCSVError(f"{label}: row {i + 2} has {len(row)} fields, expected {width}")
    text = "\n".join(",".join(row) for row in data)
    try:
        cells: dict[int | str, Callable[[str], float]] = {i: _cell for i in range(width)}
        table = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2, converters=cells)
    except ValueError:
        raise _bad_cell(header, data, label) from None
    return np.asarray(table, dtype=np.float64)


def _bad_cell(header: list[str], data: list[list[str]], label: str) -> KeypointCSVError:
    for r, row in enumerate(data):
        for c, value in enumerate(row):
            try:
                _cell(value)
            except ValueError:
                return KeypointCSVError(
                    f"{label}: row {r + 2} column {header[c]}: {value!r} is not a number"
                )
    return KeypointCSVError(f"{label}: a cell is not a number")


def _in_time_order(
    table: FloatArray, column: int, label: str, warnings: list[str] | None
) -> FloatArray:
    """The rows of ``table`` with a finite time, in time order, each time once (the first row
    of a repeated time is kept); every repair is noted in ``warnings``."""
    notes: list[str] = []
    time_s = table[:, column]
    bad = np.flatnonzero(~np.isfinite(time_s))
    if bad.size == len(time_s):
        raise KeypointCSVError(f"{label}: row {bad[0] + 2}: time_s is empty or not finite")
    if bad.size:
        notes.append(f"{bad.size} rows without a time (first: row {bad[0] + 2}) were skipped")
        table = table[np.isfinite(time_s)]
        time_s = table[:, column]
    back = np.flatnonzero(np.diff(time_s) < 0)
    if back.size:
        first = int(back[0]) + 1
        notes.append(
            f"rows out of time order (first at {time_s[first]:.3f} s after "
            f"{time_s[first - 1]:.3f} s) were put in order"
        )
        table = table[np.argsort(time_s, kind="stable")]
        time_s = table[:, column]
    repeated = np.concatenate(([False], np.diff(time_s) == 0))
    if repeated.any():
        notes.append(f"{int(repeated.sum())} rows repeating an earlier time were dropped")
        table = table[~repeated]
    if warnings is not None:
        warnings += [f"{label}: {note}" for note in notes]
    return table


def _fmt(value: float, digits: int) -> str:
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"


def keypoints_to_csv_text(pose: PoseSequence) -> str:
    """The CSV text of ``pose`` (header and one row per frame; empty cells for missing)."""
    out = io.StringIO()
    out.write(",".join(HEADER) + "\n")
    for i in range(len(pose)):
        cells = [f"{pose.time_s[i]:.4f}"]
        for j in range(len(LANDMARK_NAMES)):
            if not np.isfinite(pose.xy[i, j, 0]):
                cells.extend(("", "", "", ""))
                continue
            cells.append(_fmt(pose.xy[i, j, 0], 2))
            cells.append(_fmt(pose.xy[i, j, 1], 2))
            cells.append(_fmt(pose.z[i, j], 4))
            cells.append(_fmt(pose.visibility[i, j], 3))
        out.write(",".join(cells) + "\n")
    return out.getvalue()


def write_keypoints(pose: PoseSequence, path: Path) -> None:
    """Write ``pose`` as a keypoint CSV (gzip-compressed when ``path`` ends in ``.gz``).

    The file is written atomically: a crash never leaves a half-written CSV.
    """
    data = keypoints_to_csv_text(pose).encode("utf-8")
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    write_bytes_atomic(path, data)
