"""Mail servers that misbehave, for real (aiosmtpd on loopback): one that answers the end of DATA
only after the client's timeout, one that answers 451, one that is down. Nothing is sent twice
blindly, nothing is lost, the summary says what happened."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from notifications.mailers import SmtpConfig, SmtpMailer
from notifications.outbox import UNCERTAIN_WAIT, send_due
from pipeline.database import utcnow
from process_models import ModelCatalog, ProcessModel
from tests.notifications import scenario
from tests.notifications.test_sweep_and_send import THURSDAY, sweep
from tests.smtp import Sink, free_port, smtp_server

pytestmark = pytest.mark.chaos


@dataclass
class LateSink(Sink):
    """Takes the message, but answers the end of DATA only after `delay` seconds."""

    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer


@dataclass
class BusySink(Sink):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "451 4.3.0 Bitte später erneut versuchen"


def _statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(dict(conn.execute(text("SELECT status, COUNT(*) FROM outbox GROUP BY status")).all()))


def _send(engine: Engine, port: int, *, timeout: float = 5.0, at: timedelta = timedelta()) -> Any:
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, timeout=timeout))
    return send_due(
        engine=engine,
        mailer=mailer,
        mail_from="Förderkette <noreply@bamberg.example>",
        today=THURSDAY,
        clock=lambda: utcnow() + at,
    )


def test_a_late_answer_to_data_is_uncertain_not_sent_twice(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    total = sum(_statuses(engine).values())
    sink = LateSink(delay=2.5)
    with smtp_server(sink=sink) as (_, port):
        report = _send(engine, port, timeout=1.0)
        delivered = Counter(str(m["Message-ID"]) for m in sink.messages)
    print(
        f"\nlate DATA answer: rows {total}, uncertain {report.uncertain}, sent {report.sent}, delivered {len(sink.messages)}"
    )
    assert report.uncertain == total and report.sent == 0
    assert "Zustellung ungewiss" in report.summary()
    assert max(delivered.values()) == 1, "a message was resent at once on a new connection"
    assert _statuses(engine) == Counter({"uncertain": total})
    healthy = Sink()
    with smtp_server(sink=healthy) as (_, port):
        assert _send(engine, port).claimed == 0  # not before the wait
        later = _send(engine, port, at=UNCERTAIN_WAIT + timedelta(seconds=1))
    assert later.sent == total and _statuses(engine) == Counter({"sent": total})
    assert {str(m["Message-ID"]) for m in healthy.messages} == set(delivered)  # the same messages


def test_451_and_a_stopped_server_are_retried_not_lost(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    total = sum(_statuses(engine).values())
    with smtp_server(sink=BusySink()) as (_, port):
        busy = _send(engine, port)
    assert busy.retry == total and busy.sent == 0
    down = _send(engine, free_port(), at=timedelta(hours=2))  # nobody listens there
    assert down.retry == total and _statuses(engine) == Counter({"retry": total})
    healthy = Sink()
    with smtp_server(sink=healthy) as (_, port):
        done = _send(engine, port, at=timedelta(hours=4))
    assert done.sent == total and len(healthy.messages) == total
    print(f"\n451 then down then up: rows {total}, lost 0, duplicates {len(healthy.messages) - total}")
