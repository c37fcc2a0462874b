"""Database connection: engines for SQLite (default, a file in the data directory) and
PostgreSQL, sessions, and the schema upgrade through Alembic (the only way the schema changes).

SQLite runs in WAL mode with foreign keys on, a 30 s busy timeout, and ``BEGIN IMMEDIATE`` for
every transaction, so the analysis worker and requests queue for the write lock instead of
failing with "database is locked".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

#: The Alembic scripts (``env.py``, ``versions/``) shipped inside the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Seconds a SQLite connection waits for the write lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of the SQLite database file at ``path``."""
    return f"sqlite:///{path.resolve()}"


def normalize_url(url: str) -> str:
    """``url`` with PostgreSQL URLs routed to the psycopg 3 driver (``postgresql+psycopg``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """``url`` with any password hidden, for start-up messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``)."""
    url = normalize_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: driver autocommit (transactions are begun by :func:`_sqlite_begin`),
    WAL journal, foreign keys enforced."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``; objects stay readable after commit (``expire_on_commit=False``)."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (``alembic upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The schema's migration revision (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        revision: str | None = MigrationContext.configure(connection).get_current_revision()
        return revision
