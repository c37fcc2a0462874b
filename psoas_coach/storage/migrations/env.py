"""Alembic environment: runs migrations on the connection given by
:func:`psoas_coach.storage.db.upgrade_schema` (or on ``sqlalchemy.url`` from the command line)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from psoas_coach.storage.db import make_engine
from psoas_coach.storage.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the given connection, or one opened on ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic: no connection given and no sqlalchemy.url configured")
    with make_engine(url).begin() as opened:
        _run(opened)


run_migrations_online()
