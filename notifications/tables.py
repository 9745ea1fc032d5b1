"""Reminder items and the outbox: everything to be emailed is written here before it is sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from notifications.labels import KINDS, STATUSES
from pipeline.database import JSONType, UTCDateTime, utcnow
from process_models.reminders import LEVEL_LABELS, LEVELS

__all__ = [
    "KINDS",
    "LEVELS",
    "LEVEL_LABELS",
    "STATUSES",
    "AnswerTokenUse",
    "OutboxContent",
    "OutboxMessage",
    "ReminderItem",
]


class ReminderItem(SQLModel, table=True):
    """One open step of one participant that one contact is reminded of at one urgency level."""

    __tablename__ = "reminder_item"
    __table_args__ = (
        UniqueConstraint("participant_id", "step", "due", "level", "contact_id", name="uq_reminder_item"),
        Index("ix_reminder_item_region_pending", "region_id", "outbox_id", "planned_for"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    step: str = Field(max_length=60)
    due: date
    level: str = Field(max_length=12)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", ondelete="SET NULL")
    planned_for: date
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", ondelete="SET NULL", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """An email, rendered and keyed before it is sent. At most one per contact, kind and period.

    The rendered bodies live in `OutboxContent`: the row itself changes state several times
    (claimed, sent), and on SQLite every update rewrites the whole row with its overflow pages.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("contact_id", "kind", "period", name="uq_outbox_contact_kind_period"),
        Index("ix_outbox_sendable", "status", "send_on", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=40)
    period: str = Field(max_length=60)
    region_id: int | None = Field(default=None, foreign_key="region.id", ondelete="CASCADE", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    recipient: str = Field(max_length=254)
    recipient_name: str = Field(default="", max_length=200)
    send_on: date
    subject: str = Field(max_length=300)
    item_count: int = 0
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = None
    #: end of the retry window of a temporarily failing message (set at its first failure): a
    #: failure after it is final
    retry_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=40)
    message_id: str | None = Field(default=None, max_length=200)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: when the content was last rendered (a reminder digest is revised when a participant in it
    #: changed after that) and, for a dropped or superseded message, why (German)
    rendered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxContent(SQLModel, table=True):
    """The rendered bodies and attachments of one outbox message (written once, read to send)."""

    __tablename__ = "outbox_content"

    outbox_id: int = Field(foreign_key="outbox.id", ondelete="CASCADE", primary_key=True)
    body_text: str
    body_html: str
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))


class AnswerTokenUse(SQLModel, table=True):
    """A one-click answer link that was used: each link records its step once."""

    __tablename__ = "answer_token_use"

    token_id: str = Field(max_length=64, primary_key=True)
    used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    participant_id: int | None = Field(default=None, foreign_key="participant.id", ondelete="CASCADE")
    step: str = Field(max_length=60)
    outcome: str = Field(max_length=300)
