"""Drop participant.listing and the triggers of 0006 that kept it

The participant listing has one read path now (`pipeline.reads.list_participants`, shared by the
CLI and the web UI), which builds every row from the cached open-step columns; the JSON the
database prepared for the CLI alone is gone, and with it the triggers on every write path.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:00:00
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS participant_listing ON participant")
        op.execute("DROP FUNCTION IF EXISTS participant_listing()")
    else:
        op.execute("DROP TRIGGER IF EXISTS participant_listing_insert")
        op.execute("DROP TRIGGER IF EXISTS participant_listing_update")
    # plain ALTER TABLE on both databases (SQLite ≥ 3.35 drops a column in place)
    op.drop_column("participant", "listing")


def downgrade() -> None:
    # back to 0008: the column and its triggers exactly as 0006 made them (filled for every row)
    importlib.import_module("migrations.versions.0006_participant_listing").upgrade()
