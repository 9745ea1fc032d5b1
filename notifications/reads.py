"""Reading the outbox: the one read path of `reminders list` and the web's Postausgang."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, text

from pipeline.database import UTCDateTime
from pipeline.reads import fetch, iso, typed


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One email in the outbox, without its content."""

    id: int
    region: str | None
    kind: str
    period: str
    send_on: date
    recipient: str
    recipient_name: str
    subject: str
    items: int
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    message_id: str | None
    #: why a message was dropped or superseded (German), None otherwise
    reason: str | None = None
    #: until when a temporarily failing message is retried (the end of its retry window)
    retry_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "region": self.region,
            "kind": self.kind,
            "period": self.period,
            "send_on": iso(self.send_on),
            "recipient": self.recipient,
            "recipient_name": self.recipient_name,
            "subject": self.subject,
            "items": self.items,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "sent_at": self.sent_at.isoformat(sep=" ")[:19] if self.sent_at else None,
            "message_id": self.message_id,
            "reason": self.reason,
            "retry_until": self.retry_until.isoformat(sep=" ")[:19] if self.retry_until else None,
        }


def list_outbox(
    conn: Connection,
    *,
    status: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    limit: int = 500,
) -> list[OutboxRow]:
    """The newest emails first (by send day), filtered by status, region code and kind."""
    where: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    if status:
        where.append("o.status = :status")
        params["status"] = status
    if region:
        where.append("r.code = :region")
        params["region"] = region
    if kind:
        where.append("o.kind = :kind")
        params["kind"] = kind
    sql = (
        "SELECT o.id, r.code, o.kind, o.period, o.send_on, o.recipient, o.recipient_name, o.subject, o.item_count, "
        "o.status, o.attempts, o.last_error, o.sent_at, o.message_id, o.reason, o.retry_until FROM outbox o LEFT JOIN region r ON r.id = o.region_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY o.send_on DESC, o.id DESC LIMIT :limit"
    )
    rows = fetch(
        conn, typed(sql, columns={"send_on": Date(), "sent_at": UTCDateTime(), "retry_until": UTCDateTime()}), params
    )
    return [OutboxRow(*row) for row in rows]


def status_counts(conn: Connection, *, region: str) -> dict[str, int]:
    """How many emails of the region are in each status."""
    rows = fetch(
        conn,
        typed(
            "SELECT o.status, COUNT(*) FROM outbox o JOIN region r ON r.id = o.region_id "
            "WHERE r.code = :region GROUP BY o.status"
        ),
        {"region": region},
    )
    return {status: int(count) for status, count in rows}


def count_failed(conn: Connection, region_id: int) -> int:
    """The region's e-mails that failed for good (the web's banner, monitoring)."""
    return int(
        conn.execute(
            text("SELECT COUNT(*) FROM outbox WHERE status = 'failed' AND region_id = :region"), {"region": region_id}
        ).scalar_one()
    )
