"""``psoas user``: coach accounts of the dashboard, from the machine that runs it.

``psoas user reset-password EMAIL`` sets a new password without any mail server (for a coach
who forgot theirs) and ends every login of the account. It uses the same data directory and
database as ``psoas serve`` (``--data-dir``, ``--database-url`` or the ``PSOAS_*`` variables).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from psoas_coach.exceptions import AccountError


def register(commands: Any) -> None:
    """Add the ``user`` subcommand to ``commands`` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "user",
        help="manage the dashboard's coach accounts (reset a password)",
        description="Manage the coach accounts of the dashboard on this computer.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    reset = actions.add_parser(
        "reset-password",
        help="set a new password for a coach and end all their logins",
        description=(
            "Set a new password for the coach with EMAIL (asked twice, or read from standard "
            "input with --password-stdin) and log the account out everywhere."
        ),
    )
    reset.add_argument("email", metavar="EMAIL", help="the coach's e-mail address")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new password from the first line of standard input (no prompt)",
    )
    reset.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="the dashboard's data folder (default: $PSOAS_DATA_DIR or ~/.local/share/psoas-coach)",
    )
    reset.add_argument(
        "--database-url",
        metavar="URL",
        help="the dashboard's database URL (default: $PSOAS_DATABASE_URL or the SQLite file "
        "in the data directory)",
    )
    reset.set_defaults(run=run_reset_password)


def run_reset_password(args: argparse.Namespace) -> int:
    """Reset the password of ``args.email``; 0 when done, 1 with a one-line error otherwise,
    2 for a settings problem."""
    from psoas_coach.web.settings import Settings

    try:
        settings = Settings.from_env(data_dir=args.data_dir, database_url=args.database_url)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    url = settings.resolved_database_url
    try:
        check_database_exists(url)
        password = _read_password(from_stdin=args.password_stdin)
        ended = reset_password(url, args.email, password)
    except AccountError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    logins = "login" if ended == 1 else "logins"
    print(f"Password of {args.email.strip().lower()} changed; {ended} {logins} ended.")
    return 0


def _read_password(*, from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a prompt."""
    from psoas_coach.web.security import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass("New password: ")
        if getpass.getpass("New password again: ") != password:
            raise AccountError("the two passwords differ: nothing changed")
    problem = password_problem(password)
    if problem is not None:
        raise AccountError(problem)
    return password


def reset_password(database_url: str, email: str, password: str) -> int:
    """Set ``password`` for the coach with ``email`` in the database at ``database_url`` and
    end every login of the account; returns how many logins were ended. Raises
    :class:`AccountError` for an unknown e-mail or a database that cannot be used."""
    from sqlalchemy.exc import SQLAlchemyError

    from psoas_coach.storage.crud import accounts
    from psoas_coach.storage.db import display_url, make_engine, make_session_factory
    from psoas_coach.web.security import hash_password

    check_database_exists(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as db:
            coach = accounts.get_coach_by_email(db, email=email)
            if coach is None:
                raise AccountError(f"{email.strip()}: no coach account has this e-mail")
            return accounts.change_password(db, coach=coach, password_hash=hash_password(password))
    except SQLAlchemyError as err:
        cause = " ".join(str(getattr(err, "orig", None) or err).split())[:300]
        raise AccountError(f"database {display_url(database_url)}: {cause}") from None
    finally:
        engine.dispose()


def check_database_exists(database_url: str) -> None:
    """Raise :class:`AccountError` for a SQLite file that is not there (connecting would
    create it empty)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise AccountError(
            f"no dashboard database at {url.database}: give --data-dir or --database-url"
        )
