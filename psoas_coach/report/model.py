"""The report: plain dataclasses whose JSON is documented in docs/report.md.

``Report.to_dict`` / ``from_dict`` / ``save`` / ``load``. Times in seconds, angles in degrees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psoas_coach.atomic import write_text_atomic
from psoas_coach.reps.types import Rep, finite_or_none

__all__ = ["SCHEMA", "Report", "SideSummary", "Summary", "json_safe", "summarize"]

SCHEMA = "psoas-coach/report@1"


#: Reps whose side is less likely than this to be right count in their side's total but stay
#: out of its means and of the asymmetry.
MIN_SIDE_CONFIDENCE = 0.7


@dataclass(frozen=True)
class SideSummary:
    """Aggregates over one side's reps.

    Means are over the reps whose figure was measured and whose side is sure (side confidence
    at least :data:`MIN_SIDE_CONFIDENCE`); ``None`` when there are none (never NaN).
    ``side_uncertain`` counts the reps left out of the means for their side.
    """

    reps: int
    mean_hold_s: float | None
    mean_extension_s: float | None
    mean_knee_angle_peak_deg: float | None
    faulty_reps: int
    side_uncertain: int = 0


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
        """JSON form: ``reps`` per side first, as docs/report.md 1.3 shows."""
        sides = {"left": self.left, "right": self.right}
        return {
            "reps": {s: v.reps for s, v in sides.items()},
            "mean_hold_s": {s: _r(v.mean_hold_s) for s, v in sides.items()},
            "mean_extension_s": {s: _r(v.mean_extension_s) for s, v in sides.items()},
            "mean_knee_angle_peak_deg": {
                s: _r(v.mean_knee_angle_peak_deg) for s, v in sides.items()
            },
            "faulty_reps": {s: v.faulty_reps for s, v in sides.items()},
            "side_uncertain_reps": {s: v.side_uncertain for s, v in sides.items()},
            "hold_asymmetry_pct": _r(self.hold_asymmetry_pct),
            "extension_asymmetry_pct": _r(self.extension_asymmetry_pct),
            "fault_counts": dict(self.fault_counts),
        }


def _r(value: float | None) -> float | None:
    return finite_or_none(value, 3)


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None and finite_or_none(v) is not None]
    return sum(known) / len(known) if known else None


def _asymmetry(left: float | None, right: float | None) -> float | None:
    if left is None or right is None or max(left, right) <= 0:
        return None
    return 100.0 * (left - right) / max(left, right)


def summarize(reps: list[Rep], fault_codes: list[str]) -> Summary:
    """Per-side means, asymmetry and the count of every fault code in ``fault_codes``."""
    per_side = {}
    for side in ("left", "right"):
        mine = [r for r in reps if r.side == side]
        sure = [r for r in mine if r.side_confidence >= MIN_SIDE_CONFIDENCE]
        per_side[side] = SideSummary(
            reps=len(mine),
            mean_hold_s=_mean([r.hold_s for r in sure]),
            mean_extension_s=_mean([r.extension_s for r in sure]),
            mean_knee_angle_peak_deg=_mean([r.knee_angle_peak_deg for r in sure]),
            faulty_reps=sum(1 for r in mine if r.faults),
            side_uncertain=len(mine) - len(sure),
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
    """The report of one analysed recording (docs/report.md).

    ``assessable`` is False when the pose quality was too poor to judge the set: the report
    then holds no repetitions and ``not_assessable_reason`` says why, in words for a coach.
    ``quality`` holds the pose-quality figures that decision was made on (see
    :func:`psoas_coach.report.build.quality_figures`).
    """

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
    assessable: bool = True
    not_assessable_reason: str = ""
    quality: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, keys in docs/report.md order; every number finite or ``null``."""
        document: dict[str, Any] = json_safe(
            {
                "schema": self.schema,
                "source": self.source,
                "assessable": self.assessable,
                "not_assessable_reason": self.not_assessable_reason or None,
                "fps": finite_or_none(self.fps, 3),
                "duration_s": finite_or_none(self.duration_s, 3),
                "reps": [r.to_dict() for r in self.reps],
                "summary": self.summary,
                "warnings": list(self.warnings),
                "person_found_share": finite_or_none(self.person_found_share, 4),
                "quality": dict(self.quality),
                "config": dict(self.config),
                "analysis_version": self.analysis_version,
            }
        )
        return document

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Inverse of :meth:`to_dict` (also reads reports written before the optional fields)."""
        return cls(
            source=str(data["source"]),
            fps=float(data.get("fps") or 0.0),
            duration_s=float(data.get("duration_s") or 0.0),
            reps=[Rep.from_dict(r) for r in data["reps"]],
            summary=dict(data.get("summary", {})),
            warnings=list(data.get("warnings", [])),
            config=dict(data.get("config", {})),
            person_found_share=float(data.get("person_found_share") or 0.0),
            analysis_version=str(data.get("analysis_version", "")),
            schema=str(data.get("schema", SCHEMA)),
            assessable=bool(data.get("assessable", True)),
            not_assessable_reason=str(data.get("not_assessable_reason") or ""),
            quality=dict(data.get("quality") or {}),
        )

    def save(self, path: Path) -> None:
        """Write the JSON atomically (a crash never leaves a half-written report)."""
        write_text_atomic(path, json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> Report:
        """Read a report written by :meth:`save`."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def json_safe(value: Any) -> Any:
    """``value`` with every float that is NaN or infinite replaced by ``None`` (recursively
    through dicts, lists and tuples), so that it is valid JSON."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
