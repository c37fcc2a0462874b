"""Coaches and their server-side login sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from psoas_coach.storage.models import Coach, LoginSession, utcnow


def normalize_email(email: str) -> str:
    """The form an e-mail address is stored and looked up in: trimmed, lower-case."""
    return email.strip().lower()


def get_coach_by_email(db: Session, *, email: str) -> Coach | None:
    """The coach with ``email`` (any case), or ``None``."""
    return db.scalar(select(Coach).where(Coach.email == normalize_email(email)))


def create_coach(db: Session, *, email: str, name: str, password_hash: str) -> Coach | None:
    """A new coach account; ``None`` (and nothing written) when the e-mail has one already."""
    if get_coach_by_email(db, email=email) is not None:
        return None
    coach = Coach(email=normalize_email(email), name=name.strip(), password_hash=password_hash)
    db.add(coach)
    try:
        db.commit()
    except IntegrityError:  # the same e-mail signed up by another request at the same moment
        db.rollback()
        return None
    return coach


def set_password_hash(db: Session, *, coach: Coach, password_hash: str) -> None:
    """Replace a coach's password hash (e.g. after an argon2 parameter upgrade)."""
    coach.password_hash = password_hash
    db.commit()


def change_password(
    db: Session, *, coach: Coach, password_hash: str, keep_token_hash: str | None = None
) -> int:
    """Set a new password hash and end every login of ``coach`` but ``keep_token_hash`` (the
    one that asked, if any); returns how many logins were ended."""
    coach.password_hash = password_hash
    query = delete(LoginSession).where(LoginSession.coach_id == coach.id)
    if keep_token_hash is not None:
        query = query.where(LoginSession.token_hash != keep_token_hash)
    ended = cast("CursorResult[Any]", db.execute(query)).rowcount
    db.commit()
    return ended


def create_login(
    db: Session, *, coach: Coach, token_hash: str, csrf_token: str, lifetime: dt.timedelta
) -> LoginSession:
    """A login of ``coach`` valid for ``lifetime``; expired logins are purged on the way."""
    now = utcnow()
    db.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    login = LoginSession(
        token_hash=token_hash,
        coach_id=coach.id,
        csrf_token=csrf_token,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.add(login)
    db.commit()
    return login


def get_login(db: Session, *, token_hash: str) -> LoginSession | None:
    """The unexpired login whose token hashes to ``token_hash``, with its coach loaded."""
    login = db.get(LoginSession, token_hash)
    if login is None or login.expires_at < utcnow():
        return None
    return login


def delete_login(db: Session, *, token_hash: str) -> None:
    """End a login (log out)."""
    db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))
    db.commit()
