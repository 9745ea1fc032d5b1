"""Reminders true when sent: outbox.rendered_at and outbox.reason, participant.step_holds,
answer_token_use

- `outbox.rendered_at`: when a message's content was last rendered. A reminder digest whose
  participants changed after that (participant.updated_at) is revised before it is sent.
- `outbox.reason`: why a message was dropped or superseded, in German, for the outbox views.
- `participant.step_holds`: steps a case worker marked "in Bearbeitung" with a follow-up date
  (Wiedervorlage); reminders pause until then, escalation does not.
- `answer_token_use`: the one-click answer links that were used (each works once).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("rendered_at", sa.DateTime(), nullable=True))
    op.add_column("outbox", sa.Column("reason", sa.String(length=300), nullable=True))
    op.execute("UPDATE outbox SET rendered_at = updated_at")
    op.add_column("participant", sa.Column("step_holds", JSON, nullable=False, server_default="{}"))
    op.create_index("ix_participant_updated_at", "participant", ["updated_at"])
    op.create_table(
        "answer_token_use",
        sa.Column("token_id", sa.String(length=64), primary_key=True),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="SET NULL"), nullable=True),
        sa.Column("participant_id", sa.Integer(), sa.ForeignKey("participant.id", ondelete="CASCADE"), nullable=True),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answer_token_use")
    op.drop_index("ix_participant_updated_at", table_name="participant")
    op.drop_column("participant", "step_holds")
    op.drop_column("outbox", "reason")
    op.drop_column("outbox", "rendered_at")
