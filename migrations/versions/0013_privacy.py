"""participant.anonymised_on: the day a closed case's personal data was anonymised

The retention policy (`foerderkette privacy purge`, the weekly privacy-purge flow) anonymises a
closed case three years (configurable per region) after closure: names, contact data, birth year,
notes and holds are removed, the reference becomes a neutral one; stages, dates and facts stay so
that the statistics keep counting the case. The column marks such rows so they are never touched
again and are told apart from live ones.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("anonymised_on", sa.Date(), nullable=True))
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("anonymised_on")
