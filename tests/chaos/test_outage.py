"""A mail server down for longer than a day of scheduled runs, for real (nothing listens on the
port, then aiosmtpd does): the sender runs every 15 minutes of office hours on a stepped clock.
Shorter than the retry window, everything arrives once when the server is back; longer, the
messages fail for good and the coordination's summary goes out as soon as the server is back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from notifications.jobs import run_send
from notifications.mailers import SmtpConfig, SmtpMailer
from process_models import ModelCatalog, ProcessModel
from tests.notifications import scenario
from tests.notifications.test_sweep_and_send import FROM, THURSDAY, sweep
from tests.smtp import Sink, free_port, smtp_server

pytestmark = pytest.mark.chaos
BERLIN = ZoneInfo("Europe/Berlin")


def _statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(dict(conn.execute(text("SELECT status, COUNT(*) FROM outbox GROUP BY status")).all()))


def _office_hours(start: datetime, days: int) -> Iterator[datetime]:
    """Every quarter of an hour 07:00–18:45 of the weekdays from `start` on (the send schedule)."""
    day = start.astimezone(BERLIN).date()
    for _ in range(days + 4):
        if day.weekday() < 5:
            for hour in range(7, 19):
                for minute in (0, 15, 30, 45):
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)
                    if moment >= start:
                        yield moment
        day += timedelta(days=1)


def _run(engine: Engine, catalog: ModelCatalog, port: int, at: datetime) -> object:
    report, _ = run_send(
        engine=engine,
        catalog=catalog,
        mailer=SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, timeout=2)),
        mail_from=FROM,
        today=THURSDAY,
        tz=BERLIN,
        clock=lambda: at,
    )
    return report


@pytest.mark.parametrize("business_days_down", [1.5, 4])
def test_an_outage_ends_in_delivery_or_in_a_visible_alarm(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog, business_days_down: float
) -> None:
    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    total = sum(_statuses(engine).values())
    start = datetime.now(UTC) + timedelta(minutes=1)
    moments = list(_office_hours(start, 12))
    down_runs = int(business_days_down * 48)
    dead_port = free_port()  # nothing listens: every connection is refused
    for moment in moments[:down_runs]:
        _run(engine, catalog, dead_port, moment)
    during = _statuses(engine)
    sink = Sink()
    with smtp_server(sink=sink) as (_, port):
        back = moments[down_runs]
        for moment in moments[down_runs : down_runs + 8]:  # two hours of runs after the outage
            _run(engine, catalog, port, moment)
    statuses = _statuses(engine)
    ids = Counter(str(message["Message-ID"]) for message in sink.messages)
    summaries = [m for m in sink.messages if "nicht zugestellt" in str(m["Subject"])]
    print(
        f"\nSMTP outage of {business_days_down} business days ({down_runs} runs, back {back:%a %d.%m. %H:%M} UTC): "
        f"rows {total}, during {dict(during)}, after {dict(statuses)}, delivered {len(sink.messages)}, "
        f"duplicates {sum(c - 1 for c in ids.values())}, coordinator summaries {len(summaries)}"
    )
    assert max(ids.values(), default=1) == 1
    if business_days_down < 3:
        assert during == Counter({"retry": total})  # nothing given up after more than a day of runs
        assert statuses == Counter({"sent": total}) and len(sink.messages) == total
        assert not summaries
    else:
        assert during["failed"] == total  # the 3-business-day window is over: failed for good
        assert len(summaries) == 1  # one summary to the coordinator, once the server is back
        assert summaries[0]["To"].addresses[0].addr_spec == "coordinator@kom-ba.bamberg.example"
        assert f"{total} E-Mails" in summaries[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
