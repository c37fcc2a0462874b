"""Results say whether the recording could be assessed and how many reps have an unsure side;
a coach's review of a rep may set its side.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("results") as batch:
        batch.add_column(
            sa.Column("assessable", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("not_assessable_reason", sa.Text(), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("uncertain_reps", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("rep_overrides") as batch:
        batch.add_column(sa.Column("side", sa.String(length=10), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("rep_overrides") as batch:
        batch.drop_column("side")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("uncertain_reps")
        batch.drop_column("not_assessable_reason")
        batch.drop_column("assessable")
