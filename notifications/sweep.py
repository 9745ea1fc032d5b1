"""The daily sweep of one region: evaluate every open step, refresh the cached steps, plan
reminders, and write one digest per contact and send day into the outbox."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, false, func, not_, or_, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from notifications.answers import DEFAULT_LIFETIME_DAYS, AnswerClaim, answer_url
from notifications.outbox import idempotency_key
from notifications.planning import (
    AgencyInfo,
    ContactInfo,
    Directory,
    Plan,
    SweepRow,
    plan_region,
    send_day,
    still_remindable,
)
from notifications.rendering import render_email
from notifications.tables import LEVEL_LABELS, LEVELS, OutboxContent, OutboxMessage, ReminderItem
from pipeline.database import UTCDateTime, table_of, utcnow
from pipeline.reads import initials
from pipeline.tables import Agency, Contact, Participant, Region
from pipeline.validation import validate_email_address
from process_models import AgencyRef, ProcessModel, calendar_for

KIND = "reminder_digest"
MAX_ITEMS_PER_GROUP = 100
_BATCH = 2000

GROUP_EXPLANATIONS = {
    "escalated": "Frist deutlich überschritten – die Leitung und die Koordination erhalten diese Nachricht ebenfalls.",
    "second": "Frist überschritten – zweite Erinnerung.",
    "due": "Frist heute erreicht oder gerade überschritten.",
    "upcoming": "Frist läuft demnächst ab.",
}


@dataclass
class SweepResult:
    region: str
    today: date
    send_day: date
    participants: int = 0
    #: open participants whose steps were evaluated (the others' cached steps are exact and
    #: cannot produce a reminder today)
    evaluated: int = 0
    open_steps: int = 0
    overdue: int = 0
    refreshed: int = 0
    items_planned: int = 0
    items_dropped: int = 0
    digests_created: int = 0
    digests_updated: int = 0
    digests_cancelled: int = 0
    digests_invalid: int = 0
    by_level: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    def summary(self) -> str:
        levels = ", ".join(f"{LEVEL_LABELS[level]} {count}" for level, count in self.by_level.items() if count)
        return (
            f"{self.region}: {self.participants} Teilnehmende, {self.open_steps} offene Schritte ({self.overdue} überfällig); "
            f"{self.items_planned} Erinnerungen neu geplant, {self.items_dropped} entfallen; "
            f"Versand am {self.send_day:%d.%m.%Y}: {self.digests_created} Sammelmails neu, {self.digests_updated} ergänzt"
            + (f" ({levels})" if levels else "")
        )


def load_directory(connection: Connection, region_id: int) -> Directory:
    """The region's agencies and active contacts."""
    agencies_t, contacts_t = table_of(Agency), table_of(Contact)
    agencies = [
        AgencyInfo(row.id, row.code, row.type, row.name)
        for row in connection.execute(
            select(agencies_t).where(agencies_t.c.region_id == region_id).order_by(agencies_t.c.id)
        )
    ]
    contacts = [
        ContactInfo(row.id, row.agency_id, row.name, row.email, row.role)
        for row in connection.execute(
            select(contacts_t)
            .where(contacts_t.c.agency_id.in_([agency.id for agency in agencies]), contacts_t.c.active.is_(True))
            .order_by(contacts_t.c.id)
        )
    ]
    return Directory(agencies, contacts)


#: PostgreSQL: a batch of items as one statement over arrays. Letting the driver expand
#: thousands of VALUES rows cost more in parsing the query than the insert itself (25 of 88 s
#: for 100k participants); arrays keep the statement small and its plan cached.
_PG_INSERT_ITEMS = text(
    """
    WITH inserted AS (
        INSERT INTO reminder_item
            (region_id, participant_id, step, due, level, contact_id, agency_id, planned_for, outbox_id, created_at)
        SELECT :region_id, item.participant_id, item.step, item.due, item.level, item.contact_id,
               item.agency_id, item.planned_for, item.outbox_id, :created_at
        FROM unnest(CAST(:participant_ids AS integer[]), CAST(:steps AS text[]), CAST(:dues AS date[]),
                    CAST(:levels AS text[]), CAST(:contact_ids AS integer[]), CAST(:agency_ids AS integer[]),
                    CAST(:planned_fors AS date[]), CAST(:outbox_ids AS integer[]))
             AS item(participant_id, step, due, level, contact_id, agency_id, planned_for, outbox_id)
        ON CONFLICT ON CONSTRAINT uq_reminder_item DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM inserted
    """
).bindparams(bindparam("created_at", type_=UTCDateTime()))


