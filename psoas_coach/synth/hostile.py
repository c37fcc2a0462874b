"""Hostile and malformed keypoint CSVs, made in code: gzip bombs and broken files for the
tests of the CLI and the dashboard and for ``scripts/make_hostile.py``.

Bombs are written by streaming, so one of a gigabyte costs a megabyte of disk and little
memory to make.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path

from psoas_coach.pose.csv_io import HEADER

#: One plausible data row after its time (every landmark at (1, 1), z 0, visible).
_ROW_TAIL = ",1.0,1.0,0.0,0.9" * ((len(HEADER) - 1) // 4)


def header_line(separator: str = ",") -> bytes:
    """The keypoint CSV header with ``separator`` between columns, newline included."""
    return (separator.join(HEADER) + "\n").encode()


def row_line(time_s: float, separator: str = ",", decimal: str = ".") -> bytes:
    """One valid data row at ``time_s`` seconds (another separator and decimal mark on
    request, as a spreadsheet set to another locale writes them)."""
    text = f"{time_s:.4f}{_ROW_TAIL}".replace(",", "\x00").replace(".", decimal)
    return (text.replace("\x00", separator) + "\n").encode()


def write_gzip(path: Path, parts: Iterable[bytes]) -> Path:
    """Write ``parts`` one after the other into the gzip file ``path``."""
    with gzip.open(path, "wb", compresslevel=9) as out:
        for part in parts:
            out.write(part)
    return path


def zero_bomb(path: Path, *, inflated_bytes: int) -> Path:
    """A ``.csv.gz``: a valid header, then one line of ``inflated_bytes`` zeros (1 GB
    compresses to about 1 MB)."""

    def parts() -> Iterator[bytes]:
        yield header_line()
        block = b"0" * (1 << 20)
        for _ in range(inflated_bytes // len(block)):
            yield block

    return write_gzip(path, parts())


def rows_bomb(path: Path, *, inflated_bytes: int, fps: float = 30.0) -> Path:
    """A ``.csv.gz`` of valid rows at ``fps``, ``inflated_bytes`` of text in all."""

    def parts() -> Iterator[bytes]:
        yield header_line()
        count = inflated_bytes // len(row_line(0.0))
        for n in range(count):
            yield row_line(n / fps)

    return write_gzip(path, parts())


def truncated_gzip(path: Path) -> Path:
    """A ``.csv.gz`` cut in the middle of its compressed data."""
    packed = gzip.compress(header_line() + b"".join(row_line(n / 30) for n in range(300)))
    path.write_bytes(packed[: len(packed) // 2])
    return path


def corrupt_gzip(path: Path) -> Path:
    """A ``.csv.gz`` with the gzip magic but damaged compressed data."""
    packed = bytearray(
        gzip.compress(header_line() + b"".join(row_line(n / 30) for n in range(300)))
    )
    for i in range(30, len(packed) - 30, 11):
        packed[i] ^= 0x5A
    path.write_bytes(bytes(packed))
    return path
