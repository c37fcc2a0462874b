"""What a batch analyses: video and keypoint files, folders of them, and CSV manifests.

A manifest is a CSV file with a header row naming at least the columns ``athlete``, ``date``
and ``file`` (a path, relative to the manifest's folder unless absolute). Its outputs go into
``<athlete>/<date>/`` under the batch's output folder; files and folders given directly go
into the output folder itself. A bad manifest row, a missing file or a folder without inputs
becomes one :class:`InputProblem` naming it; the other inputs go on.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from psoas_coach import __version__
from psoas_coach.config import AnalysisConfig
from psoas_coach.outputs import VIDEO_SUFFIXES, input_stem
from psoas_coach.report.model import SCHEMA

#: Columns a manifest must have.
MANIFEST_COLUMNS = ("athlete", "date", "file")
#: Suffixes of the inputs picked up from a folder.
INPUT_SUFFIXES = (*VIDEO_SUFFIXES, ".csv", ".csv.gz")
#: The analysis version of the skip key: the package's version and the report schema.
ANALYSIS_VERSION = f"{__version__}+{SCHEMA}"


@dataclass(frozen=True)
class BatchItem:
    """One input of a batch.

    Attributes:
        path: the input file, absolute (on shared storage for a cluster).
        folder: output sub-folder relative to the batch's output folder ("" for the folder
            itself; ``athlete/date`` for a manifest row).
        athlete: the athlete's name from a manifest ("" otherwise).
        date: the session date from a manifest ("" otherwise).
    """

    path: Path
    folder: str = ""
    athlete: str = ""
    date: str = ""


@dataclass(frozen=True)
class InputProblem:
    """An input that cannot even be queued: ``name`` and the one-line ``reason``."""

    name: str
    reason: str


def collect_inputs(
    paths: list[Path], *, exclude: Path | None = None
) -> tuple[list[BatchItem], list[InputProblem]]:
    """The items of ``paths`` (files, folders searched recursively, ``*.csv`` manifests) in
    the given order, each file once; and the problems met. Files a folder holds under
    ``exclude`` (the output folder: its keypoint CSVs are outputs) are left out."""
    items: list[BatchItem] = []
    problems: list[InputProblem] = []
    for path in paths:
        if path.is_dir():
            found = _folder_items(path, exclude.resolve() if exclude else None)
            items += found
            if not found:
                problems.append(InputProblem(str(path), f"{path}: folder has no video or CSV"))
        elif is_manifest(path):
            rows, bad = read_manifest(path)
            items += rows
            problems += bad
        else:
            items.append(BatchItem(path.resolve()))
    return _dedupe(items), problems


def is_manifest(path: Path) -> bool:
    """True for a ``.csv`` file whose header has the manifest columns (not keypoints)."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError):
        return False
    return set(MANIFEST_COLUMNS) <= {h.strip().lower() for h in header}


def read_manifest(path: Path) -> tuple[list[BatchItem], list[InputProblem]]:
    """The rows of the manifest at ``path``; a row without a file or athlete is a problem."""
    items: list[BatchItem] = []
    problems: list[InputProblem] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
        for line, row in enumerate(reader, start=2):
            athlete, date, name = (str(row.get(c) or "").strip() for c in MANIFEST_COLUMNS)
            if not name or not athlete:
                where = f"{path}, line {line}"
                problems.append(InputProblem(where, f"{where}: athlete or file missing"))
                continue
            file = Path(name) if Path(name).is_absolute() else path.parent / name
            folder = "/".join(safe_part(p) for p in (athlete, date) if p)
            items.append(BatchItem(file.resolve(), folder, athlete, date))
    return items, problems


def safe_part(text: str) -> str:
    """``text`` as one folder name: separators and control characters replaced by ``_``."""
    cleaned = "".join(c if c.isprintable() and c not in '/\\:*?"<>|' else "_" for c in text)
    return cleaned.strip().strip(".") or "_"


def output_stems(items: list[BatchItem]) -> list[str]:
    """Each item's output path without suffix, relative to the output folder
    (``folder/stem``), unique: a second ``set1`` in one folder becomes ``set1-2``."""
    used: set[str] = set()
    stems: list[str] = []
    for item in items:
        base = f"{item.folder}/{input_stem(item.path)}".lstrip("/")
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        stems.append(candidate)
    return stems


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, hex."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def analysis_key(sha256: str, config: AnalysisConfig, pose_model: str = "full") -> str:
    """The skip key of an input: its content hash, :data:`ANALYSIS_VERSION`, the settings and
    the pose model (a change of any of them analyses the input again), hex."""
    settings = json.dumps(config.to_dict(), sort_keys=True)
    text = f"{sha256}|{ANALYSIS_VERSION}|{settings}|{pose_model}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _folder_items(folder: Path, exclude: Path | None) -> list[BatchItem]:
    return [
        BatchItem(p.resolve())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not p.name.startswith(".")
        and p.name.lower().endswith(INPUT_SUFFIXES)
        and not (exclude and p.resolve().is_relative_to(exclude))
        and not is_manifest(p)
    ]


def _dedupe(items: list[BatchItem]) -> list[BatchItem]:
    seen: set[tuple[Path, str]] = set()
    kept = []
    for item in items:
        if (item.path, item.folder) not in seen:
            seen.add((item.path, item.folder))
            kept.append(item)
    return kept
