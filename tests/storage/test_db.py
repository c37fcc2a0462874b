"""The schema comes from the migrations only, and matches the models, on both back-ends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from psoas_coach.storage.db import (
    current_revision,
    display_url,
    make_engine,
    normalize_url,
    upgrade_schema,
)
from psoas_coach.storage.models import Base


def test_upgrade_creates_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade_schema(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert "alembic_version" in tables
        assert current_revision(engine) is not None
    finally:
        engine.dispose()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade_schema(engine)
    assert current_revision(engine) == before


def test_url_helpers() -> None:
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    assert "secret" not in display_url("postgresql+psycopg://u:secret@h/db")
