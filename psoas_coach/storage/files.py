"""The data directory: uploads, result folders and work space, all with generated names.

Layout (paths stored in the database are relative to the root)::

    <root>/psoas.db                 the default SQLite database
    <root>/uploads/<hex><suffix>    raw uploads (videos, keypoint CSVs)
    <root>/results/<hex>/           one finished analysis each
    <root>/work/                    analyses in progress; emptied at start-up

A result folder appears under ``results/`` by one rename of a complete folder from ``work/``,
so a half-written result is never in place.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

#: Name of the default SQLite database file in the data directory.
DATABASE_FILE = "psoas.db"


class DataDir:
    """Paths under one data directory; every stored name is generated (never user input)."""

    def __init__(self, root: Path) -> None:
        """Use (and create) the data directory ``root``."""
        self.root = root.resolve()
        self.uploads = self.root / "uploads"
        self.results = self.root / "results"
        self.work = self.root / "work"
        for folder in (self.root, self.uploads, self.results, self.work):
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def database_path(self) -> Path:
        """The default SQLite database file."""
        return self.root / DATABASE_FILE

    def path(self, relative: str) -> Path:
        """Absolute path of a stored ``relative`` path; raises ValueError if it leaves the root."""
        full = (self.root / relative).resolve()
        if not full.is_relative_to(self.root) or full == self.root:
            raise ValueError(f"stored path {relative!r} is outside the data directory")
        return full

    def relative(self, path: Path) -> str:
        """``path`` (under the root) as stored in the database, with forward slashes."""
        return path.resolve().relative_to(self.root).as_posix()

    def new_upload(self, suffix: str) -> Path:
        """A fresh path in ``uploads/`` ending in ``suffix`` (e.g. ``.mp4``, ``.csv.gz``)."""
        return self.uploads / f"{uuid.uuid4().hex}{suffix}"

    def new_result_folder(self) -> Path:
        """A fresh (not yet existing) folder path in ``results/``."""
        return self.results / uuid.uuid4().hex

    def new_work_folder(self, label: str) -> Path:
        """A fresh, created folder in ``work/`` whose name starts with ``label``."""
        folder = self.work / f"{label}-{uuid.uuid4().hex[:12]}"
        folder.mkdir(parents=True)
        return folder

    def remove(self, relative: str) -> None:
        """Delete a stored file or folder (missing is fine)."""
        target = self.path(relative)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)

    def remove_all(self, relatives: Iterable[str]) -> None:
        """Delete every stored path in ``relatives``."""
        for relative in relatives:
            self.remove(relative)

    def clear_work(self) -> None:
        """Empty ``work/`` (start-up: analyses interrupted by a crash left their files there)."""
        for entry in self.work.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def sweep(self, referenced: Iterable[str]) -> list[str]:
        """Delete uploads and result folders that no database row refers to; returns them.

        Covers the gap between a file move and its commit (a crash in between) and deletions
        whose files could not be removed at the time.
        """
        keep = {self.path(r) for r in referenced}
        gone = []
        for folder in (self.uploads, self.results):
            for entry in folder.iterdir():
                if entry.resolve() not in keep:
                    gone.append(self.relative(entry))
                    self.remove(self.relative(entry))
        return gone
