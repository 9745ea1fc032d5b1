"""region_figures: each region's headline figures for the Land view, from the nightly computation

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "region_figures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("region_figures")
