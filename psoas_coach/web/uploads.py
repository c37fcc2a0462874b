"""Accepting an upload: type check by name and content, size limit, then an atomic move into
``uploads/`` under a generated name. A refused upload leaves nothing behind.

Accepted: videos (mp4, mov, avi, webm, mkv) whose first bytes are of that container family, and
keypoint CSVs (``.csv``, ``.csv.gz``) whose header starts with ``time_s``. Whether a video
actually decodes is the analysis's business: a corrupt one becomes a failed job with a reason.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException

from psoas_coach.outputs import VIDEO_SUFFIXES
from psoas_coach.pose.csv_io import CSV_SUFFIXES
from psoas_coach.storage.files import DataDir
from psoas_coach.web.runner import stored_suffix

#: Bytes read per chunk while copying an upload.
CHUNK_BYTES = 1 << 20
#: Bytes looked at to recognise the content.
SNIFF_BYTES = 4096
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
ACCEPTED = ", ".join(s[1:] for s in (*VIDEO_SUFFIXES, *CSV_SUFFIXES))


@dataclass(frozen=True)
class StoredUpload:
    """An accepted upload in place: ``stored_path`` relative to the data directory."""

    stored_path: str
    kind: str
    size_bytes: int


def refuse(status: int, message: str) -> HTTPException:
    """The HTTP error of a refused upload (413 too large, 415 wrong type, 400 empty)."""
    return HTTPException(status_code=status, detail=message)


def kind_of(name: str) -> str:
    """``video`` or ``keypoints`` by the file name's suffix; 415 for anything else."""
    suffix = stored_suffix(name)
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in CSV_SUFFIXES:
        return "keypoints"
    raise refuse(415, f"{name}: unsupported file type (accepted: {ACCEPTED})")


def store_upload(source: BinaryIO, name: str, data: DataDir, *, max_bytes: int) -> StoredUpload:
    """Copy ``source`` into ``uploads/`` if it is an accepted type within ``max_bytes``."""
    kind = kind_of(name)
    suffix = stored_suffix(name)
    work = data.new_work_folder("upload")
    partial = work / f"upload{suffix}"
    try:
        size = _copy_limited(source, partial, name, max_bytes)
        if size == 0:
            raise refuse(400, f"{name}: the file is empty")
        _check_content(partial, name, suffix)
        target = data.new_upload(suffix)
        os.replace(partial, target)
        return StoredUpload(data.relative(target), kind, size)
    finally:
        partial.unlink(missing_ok=True)
        work.rmdir()


def _copy_limited(source: BinaryIO, target: Path, name: str, max_bytes: int) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise refuse(413, too_large_message(name, max_bytes))
            out.write(chunk)
    return size


def too_large_message(name: str, max_bytes: int) -> str:
    """The one-line message for an upload over the limit."""
    return f"{name}: file too large (limit {max_bytes / 1e6:g} MB)"


def _check_content(path: Path, name: str, suffix: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if suffix in CSV_SUFFIXES:
        gzipped = suffix == ".csv.gz"
        if gzipped and _gunzip_head(head) is None:
            raise refuse(415, f"{name}: not a valid gzip file (corrupt or truncated)")
        if not _csv_header_ok(head, gzipped=gzipped):
            raise refuse(415, f"{name}: not a keypoint CSV (the first line must start with time_s)")
    elif not _video_signature_ok(head, suffix):
        raise refuse(415, f"{name}: not a {suffix[1:]} video (its content is of another type)")


def _video_signature_ok(head: bytes, suffix: str) -> bool:
    if suffix in (".mp4", ".mov"):
        return head[4:8] in _MP4_BOXES
    if suffix == ".avi":
        return head[:4] == b"RIFF" and head[8:12] == b"AVI "
    return head[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM (EBML)


def _gunzip_head(head: bytes) -> bytes | None:
    """The first bytes inflated from the start of a gzip file; ``None`` when it is not one."""
    if head[:2] != b"\x1f\x8b":
        return None
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, SNIFF_BYTES)
    except (zlib.error, gzip.BadGzipFile):
        return None


def _csv_header_ok(head: bytes, *, gzipped: bool) -> bool:
    text_head = _gunzip_head(head) if gzipped else head
    if text_head is None:
        return False
    text = text_head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    return text.startswith("time_s")
