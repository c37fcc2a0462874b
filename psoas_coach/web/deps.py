"""Typed dependencies of every route: settings, database session, the logged-in coach (with the
CSRF check of state-changing requests) and each team-owned object, already access-checked.

An object of a team the coach is not a member of is answered exactly like a missing one: 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session

from psoas_coach.storage.crud import accounts, invitations, jobs, roster, sessions
from psoas_coach.storage.crud import results as result_crud
from psoas_coach.storage.files import DataDir
from psoas_coach.storage.models import (
    AnalysisJob,
    Athlete,
    LoginSession,
    Recording,
    Result,
    Team,
    TeamInvitation,
    TrainingSession,
)
from psoas_coach.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    same_token,
    token_hash,
)
from psoas_coach.web.settings import Settings
from psoas_coach.web.throttle import LoginThrottle, SignupLimit
from psoas_coach.web.worker import AnalysisWorker

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Largest object id a path may name (64-bit signed, what both databases compare with); a
#: larger one is refused (422) before it reaches the database, where it would overflow.
MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID)]
T = TypeVar("T")


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_data_dir(request: Request) -> DataDir:
    """The data directory (uploads, results)."""
    data: DataDir = request.app.state.data_dir
    return data


def get_worker(request: Request) -> AnalysisWorker:
    """The analysis worker (to wake it after queueing a job)."""
    worker: AnalysisWorker = request.app.state.worker
    return worker


def get_login_throttle(request: Request) -> LoginThrottle:
    """The app's failed-login counts."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def get_signup_limit(request: Request) -> SignupLimit:
    """The app's sign-up counts per client address."""
    limit: SignupLimit = request.app.state.signup_limit
    return limit


def client_address(request: Request) -> str | None:
    """The address the request came from (``None`` when the server cannot tell)."""
    return request.client.host if request.client is not None else None


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request, closed afterwards."""
    with request.app.state.session_factory() as db:
        yield db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DataDirDep = Annotated[DataDir, Depends(get_data_dir)]
WorkerDep = Annotated[AnalysisWorker, Depends(get_worker)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
SignupLimitDep = Annotated[SignupLimit, Depends(get_signup_limit)]
SessionDep = Annotated[Session, Depends(get_db)]


def get_optional_login(request: Request, db: SessionDep) -> LoginSession | None:
    """The login of the session cookie, or ``None`` (no cookie, unknown or expired)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return accounts.get_login(db, token_hash=token_hash(token))


OptionalLoginDep = Annotated[LoginSession | None, Depends(get_optional_login)]


def request_has_login(request: Request) -> bool:
    """True when the request's cookie is a valid login (for checks made before routing)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    with request.app.state.session_factory() as db:
        return accounts.get_login(db, token_hash=token_hash(token)) is not None


async def get_login(request: Request, login: OptionalLoginDep) -> LoginSession:
    """The logged-in coach's login; 401 without one. State-changing requests must carry the
    login's CSRF token (header ``X-CSRF-Token`` or form field ``csrf_token``), else 403."""
    if login is None:
        raise HTTPException(status_code=401, detail="log in first")
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None and _is_form(request):
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not same_token(login.csrf_token, given):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
    return login


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


LoginDep = Annotated[LoginSession, Depends(get_login)]


def _found(obj: T | None, what: str) -> T:
    if obj is None:
        raise HTTPException(status_code=404, detail=f"{what} not found")
    return obj


def get_team(team_id: ObjectId, login: LoginDep, db: SessionDep) -> Team:
    """Team ``team_id`` of the coach's teams (404 otherwise)."""
    return _found(roster.get_team(db, team_id=team_id, coach_id=login.coach_id), "team")


def get_athlete(athlete_id: ObjectId, login: LoginDep, db: SessionDep) -> Athlete:
    """Athlete ``athlete_id`` of the coach's teams (404 otherwise)."""
    athlete = roster.get_athlete(db, athlete_id=athlete_id, coach_id=login.coach_id)
    return _found(athlete, "athlete")


def get_training_session(session_id: ObjectId, login: LoginDep, db: SessionDep) -> TrainingSession:
    """Session ``session_id`` of the coach's teams (404 otherwise)."""
    found = sessions.get_session(db, session_id=session_id, coach_id=login.coach_id)
    return _found(found, "session")


def get_recording(recording_id: ObjectId, login: LoginDep, db: SessionDep) -> Recording:
    """Recording ``recording_id`` of the coach's teams (404 otherwise)."""
    found = sessions.get_recording(db, recording_id=recording_id, coach_id=login.coach_id)
    return _found(found, "recording")


def get_job(job_id: ObjectId, login: LoginDep, db: SessionDep) -> AnalysisJob:
    """Job ``job_id`` of the coach's teams (404 otherwise)."""
    return _found(jobs.get_job(db, job_id=job_id, coach_id=login.coach_id), "job")


def get_result(result_id: ObjectId, login: LoginDep, db: SessionDep) -> Result:
    """Result ``result_id`` of the coach's teams (404 otherwise)."""
    found = result_crud.get_result(db, result_id=result_id, coach_id=login.coach_id)
    return _found(found, "result")


TeamDep = Annotated[Team, Depends(get_team)]


def get_invitation(invitation_id: ObjectId, login: LoginDep, db: SessionDep) -> TeamInvitation:
    """Invitation ``invitation_id`` addressed to the logged-in coach (404 otherwise)."""
    found = invitations.get_for_coach(db, invitation_id=invitation_id, coach=login.coach)
    return _found(found, "invitation")


def get_team_invitation(invitation_id: ObjectId, team: TeamDep, db: SessionDep) -> TeamInvitation:
    """Invitation ``invitation_id`` of team ``team_id``, one of the coach's teams (404
    otherwise)."""
    found = invitations.get_for_team(db, invitation_id=invitation_id, team=team)
    return _found(found, "invitation")


InvitationDep = Annotated[TeamInvitation, Depends(get_invitation)]
TeamInvitationDep = Annotated[TeamInvitation, Depends(get_team_invitation)]
AthleteDep = Annotated[Athlete, Depends(get_athlete)]
TrainingSessionDep = Annotated[TrainingSession, Depends(get_training_session)]
RecordingDep = Annotated[Recording, Depends(get_recording)]
JobDep = Annotated[AnalysisJob, Depends(get_job)]
ResultDep = Annotated[Result, Depends(get_result)]
