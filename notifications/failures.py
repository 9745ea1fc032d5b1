"""The coordination hears about e-mails that failed for good: one summary per region and send run.

A message fails for good when the server refused it permanently (5xx, an invalid address) or its
retry window ran out. Each such run ends with one e-mail to each coordinator of the region listing
what did not go out. When the mail server itself is down the summary cannot arrive either; the
alarm then is the web UI's banner and `reminders list --status failed` exiting non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Engine, select

from notifications.labels import KINDS
from notifications.outbox import Recipient, enqueue
from notifications.rendering import render_email
from notifications.sweep import load_directory
from notifications.tables import OutboxMessage
from pipeline.database import table_of
from pipeline.tables import Region
from pipeline.tabular import shorten

#: the outbox kind of the summary (never summarised itself: a failing summary is seen in the banner)
KIND = "delivery_failures"
SHOWN = 30


def notify_failures(engine: Engine, failed_ids: Sequence[int], *, today: date, base_url: str = "") -> int:
    """Queue one summary of the messages `failed_ids` to each coordinator of their regions, due
    today; returns how many were queued (0 when the failed ones were summaries themselves)."""
    if not failed_ids:
        return 0
    outbox, regions = table_of(OutboxMessage), table_of(Region)
    queued = 0
    with engine.begin() as connection:
        rows = connection.execute(
            select(outbox)
            .where(outbox.c.id.in_(sorted(failed_ids)), outbox.c.kind != KIND, outbox.c.region_id.is_not(None))
            .order_by(outbox.c.region_id, outbox.c.id)
        ).all()
        by_region: dict[int, list[dict[str, object]]] = {}
        ids: dict[int, list[int]] = {}
        for row in rows:
            ids.setdefault(row.region_id, []).append(row.id)
            by_region.setdefault(row.region_id, []).append(
                {
                    "recipient": f"{row.recipient_name} <{row.recipient}>" if row.recipient_name else row.recipient,
                    "kind": KINDS.get(row.kind, "E-Mail"),
                    "subject": shorten(row.subject, 120),
                    "reason": shorten(row.last_error or "", 200),
                }
            )
        for region_id, failed in by_region.items():
            region = connection.execute(select(regions).where(regions.c.id == region_id)).one()
            coordinators = load_directory(connection, region_id).coordinators()
            period = f"{today.isoformat()}#{ids[region_id][0]}"
            for person in coordinators:
                rendered = render_email(
                    KIND,
                    {
                        "region": {"code": region.code, "name": region.name},
                        "contact": {"name": person.name},
                        "day": today,
                        "failed": failed[:SHOWN],
                        "more": max(len(failed) - SHOWN, 0),
                        "count": len(failed),
                        "link": f"{base_url.rstrip('/')}/postausgang?status=failed" if base_url else "",
                        "coordinator": None,
                    },
                )
                queued += enqueue(
                    connection,
                    kind=KIND,
                    period=period,
                    region_id=region_id,
                    recipient=Recipient(person.id, person.name, person.email),
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    send_on=today,
                    items=ids[region_id],
                )
    return queued
