"""participant.open_step_count: how many steps are open, cached beside the steps themselves

The sweep reports how many steps are open in a region. Counting them with json_array_length
over every open participant's `open_steps` read as much as the bare scan of the region on
SQLite (1.26 s of a 1.95 s ordinary-day sweep at 100,000 participants); the count is written
wherever the steps are (`pipeline.steps_cache.steps_columns`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("participant", sa.Column("open_step_count", sa.Integer(), nullable=False, server_default="0"))
    length = "jsonb_array_length" if op.get_bind().dialect.name == "postgresql" else "json_array_length"
    op.execute(f"UPDATE participant SET open_step_count = {length}(open_steps)")


def downgrade() -> None:
    op.drop_column("participant", "open_step_count")
