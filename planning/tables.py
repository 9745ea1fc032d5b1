"""The planning's own tables: the cooperation agreement (one immutable row per version) and the
bookings of waiting people into central placement-test dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from pipeline.database import JSONType, UTCDateTime, utcnow


class AgreementVersion(SQLModel, table=True):
    """One version of a region's cooperation agreement of the course providers (planning.agreement
    document); a change is a new row, the newest is in force, older ones stay as the record."""

    __tablename__ = "agreement_version"
    __table_args__ = (UniqueConstraint("region_id", "version", name="uq_agreement_region_version"),)

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    version: int
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    changes: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=120)
    source: str = Field(default="", max_length=60)


class PlacementBooking(SQLModel, table=True):
    """A waiting person booked into a central placement-test date (one open booking each; gone
    with the person)."""

    __tablename__ = "placement_booking"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", unique=True)
    test_date: date
    host: str = Field(max_length=40)
    site_id: int
    booked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    booked_by: str = Field(default="", max_length=120)


class ProposalRun(SQLModel, table=True):
    """The region's last course proposal (planning.reads.ProposalView as JSON): computed on demand
    and before each agenda is sent, read by agendas and the web, shown with its date."""

    __tablename__ = "proposal_run"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", unique=True)
    as_of: date
    agreement_version: int | None = None
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    computed_by: str = Field(default="", max_length=120)
