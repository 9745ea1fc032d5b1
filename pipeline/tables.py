"""The case data as SQLModel tables: regions, agencies, contacts, participants, courses, history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from pipeline.database import JSONType, UTCDateTime, utcnow

# the tables' vocabularies, re-exported for the code that imports them from here
from pipeline.labels import (
    AGENCY_TYPES,
    CONTACT_ROLES,
    COURSE_FORMATS,
    COURSE_KINDS,
    COURSE_SLOTS,
    TRANSPORT_REACH,
)

__all__ = [
    "AGENCY_TYPES",
    "CONTACT_ROLES",
    "COURSE_FORMATS",
    "COURSE_KINDS",
    "COURSE_SLOTS",
    "TRANSPORT_REACH",
    "Agency",
    "AuditEntry",
    "Contact",
    "Course",
    "Enrollment",
    "Offer",
    "Participant",
    "Region",
    "StageChange",
]


class Region(SQLModel, table=True):
    __tablename__ = "region"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    land: str = Field(default="BY", max_length=2)
    full_names_in_email: bool = False
    # the longest one-way ÖPNV journey to a course the region accepts (migration 0016)
    transit_max_minutes: int = Field(default=60, sa_column_kwargs={"server_default": "60"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Agency(SQLModel, table=True):
    __tablename__ = "agency"
    __table_args__ = (UniqueConstraint("region_id", "code", name="uq_agency_region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=40)
    type: str = Field(max_length=8)
    name: str = Field(max_length=200)


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("agency_id", "email", name="uq_contact_agency_email"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    role: str = Field(default="case_worker", max_length=20)
    active: bool = True


class Participant(SQLModel, table=True):
    __tablename__ = "participant"
    __table_args__ = (
        Index("ix_participant_region_stage", "region_id", "stage"),
        Index("ix_participant_region_next_due", "region_id", "next_due"),
        # the revision before sending looks for participants changed since digests were rendered
        Index("ix_participant_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE")
    ref: str = Field(max_length=40, unique=True)
    last_name: str = Field(max_length=120)
    first_name: str = Field(max_length=120)
    birth_year: int | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    postcode: str | None = Field(default=None, max_length=10)
    location: str | None = Field(default=None, max_length=120)
    childcare: bool = False
    part_time: bool = False
    literacy: bool = False
    youth: bool = False
    transport_reach: str | None = Field(default=None, max_length=10)
    # the home municipality derived from postcode and place at import (migration 0016; places/ owns
    # the table: a plain column, kept by the places writers, so pipeline never imports places)
    municipality_id: int | None = None
    # process state (the engine's ParticipantState) and the open steps computed from it
    model_version: str = Field(max_length=20)
    stage: str = Field(max_length=40)
    stage_since: date
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    open_steps: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    next_step: str | None = Field(default=None, max_length=60)
    next_due: date | None = None
    # who acts on the next step: agencies with their specific code ("KT:VHS-BA") and the plain types
    next_responsible: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    next_agencies: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    steps_fingerprint: str = Field(default="", max_length=40)
    # how many steps are open (migration 0010): the sweep's counts without decoding `open_steps`
    open_step_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # the first day a step can have a reminder, and the first day the cached steps may change
    # with time alone (migration 0007; notifications/sweep.py reads only rows where one has come)
    next_remind: date | None = None
    steps_valid_until: date | None = None
    # steps marked "in Bearbeitung" with a follow-up date (migration 0011): step id →
    # {"until": ISO date, "by": who, "note": text, "since": ISO date}; reminders pause until then
    step_holds: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False, server_default="{}")
    )
    # the day the retention policy anonymised the closed case (migration 0013); None while personal
    anonymised_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # every change to the row sets it: a reminder digest rendered before it is revised when sent
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}. {self.last_name[:1]}.".upper()


class Course(SQLModel, table=True):
    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("region_id", "code", name="uq_course_region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=40)
    provider_id: int = Field(foreign_key="agency.id", ondelete="CASCADE", index=True)
    kind: str = Field(default="ik", max_length=4)
    course_type: str = Field(max_length=40)
    format: str = Field(default="full_time", max_length=20)
    site: str = Field(max_length=120)
    postcode: str | None = Field(default=None, max_length=10)
    # the course site (places/) the `site` text names, and the time of day it is taught (migration 0016)
    site_id: int | None = None
    slot: str | None = Field(default=None, max_length=12)
    planned_start: date | None = None
    actual_start: date | None = None
    end_date: date | None = None
    capacity: int = 25
    min_size: int = 15
    cancelled: bool = False


class Enrollment(SQLModel, table=True):
    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("course_id", "participant_id", name="uq_enrollment_course_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    enrolled_on: date
    left_on: date | None = None


class StageChange(SQLModel, table=True):
    """Append-only history: every event applied to a participant (and every import change)."""

    __tablename__ = "stage_change"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    occurred_on: date
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event: str = Field(max_length=40)
    from_stage: str | None = Field(default=None, max_length=40)
    to_stage: str = Field(max_length=40)
    by_agency: str | None = Field(default=None, max_length=8)
    by_user: str | None = Field(default=None, max_length=120)
    note: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    model_version: str = Field(max_length=20)


class AuditEntry(SQLModel, table=True):
    """Who read a participant's full record or changed anything, and when (data protection)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_participant", "participant_id", "at"), Index("ix_audit_log_at", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=120)
    role: str = Field(default="", max_length=20)
    action: str = Field(max_length=40)
    region_id: int | None = Field(default=None, foreign_key="region.id", ondelete="SET NULL")
    participant_id: int | None = Field(default=None, foreign_key="participant.id", ondelete="SET NULL")
    detail: str = ""
    source: str = Field(default="", max_length=60)


class Offer(SQLModel, table=True):
    """One offer of the region's overview (Angebotsübersicht) besides the courses: counselling,
    integration guides and volunteer groups, childcare – as published, never about a person."""

    __tablename__ = "offer"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=20)
    name: str = Field(max_length=200)
    provider: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10)
    place: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=60)
    email: str = Field(default="", max_length=254)
    website: str = Field(default="", max_length=300)
    hours: str = Field(default="", max_length=300)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    municipalities: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    note: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
