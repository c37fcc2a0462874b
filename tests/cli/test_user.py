"""``psoas user reset-password``: a new password from the command line, on a real database of
each back-end, with every login of the account ended; plain one-line errors."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from psoas_coach.cli.__main__ import main
from psoas_coach.storage.crud import accounts
from psoas_coach.storage.db import make_engine, make_session_factory, upgrade_schema
from psoas_coach.storage.models import LoginSession
from psoas_coach.web.security import hash_password, verify_password
from tests.storage.databases import BACKENDS, database_url_for

EMAIL = "ana@example.org"


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A dashboard database with Ana's account, logged in twice, and Bea's, logged in once."""
    with database_url_for(request.param, tmp_path) as url:
        engine = make_engine(url)
        upgrade_schema(engine)
        with make_session_factory(engine)() as db:
            for email, tokens in ((EMAIL, ("a1", "a2")), ("bea@example.org", ("b1",))):
                coach = accounts.create_coach(
                    db, email=email, name=email, password_hash=hash_password("old password")
                )
                assert coach is not None
                for token in tokens:
                    accounts.create_login(
                        db, coach=coach, token_hash=token, csrf_token="c", lifetime=dt.timedelta(1)
                    )
        engine.dispose()
        yield url


def _state(url: str) -> tuple[str, set[str]]:
    """Ana's password hash and the logins left."""
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        coach = accounts.get_coach_by_email(db, email=EMAIL)
        assert coach is not None
        state = coach.password_hash, set(db.scalars(select(LoginSession.token_hash)))
    engine.dispose()
    return state


def _reset(url: str, email: str, stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["user", "reset-password", email, "--password-stdin", "--database-url", url])


def test_reset_sets_the_password_and_ends_every_login(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _reset(database, " Ana@Example.org", "new password\n", monkeypatch) == 0
    assert capsys.readouterr().out == f"Password of {EMAIL} changed; 2 logins ended.\n"
    password_hash, logins = _state(database)
    assert verify_password(password_hash, "new password")
    assert not verify_password(password_hash, "old password")
    assert logins == {"b1"}


@pytest.mark.parametrize(
    ("email", "stdin", "message"),
    [
        ("nobody@example.org", "new password\n", "nobody@example.org: no coach account"),
        (EMAIL, "short\n", "the password is too short: at least 8 characters"),
        (EMAIL, "", "the password is too short: at least 8 characters"),
        (EMAIL, "x" * 1001 + "\n", "the password is too long: at most 1000 characters"),
    ],
)
def test_refusals_are_one_line_and_change_nothing(
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    email: str,
    stdin: str,
    message: str,
) -> None:
    before = _state(database)
    assert _reset(database, email, stdin, monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert _state(database) == before


def test_prompt_asks_twice_and_refuses_two_different_passwords(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The terminal prompt (``getpass``) answered by the test, as a person would type."""
    typed = iter(["first password", "other password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    before = _state(database)
    assert main(["user", "reset-password", EMAIL, "--database-url", database]) == 1
    assert capsys.readouterr().err == "error: the two passwords differ: nothing changed\n"
    assert _state(database) == before
    typed = iter(["same password", "same password"])
    assert main(["user", "reset-password", EMAIL, "--database-url", database]) == 0
    assert verify_password(_state(database)[0], "same password")


def test_a_missing_database_is_named_not_created(tmp_path: Path) -> None:
    """Run as a user would, in a process of its own: a data directory without a database."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "psoas_coach.cli",
            "user",
            "reset-password",
            EMAIL,
            "--password-stdin",
        ],
        input="new password\n",
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PSOAS_DATA_DIR": str(tmp_path), "PYTHONPATH": _root()},
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: no dashboard database at ")
    assert list(tmp_path.iterdir()) == []


def _root() -> str:
    return str(Path(__file__).resolve().parents[2])
