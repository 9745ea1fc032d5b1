"""Sending 5,000 digests through the outbox against raw smtplib sending the same messages."""

from __future__ import annotations

import smtplib
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, text, update

from benchmarks.common import ROOT, TODAY, DataSet, Figure, reset_outbox, timed, working_copy
from notifications.jobs import run_sweep
from notifications.mailers import SmtpConfig, SmtpMailer
from notifications.messages import build_message
from notifications.outbox import Recipient, SendReport, enqueue, send_due, with_content
from notifications.revision import DigestReviser
from notifications.tables import LEVELS, OutboxMessage, ReminderItem
from pipeline.database import create_db_engine, table_of
from pipeline.reads import region_codes
from pipeline.tables import Participant
from process_models import ModelCatalog
from tests.smtp import free_port

MAIL_FROM = "Förderkette <noreply@landkreis.example>"


@contextmanager
def sink() -> Iterator[tuple[int, Any]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.smtp_sink", str(port)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    assert process.stdout.readline().strip() == "ready"

    def count() -> int:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("count\n")
        process.stdin.flush()
        return int(process.stdout.readline())

    try:
        yield port, count
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def requeue(engine: Engine) -> None:
    """Every sent message pending again, as before the first send (for the next timed run)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE outbox SET status = 'pending', attempts = 0, sent_at = NULL, message_id = NULL, "
                "last_error = NULL, next_attempt_at = :now, claimed_at = NULL"
            ),
            {"now": datetime.now(UTC).replace(tzinfo=None)},
        )


def _open_steps_pool(engine: Engine) -> list[tuple[int, str, Any, str]]:
    """Every (participant, open step, due date, level) of the data set, to attach as items."""
    pool: list[tuple[int, str, Any, str]] = []
    with engine.connect() as connection:
        rows: Any = connection.execute(select(table_of(Participant).c.id, table_of(Participant).c.open_steps))
        for pid, steps in rows:
            for entry in steps or []:
                for level in LEVELS:
                    pool.append((int(pid), entry["step"], date.fromisoformat(entry["due"]), level))
    return pool


def dispatch(data: DataSet, messages: int = 5000) -> Figure:
    """Queue `messages` digests (a real digest from the sweep, once per contact and period),
    then send them through the outbox and, as the same pre-built bytes, through one raw smtplib
    connection."""
    with working_copy(data) as url:  # the sweep below refreshes cached steps: keep the data set as generated
        return _dispatch(url, messages)


def _dispatch(url: str, messages: int) -> Figure:
    reset_outbox(url)
    engine = create_db_engine(url)
    catalog = ModelCatalog(None)
    region = region_codes(engine)[0]
    run_sweep(engine=engine, catalog=catalog, region=region, today=TODAY)
    outbox = table_of(OutboxMessage)
    with engine.begin() as connection:
        digests = connection.execute(with_content(select(outbox)).order_by(outbox.c.item_count)).mappings().all()
        assert digests, "the sweep wrote no digest"
        sample = digests[len(digests) // 2]  # a typical digest: the median number of items
        contacts = connection.execute(text("SELECT id, name, email FROM contact ORDER BY id")).all()
    # emptied as before the sweep benchmark: after a DELETE, the dead rows of earlier runs made
    # claiming slower until autovacuum came by (0.56–0.76 from run to run on one machine)
    reset_outbox(url)
    # Each digest carries as many real reminder items as the sample (distinct open steps of the
    # data set, each contact's in turn), so the revision before sending (notifications.revision)
    # counts items and looks for changed participants as it does for a real morning's mail. The
    # participants last changed before the sweep, as on a real morning (the sweep runs at dawn):
    # no digest needs rendering again, which is the common case; the revision's check is timed.
    pool = _open_steps_pool(engine)
    per_digest = max(int(sample["item_count"]), 1)
    with engine.begin() as connection:
        connection.execute(update(table_of(Participant)).values(updated_at=datetime.now(UTC) - timedelta(hours=3)))
        items: list[dict[str, Any]] = []
        for number in range(messages):
            contact = contacts[number % len(contacts)]
            enqueue(
                connection,
                kind="reminder_digest",
                period=f"bench-{number // len(contacts)}",
                region_id=sample["region_id"],
                recipient=Recipient(contact.id, contact.name, contact.email),
                subject=sample["subject"],
                text=sample["body_text"],
                html=sample["body_html"],
                send_on=TODAY,
                items=range(per_digest),
            )
            start = (number // len(contacts)) * per_digest
            items.extend(
                {
                    "contact_id": contact.id,
                    "slot": (start + offset) % len(pool),
                    "number": number,
                }
                for offset in range(per_digest)
            )
        ids: list[int] = list(connection.execute(select(outbox.c.id).order_by(outbox.c.id)).scalars())
        now = datetime.now(UTC)
        rows_to_insert = []
        for item in items:
            pid, step, due, level = pool[item["slot"]]
            rows_to_insert.append(
                {
                    "region_id": sample["region_id"],
                    "participant_id": pid,
                    "step": step,
                    "due": due,
                    "level": level,
                    "contact_id": item["contact_id"],
                    "agency_id": None,
                    "planned_for": TODAY,
                    "outbox_id": ids[item["number"]],
                    "created_at": now,
                }
            )
        for start in range(0, len(rows_to_insert), 5000):
            connection.execute(table_of(ReminderItem).insert(), rows_to_insert[start : start + 5000])
        rows = [dict(row) for row in connection.execute(with_content(select(outbox)).order_by(outbox.c.id)).mappings()]
    with engine.begin() as connection:
        # what autovacuum does after changes this large: without fresh statistics the planner
        # took every participant for recently changed and scanned the table per batch
        for table in ("participant", "reminder_item"):
            connection.execute(text(f"ANALYZE {table}"))
    assert len(rows) == messages
    prebuilt = [build_message(row, mail_from=MAIL_FROM) for row in rows]

    with sink() as (port, count):

        def raw() -> None:
            with smtplib.SMTP("127.0.0.1", port) as client:
                for message in prebuilt:
                    client.sendmail(message.sender, list(message.recipients), message.data)

        mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port))
        raw_times: list[float] = []
        outbox_times: list[float] = []
        unrevised_times: list[float] = []
        for run in range(3):  # alternating: the ratio swings from run to run on 2 cores
            raw_times.append(timed(raw)[0])
            # with the revision before sending (the figure) and without it (what the check costs),
            # in turns first, so neither profits from the other's warm caches
            variants: list[tuple[list[float], DigestReviser | None]] = [
                (outbox_times, DigestReviser(catalog, today=TODAY)),
                (unrevised_times, None),
            ]
            for times, reviser in variants if run % 2 == 0 else reversed(variants):
                requeue(engine)

                def send(reviser: DigestReviser | None = reviser) -> SendReport:
                    return send_due(engine=engine, mailer=mailer, mail_from=MAIL_FROM, today=TODAY, revise=reviser)

                seconds, report = timed(send)
                times.append(seconds)
                assert report.sent == messages and report.dropped == 0, report
        assert count() == 9 * messages
    engine.dispose()
    raw_seconds, outbox_seconds = statistics.median(raw_times), statistics.median(outbox_times)
    raw_rate, outbox_rate = messages / raw_seconds, messages / outbox_seconds
    spread = (
        f"median of 3 alternating runs: outbox {min(messages / t for t in outbox_times):.0f}–"
        f"{max(messages / t for t in outbox_times):.0f} msg/s, raw {min(messages / t for t in raw_times):.0f}–"
        f"{max(messages / t for t in raw_times):.0f} msg/s; without the revision before sending "
        f"{messages / statistics.median(unrevised_times):.0f} msg/s (same runs); "
    )
    return Figure(
        f"dispatch.outbox_throughput.{engine.dialect.name}",
        outbox_rate,
        raw_rate,
        0.7,
        "msg/s",
        "ratio_min",
        spread
        + f"{messages:,} digests ({len(prebuilt[0].data) // 1024} KiB each, text + HTML, {per_digest} reminder items each, "
        "checked by the revision before sending) to an aiosmtpd sink in its own process; baseline: raw smtplib "
        "sending the same message bytes, built beforehand, over one connection",
    )
