"""outbox.retry_until: temporary failures are retried by time, not by a count of runs

A message that fails temporarily (the mail server down, 4xx, an uncertain delivery) is retried
until the end of its retry window – by default three business days of its region after the first
failure (FOERDERKETTE_SEND_RETRY_DAYS) – and only then marked failed; the column holds the end of
that window, set at the first failure and cleared when the message is resent by hand.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("retry_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops the column in place: a batch copy would recreate the outbox table,
        # and with foreign keys on, dropping the old one cascades into outbox_content
        op.execute("ALTER TABLE outbox DROP COLUMN retry_until")
        return
    op.drop_column("outbox", "retry_until")
