"""places: municipalities, course sites, the region's GTFS feed and the reachability between them

Participants get their home municipality, courses their site and time slot, regions the longest
one-way ÖPNV journey they accept (issue 22).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "municipality",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ags", sa.String(length=8), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("postcodes", JSON, nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.UniqueConstraint("region_id", "name", name="uq_municipality_region_name"),
    )
    op.create_index("ix_municipality_region_id", "municipality", ["region_id"])
    op.create_table(
        "course_site",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column(
            "municipality_id", sa.Integer(), sa.ForeignKey("municipality.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("childcare", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("region_id", "code", name="uq_course_site_region_code"),
    )
    op.create_index("ix_course_site_region_id", "course_site", ["region_id"])
    op.create_table(
        "transit_feed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("stats", JSON, nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=120), nullable=False, server_default=""),
    )
    op.create_table(
        "reach_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "reach",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "municipality_id", sa.Integer(), sa.ForeignKey("municipality.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("course_site.id", ondelete="CASCADE"), nullable=False),
        sa.Column("slot", sa.String(length=12), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False, server_default=sa.false()),
        *(
            sa.Column(f"{leg}_{what}", sa.Integer(), nullable=True)
            for leg in ("out", "back")
            for what in ("depart", "arrive", "minutes", "transfers")
        ),
        sa.UniqueConstraint("municipality_id", "site_id", "slot", name="uq_reach_pair_slot"),
    )
    op.create_index("ix_reach_region", "reach", ["region_id"])
    op.create_index("ix_reach_site_id", "reach", ["site_id"])
    # plain columns (no FOREIGN KEY clause): SQLite cannot add a constraint without rebuilding the
    # table, and rebuilding participant would cascade-delete its children; the tables name the
    # relation for SQLModel, and the places writers keep it
    op.add_column("participant", sa.Column("municipality_id", sa.Integer(), nullable=True))
    op.add_column("course", sa.Column("site_id", sa.Integer(), nullable=True))
    op.add_column("course", sa.Column("slot", sa.String(length=12), nullable=True))
    op.add_column("region", sa.Column("transit_max_minutes", sa.Integer(), nullable=False, server_default="60"))


def downgrade() -> None:
    op.drop_column("region", "transit_max_minutes")
    op.drop_column("course", "slot")
    op.drop_column("course", "site_id")
    op.drop_column("participant", "municipality_id")
    op.drop_index("ix_reach_site_id", table_name="reach")
    op.drop_index("ix_reach_region", table_name="reach")
    op.drop_table("reach")
    op.drop_table("reach_run")
    op.drop_table("transit_feed")
    op.drop_index("ix_course_site_region_id", table_name="course_site")
    op.drop_table("course_site")
    op.drop_index("ix_municipality_region_id", table_name="municipality")
    op.drop_table("municipality")
