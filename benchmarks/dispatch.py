"""Sending 5,000 digests through the outbox against raw smtplib sending the same messages."""

from __future__ import annotations

import smtplib
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, text

from benchmarks.common import ROOT, TODAY, DataSet, Figure, reset_outbox, timed, working_copy
from notifications.jobs import run_sweep
from notifications.mailers import SmtpConfig, SmtpMailer
from notifications.messages import build_message
from notifications.outbox import Recipient, enqueue, send_due, with_content
from notifications.tables import OutboxMessage
from pipeline.database import create_db_engine, table_of
from pipeline.reads import region_codes
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
    with engine.begin() as connection:
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
                items=[number],
            )
        rows = [dict(row) for row in connection.execute(with_content(select(outbox)).order_by(outbox.c.id)).mappings()]
    assert len(rows) == messages
    prebuilt = [build_message(row, mail_from=MAIL_FROM) for row in rows]

    with sink() as (port, count):

        def raw() -> None:
            with smtplib.SMTP("127.0.0.1", port) as client:
                for message in prebuilt:
                    client.sendmail(message.sender, list(message.recipients), message.data)

        mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port))
        raw_times, outbox_times = [], []
        for run in range(3):  # alternating: the ratio swings from run to run on 2 cores
            raw_times.append(timed(raw)[0])
            if run:
                requeue(engine)
            seconds, report = timed(lambda: send_due(engine=engine, mailer=mailer, mail_from=MAIL_FROM, today=TODAY))
            outbox_times.append(seconds)
            assert report.sent == messages, report
        assert count() == 6 * messages
    engine.dispose()
    raw_seconds, outbox_seconds = statistics.median(raw_times), statistics.median(outbox_times)
    raw_rate, outbox_rate = messages / raw_seconds, messages / outbox_seconds
    spread = (
        f"median of 3 alternating runs: outbox {min(messages / t for t in outbox_times):.0f}–"
        f"{max(messages / t for t in outbox_times):.0f} msg/s, raw {min(messages / t for t in raw_times):.0f}–"
        f"{max(messages / t for t in raw_times):.0f} msg/s; "
    )
    return Figure(
        f"dispatch.outbox_throughput.{engine.dialect.name}",
        outbox_rate,
        raw_rate,
        0.7,
        "msg/s",
        "ratio_min",
        spread
        + f"{messages:,} digests ({len(prebuilt[0].data) // 1024} KiB each, text + HTML, {sample['item_count']} items) to an aiosmtpd sink in "
        "its own process; baseline: raw smtplib sending the same message bytes, built beforehand, over one connection",
    )
