"""The places as SQLModel tables: municipalities, course sites, the region's timetable and the
stored reachability between them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from pipeline.database import JSONType, UTCDateTime, utcnow


class Municipality(SQLModel, table=True):
    """A Gemeinde of a region: official key (AGS) where known, name, postcodes, a representative point."""

    __tablename__ = "municipality"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_municipality_region_name"),)

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    ags: str | None = Field(default=None, max_length=8)
    name: str = Field(max_length=120)
    postcodes: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    lat: float
    lon: float


class CourseSite(SQLModel, table=True):
    """A place where courses are taught (Kursort): address, municipality, point, childcare nearby."""

    __tablename__ = "course_site"
    __table_args__ = (UniqueConstraint("region_id", "code", name="uq_course_site_region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=200)
    postcode: str | None = Field(default=None, max_length=10)
    place: str = Field(max_length=120)
    # None for a site outside the region's municipalities (a Landkreis's courses in the kreisfreie Stadt)
    municipality_id: int | None = Field(default=None, foreign_key="municipality.id", ondelete="SET NULL")
    lat: float
    lon: float
    childcare: bool = False


class TransitFeed(SQLModel, table=True):
    """The region's static GTFS feed as imported (the file itself, so reachability can be
    recomputed when sites or municipalities change) with what was read from it."""

    __tablename__ = "transit_feed"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", unique=True)
    file_name: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    valid_from: date
    valid_until: date
    service_date: date
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    imported_by: str = Field(default="", max_length=120)


class ReachRun(SQLModel, table=True):
    """When the region's reachability was last computed, and from what (its basis fingerprint:
    feed, municipalities, sites, slots and walking settings); a different basis means stale."""

    __tablename__ = "reach_run"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", unique=True)
    basis: str = Field(max_length=64)
    estimated: bool = False
    service_date: date | None = None
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Reach(SQLModel, table=True):
    """How one municipality reaches one course site for one time slot: the journey there that
    arrives before the start, the first one back after the end (times in minutes after midnight
    of the service day; None where there is none)."""

    __tablename__ = "reach"
    __table_args__ = (
        Index("ix_reach_region", "region_id"),
        UniqueConstraint("municipality_id", "site_id", "slot", name="uq_reach_pair_slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE")
    municipality_id: int = Field(foreign_key="municipality.id", ondelete="CASCADE")
    site_id: int = Field(foreign_key="course_site.id", ondelete="CASCADE", index=True)
    slot: str = Field(max_length=12)
    estimated: bool = False
    out_depart: int | None = None
    out_arrive: int | None = None
    out_minutes: int | None = None
    out_transfers: int | None = None
    back_depart: int | None = None
    back_arrive: int | None = None
    back_minutes: int | None = None
    back_transfers: int | None = None
