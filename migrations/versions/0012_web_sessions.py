"""web_session: server-side sessions that end; login_throttle: failed logins slow down

The signed cookie carried the user id and the CSRF token and stayed valid for ten hours after
logout or a password change. Now it carries only an opaque random id; the session lives here
(the SHA-256 of that id, never the id itself) and ends at logout, password change, deactivation,
"alle Sitzungen beenden", after the idle timeout or the ten-hour maximum.

Failed logins per account and per client address are counted in login_throttle: after five (an
address: twenty), each further failure locks twice as long as the last (1, 2, 4 … minutes, at
most 15), so guessing is slow and a user is never locked out for longer than a quarter of an hour.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(length=40), nullable=True),
        sa.Column("client", sa.String(length=60), nullable=False, server_default=""),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")
