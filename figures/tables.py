"""The figures' one table: each region's headline figures for the Land view, as its last nightly
computation left them (`figures.land`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from pipeline.database import JSONType, UTCDateTime, utcnow


class RegionFigures(SQLModel, table=True):
    """The Land view's figures of one region (`figures.land.land_document` as JSON): per course
    type and period the persons and the headline figures, computed for `as_of` by the daily sweep
    run – so that comparing 96 regions reads 96 rows instead of a million cases."""

    __tablename__ = "region_figures"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", unique=True)
    as_of: date
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
