"""The bad-file corpus: malformed and hostile keypoint CSVs, each with the words its one-line
refusal must contain. The CLI (``tests/cli/test_hostile_inputs.py``) and the dashboard
(``tests/web/test_hostile_uploads.py``) are both run over every file."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from psoas_coach.synth import hostile

NOT_GZIP = "not a valid gzip file (corrupt or truncated)"
BINARY = "not a text CSV file (binary content)"


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return write


HEADER, ROW = hostile.header_line(), hostile.row_line(0.0)
#: name, how to write it, words of the refusal.
CORPUS: list[tuple[str, Callable[[Path], Path], str]] = [
    ("corrupt.csv.gz", hostile.corrupt_gzip, NOT_GZIP),
    ("truncated.csv.gz", hostile.truncated_gzip, NOT_GZIP),
    ("plain_text.csv.gz", _bytes(HEADER + ROW), NOT_GZIP),
    (
        "bomb_1gb.csv.gz",
        lambda p: hostile.zero_bomb(p, inflated_bytes=1_000_000_000),
        "line 2 is longer than 16384 bytes",
    ),
    (
        "rows_86mb.csv.gz",
        lambda p: hostile.rows_bomb(p, inflated_bytes=160_000 * len(ROW)),
        "more than 150000 rows: too long",
    ),
    (
        "semicolons.csv",
        _bytes(hostile.header_line(";") + hostile.row_line(0.0, ";", ",")),
        "columns separated by ';': the keypoint CSV must be comma-separated, with '.' decimals",
    ),
    ("tabs.csv", _bytes(hostile.header_line("\t") + hostile.row_line(0.0, "\t")), "by tabs"),
    (
        "decimal_commas.csv",
        _bytes(HEADER + hostile.row_line(0.0, ",", ",")),
        "(decimal commas? numbers must use '.')",
    ),
    ("utf16.csv", _bytes(HEADER.decode().encode("utf-16")), BINARY),
    ("nul.csv", _bytes(HEADER + ROW.replace(b"0.9", b"0\x009", 1)), BINARY),
    ("random.csv", _bytes(bytes(range(128, 256)) * 64), BINARY),
    ("quoted.csv", _bytes(HEADER + b'"' + b"1\n" * 100_000), "not valid CSV"),
    ("late.csv", _bytes(HEADER + ROW + hostile.row_line(9000.0)), "is past 7200 s"),
    ("header_only.csv.gz", lambda p: _gz(p, HEADER), "no data rows after the header"),
    ("empty.csv", _bytes(b""), "file is empty"),
    ("no_time.csv", _bytes(HEADER + b"," + ROW.split(b",", 1)[1]), "time_s is empty"),
    ("short_row.csv", _bytes(HEADER + b"0.0,1,2\n"), "row 2 has 3 fields"),
    ("words.csv", _bytes(HEADER + ROW.replace(b"0.9", b"abc", 1)), "'abc' is not a number"),
]


def _gz(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data))
    return path


def write_corpus(folder: Path) -> list[tuple[Path, str]]:
    """Every file of :data:`CORPUS` written into ``folder``, with its refusal's words."""
    folder.mkdir(parents=True, exist_ok=True)
    return [(make(folder / name), words) for name, make, words in CORPUS]
