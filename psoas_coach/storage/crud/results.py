"""Analysis results (summary columns for the roster and trends) and the coach's rep overrides."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from psoas_coach.faults.base import fault_codes
from psoas_coach.faults.review import with_sides
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.report.model import MIN_SIDE_CONFIDENCE, Report, summarize
from psoas_coach.reps.types import Rep
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

#: What a coach may say about a rep's automatic faults ("": nothing, only its side is set).
VERDICTS = ("confirmed", "overridden")


def summary_fields(report: Report, sides: dict[int, str] | None = None) -> dict[str, Any]:
    """The :class:`Result` summary columns of ``report`` with the coach's ``sides`` (``{rep
    index: side}``) applied: per side reps, mean hold and extension (seconds), faulty reps and
    per-code fault counts; asymmetry in percent; whether it could be assessed; reps with an
    unsure side; warnings; settings.
    """
    reps = with_sides(report.reps, sides or {})
    s = summarize(reps, fault_codes()).to_dict()
    fields: dict[str, Any] = {
        "duration_s": report.duration_s,
        "hold_asymmetry_pct": s["hold_asymmetry_pct"],
        "extension_asymmetry_pct": s["extension_asymmetry_pct"],
        "fault_counts": fault_counts_by_side(reps),
        "assessable": report.assessable,
        "not_assessable_reason": report.not_assessable_reason,
        "uncertain_reps": sum(r.side_confidence < MIN_SIDE_CONFIDENCE for r in reps),
        "warnings": list(report.warnings),
        "analysis_version": report.analysis_version,
        "config": dict(report.config),
    }
    for side in SIDES:
        fields[f"reps_{side}"] = s["reps"][side]
        fields[f"faulty_reps_{side}"] = s["faulty_reps"][side]
        fields[f"mean_hold_{side}_s"] = s["mean_hold_s"][side]
        fields[f"mean_extension_{side}_s"] = s["mean_extension_s"][side]
    return fields


def refresh_summary(db: Session, *, result: Result, report: Report) -> None:
    """Recompute ``result``'s summary columns from its ``report`` and the coach's sides."""
    for name, value in summary_fields(report, coach_sides(result)).items():
        setattr(result, name, value)
    db.commit()


def coach_sides(result: Result) -> dict[int, str]:
    """The sides the coach set, by rep index."""
    return {o.rep_index: o.side for o in result.overrides if o.side is not None}


def fault_counts_by_side(reps: list[Rep]) -> dict[str, dict[str, int]]:
    """``{side: {code: reps of that side with the fault}}`` (codes that occur only)."""
    counts: dict[str, dict[str, int]] = {side: {} for side in SIDES}
    for rep in reps:
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
    override = _override_row(db, result, rep_index)
    override.verdict = verdict
    override.faults = list(faults) if verdict == "overridden" else []
    override.comment = comment.strip()
    override.coach_id = coach_id
    override.updated_at = utcnow()
    db.commit()
    return override


def _override_row(db: Session, result: Result, rep_index: int) -> RepOverride:
    """The review row of rep ``rep_index`` of ``result``, a new one when there is none."""
    override = db.scalar(
        select(RepOverride).where(
            RepOverride.result_id == result.id, RepOverride.rep_index == rep_index
        )
    )
    if override is None:
        override = RepOverride(result_id=result.id, rep_index=rep_index, verdict="", faults=[])
        db.add(override)
        result.overrides.append(override)
    return override


def set_rep_side(
    db: Session,
    *,
    result: Result,
    report: Report,
    rep_index: int,
    side: str | None,
    coach_id: int,
) -> RepOverride:
    """Set the leg of rep ``rep_index`` (``None``: back to the automatic side) and recompute
    ``result``'s summary from ``report`` with every side the coach set."""
    if side is not None and side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, found {side!r}")
    automatic = next(r.side for r in report.reps if r.index == rep_index)
    override = _override_row(db, result, rep_index)
    override.side = None if side == automatic else side
    override.coach_id = coach_id
    override.updated_at = utcnow()
    db.flush()
    refresh_summary(db, result=result, report=report)
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
