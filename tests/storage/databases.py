"""Real databases for tests: a SQLite file, and a throw-away database on the PostgreSQL server
named by ``PSOAS_TEST_POSTGRES_URL`` (``scripts/services.sh`` starts one and prints the URL).

Without that variable the PostgreSQL tests fail when ``CI`` is set and are skipped otherwise.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from psoas_coach.storage.db import normalize_url, sqlite_url

#: The two database back-ends every storage and API test runs against.
BACKENDS = ("sqlite", "postgresql")
POSTGRES_ENV = "PSOAS_TEST_POSTGRES_URL"


def postgres_server_url() -> str:
    """The PostgreSQL URL from the environment; fail (CI) or skip (elsewhere) without it."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return normalize_url(url)
    message = (
        f'{POSTGRES_ENV} is not set: run `eval "$(bash scripts/services.sh)"` first '
        "(installs and starts PostgreSQL, creates a test database, exports the URL)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server (dropped afterwards); yields its URL."""
    name = f"psoas_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server_url).set(database=name)
        yield url.render_as_string(hide_password=False)
        _drop_database(admin, name)
    finally:
        admin.dispose()


def _drop_database(admin: Engine, name: str, attempts: int = 5) -> None:
    """Drop ``name``, ending its connections; retried, as a background worker (autovacuum) of
    the server may hold the database for a moment; the last failure is raised."""
    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


@contextmanager
def database_url_for(backend: str, folder: Path) -> Iterator[str]:
    """A URL of an empty database of ``backend`` (``sqlite`` files live in ``folder``)."""
    if backend == "sqlite":
        yield sqlite_url(folder / "psoas.db")
        return
    with fresh_postgres_database(postgres_server_url()) as url:
        yield url
