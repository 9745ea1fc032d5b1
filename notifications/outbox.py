"""Dispatching the outbox: claim due rows, send them over one connection, record every outcome.

Exactly-once effects: a row is claimed (status `sending`, a claim token) in a short transaction
before it is sent, and marked `sent` with its Message-ID right after. Parallel workers never
claim the same row (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the single writer and a
status-checked update). A claim older than the lease (a worker that crashed mid-send) is taken
over; the Message-ID stays the same so a rare resend is recognisable as a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from notifications.mailers import Mailer, PermanentFailure, TemporaryFailure, UncertainDelivery
from notifications.messages import build_message
from notifications.tables import OutboxContent, OutboxMessage
from pipeline.database import table_of, utcnow
from pipeline.validation import validate_email_address

log = logging.getLogger(__name__)

#: Brings claimed rows up to date before they are sent (`notifications.revision.DigestReviser`):
#: returns the rows to send, content revised; rows it cancels it marks in the database itself.
Revise = Callable[[Connection, list[dict[str, Any]]], list[dict[str, Any]]]

#: A claim belongs to a live sender: it renews its rows' `claimed_at` every HEARTBEAT while it
#: sends, so rows whose claim is older than LEASE belong to a dead sender (kill -9, lost machine)
#: and the next run takes them over – within a minute, not the quarter of an hour a fixed lease
#: held them (issue 21). A sender that stalls longer than LEASE without dying could have a row
#: taken over and sent again with the same Message-ID; the heartbeat runs in a thread of its own
#: so a slow mail server does not stall it.
LEASE = timedelta(seconds=60)
HEARTBEAT = LEASE / 4
#: outcomes waiting to be written while the next message's envelope is sent (see _Recorder)
_QUEUED = 1
_MAX_BACKOFF = timedelta(hours=1)
#: the least wait before a message whose delivery is uncertain is offered again (the server may
#: still be digesting it; a resend carries the same Message-ID, so a duplicate is recognisable)
UNCERTAIN_WAIT = timedelta(minutes=10)
#: rows waiting for their next attempt
WAITING = ("pending", "retry", "uncertain")

#: The end of the retry window of a message of region `region_id` that first failed at `now`:
#: temporary failures are retried until then (by time, not by a count of runs – a long outage
#: ends in delivery or, after the window, in `failed` and an alarm). `notifications.jobs` builds
#: one from the regions' business-day calendars.
RetryWindow = Callable[[int | None, datetime], datetime]


def calendar_days(days: int = 3) -> RetryWindow:
    """A retry window of `days` calendar days (tests; the jobs count business days)."""
    return lambda _region_id, now: now + timedelta(days=days)


def idempotency_key(contact_id: int | None, kind: str, period: str, items: Iterable[Any]) -> str:
    """The key that makes an email unique: who, what kind, which period, which items."""
    text = f"{contact_id}|{kind}|{period}|{','.join(sorted(str(item) for item in items))}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Recipient:
    id: int
    name: str
    email: str


def enqueue(
    connection: Connection,
    *,
    kind: str,
    period: str,
    region_id: int | None,
    recipient: Recipient,
    subject: str,
    text: str,
    html: str,
    send_on: date,
    items: Iterable[Any] = (),
    attachments: list[dict[str, Any]] | None = None,
) -> bool:
    """Write one email into the outbox unless this contact already has one of this kind and period.

    Returns True when a row was written. An invalid address is written as failed, with the reason.
    """
    outbox = table_of(OutboxMessage)
    exists = connection.execute(
        select(outbox.c.id).where(outbox.c.contact_id == recipient.id, outbox.c.kind == kind, outbox.c.period == period)
    ).first()
    if exists is not None:
        return False
    item_list = list(items)
    status, error, address = "pending", None, recipient.email
    try:
        address = validate_email_address(recipient.email)
    except ValueError as exc:
        status, error = "failed", f"Ungültige E-Mail-Adresse '{recipient.email}': {exc}"
    now = utcnow()
    values = {
        "idempotency_key": idempotency_key(recipient.id, kind, period, item_list),
        "kind": kind,
        "period": period,
        "region_id": region_id,
        "contact_id": recipient.id,
        "recipient": address,
        "recipient_name": recipient.name,
        "send_on": send_on,
        "subject": subject,
        "item_count": len(item_list),
        "status": status,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": error,
        "rendered_at": now,
        "created_at": now,
        "updated_at": now,
    }
    statement: Any
    if connection.dialect.name == "postgresql":
        statement = pg_insert(outbox).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite_insert(outbox).values(values).on_conflict_do_nothing()
    message_id = connection.execute(statement.returning(outbox.c.id)).scalar()
    if message_id is None:
        return False
    write_content(connection, message_id, text=text, html=html, attachments=attachments or [])
    return True


def write_content(
    connection: Connection, message_id: int, *, text: str, html: str, attachments: list[dict[str, Any]]
) -> None:
    """Store (or replace) the rendered bodies of outbox message `message_id`."""
    content = table_of(OutboxContent)
    values = {"body_text": text, "body_html": html, "attachments": attachments}
    updated = connection.execute(update(content).where(content.c.outbox_id == message_id).values(values))
    if updated.rowcount == 0:
        connection.execute(content.insert().values(outbox_id=message_id, **values))


def with_content(query: Select[Any]) -> Select[Any]:
    """`query` over the outbox, with each message's bodies and attachments as further columns."""
    outbox, content = table_of(OutboxMessage), table_of(OutboxContent)
    return query.add_columns(content.c.body_text, content.c.body_html, content.c.attachments).join(
        content, content.c.outbox_id == outbox.c.id
    )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most an hour."""
    # the exponent is capped: a message retried for days has dozens of attempts, and 2**40 minutes
    # is no timedelta
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 10)), _MAX_BACKOFF)


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retry: int = 0
    #: handed over without an answer from the server: retried after a wait, same Message-ID
    uncertain: int = 0
    failed: int = 0
    #: the rows that failed for good in this run (the coordination is told about them)
    failed_ids: list[int] = field(default_factory=list)
    #: summaries of those queued for the region's coordinators (`notifications.failures`)
    notified: int = 0
    #: digests not sent because nothing in them was still true (cancelled, with the reason)
    dropped: int = 0
    would_send: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: SendReport) -> None:
        """Add a further pass's figures (the coordination's failure notices go out in the same run)."""
        for name in ("claimed", "sent", "retry", "uncertain", "failed", "dropped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed_ids += other.failed_ids
        self.errors += other.errors

    def summary(self) -> str:
        text = f"{self.sent} gesendet, {self.retry} zum erneuten Versuch, {self.failed} fehlgeschlagen"
        if self.uncertain:
            text += f", {self.uncertain} Zustellung ungewiss (später erneut, mit derselben Message-ID)"
        if self.dropped:
            text += f", {self.dropped} entfallen (nichts mehr offen)"
        if self.notified:
            text += f"; die Koordination erhält {self.notified} Hinweis(e) auf nicht zugestellte E-Mails"
        return text


def _sendable(today: date, now: datetime, open_regions: set[int] | None) -> Any:
    outbox = table_of(OutboxMessage)
    condition = and_(
        outbox.c.send_on <= today,
        or_(
            and_(outbox.c.status.in_(WAITING), outbox.c.next_attempt_at <= now),
            and_(outbox.c.status == "sending", outbox.c.claimed_at < now - LEASE),
        ),
    )
    if open_regions is not None:
        condition = and_(condition, or_(outbox.c.region_id.is_(None), outbox.c.region_id.in_(sorted(open_regions))))
    return condition


def claim(
    engine: Engine,
    *,
    today: date,
    now: datetime,
    open_regions: set[int] | None,
    batch_size: int,
    revise: Revise | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Mark up to `batch_size` due rows as being sent by this worker; the rows to send (revised
    by `revise` in the same transaction) and how many were claimed."""
    outbox = table_of(OutboxMessage)
    token = uuid.uuid4().hex
    condition = _sendable(today, now, open_regions)
    with engine.begin() as connection:
        query = select(outbox.c.id).where(condition).order_by(outbox.c.id).limit(batch_size)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids: list[int] = list(connection.execute(query).scalars())
        if not ids:
            return [], 0
        connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), condition)
            .values(status="sending", claimed_at=now, claim_token=token, updated_at=now)
        )
        rows = [
            row._asdict()
            for row in connection.execute(
                with_content(select(outbox))
                .where(outbox.c.claim_token == token, outbox.c.status == "sending")
                .order_by(outbox.c.id)
            )
        ]
        claimed = len(rows)
        return (revise(connection, rows) if revise is not None else rows), claimed


