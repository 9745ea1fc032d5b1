"""job_run: the record of the jobs the embedded scheduler ran

`foerderkette status` and the web's Betrieb page tell from it when each job last completed, which
runs were missed and whether a job is overdue (for monitoring). Kept for 90 days.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flow", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("regions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_job_run_flow_started", "job_run", ["flow", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_job_run_flow_started", table_name="job_run")
    op.drop_table("job_run")
