"""Export of everything stored about an athlete as one zip of JSON and CSV files.

Contents::

    README.txt              what each file holds
    athlete.json            the athlete, every session, recording, job, result and rep review
    sessions.csv            one row per session: prescription, RPE, notes, figures per side
    reps.csv                one row per rep of every newest result, with the coach's review
    results/<session date>_recording<id>/analysis.json   each result's report (docs/report.md)
    results/<session date>_recording<id>/keypoints.csv   its keypoints (docs/definitions.md
                                                          section 2; .csv.gz
                                                          when uploaded so)

Raw and annotated videos are not included (they are pictures, not data; download them from
the session page while they are kept).

A text cell of the CSV files that starts with = + - @, a tab or a carriage return is written
with a leading single quote (') so that a spreadsheet shows it as text and never runs it as a
formula (OWASP's CSV injection advice); numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from psoas_coach.faults.review import with_sides
from psoas_coach.report.model import Report
from psoas_coach.reps.types import shown_fields
from psoas_coach.storage.crud import results as result_crud
from psoas_coach.storage.files import DataDir
from psoas_coach.storage.models import Athlete, Result, TrainingSession
from psoas_coach.web import views

README = __doc__ or ""
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SESSION_COLUMNS = (
    "session_id",
    "date",
    "band",
    "sets",
    "reps",
    "hold_s",
    "rpe",
    "pain_notes",
    "coach_comments",
    "reps_left",
    "reps_right",
    "mean_hold_left_s",
    "mean_hold_right_s",
    "mean_extension_left_s",
    "mean_extension_right_s",
    "fault_rate_left_pct",
    "fault_rate_right_pct",
    "hold_asymmetry_pct",
)
#: The rep's own columns that lead, beside which side the analysis said; the rep's other
#: columns (every field ``reps.types`` marks as a table field, defined there once) follow.
_REP_LEADING = ("index", "side", "automatic_side", "side_confidence", "confidence")
REP_COLUMNS = (
    "session_date",
    "recording",
    "result_id",
    *_REP_LEADING,
    *(name for name in shown_fields("table") if name not in _REP_LEADING),
    "review",
    "review_faults",
    "review_comment",
)


def export_response(
    db: Session, athlete: Athlete, data: DataDir, tasks: BackgroundTasks
) -> FileResponse:
    """The athlete's export zip as a download (built in ``work/``, removed once sent)."""
    folder = data.new_work_folder("export")
    target = folder / "export.zip"
    export_athlete(db, athlete, data, target)
    tasks.add_task(shutil.rmtree, folder, ignore_errors=True)
    name = f"psoas-athlete-{athlete.id}.zip"
    return FileResponse(target, media_type="application/zip", filename=name)


def export_athlete(db: Session, athlete: Athlete, data: DataDir, target: Path) -> None:
    """Write the athlete's export zip to ``target``."""
    detail = views.athlete_detail(db, athlete)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        archive.writestr("athlete.json", _athlete_json(detail.model_dump(mode="json"), athlete))
        archive.writestr("sessions.csv", _csv(SESSION_COLUMNS, _session_rows(detail)))
        rep_rows: list[dict[str, Any]] = []
        for session in athlete.sessions:
            for result in views.latest_results(session):
                folder = f"results/{session.date.isoformat()}_recording{result.recording_id}"
                _add_result_files(archive, data, result, folder)
                rep_rows += _rep_rows(data, session, result)
        archive.writestr("reps.csv", _csv(REP_COLUMNS, rep_rows))


def _athlete_json(detail: dict[str, Any], athlete: Athlete) -> str:
    reviews = {
        str(result.id): [views.override_out(o).model_dump(mode="json") for o in result.overrides]
        for session in athlete.sessions
        for result in views.latest_results(session)
    }
    payload = {
        "schema": "psoas-coach/athlete-export@1",
        "team": athlete.team.name,
        **detail,
        "reviews": reviews,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _session_rows(detail: Any) -> list[dict[str, Any]]:
    rows = []
    for s in detail.sessions:
        summary = s.summary
        rows.append(
            {
                "session_id": s.id,
                "date": s.date.isoformat(),
                "band": s.band,
                "sets": s.sets,
                "reps": s.reps,
                "hold_s": s.hold_s,
                "rpe": s.rpe,
                "pain_notes": s.pain_notes,
                "coach_comments": s.coach_comments,
                "reps_left": summary.reps["left"],
                "reps_right": summary.reps["right"],
                "mean_hold_left_s": summary.mean_hold_s["left"],
                "mean_hold_right_s": summary.mean_hold_s["right"],
                "mean_extension_left_s": summary.mean_extension_s["left"],
                "mean_extension_right_s": summary.mean_extension_s["right"],
                "fault_rate_left_pct": summary.fault_rate_pct["left"],
                "fault_rate_right_pct": summary.fault_rate_pct["right"],
                "hold_asymmetry_pct": summary.hold_asymmetry_pct,
            }
        )
    return rows


def _add_result_files(archive: zipfile.ZipFile, data: DataDir, result: Result, folder: str) -> None:
    archive.write(data.path(result.report_json), f"{folder}/analysis.json")
    if result.keypoints_csv:
        gz = ".gz" if result.keypoints_csv.endswith(".gz") else ""
        archive.write(data.path(result.keypoints_csv), f"{folder}/keypoints.csv{gz}")


def _rep_rows(data: DataDir, session: TrainingSession, result: Result) -> list[dict[str, Any]]:
    report = Report.load(data.path(result.report_json))
    reviews = {o.rep_index: o for o in result.overrides}
    automatic = {rep.index: rep.side for rep in report.reps}
    rows = []
    for rep in with_sides(report.reps, result_crud.coach_sides(result)):
        review = reviews.get(rep.index)
        row: dict[str, Any] = {k: v for k, v in rep.to_dict().items() if k in REP_COLUMNS}
        row.update(
            automatic_side=automatic[rep.index],
            session_date=session.date.isoformat(),
            recording=result.job.recording.original_name,
            result_id=result.id,
            faults=";".join(rep.faults),
            review=review.verdict if review else "",
            review_faults=";".join(review.faults) if review else "",
            review_comment=review.comment if review else "",
        )
        rows.append(row)
    return rows


def spreadsheet_safe(value: Any) -> Any:
    """``value`` for a CSV cell: text a spreadsheet would run as a formula (it starts with one
    of :data:`FORMULA_STARTS`) gets a leading single quote; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()
