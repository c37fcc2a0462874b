"""Keypoint CSV (docs/definitions.md section 2): read into and write from a :class:`PoseSequence`.

One header row, then one row per frame: ``time_s`` then ``NAME_x``, ``NAME_y`` (pixels),
``NAME_z`` (may be empty) and ``NAME_visibility`` for the 33 BlazePose landmarks. A frame with no
person has every landmark cell empty. ``.csv`` and ``.csv.gz`` are both read and written.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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

    The file is read as a stream (a ``.csv.gz`` is decompressed as it is read), within
    :data:`LIMITS`: a file over them is refused as soon as it passes one, so memory stays
    bounded whatever the file holds (a gzip bomb included). Rows out of time order are put in
    order, rows repeating an earlier time and rows without a time are dropped; each such
    repair appends one line to ``warnings`` (when given).

    Raises:
        InputNotFoundError: the file does not exist.
        KeypointCSVError: not valid gzip, binary content, over a limit, empty file, columns
            not comma-separated, missing column, non-number cell, wrong row length, or no row
            with a time. The message names file, row and column.
    """
    label = f"keypoint CSV {path.name}"
    if not path.exists():
        raise InputNotFoundError(f"{label}: file not found")
    try:
        with _open_binary(path) as stream:
            header, table = _read_table(_lines(stream, label), label)
    except OSError as err:  # gzip.BadGzipFile is an OSError
        if _is_gzip(path):
            raise KeypointCSVError(f"{label}: {NOT_GZIP}") from None
        raise KeypointCSVError(f"{label}: cannot be read ({err})") from None
    except (EOFError, zlib.error):
        raise KeypointCSVError(f"{label}: {NOT_GZIP}") from None
    columns = _column_index(header, label)
    table = _in_time_order(table, columns["time_s"], label, warnings)
    time_s = table[:, columns["time_s"]]
    n = len(table)
    picked = table[:, [columns[name] for name in HEADER[1:]]].reshape(n, len(LANDMARK_NAMES), 4)
    return PoseSequence.from_arrays(
        time_s, picked[:, :, :2], picked[:, :, 2], picked[:, :, 3], source=path.name
    )


@dataclass(frozen=True)
class CSVLimits:
    """What a keypoint CSV may hold at most (a file over any is refused as it is read).

    Attributes:
        text_bytes: bytes of text (after decompression), 512 MB.
        rows: data rows, 150 000 (83 minutes at 30 frames per second).
        duration_s: the largest ``time_s``, seconds (2 hours).
        line_bytes: bytes of one line, 16 KiB (a full row is about 1.3 KB).
    """

    text_bytes: int = 512_000_000
    rows: int = 150_000
    duration_s: float = 7200.0
    line_bytes: int = 16_384


#: The limits every keypoint CSV is read within (``psoas analyze`` and the dashboard alike).
LIMITS = CSVLimits()
#: Rows converted to numbers at a time.
BLOCK_ROWS = 2048
NOT_GZIP = "not a valid gzip file (corrupt or truncated)"


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _open_binary(path: Path) -> io.BufferedIOBase:
    """The file's bytes, decompressed as they are read for ``.gz``."""
    if _is_gzip(path):
        return gzip.open(path, "rb")
    return path.open("rb")


def _lines(stream: io.BufferedIOBase, label: str) -> Iterator[str]:
    """The text lines of ``stream`` (UTF-8, a leading BOM dropped), within :data:`LIMITS`."""
    total = 0
    number = 0
    while line := stream.readline(LIMITS.line_bytes + 1):
        number += 1
        total += len(line)
        if total > LIMITS.text_bytes:
            raise KeypointCSVError(
                f"{label}: more than {LIMITS.text_bytes / 1e6:g} MB of text "
                "(decompressed): too large for a keypoint recording"
            )
        too_long = len(line) > LIMITS.line_bytes
        try:
            text = (line[:-4] if too_long else line).decode("utf-8")
        except UnicodeDecodeError:
            raise KeypointCSVError(f"{label}: not a text CSV file (binary content)") from None
        if b"\x00" in line:
            raise KeypointCSVError(f"{label}: not a text CSV file (binary content)")
        if too_long:
            raise KeypointCSVError(
                f"{label}: line {number} is longer than {LIMITS.line_bytes} bytes "
                "(a keypoint row is about 1.3 KB)"
            )
        yield text.removeprefix("\ufeff") if number == 1 else text


