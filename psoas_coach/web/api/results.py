"""``/api/results``: a finished analysis, its files (video with HTTP range requests) and the
coach's per-rep reviews, kept apart from the automatic faults."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from psoas_coach.web import services, views
from psoas_coach.web.deps import DataDirDep, LoginDep, ResultDep, SessionDep
from psoas_coach.web.forms import OverrideIn, SideIn
from psoas_coach.web.runner import safe_stem
from psoas_coach.web.schemas import OverrideOut, ResultDetailOut

router = APIRouter(prefix="/results", tags=["results"])

FileKind = Literal["json", "html", "keypoints", "video", "angles", "holds"]
MEDIA_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "keypoints": "text/csv; charset=utf-8",
    "video": "video/mp4",
    "angles": "image/svg+xml",
    "holds": "image/svg+xml",
}
#: The stored HTML report is self-contained: no scripts, nothing fetched.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@router.get("/{result_id}", response_model=ResultDetailOut)
def get_result(result: ResultDep, data: DataDirDep) -> ResultDetailOut:
    """Every rep of the automatic result with the coach's review beside it."""
    return views.result_detail(data, result)


@router.get(
    "/{result_id}/files/{kind}",
    response_class=FileResponse,
    responses={206: {"description": "part of the file (Range request)"}},
)
def result_file(result: ResultDep, kind: FileKind, data: DataDirDep) -> FileResponse:
    """A file of the result: report JSON or HTML, keypoints, annotated video (supports
    ``Range`` requests, so it plays and seeks in a ``<video>``), angle and hold plots."""
    stored: str | None = getattr(result, views.RESULT_FILES[kind])
    if stored is None or not data.path(stored).is_file():
        raise HTTPException(status_code=404, detail=f"this result has no {kind} file")
    media_type = MEDIA_TYPES[kind]
    if kind == "keypoints" and stored.endswith(".gz"):
        media_type = "application/gzip"
    headers = {"Content-Security-Policy": REPORT_CSP} if kind == "html" else {}
    inline = kind in ("html", "video", "angles", "holds")
    return FileResponse(
        data.path(stored),
        media_type=media_type,
        filename=_download_name(result, stored),
        content_disposition_type="inline" if inline else "attachment",
        headers=headers,
    )


def _download_name(result: ResultDep, stored: str) -> str:
    stem = safe_stem(result.job.recording.original_name)
    name = stored.rsplit("/", 1)[-1]
    return f"{stem}.{name.split('.', 1)[1]}" if "." in name else stem


@router.put("/{result_id}/reps/{rep_index}/override", response_model=OverrideOut)
def set_override(
    result: ResultDep,
    rep_index: int,
    data: OverrideIn,
    login: LoginDep,
    db: SessionDep,
    files: DataDirDep,
) -> OverrideOut:
    """Confirm a rep's automatic faults or override them, with a comment."""
    override = services.review_rep(db, files, result, rep_index, data, login.coach_id)
    return views.override_out(override)


@router.put("/{result_id}/reps/{rep_index}/side", response_model=OverrideOut)
def set_side(
    result: ResultDep,
    rep_index: int,
    data: SideIn,
    login: LoginDep,
    db: SessionDep,
    files: DataDirDep,
) -> OverrideOut:
    """Say which leg a rep was (``null``: the automatic side); the result's summary, the
    session's figures and the athlete's trends follow."""
    override = services.set_rep_side(db, files, result, rep_index, data.side, login.coach_id)
    return views.override_out(override)


@router.delete("/{result_id}/reps/{rep_index}/override", status_code=204)
def delete_override(result: ResultDep, rep_index: int, db: SessionDep, files: DataDirDep) -> None:
    """Remove the review of a rep, its side included (the automatic result is unchanged)."""
    services.delete_review(db, files, result, rep_index)
