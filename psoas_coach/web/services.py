"""Operations shared by the API and the pages that touch more than one row: accounts, logins
and passwords, team invitations, uploads that queue an analysis, re-runs, and deletions that
remove files with their rows."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from typing import BinaryIO

from fastapi import HTTPException, Response
from sqlalchemy.orm import Session

from psoas_coach.report.model import Report
from psoas_coach.storage.crud import accounts, invitations, jobs, roster, sessions
from psoas_coach.storage.crud import results as result_crud
from psoas_coach.storage.files import DataDir
from psoas_coach.storage.models import (
    AnalysisJob,
    Athlete,
    Coach,
    LoginSession,
    Recording,
    RepOverride,
    Result,
    Team,
    TeamInvitation,
    TrainingSession,
)
from psoas_coach.web import security, views
from psoas_coach.web.forms import LoginIn, OverrideIn, PasswordChangeIn, SignupIn
from psoas_coach.web.settings import Settings
from psoas_coach.web.throttle import LoginThrottle, SignupLimit, retry_message, signup_retry_message
from psoas_coach.web.uploads import store_upload
from psoas_coach.web.worker import AnalysisWorker

#: The answer to every sign-up, new e-mail or not (nothing tells whether an account existed).
SIGNUP_MESSAGE = (
    "Sign-up received: log in with this e-mail and password. "
    "(An e-mail that already had an account keeps its own password.)"
)


def signup(db: Session, data: SignupIn, limit: SignupLimit, client: str | None) -> None:
    """Create a coach account unless the e-mail has one already. Either way the password is
    hashed (the same work, so the same time) and nobody is logged in: the answer cannot tell
    whether the e-mail had an account. A waiting team invitation of the e-mail shows once its
    new owner logs in. 429 with ``Retry-After`` once ``client`` has used up its sign-ups."""
    _too_many(limit.attempt(client), signup_retry_message)
    password_hash = security.hash_password(data.password)
    accounts.create_coach(db, email=data.email, name=data.name, password_hash=password_hash)


def authenticate(db: Session, data: LoginIn, throttle: LoginThrottle, client: str | None) -> Coach:
    """The coach with these credentials; 401 otherwise (same answer for unknown e-mail).

    429 with ``Retry-After`` while ``throttle`` locks the e-mail address or the ``client``
    out, before any password is checked.
    """
    check_throttle(throttle, data.email, client)
    coach = accounts.get_coach_by_email(db, email=data.email)
    stored = coach.password_hash if coach is not None else security.DUMMY_HASH
    if not security.verify_password(stored, data.password) or coach is None:
        throttle.failed(data.email, client)
        raise HTTPException(status_code=401, detail="wrong e-mail or password")
    throttle.succeeded(data.email, client)
    if security.needs_rehash(coach.password_hash):
        new_hash = security.hash_password(data.password)
        accounts.set_password_hash(db, coach=coach, password_hash=new_hash)
    return coach


def check_throttle(throttle: LoginThrottle, email: str, client: str | None) -> None:
    """429 with ``Retry-After`` while ``throttle`` refuses passwords of ``email`` from
    ``client``."""
    _too_many(throttle.retry_after_s(email, client), retry_message)


def _too_many(wait_s: float, message: Callable[[float], str]) -> None:
    """429 with ``Retry-After`` when ``wait_s`` > 0."""
    if wait_s > 0:
        raise HTTPException(
            status_code=429,
            detail=message(wait_s),
            headers={"Retry-After": str(math.ceil(wait_s))},
        )


def start_login(db: Session, coach: Coach, response: Response, settings: Settings) -> LoginSession:
    """Log ``coach`` in: a new server-side login and its HttpOnly, SameSite=Lax cookie."""
    token = security.new_token()
    lifetime = dt.timedelta(days=settings.session_days)
    login = accounts.create_login(
        db,
        coach=coach,
        token_hash=security.token_hash(token),
        csrf_token=security.new_token(),
        lifetime=lifetime,
    )
    response.set_cookie(
        security.SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return login


def end_login(db: Session, login: LoginSession, response: Response) -> None:
    """Log out: delete the login and its cookie."""
    accounts.delete_login(db, token_hash=login.token_hash)
    response.delete_cookie(security.SESSION_COOKIE, path="/")


def invite_coach(db: Session, team: Team, email: str, invited_by_id: int) -> None:
    """Invite the coach with ``email`` to ``team``: they join only when they accept. The
    same whether or not the e-mail has an account (an invitation waits for one)."""
    inviter = db.get(Coach, invited_by_id)
    assert inviter is not None  # the logged-in coach
    invitations.invite(db, team=team, email=email, invited_by=inviter)


def accept_invitation(db: Session, invitation: TeamInvitation, coach_id: int) -> Team:
    """The invited coach joins the invitation's team; returns the team."""
    coach = db.get(Coach, coach_id)
    assert coach is not None  # the logged-in coach
    team = invitation.team
    invitations.accept(db, invitation=invitation, coach=coach)
    return team


def change_password(
    db: Session,
    login: LoginSession,
    data: PasswordChangeIn,
    throttle: LoginThrottle,
    client: str | None,
) -> None:
    """Replace the logged-in coach's password and end their other logins. 403 when the
    current password is wrong (counted as a failed login: a stolen cookie cannot guess it
    freely); 429 while the throttle locks the account out from ``client``."""
    coach = login.coach
    check_throttle(throttle, coach.email, client)
    if not security.verify_password(coach.password_hash, data.current_password):
        throttle.failed(coach.email, client)
        raise HTTPException(status_code=403, detail="the current password is wrong")
    accounts.change_password(
        db,
        coach=coach,
        password_hash=security.hash_password(data.new_password),
        keep_token_hash=login.token_hash,
    )


