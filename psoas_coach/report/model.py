"""The report: plain dataclasses whose JSON is the contract of SPEC section 5.

``Report.to_dict`` / ``from_dict`` / ``save`` / ``load``. Times in seconds, angles in degrees.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "psoas-coach/report@1"


@dataclass(frozen=True)
class Rep:
    """One repetition of one leg (SPEC section 3 gives every definition).

    ``faults`` holds fault codes (SPEC section 4) in registry order; ``cues`` the matching plain
    coaching cues. The remaining measures are what the fault rules were decided on;
    ``hold_start_s``/``hold_end_s`` bound the time at or above 90 % of the excursion.
    """

    index: int
    side: str
    start_s: float
    peak_s: float
    end_s: float
    extension_s: float
    hold_s: float
    knee_angle_peak_deg: float
    hip_angle_peak_deg: float
    faults: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    excursion_deg: float = 0.0
    knee_angle_start_deg: float = 0.0
    hip_angle_start_deg: float = 0.0
    back_lift_thigh: float = 0.0
    support_drift_deg: float = 0.0
    hold_start_s: float = 0.0
    hold_end_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, floats rounded to what the measurement supports."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 3)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rep:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class SideSummary:
    """Aggregates over one side's reps (means are NaN-free: 0 reps gives ``None``)."""

    reps: int
    mean_hold_s: float | None
    mean_extension_s: float | None
    mean_knee_angle_peak_deg: float | None
    faulty_reps: int


@dataclass(frozen=True)
class Summary:
    """Summary of a session: per-side aggregates, asymmetry and fault counts.

    ``hold_asymmetry_pct`` and ``extension_asymmetry_pct`` are ``100 * (left - right) /
    max(left, right)`` of the per-side means: positive when the left side is longer, ``None``
    when a side has no reps.
    """

    left: SideSummary
    right: SideSummary
    hold_asymmetry_pct: float | None
    extension_asymmetry_pct: float | None
    fault_counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``reps`` per side first, as SPEC section 5 shows."""
        sides = {"left": self.left, "right": self.right}
        return {
            "reps": {s: v.reps for s, v in sides.items()},
            "mean_hold_s": {s: _r(v.mean_hold_s) for s, v in sides.items()},
            "mean_extension_s": {s: _r(v.mean_extension_s) for s, v in sides.items()},
            "mean_knee_angle_peak_deg": {
                s: _r(v.mean_knee_angle_peak_deg) for s, v in sides.items()
            },
            "faulty_reps": {s: v.faulty_reps for s, v in sides.items()},
            "hold_asymmetry_pct": _r(self.hold_asymmetry_pct),
            "extension_asymmetry_pct": _r(self.extension_asymmetry_pct),
            "fault_counts": dict(self.fault_counts),
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _asymmetry(left: float | None, right: float | None) -> float | None:
    if left is None or right is None or max(left, right) <= 0:
        return None
    return 100.0 * (left - right) / max(left, right)


def summarize(reps: list[Rep], fault_codes: list[str]) -> Summary:
    """Per-side means, asymmetry and the count of every fault code in ``fault_codes``."""
    per_side = {}
    for side in ("left", "right"):
        mine = [r for r in reps if r.side == side]
        per_side[side] = SideSummary(
            reps=len(mine),
            mean_hold_s=_mean([r.hold_s for r in mine]),
            mean_extension_s=_mean([r.extension_s for r in mine]),
            mean_knee_angle_peak_deg=_mean([r.knee_angle_peak_deg for r in mine]),
            faulty_reps=sum(1 for r in mine if r.faults),
        )
    left, right = per_side["left"], per_side["right"]
    return Summary(
        left=left,
        right=right,
        hold_asymmetry_pct=_asymmetry(left.mean_hold_s, right.mean_hold_s),
        extension_asymmetry_pct=_asymmetry(left.mean_extension_s, right.mean_extension_s),
        fault_counts={code: sum(code in r.faults for r in reps) for code in fault_codes},
    )


@dataclass
class Report:
    """The report of one analysed recording (SPEC section 5 plus warnings and configuration)."""

    source: str
    fps: float
    duration_s: float
    reps: list[Rep]
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    config: dict[str, float] = field(default_factory=dict)
    person_found_share: float = 1.0
    analysis_version: str = ""
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, keys in SPEC order."""
        return {
            "schema": self.schema,
            "source": self.source,
            "fps": round(self.fps, 3),
            "duration_s": round(self.duration_s, 3),
            "reps": [r.to_dict() for r in self.reps],
            "summary": self.summary,
            "warnings": list(self.warnings),
            "person_found_share": round(self.person_found_share, 4),
            "config": dict(self.config),
            "analysis_version": self.analysis_version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Inverse of :meth:`to_dict`."""
        return cls(
            source=str(data["source"]),
            fps=float(data["fps"]),
            duration_s=float(data["duration_s"]),
            reps=[Rep.from_dict(r) for r in data["reps"]],
            summary=dict(data.get("summary", {})),
            warnings=list(data.get("warnings", [])),
            config=dict(data.get("config", {})),
            person_found_share=float(data.get("person_found_share", 1.0)),
            analysis_version=str(data.get("analysis_version", "")),
            schema=str(data.get("schema", SCHEMA)),
        )

    def save(self, path: Path) -> None:
        """Write the JSON atomically (a crash never leaves a half-written report)."""
        write_text_atomic(path, json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> Report:
        """Read a report written by :meth:`save`."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