def insert_items(connection: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert reminder items (all of one region and creation time), skipping those already
    planned; the number actually inserted. The one dialect-specific write of the sweep:
    PostgreSQL over arrays, SQLite through executemany with RETURNING."""
    if not rows:
        return 0
    if connection.dialect.name == "postgresql":
        first = rows[0]
        inserted: int = connection.execute(
            _PG_INSERT_ITEMS,
            {
                "region_id": first["region_id"],
                "created_at": first["created_at"],
                "participant_ids": [row["participant_id"] for row in rows],
                "steps": [row["step"] for row in rows],
                "dues": [row["due"] for row in rows],
                "levels": [row["level"] for row in rows],
                "contact_ids": [row["contact_id"] for row in rows],
                "agency_ids": [row["agency_id"] for row in rows],
                "planned_fors": [row["planned_for"] for row in rows],
                "outbox_ids": [row["outbox_id"] for row in rows],
            },
        ).scalar_one()
        return inserted
    # SQLite: counted through RETURNING (executemany's rowcount is not reliable across drivers)
    statement = sqlite_insert(table_of(ReminderItem)).on_conflict_do_nothing()
    return len(connection.execute(statement.returning(table_of(ReminderItem).c.id), list(rows)).all())


@dataclass(frozen=True)
class SweepContext:
    """What every part of one region's sweep needs, passed as one value."""

    region_id: int
    region_code: str
    region_name: str
    full_names: bool
    model: ProcessModel
    directory: Directory
    today: date
    #: the send day of today's reminders, and the business day after it
    day: date
    next_day: date
    base_url: str
    now: Any
    #: the secret that signs the one-click answer links (none: no such links) and their lifetime
    answer_secret: str = ""
    answer_days: int = DEFAULT_LIFETIME_DAYS

    @property
    def period(self) -> str:
        return self.day.isoformat()

    def answer_url(self, contact_id: int, participant_id: int, step: str, due: date) -> str:
        """The one-click answer link of one digest entry ("" without a base URL or secret)."""
        if not (self.base_url and self.answer_secret):
            return ""
        expires = self.day + timedelta(days=self.answer_days)
        return answer_url(
            self.base_url, self.answer_secret, AnswerClaim(contact_id, participant_id, step, due, expires)
        )


def region_context(
    connection: Connection,
    region: Any,
    *,
    model: ProcessModel,
    today: date,
    base_url: str,
    day: date | None = None,
    answer_secret: str = "",
    answer_days: int = DEFAULT_LIFETIME_DAYS,
) -> SweepContext:
    """A region's sweep context as of `today` (`region`: a Region or a row with its columns); the
    send day is `today`'s unless `day` names it (the revision re-renders a digest for its day)."""
    calendar = calendar_for(model)
    day = day or send_day(today, calendar)
    return SweepContext(
        region.id,
        region.code,
        region.name,
        region.full_names_in_email,
        model,
        load_directory(connection, region.id),
        today,
        day,
        calendar.next_business_day(day + timedelta(days=1)),
        base_url,
        utcnow(),
        answer_secret,
        answer_days,
    )


def sweep_region(
    *,
    session: Session,
    region: Region,
    model_for: Callable[[str], ProcessModel],
    current: ProcessModel,
    today: date,
    base_url: str = "",
    answer_secret: str = "",
    answer_days: int = DEFAULT_LIFETIME_DAYS,
) -> SweepResult:
    """Evaluate every open participant of `region` as of `today` and plan its reminders.

    Re-running it on the same day changes nothing; items for steps that are no longer open
    are dropped while still unsent.
    """
    assert region.id is not None
    connection = session.connection()
    context = region_context(
        connection,
        region,
        model=current,
        today=today,
        base_url=base_url,
        answer_secret=answer_secret,
        answer_days=answer_days,
    )
    result = SweepResult(region.code, today, context.day)
    rows = _rows_to_evaluate(connection, context, model_for, result)
    plan = plan_region(
        rows, directory=context.directory, model_for=model_for, calendar=calendar_for(current), today=today
    )
    write_plan(connection, plan, context, result)
    return result


def _rows_to_evaluate(
    connection: Connection, context: SweepContext, model_for: Callable[[str], ProcessModel], result: SweepResult
) -> Iterator[SweepRow]:
    """The region's open participants whose cached steps may have changed or which may be due a
    reminder today (for every other open participant the cache is exact and no step has a
    reminder today); counts all open participants and steps into `result` on the way."""
    participants = table_of(Participant)
    open_in_region = and_(
        participants.c.region_id == context.region_id,
        participants.c.stage.not_in(list(context.model.final_stages)),
    )
    versions: dict[str, str] = {}
    counted: Any = connection.execute(
        select(participants.c.model_version, func.count(), func.coalesce(func.sum(participants.c.open_step_count), 0))
        .where(open_in_region)
        .group_by(participants.c.model_version)
    )
    for version, count, steps_count in counted:
        versions[version] = model_for(version).fingerprint
        result.participants += count
        result.open_steps += steps_count
    fresh = or_(
        false(),
        *(
            and_(participants.c.model_version == version, participants.c.steps_fingerprint == fingerprint)
            for version, fingerprint in versions.items()
        ),
    )
    today = context.today
    query = (
        select(
            participants.c.id,
            participants.c.model_version,
            participants.c.stage,
            participants.c.stage_since,
            participants.c.state,
            participants.c.open_steps,
            participants.c.next_remind,
            participants.c.steps_valid_until,
            participants.c.steps_fingerprint,
            participants.c.step_holds,
        )
        .where(
            open_in_region,
            or_(participants.c.next_remind <= today, participants.c.steps_valid_until <= today, not_(fresh)),
        )
        .execution_options(yield_per=_BATCH)
    )
    rows: Any = connection.execute(query)
    for row in rows:
        yield SweepRow(*row)


def write_plan(connection: Connection, plan: Plan, context: SweepContext, result: SweepResult) -> None:
    """Store a region's plan: refreshed step caches, new reminder items in their contact's digest,
    unsent items of closed steps dropped, and the digests for the send day (re)rendered."""
    result.evaluated += plan.evaluated
    result.overdue += plan.overdue
    lock_unsent_digests(connection, context.region_id)
    slots = _DigestSlots(connection, context)
    for start in range(0, len(plan.items), _BATCH):
        batch = [
            {
                "region_id": context.region_id,
                "participant_id": item.participant_id,
                "step": item.step,
                "due": item.due,
                "level": item.level,
                "contact_id": item.contact_id,
                "agency_id": item.agency_id,
                "created_at": context.now,
            }
            for item in plan.items[start : start + _BATCH]
        ]
        slots.assign(batch)
        result.items_planned += insert_items(connection, batch)
    # the cache follows time, not a change of the case: `updated_at` stays (digests rendered
    # below would otherwise look stale to the revision before sending)
    updates = [{"_id": pid, **columns} for pid, columns in plan.refreshed.items()]
    for start in range(0, len(updates), _BATCH):
        _refresh_steps(connection, updates[start : start + _BATCH])
    result.refreshed += len(updates)
    result.items_dropped = _drop_obsolete(connection, context, plan)
    _build_digests(connection, context, plan.responsible, result, slots.reserved)
    for level, count in _planned_levels(connection, context.region_id, context.day).items():
        result.by_level[level] = count


class _DigestSlots:
    """Which digest each new reminder item goes into, decided before the item is written.

    Items join their contact's digest for the send day. A contact without one gets an outbox
    row reserved (filled in by `_build_digests` in the same transaction, invisible until then),
    so items are written once with their `outbox_id` instead of being linked by a second
    UPDATE of every item (7 of 23 s for 115,000 items on PostgreSQL). A contact whose digest
    for the day is already out gets the items on the next business day.
    """

    def __init__(self, connection: Connection, context: SweepContext) -> None:
        self.connection, self.region_id, self.directory = connection, context.region_id, context.directory
        self.day, self.next_day, self.now = context.day, context.next_day, context.now
        self.period = context.period
        outbox = table_of(OutboxMessage)
        found: Any = connection.execute(
            select(outbox.c.contact_id, outbox.c.id, outbox.c.status).where(
                outbox.c.region_id == self.region_id, outbox.c.kind == KIND, outbox.c.period == self.period
            )
        )
        #: the contact's digest for the day; None when it is already out (or failed, cancelled)
        self.ids: dict[int, int | None] = {
            contact_id: (message_id if status == "pending" else None) for contact_id, message_id, status in found
        }
        #: contacts whose digest row was reserved here
        self.reserved: set[int] = set()

    def assign(self, items: list[dict[str, Any]]) -> None:
        missing = sorted({item["contact_id"] for item in items} - self.ids.keys())
        if missing:
            self._reserve(missing)
        for item in items:
            message_id = self.ids[item["contact_id"]]
            item["outbox_id"] = message_id
            item["planned_for"] = self.day if message_id is not None else self.next_day

    def _reserve(self, contact_ids: list[int]) -> None:
        outbox = table_of(OutboxMessage)
        rows = []
        for contact_id in contact_ids:
            contact = self.directory.contact(contact_id)
            assert contact is not None  # items are planned for the directory's contacts only
            values = {
                "idempotency_key": f"planning:{contact_id}:{self.period}",
                "recipient": contact.email,
                "recipient_name": contact.name,
                "send_on": self.day,
                "subject": "",
                "item_count": 0,
                "status": "pending",
                "last_error": None,
            }
            rows.append(_new_digest(self.region_id, contact_id, self.period, self.now, values))
        inserted: Any = self.connection.execute(outbox.insert().returning(outbox.c.id, outbox.c.contact_id), rows)
        for message_id, contact_id in inserted:
            self.ids[contact_id] = message_id
            self.reserved.add(contact_id)


def _refresh_steps(connection: Connection, updates: list[dict[str, Any]]) -> None:
    if not updates:
        return
    table = table_of(Participant)
    columns = [key for key in updates[0] if key != "_id"]
    connection.execute(
        update(table).where(table.c.id == bindparam("_id")).values({key: bindparam(key) for key in columns}), updates
    )


#: a digest in these states has not gone out: its items may still change, move or be dropped
UNSENT = ("pending", "retry")


def lock_unsent_digests(connection: Connection, region_id: int) -> None:
    """PostgreSQL: hold the region's unsent digests until this transaction ends, so that no sender
    claims one while its items are moved into another (the senders skip locked rows; a digest
    claimed a moment earlier is `sending` and no longer counts as unsent)."""
    if connection.dialect.name != "postgresql":
        return  # SQLite has one writer, and claiming re-checks the status it read
    outbox = table_of(OutboxMessage)
    connection.execute(
        select(outbox.c.id)
        .where(outbox.c.region_id == region_id, outbox.c.kind == KIND, outbox.c.status.in_(UNSENT))
        .with_for_update()
    ).all()


def _unsent_items_query(region_id: int) -> Any:
    items = table_of(ReminderItem)
    outbox = table_of(OutboxMessage)
    unsent = select(outbox.c.id).where(outbox.c.status.in_(UNSENT))
    return items.c.region_id == region_id, (items.c.outbox_id.is_(None) | items.c.outbox_id.in_(unsent))


def chunks(ids: list[Any], size: int = 900) -> Iterator[list[Any]]:
    """`ids` in slices small enough for one IN list (older SQLite allows 999 parameters)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _drop_obsolete(connection: Connection, context: SweepContext, plan: Plan) -> int:
    """Delete unsent items that are no longer true (`planning.still_remindable`): judged by the
    plan for the participants it evaluated, by the cached open steps for the others (exact for
    them: an event since the item was planned has rewritten the cache)."""
    items = table_of(ReminderItem)
    in_region, unsent = _unsent_items_query(context.region_id)
    rows: Any = connection.execute(
        select(items.c.id, items.c.participant_id, items.c.step, items.c.due, items.c.level, items.c.contact_id).where(
            in_region, unsent
        )
    )
    obsolete: list[int] = []
    others = []

    def judge(item: tuple[int, int, str, date, str, int], refs: list[str] | None, holds: Any) -> None:
        item_id, _pid, step, _due, level, contact_id = item
        if not still_remindable(
            step_refs=refs,
            level=level,
            contact_id=contact_id,
            holds=holds,
            step=step,
            directory=context.directory,
            today=context.today,
        ):
            obsolete.append(item_id)

    for item in rows:
        pid, step, due = item[1], item[2], item[3]
        if pid in plan.evaluated_ids:
            judge(item, plan.open_keys.get((pid, step, due)), plan.holds.get(pid))
        else:
            others.append(item)
    cached = cached_steps(connection, {other[1] for other in others})
    for item in others:
        steps, holds = cached.get(item[1], ([], {}))
        judge(item, step_refs(steps, item[2], item[3]), holds)
    for chunk in chunks(obsolete):
        connection.execute(delete(items).where(items.c.id.in_(chunk)))
    return len(obsolete)


def step_refs(steps: Iterable[dict[str, Any]], step: str, due: date) -> list[str] | None:
    """Who is responsible for `step` due on `due` among a participant's cached open steps
    (None when no such step is open)."""
    wanted = due.isoformat()
    for entry in steps:
        if entry["step"] == step and entry["due"] == wanted:
            responsible: list[str] = entry.get("responsible", [])
            return responsible
    return None


def cached_steps(
    connection: Connection, participant_ids: set[int]
) -> dict[int, tuple[list[dict[str, Any]], dict[str, Any]]]:
    """The cached open steps and the Wiedervorlagen of these participants."""
    participants = table_of(Participant)
    found: dict[int, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
    for chunk in chunks(sorted(participant_ids)):
        rows: Any = connection.execute(
            select(participants.c.id, participants.c.open_steps, participants.c.step_holds).where(
                participants.c.id.in_(chunk)
            )
        )
        found.update((pid, (steps or [], holds or {})) for pid, steps, holds in rows)
    return found


def _planned_levels(connection: Connection, region_id: int, day: date) -> dict[str, int]:
    items = table_of(ReminderItem)
    counts: dict[str, int] = {}
    query = select(items.c.level).where(items.c.region_id == region_id, items.c.planned_for == day)
    levels: list[str] = list(connection.execute(query).scalars())
    for level in levels:
        counts[level] = counts.get(level, 0) + 1
    return counts


def _build_digests(
    connection: Connection,
    context: SweepContext,
    planned_responsible: dict[tuple[int, str], list[str]],
    result: SweepResult,
    reserved: set[int],
) -> None:
    """One digest per contact for the send day: new items join a still-unsent digest; once a
    contact's digest for the day is out, later items wait for the next business day. An unsent
    digest of an earlier day is superseded: its still-true items move into the day's digest.
    `reserved`: contacts whose outbox row `_DigestSlots` created empty in this transaction."""
    items_t, outbox_t, participants_t = table_of(ReminderItem), table_of(OutboxMessage), table_of(Participant)
    day, period, directory = context.day, context.period, context.directory
    existing = {
        row.contact_id: row
        for row in connection.execute(
            select(outbox_t).where(
                outbox_t.c.region_id == context.region_id, outbox_t.c.kind == KIND, outbox_t.c.period == period
            )
        )
    }
    earlier: list[tuple[int, int]] = [
        (row.id, row.contact_id)
        for row in connection.execute(
            select(outbox_t.c.id, outbox_t.c.contact_id).where(
                outbox_t.c.region_id == context.region_id,
                outbox_t.c.kind == KIND,
                outbox_t.c.status.in_(UNSENT),
                outbox_t.c.send_on < day,
            )
        )
    ]
    in_region, unsent = _unsent_items_query(context.region_id)
    rows = connection.execute(
        select(
            items_t,
            participants_t.c.ref,
            participants_t.c.first_name,
            participants_t.c.last_name,
        )
        .join(participants_t, participants_t.c.id == items_t.c.participant_id)
        .where(in_region, unsent, items_t.c.planned_for <= day)
    ).all()
    by_contact: dict[int, list[Any]] = {}
    for row in rows:
        by_contact.setdefault(row.contact_id, []).append(row)
    # who is responsible for each step (the digests' "also with"): from the plan, and for items of
    # participants this sweep did not evaluate from their cached steps
    responsible = dict(planned_responsible)
    missing = {row.participant_id for row in rows if (row.participant_id, row.step) not in responsible}
    add_cached_responsible(responsible, cached_steps(connection, missing))
    coordinator = next(iter(directory.coordinators()), None)
    late: list[int] = []
    dropped: list[int] = []
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    contents: dict[int, dict[str, Any]] = {}
    #: (contact, item) pairs whose item is not yet in the contact's digest
    relink: list[tuple[int, int]] = []
    #: why each contact's earlier unsent digests are superseded (default: nothing left to send)
    superseded_because: dict[int, str] = {}
    for contact_id, contact_rows in by_contact.items():
        message = existing.get(contact_id)
        if message is not None and message.status != "pending":
            # the day's digest is out: what is not in it follows on the next business day
            late.extend(row.id for row in contact_rows if row.outbox_id != message.id)
            superseded_because[contact_id] = f"Die Punkte folgen mit der Sammelmail vom {context.next_day:%d.%m.%Y}"
            continue
        kept, superseded = highest_level_per_step(contact_rows)
        dropped.extend(superseded)
        contact = directory.contact(contact_id)
        if contact is None:  # deactivated since the item was planned: it will never be sent
            dropped.extend(row.id for row in kept)
            superseded_because[contact_id] = "Empfänger nicht mehr aktiv"
            continue
        superseded_because[contact_id] = f"Ersetzt durch die Sammelmail vom {day:%d.%m.%Y}"
        key = idempotency_key(contact_id, KIND, period, (row.id for row in kept))
        if message is not None and message.idempotency_key == key:
            continue  # the pending digest already lists exactly these items
        values, content = render_digest(context, contact, kept, responsible, coordinator)
        if values["status"] == "failed":
            result.digests_invalid += 1
        contents[contact_id] = content
        relink.extend((contact_id, row.id) for row in kept if message is None or row.outbox_id != message.id)
        if message is None:
            created.append(_new_digest(context.region_id, contact_id, period, values["updated_at"], values))
        else:
            changed.append({**values, "_id": message.id, "_contact_id": contact_id})
    _write_digests(
        connection,
        created,
        changed,
        contents,
        reserved,
        relink=relink,
        late=late,
        dropped=dropped,
        next_day=context.next_day,
    )
    filled = sum(1 for row in changed if row["_contact_id"] in reserved)
    result.digests_created += len(created) + filled
    result.digests_updated += len(changed) - filled
    unused = [existing[contact_id].id for contact_id in reserved - by_contact.keys()]
    if unused:  # reserved for items that turned out to be planned already
        connection.execute(delete(outbox_t).where(outbox_t.c.id.in_(unused)))
    cancel = [
        (message.id, NOTHING_LEFT)
        for contact_id, message in existing.items()
        if message.status == "pending" and contact_id not in by_contact and contact_id not in reserved
    ]
    cancel.extend((message_id, superseded_because.get(contact_id, NOTHING_LEFT)) for message_id, contact_id in earlier)
    result.digests_cancelled += cancel_digests(connection, cancel)


#: why a digest left with no items is not sent
NOTHING_LEFT = "Alle Punkte sind inzwischen erledigt oder nicht mehr aktuell"


def cancel_digests(
    connection: Connection, cancel: Sequence[tuple[int, str]], *, statuses: Sequence[str] = UNSENT
) -> int:
    """Mark digests in one of `statuses` (unsent; the revision adds the ones it has just claimed)
    as not to be sent, each with its reason; the number cancelled."""
    if not cancel:
        return 0
    outbox_t = table_of(OutboxMessage)
    found: set[int] = set()
    for chunk in chunks([message_id for message_id, _reason in cancel]):
        found.update(
            connection.execute(
                select(outbox_t.c.id).where(outbox_t.c.id.in_(chunk), outbox_t.c.status.in_(list(statuses)))
            ).scalars()
        )
    now = utcnow()
    rows = [{"_id": message_id, "_reason": reason} for message_id, reason in cancel if message_id in found]
    if rows:
        connection.execute(
            update(outbox_t)
            .where(outbox_t.c.id == bindparam("_id"))
            .values(status="cancelled", reason=bindparam("_reason"), claim_token=None, updated_at=now),
            rows,
        )
    return len(rows)


def add_cached_responsible(
    responsible: dict[tuple[int, str], list[str]], cached: dict[int, tuple[list[dict[str, Any]], dict[str, Any]]]
) -> None:
    """Fill in who is responsible for each (participant, step) from cached open steps."""
    for pid, (steps, _holds) in cached.items():
        for entry in steps:
            responsible.setdefault((pid, entry["step"]), entry.get("responsible", []))


def render_digest(
    context: SweepContext,
    contact: ContactInfo,
    rows: Sequence[Any],
    responsible: dict[tuple[int, str], list[str]],
    coordinator: ContactInfo | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A contact's digest of `rows` (reminder items joined with ref and names): the outbox
    columns its content decides and its bodies. Shared by the sweep and the revision before
    sending, so a digest reads the same whoever renders it."""
    agency = context.directory.agency(contact.agency_id)
    rendered = render_email(KIND, _digest_context(context, contact, agency, coordinator, rows, responsible))
    status, error = "pending", None
    try:
        recipient = validate_email_address(contact.email)
    except ValueError as exc:
        recipient, status, error = contact.email, "failed", f"Ungültige E-Mail-Adresse '{contact.email}': {exc}"
    now = utcnow()
    values = {
        "idempotency_key": idempotency_key(contact.id, KIND, context.period, (row.id for row in rows)),
        "recipient": recipient,
        "recipient_name": contact.name,
        "send_on": context.day,
        "subject": rendered.subject,
        "item_count": len(rows),
        "status": status,
        "last_error": error,
        "reason": None,
        "rendered_at": now,
        "updated_at": now,
    }
    return values, {"body_text": rendered.text, "body_html": rendered.html, "attachments": []}


def _new_digest(region_id: int, contact_id: int, period: str, now: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A new outbox row for a contact's digest of `period`; `values` hold what its content decides."""
    return {
        **values,
        "kind": KIND,
        "period": period,
        "region_id": region_id,
        "contact_id": contact_id,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "next_attempt_at": now,
    }


def _write_digests(
    connection: Connection,
    created: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    contents: dict[int, dict[str, Any]],
    reserved: set[int],
    *,
    relink: list[tuple[int, int]],
    late: list[int],
    dropped: list[int],
    next_day: date,
) -> None:
    """Write a region's digests in a handful of set-based statements (one statement per digest
    and table cost more than rendering them on PostgreSQL)."""
    items_t, outbox_t, content_t = table_of(ReminderItem), table_of(OutboxMessage), table_of(OutboxContent)
    for chunk in chunks(late):
        connection.execute(update(items_t).where(items_t.c.id.in_(chunk)).values(planned_for=next_day, outbox_id=None))
    for chunk in chunks(dropped):
        connection.execute(delete(items_t).where(items_t.c.id.in_(chunk)))
    message_ids: dict[int, int] = {}
    new_content: list[dict[str, Any]] = []
    if created:
        inserted: Any = connection.execute(outbox_t.insert().returning(outbox_t.c.id, outbox_t.c.contact_id), created)
        message_ids.update((contact_id, message_id) for message_id, contact_id in inserted)
        new_content.extend(
            {"outbox_id": message_ids[row["contact_id"]], **contents[row["contact_id"]]} for row in created
        )
    if changed:
        columns = [key for key in changed[0] if not key.startswith("_")]
        connection.execute(
            update(outbox_t).where(outbox_t.c.id == bindparam("_id")).values({key: bindparam(key) for key in columns}),
            [{key: value for key, value in row.items() if key != "_contact_id"} for row in changed],
        )
        new_content.extend(
            {"outbox_id": row["_id"], **contents[row["_contact_id"]]}
            for row in changed
            if row["_contact_id"] in reserved
        )
        rewritten = [
            {"_id": row["_id"], **contents[row["_contact_id"]]} for row in changed if row["_contact_id"] not in reserved
        ]
        if rewritten:
            connection.execute(
                update(content_t)
                .where(content_t.c.outbox_id == bindparam("_id"))
                .values({key: bindparam(key) for key in ("body_text", "body_html", "attachments")}),
                rewritten,
            )
        message_ids.update((row["_contact_id"], row["_id"]) for row in changed)
    if new_content:
        connection.execute(content_t.insert(), new_content)
    if relink:
        connection.execute(
            update(items_t).where(items_t.c.id == bindparam("_item")).values(outbox_id=bindparam("_message")),
            [{"_item": item_id, "_message": message_ids[contact_id]} for contact_id, item_id in relink],
        )


def highest_level_per_step(rows: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """Keep one item per (participant, step, due): the most urgent level not yet sent."""
    best: dict[tuple[int, str, date], Any] = {}
    superseded: list[int] = []
    for row in rows:
        key = (row.participant_id, row.step, row.due)
        other = best.get(key)
        if other is None:
            best[key] = row
            continue
        keep, drop = (row, other) if LEVELS.index(row.level) > LEVELS.index(other.level) else (other, row)
        best[key] = keep
        superseded.append(drop.id)
    return list(best.values()), superseded


def _agency_names(directory: Directory, refs: Iterable[str]) -> list[str]:
    """German names of the agencies behind responsibility refs like "KT:VHS-BA" or "AA"."""
    names: dict[str, None] = {}
    for ref in refs:
        for agency in directory.agencies_for(AgencyRef.parse(ref)):
            names[agency.name] = None
    return list(names)


def _digest_context(
    context: SweepContext,
    contact: ContactInfo,
    agency: AgencyInfo | None,
    coordinator: ContactInfo | None,
    rows: Sequence[Any],
    responsible: dict[tuple[int, str], list[str]],
) -> dict[str, Any]:
    """The template context of one contact's digest."""
    directory, model, day, base_url = context.directory, context.model, context.day, context.base_url
    groups = []
    counts = dict.fromkeys(LEVELS, 0)
    for level in reversed(LEVELS):
        chosen = sorted((row for row in rows if row.level == level), key=lambda row: (row.due, row.ref, row.step))
        if not chosen:
            continue
        counts[level] = len(chosen)
        listed = []
        for row in chosen[:MAX_ITEMS_PER_GROUP]:
            step_spec = model.steps.get(row.step)
            answer_event = model.events.get(step_spec.answer) if step_spec and step_spec.answer else None
            if answer_event is not None and not answer_event.recordable_by(agency.type if agency else "KOM"):
                answer_event = None  # this contact's agency cannot confirm it: the link offers the Wiedervorlage
            others = [
                name
                for name in _agency_names(directory, responsible.get((row.participant_id, row.step), []))
                if agency is None or name != agency.name
            ]
            # attributes rather than dict keys: Jinja tries getattr first, and a failing getattr
            # per field and entry was a third of the rendering time
            listed.append(
                SimpleNamespace(
                    ref=row.ref,
                    name=f"{row.first_name} {row.last_name}"
                    if context.full_names
                    else initials(row.first_name, row.last_name),
                    step_label=step_spec.label if step_spec else row.step,
                    legal_basis=step_spec.legal_basis if step_spec else "",
                    due=row.due,
                    days_overdue=max((day - row.due).days, 0),
                    # the right has lapsed on the due date (§ 4 Abs. 1 S. 3 IntV): "verfallen", not days overdue
                    lapsed=bool(step_spec and step_spec.lapses and row.due < day),
                    agency=agency.name if agency else "Koordination",
                    others=", ".join(others),
                    url=f"{base_url.rstrip('/')}/teilnehmende/{row.ref}" if base_url else "",
                    answer_url=context.answer_url(contact.id, row.participant_id, row.step, row.due),
                    answer_label=answer_event.label if answer_event else "",
                )
            )
        groups.append(
            SimpleNamespace(
                level=level,
                label=LEVEL_LABELS[level],
                explanation=GROUP_EXPLANATIONS[level],
                entries=listed,
                more=len(chosen) - len(listed),
            )
        )
    return {
        "region": {"code": context.region_code, "name": context.region_name},
        "contact": {"name": contact.name, "email": contact.email},
        "agency_name": agency.name if agency else f"die Koordination {context.region_name}",
        "coordinator": {"name": coordinator.name, "email": coordinator.email} if coordinator else None,
        "day": day,
        "groups": groups,
        "total": len(rows),
        "counts": counts,
        "has_answer_links": bool(context.base_url and context.answer_secret),
        "answer_days": context.answer_days,
    }
