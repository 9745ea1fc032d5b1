"""The scheduler lock: one row while an embedded scheduler runs against this database."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from pipeline.database import UTCDateTime


class SchedulerLock(SQLModel, table=True):
    __tablename__ = "scheduler_lock"

    id: int = Field(default=1, primary_key=True)
    holder: str = Field(max_length=200)
    started_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)