def consent_missing(athlete: Athlete, doing: str) -> str | None:
    """Why ``athlete`` may not be recorded (a youth athlete without recorded guardian
    consent), with the way forward; ``None`` when they may. ``doing`` names the action."""
    if athlete.is_youth() and not athlete.guardian_consent:
        return (
            f"{athlete.name} is under 18: record the guardian's consent on the athlete's "
            f"page before {doing}"
        )
    return None


def check_consent(athlete: Athlete, doing: str) -> None:
    """409 (with :func:`consent_missing`'s reason) when ``athlete`` may not be recorded."""
    reason = consent_missing(athlete, doing)
    if reason is not None:
        raise HTTPException(status_code=409, detail=reason)


def check_upload_allowed(athlete: Athlete) -> None:
    """409 for a youth athlete without recorded guardian consent."""
    check_consent(athlete, "uploading recordings")


def upload_recording(
    db: Session,
    *,
    session: TrainingSession,
    source: BinaryIO,
    name: str,
    data: DataDir,
    settings: Settings,
    worker: AnalysisWorker,
) -> Recording:
    """Store an upload, create its recording and queue its analysis; returns at once."""
    athlete = session.athlete
    check_upload_allowed(athlete)
    db.commit()  # end the read transaction: no database lock is held while the file is copied
    stored = store_upload(source, name, data, max_bytes=settings.max_upload_bytes)
    try:
        recording = sessions.create_recording(
            db,
            session=session,
            kind=stored.kind,
            original_name=name[:255],
            stored_path=stored.stored_path,
            size_bytes=stored.size_bytes,
        )
        jobs.enqueue_job(db, recording=recording, config=jobs.effective_config(athlete))
        db.commit()
    except BaseException:
        db.rollback()
        data.remove(stored.stored_path)
        raise
    worker.notify()
    db.refresh(recording)
    return recording


def reanalyze(
    db: Session, recordings: Iterable[Recording], worker: AnalysisWorker
) -> list[AnalysisJob]:
    """Queue a re-run of ``recordings`` with current settings; wakes the worker."""
    queued = jobs.reanalyze(db, recordings=recordings)
    if queued:
        worker.notify()
    for job in queued:
        db.refresh(job)
    return queued


def athlete_recordings(db: Session, athlete: Athlete) -> list[Recording]:
    """Every recording of every session of ``athlete``."""
    return [r for s in sessions.list_sessions(db, athlete=athlete) for r in s.recordings]


def team_recordings(db: Session, team: Team) -> list[Recording]:
    """Every recording of every athlete of ``team``."""
    return [r for a in roster.list_athletes(db, team=team) for r in athlete_recordings(db, a)]


def update_athlete(
    db: Session, athlete: Athlete, changes: dict[str, object], data: DataDir
) -> None:
    """Change an athlete; pictures a newly turned-on keypoints-only policy forbids are deleted
    once the change is stored."""
    data.remove_all(roster.update_athlete(db, athlete=athlete, changes=changes))


def delete_athlete(db: Session, athlete: Athlete, data: DataDir) -> None:
    """Delete an athlete with every row and every stored file about them."""
    files = sessions.athlete_files(db, athlete=athlete)
    roster.delete_athlete(db, athlete=athlete)
    data.remove_all(files)


def delete_session(db: Session, session: TrainingSession, data: DataDir) -> None:
    """Delete a session with its recordings, results and files."""
    files = sessions.session_files(session)
    sessions.delete_session(db, session=session)
    data.remove_all(files)


def delete_recording(db: Session, recording: Recording, data: DataDir) -> None:
    """Delete a recording with its jobs, results and files."""
    files = sessions.recording_files(recording)
    sessions.delete_recording(db, recording=recording)
    data.remove_all(files)


def review_rep(
    db: Session, files: DataDir, result: Result, rep_index: int, data: OverrideIn, coach_id: int
) -> RepOverride:
    """Save ``coach_id``'s review of rep ``rep_index`` of ``result``; 404 for no such rep."""
    _report_with_rep(files, result, rep_index)
    return result_crud.set_override(
        db,
        result=result,
        rep_index=rep_index,
        verdict=data.verdict,
        faults=data.faults,
        comment=data.comment,
        coach_id=coach_id,
    )


def set_rep_side(
    db: Session, files: DataDir, result: Result, rep_index: int, side: str | None, coach_id: int
) -> RepOverride:
    """Say which leg rep ``rep_index`` of ``result`` was (``None``: the automatic one); the
    result's summary, and so the session figures and trends, follow. 404 for no such rep."""
    report = _report_with_rep(files, result, rep_index)
    return result_crud.set_rep_side(
        db, result=result, report=report, rep_index=rep_index, side=side, coach_id=coach_id
    )


def delete_review(db: Session, files: DataDir, result: Result, rep_index: int) -> None:
    """Remove the coach's review of a rep (faults and side); 404 when there is none."""
    if not result_crud.delete_override(db, result=result, rep_index=rep_index):
        raise HTTPException(status_code=404, detail=f"rep {rep_index} has no review")
    db.refresh(result)
    result_crud.refresh_summary(db, result=result, report=views.load_report(files, result))


def _report_with_rep(files: DataDir, result: Result, rep_index: int) -> Report:
    """The result's report; 404 when it has no rep ``rep_index``."""
    report = views.load_report(files, result)
    if rep_index not in {rep.index for rep in report.reps}:
        raise HTTPException(status_code=404, detail=f"this result has no rep {rep_index}")
    return report
