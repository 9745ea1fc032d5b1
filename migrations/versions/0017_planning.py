"""planning: the providers' cooperation agreement (versioned), placement-test bookings, the last course proposal

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "agreement_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("changes", sa.String(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("source", sa.String(length=60), nullable=False, server_default=""),
        sa.UniqueConstraint("region_id", "version", name="uq_agreement_region_version"),
    )
    op.create_index("ix_agreement_version_region_id", "agreement_version", ["region_id"])
    op.create_table(
        "placement_booking",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("test_date", sa.Date(), nullable=False),
        sa.Column("host", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("booked_at", sa.DateTime(), nullable=False),
        sa.Column("booked_by", sa.String(length=120), nullable=False, server_default=""),
    )
    op.create_index("ix_placement_booking_region_id", "placement_booking", ["region_id"])
    op.create_table(
        "proposal_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("agreement_version", sa.Integer(), nullable=True),
        sa.Column("document", JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("computed_by", sa.String(length=120), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("proposal_run")
    op.drop_index("ix_placement_booking_region_id", table_name="placement_booking")
    op.drop_table("placement_booking")
    op.drop_index("ix_agreement_version_region_id", table_name="agreement_version")
    op.drop_table("agreement_version")
