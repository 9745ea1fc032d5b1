"""Sending 5,000 digests through the outbox against raw smtplib sending the same messages."""

from __future__ import annotations

import smtplib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text

from benchmarks.common import ROOT, TODAY, DataSet, Figure, prepare, reset_outbox, timed
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


def dispatch(data: DataSet, messages: int = 5000) -> Figure:
    """Queue `messages` digests (a real digest from the sweep, once per contact and period),
    then send them through the outbox and, as the same pre-built bytes, through one raw smtplib
    connection."""
    url = prepare(data)
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

        raw_seconds, _ = timed(raw)
        assert count() == messages
        mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port))
        outbox_seconds, report = timed(lambda: send_due(engine=engine, mailer=mailer, mail_from=MAIL_FROM, today=TODAY))
        assert report.sent == messages, report
        assert count() == 2 * messages
    engine.dispose()
    raw_rate, outbox_rate = messages / raw_seconds, messages / outbox_seconds
    return Figure(
        f"dispatch.outbox_throughput.{data.backend}",
        outbox_rate,
        raw_rate,
        0.7,
        "msg/s",
        "ratio_min",
        f"{messages:,} digests ({len(prebuilt[0].data) // 1024} KiB each, text + HTML, {sample['item_count']} items) to an aiosmtpd sink in "
        "its own process; baseline: raw smtplib sending the same message bytes, built beforehand, over one connection",
    )