#: Marks one claimed row as finished; built once (it runs after every message).
_FINISH = (
    update(table_of(OutboxMessage))
    .where(
        table_of(OutboxMessage).c.id == bindparam("_id"),
        table_of(OutboxMessage).c.claim_token == bindparam("_token"),
    )
    .values(
        claim_token=None,
        status=bindparam("status"),
        sent_at=bindparam("sent_at"),
        message_id=bindparam("message_id"),
        attempts=bindparam("attempts"),
        last_error=bindparam("last_error"),
        next_attempt_at=bindparam("next_attempt_at"),
        retry_until=bindparam("retry_until"),
        updated_at=bindparam("updated_at"),
    )
)


def _finish(connection: Connection, row: dict[str, Any], values: dict[str, Any]) -> None:
    """Record one row's outcome (the connection autocommits: each outcome is its own transaction)."""
    connection.execute(
        _FINISH,
        {
            "_id": row["id"],
            "_token": row["claim_token"],
            "sent_at": row.get("sent_at"),
            "message_id": row.get("message_id"),
            "last_error": None,
            "next_attempt_at": row["next_attempt_at"],
            "retry_until": row.get("retry_until"),
            **values,
        },
    )


class _Heartbeat:
    """Renews the claim of one batch every HEARTBEAT until stopped (a thread of its own)."""

    def __init__(self, engine: Engine, token: str, clock: Callable[[], datetime]) -> None:
        self.engine, self.token, self.clock = engine, token, clock
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outbox-heartbeat", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        outbox = table_of(OutboxMessage)
        renew = (
            update(outbox)
            .where(outbox.c.claim_token == self.token, outbox.c.status == "sending")
            .values(claimed_at=bindparam("now"))
        )
        while not self.stopped.wait(HEARTBEAT.total_seconds()):
            try:
                with self.engine.begin() as connection:
                    connection.execute(renew, {"now": self.clock()})
            except Exception:  # a missed beat is retried at the next one; the lease covers three
                log.warning("outbox heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


class _Recorder:
    """Writes outcomes from a thread of its own, so the database works while the next message's
    envelope (MAIL FROM, RCPT TO) is on its way to the mail server: the two waits overlap.

    The sender hands its message over (DATA) only after `wait()`, i.e. once every earlier outcome
    is committed. Should the worker die, at most one delivered message lacks its mark – the one in
    flight – and goes out once more after the lease, with the same Message-ID (issue 21).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue: queue.Queue[tuple[dict[str, Any], dict[str, Any]] | None] = queue.Queue(maxsize=_QUEUED)
        self.error: BaseException | None = None
        self.queued = self.written = 0
        self.progress = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="outbox-recorder", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        stopped = False
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                postgres = connection.dialect.name == "postgresql"
                if postgres:
                    # Commit without waiting for the WAL flush: a crash of the database server
                    # itself could forget the last fraction of a second of marks – the same
                    # bounded resend (same Message-ID) as a worker crash.
                    connection.exec_driver_sql("SET synchronous_commit TO OFF")
                while (entry := self.queue.get()) is not None:
                    _finish(connection, *entry)
                    with self.progress:
                        self.written += 1
                        self.progress.notify_all()
                stopped = True
                if postgres:
                    connection.exec_driver_sql("RESET synchronous_commit")
        except BaseException as exc:
            with self.progress:
                self.error = exc  # raised in the sending thread by record(), wait() or close()
                self.progress.notify_all()
            while not stopped:  # unblock a sender waiting on the full queue
                stopped = self.queue.get() is None

    def record(self, row: dict[str, Any], **values: Any) -> None:
        if self.error is not None:
            raise self.error
        self.queued += 1
        self.queue.put((row, values))

    def wait(self) -> None:
        """Return once every recorded outcome is committed (before the next message is handed over)."""
        with self.progress:
            self.progress.wait_for(lambda: self.error is not None or self.written >= self.queued)
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _record_failure(
    recorder: _Recorder,
    row: dict[str, Any],
    error: Exception,
    *,
    now: datetime,
    retry_window: RetryWindow,
    report: SendReport,
) -> None:
    """A temporary failure waits for its next attempt until the message's retry window (opened at
    its first failure) is over; a permanent one, or one after the window, is final."""
    attempts = row["attempts"] + 1
    until = row.get("retry_until") or retry_window(row.get("region_id"), now)
    if isinstance(error, TemporaryFailure) and now < until:
        uncertain = isinstance(error, UncertainDelivery)
        wait = max(backoff(attempts), UNCERTAIN_WAIT) if uncertain else backoff(attempts)
        recorder.record(
            row,
            status="uncertain" if uncertain else "retry",
            attempts=attempts,
            last_error=str(error),
            next_attempt_at=now + wait,
            retry_until=until,
            updated_at=now,
        )
        if uncertain:
            report.uncertain += 1
        else:
            report.retry += 1
    else:
        reason = (
            str(error)
            if isinstance(error, PermanentFailure)
            else f"nach {attempts} Versuchen aufgegeben, die Wiederholungsfrist ist abgelaufen: {error}"
        )
        recorder.record(row, status="failed", attempts=attempts, last_error=reason, retry_until=until, updated_at=now)
        report.failed += 1
        report.failed_ids.append(row["id"])
    report.errors.append(f"{row['recipient']}: {error}")


def send_due(
    *,
    engine: Engine,
    mailer: Mailer,
    mail_from: str,
    today: date,
    open_regions: set[int] | None = None,
    batch_size: int = 200,
    retry_window: RetryWindow | None = None,
    dry_run: bool = False,
    clock: Callable[[], datetime] = utcnow,
    revise: Revise | None = None,
) -> SendReport:
    """Send every due outbox row whose region has a business day `today`.

    `open_regions` are the regions for which `today` is a business day (None: all). `revise`
    brings claimed rows up to date first (a dry run revises too, and rolls the revision back).
    `retry_window` says how long a temporarily failing message is retried (default: 3 days).
    """
    report = SendReport()
    window = retry_window or calendar_days()
    if dry_run:
        outbox = table_of(OutboxMessage)
        with engine.connect() as connection, connection.begin() as transaction:
            due = [
                item._asdict()
                for item in connection.execute(
                    with_content(select(outbox)).where(_sendable(today, clock(), open_regions)).order_by(outbox.c.id)
                )
            ]
            report.would_send = revise(connection, due) if revise is not None else due
            report.dropped = len(due) - len(report.would_send)
            transaction.rollback()
        return report
    while True:
        now = clock()
        rows, claimed = claim(
            engine, today=today, now=now, open_regions=open_regions, batch_size=batch_size, revise=revise
        )
        if not claimed:
            return report
        report.claimed += claimed
        report.dropped += claimed - len(rows)
        if not rows:
            continue
        heartbeat = _Heartbeat(engine, rows[0]["claim_token"], clock)
        recorder = _Recorder(engine)
        try:
            connected = _send_batch(recorder, rows, mailer, mail_from, clock, window, report)
        finally:
            try:
                recorder.close()
            finally:
                heartbeat.stop()
        if not connected:
            return report


def _send_batch(
    recorder: _Recorder,
    rows: list[dict[str, Any]],
    mailer: Mailer,
    mail_from: str,
    clock: Callable[[], datetime],
    retry_window: RetryWindow,
    report: SendReport,
) -> bool:
    """Send claimed rows over one mail connection; False when the connection failed for good."""
    finished: set[int] = set()
    try:
        with mailer.session() as session:
            for row in rows:
                message = build_message(row, mail_from=mail_from)
                try:
                    session.send(message, before_data=recorder.wait)
                except (TemporaryFailure, PermanentFailure) as exc:
                    _record_failure(recorder, row, exc, now=clock(), retry_window=retry_window, report=report)
                    finished.add(row["id"])
                    continue
                now = clock()
                recorder.record(
                    row,
                    status="sent",
                    sent_at=now,
                    message_id=message.message_id,
                    attempts=row["attempts"] + 1,
                    updated_at=now,
                )
                finished.add(row["id"])
                report.sent += 1
    except TemporaryFailure as exc:
        # the connection could not be opened (or broke for good): every unfinished row waits
        for row in rows:
            if row["id"] not in finished:
                _record_failure(recorder, row, exc, now=clock(), retry_window=retry_window, report=report)
        return False
    return True


def resend(engine: Engine, message_id: int) -> bool:
    """Put a failed message back into the queue (revised before it goes out); True if it was."""
    outbox = table_of(OutboxMessage)
    now = utcnow()
    with engine.begin() as connection:
        result = connection.execute(
            update(outbox)
            # not a cancelled one: a digest is cancelled because its items are done or moved into
            # a newer digest, and sending it again would repeat them
            .where(outbox.c.id == message_id, outbox.c.status == "failed")
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                retry_until=None,
                claim_token=None,
                updated_at=now,
            )
        )
    return result.rowcount == 1
