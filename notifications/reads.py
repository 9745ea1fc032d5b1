"""Read-only outbox queries over plain DB-API (see pipeline.reads for why)."""

from __future__ import annotations

from typing import Any

from pipeline.reads import ReadConnection


def list_outbox(
    conn: ReadConnection,
    *,
    status: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
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
        "SELECT o.id, r.code, o.kind, o.period, o.send_on, o.recipient, o.recipient_name, o.subject, o.item_count, o.status, "
        "o.attempts, o.last_error, o.sent_at, o.message_id FROM outbox o LEFT JOIN region r ON r.id = o.region_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY o.send_on DESC, o.id DESC LIMIT :limit"
    )
    keys = (
        "id",
        "region",
        "kind",
        "period",
        "send_on",
        "recipient",
        "recipient_name",
        "subject",
        "items",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "message_id",
    )
    rows = []
    for row in conn.rows(sql, params):
        item = dict(zip(keys, row, strict=True))
        item["send_on"] = conn.date_text(item["send_on"])
        item["sent_at"] = str(item["sent_at"])[:19] if item["sent_at"] else None
        rows.append(item)
    return rows
