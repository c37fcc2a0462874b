"""``/api/health`` (no login) and ``/api/faults``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import text

from psoas_coach.faults.base import registered_rules
from psoas_coach.storage.crud import jobs
from psoas_coach.web.deps import LoginDep, SessionDep, WorkerDep
from psoas_coach.web.schemas import FaultOut, HealthOut

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=HealthOut)
def health(db: SessionDep, worker: WorkerDep) -> HealthOut:
    """Liveness: 200 when the database answers (no login needed)."""
    try:
        db.execute(text("SELECT 1"))
    except Exception as err:
        raise HTTPException(status_code=503, detail=f"database unavailable: {err}") from None
    return HealthOut(
        status="ok",
        database=db.get_bind().dialect.name,
        worker=worker.running,
        queued=jobs.count_jobs(db, status="queued"),
        running=jobs.count_jobs(db, status="running"),
    )


@router.get("/faults", response_model=list[FaultOut])
def faults(login: LoginDep) -> list[FaultOut]:
    """Every fault code with its cue and description, from the fault registry."""
    return [
        FaultOut(code=rule.code, label=rule.label, cue=rule.cue, description=rule.description)
        for rule in registered_rules()
    ]
