"""``batch.json``: the index of a batch's outputs, one entry per output stem.

Written atomically by the driver after every outcome, so a batch stopped anywhere (Ctrl-C,
the driver killed) leaves an index of everything finished so far, and a re-run skips it::

    {"format": "psoas-coach/batch@1", "analysis_version": "0.1.0+psoas-coach/report@1",
     "updated": "2026-12-06T23:00:00Z", "counts": {"done": 2, "failed": 1},
     "items": [{"stem": "ana/2026-05-01/set1", "input": "/data/ana/set1.mp4",
                "athlete": "ana", "date": "2026-05-01", "sha256": "...", "key": "...",
                "status": "done", "reason": "", "files": {"json": "ana/2026-05-01/set1.json"},
                "reps": {"left": 4, "right": 4}, "seconds": 12.5, "worker": "host:pid"}]}

``files`` are relative to the output folder; ``reason`` is the one-line failure of a failed
item; ``seconds`` the time its task took on the worker.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from psoas_coach.atomic import write_text_atomic
from psoas_coach.cluster.inputs import ANALYSIS_VERSION

INDEX_NAME = "batch.json"
FORMAT = "psoas-coach/batch@1"


@dataclass
class Entry:
    """The outcome of one input (see the module docstring for the fields)."""

    stem: str
    input: str
    key: str
    status: str
    athlete: str = ""
    date: str = ""
    sha256: str = ""
    reason: str = ""
    files: dict[str, str] = field(default_factory=dict)
    reps: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""


class BatchIndex:
    """The entries of ``<out>/batch.json`` by stem; :meth:`save` writes them atomically."""

    def __init__(self, out_dir: Path, entries: dict[str, Entry] | None = None) -> None:
        """An index of the batch writing into ``out_dir``."""
        self.out_dir = out_dir
        self.entries: dict[str, Entry] = entries or {}

    @classmethod
    def load(cls, out_dir: Path) -> BatchIndex:
        """The index in ``out_dir``; empty when there is none or it cannot be read (a
        re-run then analyses everything again rather than trusting a damaged index)."""
        path = out_dir / INDEX_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = [Entry(**item) for item in data["items"]]
        except (OSError, ValueError, KeyError, TypeError):
            return cls(out_dir)
        return cls(out_dir, {e.stem: e for e in entries})

    def is_done(self, stem: str, key: str) -> bool:
        """True when ``stem`` was analysed with ``key`` and its files are all still there."""
        entry = self.entries.get(stem)
        if entry is None or entry.status != "done" or entry.key != key:
            return False
        return all((self.out_dir / rel).is_file() for rel in entry.files.values())

    def record(self, entry: Entry) -> None:
        """Add or replace the entry of ``entry.stem`` (call :meth:`save` to write)."""
        self.entries[entry.stem] = entry

    def counts(self) -> dict[str, int]:
        """Entries by status."""
        counts = {"done": 0, "failed": 0}
        for entry in self.entries.values():
            counts[entry.status] = counts.get(entry.status, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``batch.json``."""
        return {
            "format": FORMAT,
            "analysis_version": ANALYSIS_VERSION,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "counts": self.counts(),
            "items": [asdict(e) for e in sorted(self.entries.values(), key=lambda e: e.stem)],
        }

    def save(self) -> None:
        """Write ``batch.json`` atomically."""
        text = json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"
        write_text_atomic(self.out_dir / INDEX_NAME, text)
