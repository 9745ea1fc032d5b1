"""Unsent reminder digests kept true until they go out.

Every write to a participant sets `participant.updated_at`. When digests are claimed for sending
(and when `reminders preview` shows them), those with a participant changed since shortly before
they were rendered, or with fewer items than they list (a participant erased), are revised: items
no longer true (`planning.still_remindable`) are deleted, the digest is rendered again, and a
digest left with nothing is cancelled with its reason. The check is two small indexed queries
per claimed batch; the item-by-item work is done for the few digests that need it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from notifications.answers import DEFAULT_LIFETIME_DAYS
from notifications.outbox import with_content, write_content
from notifications.planning import still_remindable
from notifications.sweep import (
    KIND,
    NOTHING_LEFT,
    UNSENT,
    SweepContext,
    add_cached_responsible,
    cancel_digests,
    chunks,
    highest_level_per_step,
    region_context,
    render_digest,
    step_refs,
)
from notifications.tables import OutboxMessage, ReminderItem
from pipeline.database import table_of
from pipeline.tables import Participant, Region
from process_models import ModelCatalog

#: A write stamps `updated_at` when it changes the row and commits a moment later; a digest
#: rendered in between did not see the change. Changes up to this long before the rendering
#: count as possibly unseen (writes commit within seconds; the largest all-or-nothing import,
#: 100,000 participants, within about two minutes).
CHANGE_MARGIN = timedelta(hours=1)


@dataclass
class Revision:
    """What revising a set of digests did."""

    revised: set[int] = field(default_factory=set)
    #: digest id → why it is not sent
    cancelled: dict[int, str] = field(default_factory=dict)
    #: revised digests whose contact's address is no longer valid (marked failed, not sent)
    failed: set[int] = field(default_factory=set)
    items_dropped: int = 0


def stale_digests(connection: Connection, digests: list[dict[str, Any]]) -> set[int]:
    """The reminder digests among `digests` (outbox rows) that may no longer be true: one
    participant in them changed since shortly before the digest was rendered, or fewer items
    than it lists are left (a participant erased).

    Two small queries per batch: the items counted per digest (an index range), and the items of
    participants changed since the oldest rendering (through `ix_participant_updated_at`: few
    rows). Joining every item to its participant made PostgreSQL hash the whole participant
    table per batch (65 ms at 100,000 participants)."""
    mine = {row["id"]: row for row in digests if row["kind"] == KIND}
    if not mine:
        return set()
    stale = {message_id for message_id, row in mine.items() if row.get("rendered_at") is None}
    items, participants = table_of(ReminderItem), table_of(Participant)
    counts: dict[int, int] = {}
    for chunk in chunks(sorted(mine)):
        counted: Any = connection.execute(
            select(items.c.outbox_id, func.count()).where(items.c.outbox_id.in_(chunk)).group_by(items.c.outbox_id)
        )
        counts.update((message_id, count) for message_id, count in counted)
    stale.update(message_id for message_id, row in mine.items() if counts.get(message_id, 0) != row["item_count"])
    rendered = {message_id: row["rendered_at"] for message_id, row in mine.items() if row.get("rendered_at")}
    if rendered:
        since = min(rendered.values()) - CHANGE_MARGIN
        for chunk in chunks(sorted(rendered)):
            changed: Any = connection.execute(
                select(items.c.outbox_id, func.max(participants.c.updated_at))
                .select_from(participants.join(items, items.c.participant_id == participants.c.id))
                .where(participants.c.updated_at > since, items.c.outbox_id.in_(chunk))
                .group_by(items.c.outbox_id)
            )
            stale.update(
                message_id
                for message_id, latest in changed
                if _as_naive(latest) > _as_naive(rendered[message_id]) - CHANGE_MARGIN
            )
    return stale


def _as_naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


class DigestReviser:
    """Revises claimed reminder digests (the `revise` hook of `outbox.send_due`)."""

    def __init__(
        self,
        catalog: ModelCatalog,
        *,
        today: date,
        base_url: str = "",
        answer_secret: str = "",
        answer_days: int = DEFAULT_LIFETIME_DAYS,
    ) -> None:
        self.catalog, self.today, self.base_url = catalog, today, base_url
        self.answer_secret, self.answer_days = answer_secret, answer_days

    def __call__(self, connection: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`rows` (claimed outbox rows with content) as they are to be sent: revised digests
        re-rendered, cancelled ones left out (and marked in the database)."""
        stale = stale_digests(connection, rows)
        if not stale:
            return rows
        revision = revise(connection, [row for row in rows if row["id"] in stale], self._context)
        fresh = _rows_by_id(connection, revision.revised)
        kept = []
        for row in rows:
            if row["id"] in revision.cancelled or row["id"] in revision.failed:
                continue
            kept.append({**row, **fresh[row["id"]]} if row["id"] in fresh else row)
        return kept

    def _context(self, connection: Connection, region_id: int, day: date) -> SweepContext:
        regions = table_of(Region)
        region = connection.execute(select(regions).where(regions.c.id == region_id)).one()
        model = self.catalog.current(region.code, land=region.land)
        return region_context(
            connection,
            region,
            model=model,
            today=self.today,
            base_url=self.base_url,
            day=day,
            answer_secret=self.answer_secret,
            answer_days=self.answer_days,
        )


