"""Analysis results (summary columns for the roster and trends) and the coach's rep overrides."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from psoas_coach.report.model import Report
from psoas_coach.storage.crud.roster import visible_team_ids
from psoas_coach.storage.models import (
    AnalysisJob,
    Athlete,
    Recording,
    RepOverride,
    Result,
    TrainingSession,
    utcnow,
)

SIDES = ("left", "right")
#: What a coach may say about a rep's automatic faults.
VERDICTS = ("confirmed", "overridden")


def summary_fields(report: Report) -> dict[str, Any]:
    """The :class:`Result` summary columns of ``report``: per side reps, mean hold and extension
    (seconds), faulty reps and per-code fault counts; asymmetry in percent; warnings; settings.
    """
    s = report.summary
    fields: dict[str, Any] = {
        "duration_s": report.duration_s,
        "hold_asymmetry_pct": s.get("hold_asymmetry_pct"),
        "extension_asymmetry_pct": s.get("extension_asymmetry_pct"),
        "fault_counts": fault_counts_by_side(report),
        "warnings": list(report.warnings),
        "analysis_version": report.analysis_version,
        "config": dict(report.config),
    }
    for side in SIDES:
        fields[f"reps_{side}"] = sum(1 for r in report.reps if r.side == side)
        fields[f"faulty_reps_{side}"] = sum(1 for r in report.reps if r.side == side and r.faults)
        fields[f"mean_hold_{side}_s"] = s.get("mean_hold_s", {}).get(side)
        fields[f"mean_extension_{side}_s"] = s.get("mean_extension_s", {}).get(side)
    return fields


def fault_counts_by_side(report: Report) -> dict[str, dict[str, int]]:
    """``{side: {code: reps of that side with the fault}}`` (codes that occur only)."""
    counts: dict[str, dict[str, int]] = {side: {} for side in SIDES}
    for rep in report.reps:
        for code in rep.faults:
            side = counts.setdefault(rep.side, {})
            side[code] = side.get(code, 0) + 1
    return counts


def get_result(db: Session, *, result_id: int, coach_id: int) -> Result | None:
    """Result ``result_id`` if its athlete is in one of ``coach_id``'s teams."""
    query = (
        select(Result)
        .join(Recording, Result.recording_id == Recording.id)
        .join(TrainingSession)
        .join(Athlete)
        .where(Result.id == result_id, Athlete.team_id.in_(visible_team_ids(coach_id)))
    )
    return db.scalar(query)


def results_of_athlete(db: Session, *, athlete: Athlete) -> list[tuple[TrainingSession, Result]]:
    """``(session, result)`` for the newest result of every recording of the athlete, by
    session date."""
    query = (
        select(TrainingSession, Result)
        .join(Recording, Recording.session_id == TrainingSession.id)
        .join(Result, Result.recording_id == Recording.id)
        .where(TrainingSession.athlete_id == athlete.id)
        .order_by(TrainingSession.date, TrainingSession.id, Result.id)
    )
    newest: dict[int, tuple[TrainingSession, Result]] = {}
    for session, result in db.execute(query).tuples():
        newest[result.recording_id] = (session, result)
    return sorted(newest.values(), key=lambda pair: (pair[0].date, pair[0].id, pair[1].id))


def set_override(
    db: Session,
    *,
    result: Result,
    rep_index: int,
    verdict: str,
    faults: list[str],
    comment: str,
    coach_id: int,
) -> RepOverride:
    """Create or replace the coach's review of rep ``rep_index`` of ``result``.

    ``confirmed`` keeps the automatic faults (``faults`` is ignored and stored empty);
    ``overridden`` stores the coach's list of fault codes instead.
    """
    if verdict not in VERDICTS:
        raise ValueError(f"override verdict must be one of {VERDICTS}, found {verdict!r}")
    override = db.scalar(
        select(RepOverride).where(
            RepOverride.result_id == result.id, RepOverride.rep_index == rep_index
        )
    )
    if override is None:
        override = RepOverride(result_id=result.id, rep_index=rep_index)
        db.add(override)
    override.verdict = verdict
    override.faults = list(faults) if verdict == "overridden" else []
    override.comment = comment.strip()
    override.coach_id = coach_id
    override.updated_at = utcnow()
    db.commit()
    return override


def delete_override(db: Session, *, result: Result, rep_index: int) -> bool:
    """Remove the review of one rep; False when there was none."""
    done = db.execute(
        delete(RepOverride).where(
            RepOverride.result_id == result.id, RepOverride.rep_index == rep_index
        )
    )
    db.commit()
    return bool(getattr(done, "rowcount", 0))


def overrides_by_rep(result: Result) -> dict[int, RepOverride]:
    """The result's reviews keyed by rep index."""
    return {o.rep_index: o for o in result.overrides}


def job_result(db: Session, *, job: AnalysisJob) -> Result | None:
    """The result of ``job`` (``None`` unless done)."""
    return db.scalar(select(Result).where(Result.job_id == job.id))
