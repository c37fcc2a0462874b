"""Alembic migrations of the dashboard schema (run by ``storage.db.upgrade_schema``)."""
