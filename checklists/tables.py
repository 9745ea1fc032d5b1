"""Meeting series, meetings, agenda snapshots, minutes (attendance, decisions) and action items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from pipeline.database import JSONType, UTCDateTime, utcnow


class MeetingSeries(SQLModel, table=True):
    """A recurring meeting of a region's agencies (iCalendar RRULE in local time)."""

    __tablename__ = "meeting_series"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_series_region_name"),)

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=120)
    kind: str = Field(default="jourfixe", max_length=20)
    rrule: str = Field(default="FREQ=MONTHLY;BYDAY=1TU", max_length=200)
    starts: date
    start_time: str = Field(default="09:30", max_length=5)
    duration_minutes: int = 90
    timezone: str = Field(default="Europe/Berlin", max_length=40)
    location: str = Field(default="", max_length=200)
    video_link: str = Field(default="", max_length=300)
    invited_agencies: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    invited_contacts: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    chair_contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    minute_keepers: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    invitation_lead_days: int = 5
    checklist: str = Field(default="jourfixe", max_length=60)
    active: bool = True


class Meeting(SQLModel, table=True):
    """One occurrence of a series; its UID stays, its SEQUENCE grows with every change."""

    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("series_id", "occurrence", name="uq_meeting_series_occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="meeting_series.id", ondelete="CASCADE", index=True)
    occurrence: date
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    location: str = Field(default="", max_length=200)
    status: str = Field(default="planned", max_length=12)
    sequence: int = 0
    uid: str = Field(max_length=200, unique=True)
    minute_keeper_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    notes: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AgendaSnapshot(SQLModel, table=True):
    """The agenda exactly as it was sent, so what the meeting saw can be shown later."""

    __tablename__ = "agenda_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    as_of: date
    reason: str = Field(default="invitation", max_length=20)
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    html: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "agency_id", "name", name="uq_attendance"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", ondelete="SET NULL")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    name: str = Field(max_length=200)
    present: bool = True


class Decision(SQLModel, table=True):
    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    item_key: str = Field(max_length=60)
    text: str
    recorded_by: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActionItem(SQLModel, table=True):
    """A task agreed in a meeting: stays on every agenda until closed; reminded like any due step."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="SET NULL", index=True)
    item_key: str = Field(default="", max_length=60)
    title: str = Field(max_length=300)
    owner_agency_id: int | None = Field(default=None, foreign_key="agency.id", ondelete="SET NULL")
    owner_contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    due: date
    status: str = Field(default="open", max_length=10)
    reminded_level: str = Field(default="", max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=120)
    closed_note: str | None = None