def _read_table(lines: Iterator[str], label: str) -> tuple[list[str], FloatArray]:
    """The header and the rows as numbers (frames x columns), block by block."""
    reader = csv.reader(lines)
    rows = _rows(reader, label)
    header = next(rows, None)
    if header is None:
        raise KeypointCSVError(f"{label}: file is empty")
    _column_index(header, label)
    time_column = header.index("time_s") if "time_s" in header else 0
    blocks: list[FloatArray] = []
    block: list[list[str]] = []
    first = 2  # row number of the block's first row (the header is row 1)
    for row in rows:
        block.append(row)
        if len(block) == BLOCK_ROWS:
            blocks.append(_block(header, block, label, first, time_column))
            first += len(block)
            block = []
    if block:
        blocks.append(_block(header, block, label, first, time_column))
    if not blocks:
        raise KeypointCSVError(f"{label}: no data rows after the header")
    return header, np.concatenate(blocks)


def _rows(reader: Iterator[list[str]], label: str) -> Iterator[list[str]]:
    """Non-empty rows, the header first; more than :attr:`CSVLimits.rows` data rows is
    refused."""
    count = 0  # rows given so far, the header included
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise KeypointCSVError(f"{label}: row {count + 1}: not valid CSV ({err})") from None
        if not row:
            continue
        if count > LIMITS.rows:
            raise KeypointCSVError(
                f"{label}: more than {LIMITS.rows} rows: too long for a keypoint recording"
            )
        count += 1
        yield row


def _block(
    header: list[str], block: list[list[str]], label: str, first: int, time_column: int
) -> FloatArray:
    table = _to_float_table(header, block, label, first)
    times = table[:, time_column]
    late = np.flatnonzero(times > LIMITS.duration_s)
    if late.size:
        raise KeypointCSVError(
            f"{label}: row {first + int(late[0])}: time_s {times[late[0]]:g} s is past "
            f"{LIMITS.duration_s:g} s, the longest accepted recording"
        )
    return table


def _column_index(header: list[str], label: str) -> dict[str, int]:
    index = {name.strip(): i for i, name in enumerate(header)}
    if len(header) == 1:
        for separator, name in ((";", "';'"), ("\t", "tabs")):
            if separator in header[0]:
                raise KeypointCSVError(
                    f"{label}: columns separated by {name}: the keypoint CSV must be "
                    "comma-separated, with '.' decimals"
                )
    for name in HEADER:
        if name not in index:
            raise KeypointCSVError(f"{label}: column {name} missing")
    return index


def _cell(text: str) -> float:
    text = text.strip()
    return float(text) if text else np.nan


def _to_float_table(
    header: list[str], data: list[list[str]], label: str, first: int = 2
) -> FloatArray:
    """``data`` (rows numbered from ``first``) as numbers; a wrong row or cell is named."""
    width = len(header)
    for i, row in enumerate(data):
        if len(row) != width:
            hint = " (decimal commas? numbers must use '.')" if len(row) > width else ""
            raise KeypointCSVError(
                f"{label}: row {i + first} has {len(row)} fields, expected {width}{hint}"
            )
    text = "\n".join(",".join(row) for row in data)
    try:
        cells: dict[int | str, Callable[[str], float]] = {i: _cell for i in range(width)}
        table = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2, converters=cells)
    except ValueError:
        raise _bad_cell(header, data, label, first) from None
    return np.asarray(table, dtype=np.float64)


def _bad_cell(header: list[str], data: list[list[str]], label: str, first: int) -> KeypointCSVError:
    for r, row in enumerate(data):
        for c, value in enumerate(row):
            try:
                _cell(value)
            except ValueError:
                hint = " (decimal commas? numbers must use '.')" if "," in value else ""
                return KeypointCSVError(
                    f"{label}: row {r + first} column {header[c]}: {value!r} is not a "
                    f"number{hint}"
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
