"""The embedded scheduler's own tables: its lock (one row while a scheduler runs against this
database, with a heartbeat) and the record of the jobs it ran."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Index, SQLModel

from pipeline.database import UTCDateTime


class SchedulerLock(SQLModel, table=True):
    __tablename__ = "scheduler_lock"

    id: int = Field(default=1, primary_key=True)
    holder: str = Field(max_length=200)
    started_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """One firing of a job by the embedded scheduler: when it started and ended, for how many
    regions, which failed (`foerderkette status` tells from it whether a job is overdue)."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_flow_started", "flow", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    flow: str = Field(max_length=40)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    regions: int = 0
    #: the regions whose run failed (German, comma-separated), None when all went well
    failed: str | None = Field(default=None, max_length=500)
