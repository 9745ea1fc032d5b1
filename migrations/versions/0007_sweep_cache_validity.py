"""participant.next_remind and participant.steps_valid_until: the daily sweep reads only rows that can change

`next_remind` is the first day any open step can have a reminder level; `steps_valid_until` the
first day the cached open steps may change by the passing of time alone (a running
interruption, the age limit of the youth migration service). The sweep re-evaluates a row when
either day has come or its model fingerprint is stale; every other open participant's cached
steps are still exact and cannot produce a reminder. Existing rows get an empty fingerprint, so
the next sweep evaluates them all once and fills both columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE on both databases (a batch rebuild on SQLite would drop 0006's triggers)
    op.add_column("participant", sa.Column("next_remind", sa.Date(), nullable=True))
    op.add_column("participant", sa.Column("steps_valid_until", sa.Date(), nullable=True))
    op.execute("UPDATE participant SET steps_fingerprint = ''")


def downgrade() -> None:
    op.drop_column("participant", "steps_valid_until")
    op.drop_column("participant", "next_remind")
