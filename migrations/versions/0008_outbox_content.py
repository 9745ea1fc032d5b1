"""outbox_content: the rendered bodies apart from the outbox row whose state changes

An outbox row is updated when it is claimed and again when it is sent. On SQLite an update
rewrites the whole record, a digest's 40–80 KB of text and HTML included; with the bodies in a
table of their own the state changes touch a narrow row (BENCHMARKS.md, dispatch).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_content",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("body_text", sa.String(), nullable=False),
        sa.Column("body_html", sa.String(), nullable=False),
        sa.Column("attachments", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outbox_id"),
    )
    op.execute(
        "INSERT INTO outbox_content (outbox_id, body_text, body_html, attachments) "
        "SELECT id, body_text, body_html, attachments FROM outbox"
    )
    for column in ("body_text", "body_html", "attachments"):
        op.drop_column("outbox", column)


def downgrade() -> None:
    op.add_column("outbox", sa.Column("body_text", sa.String(), nullable=False, server_default=""))
    op.add_column("outbox", sa.Column("body_html", sa.String(), nullable=False, server_default=""))
    op.add_column(
        "outbox",
        sa.Column(
            "attachments",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
            server_default="[]",
        ),
    )
    op.execute(
        "UPDATE outbox SET body_text = c.body_text, body_html = c.body_html, attachments = c.attachments "
        "FROM outbox_content c WHERE c.outbox_id = outbox.id"
    )
    op.drop_table("outbox_content")