def _rows_by_id(connection: Connection, message_ids: set[int]) -> dict[int, dict[str, Any]]:
    outbox = table_of(OutboxMessage)
    found: dict[int, dict[str, Any]] = {}
    for chunk in chunks(sorted(message_ids)):
        for row in connection.execute(with_content(select(outbox)).where(outbox.c.id.in_(chunk))):
            found[row.id] = row._asdict()
    return found


def revise(
    connection: Connection,
    digests: list[dict[str, Any]],
    context_for: Callable[[Connection, int, date], SweepContext],
) -> Revision:
    """Bring these reminder digests up to date: delete their items that are no longer true,
    render them again, cancel those with nothing left (with the reason)."""
    revision = Revision()
    items_t, participants_t, outbox = table_of(ReminderItem), table_of(Participant), table_of(OutboxMessage)
    contexts: dict[tuple[int, date], SweepContext] = {}
    by_digest: dict[int, list[Any]] = {row["id"]: [] for row in digests}
    for chunk in chunks(sorted(by_digest)):
        found = connection.execute(
            select(
                items_t,
                participants_t.c.ref,
                participants_t.c.first_name,
                participants_t.c.last_name,
                participants_t.c.open_steps,
                participants_t.c.step_holds,
            )
            .join(participants_t, participants_t.c.id == items_t.c.participant_id)
            .where(items_t.c.outbox_id.in_(chunk))
        ).all()
        for item in found:
            by_digest[item.outbox_id].append(item)
    obsolete: list[int] = []
    for digest in digests:
        key = (digest["region_id"], digest["send_on"])
        context = contexts.get(key)
        if context is None:
            context = contexts[key] = context_for(connection, *key)
        still: list[Any] = []
        for item in by_digest[digest["id"]]:
            true = still_remindable(
                step_refs=step_refs(item.open_steps or [], item.step, item.due),
                level=item.level,
                contact_id=item.contact_id,
                holds=item.step_holds,
                step=item.step,
                directory=context.directory,
                today=context.today,
            )
            if true:
                still.append(item)
            else:
                obsolete.append(item.id)
        kept, superseded = highest_level_per_step(still)
        obsolete.extend(superseded)
        contact = context.directory.contact(digest["contact_id"])
        if contact is None or not kept:
            revision.cancelled[digest["id"]] = "Empfänger nicht mehr aktiv" if contact is None else NOTHING_LEFT
            obsolete.extend(item.id for item in kept)
            continue
        responsible: dict[tuple[int, str], list[str]] = {}
        add_cached_responsible(responsible, {item.participant_id: (item.open_steps or [], {}) for item in kept})
        coordinator = next(iter(context.directory.coordinators()), None)
        values, content = render_digest(context, contact, kept, responsible, coordinator)
        values.pop("reason")
        if values.pop("status") == "failed":  # the contact's address changed to one that is not valid
            values.update(status="failed", claim_token=None)
            revision.failed.add(digest["id"])
        connection.execute(update(outbox).where(outbox.c.id == digest["id"]).values(values))
        write_content(connection, digest["id"], text=content["body_text"], html=content["body_html"], attachments=[])
        revision.revised.add(digest["id"])
    for chunk in chunks(obsolete):
        connection.execute(delete(items_t).where(items_t.c.id.in_(chunk)))
    revision.items_dropped = len(obsolete)
    # claimed digests are `sending`; a dry run's are still unsent
    cancel_digests(connection, list(revision.cancelled.items()), statuses=(*UNSENT, "sending"))
    return revision
