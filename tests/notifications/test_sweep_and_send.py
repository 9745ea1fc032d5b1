"""Reminders end to end against a real SMTP server: the right contacts, the right business days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from notifications.jobs import run_send, run_sweep
from notifications.mailers import SmtpConfig, SmtpMailer
from notifications.tables import OutboxContent, OutboxMessage, ReminderItem
from pipeline.repository import get_participant, record_event
from process_models import Event, ModelCatalog, ProcessModel, load_model
from tests.notifications import scenario
from tests.smtp import Sink, smtp_server

THURSDAY, FRIDAY, SATURDAY, SUNDAY, WHIT_MONDAY, TUESDAY = (date(2026, 5, 21) + timedelta(days=n) for n in range(6))
FROM = "Förderkette <foerderkette@landkreis-bamberg.example>"


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    return load_model()


@pytest.fixture
def catalog() -> ModelCatalog:
    return ModelCatalog(None)


BASE_URL = "https://foerderkette.bamberg.example"


def body(session: Session, message: OutboxMessage) -> str:
    content = session.get(OutboxContent, message.id)
    assert content is not None
    return content.body_text


def cw(agency: str) -> str:
    return f"case_worker@{agency.lower()}.bamberg.example"


def sweep(engine: Engine, catalog: ModelCatalog, day: date) -> None:
    run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=day, base_url=BASE_URL)


def send(engine: Engine, catalog: ModelCatalog, day: date, port: int) -> tuple[int, list[str]]:
    report, quiet = run_send(
        engine=engine,
        catalog=catalog,
        mailer=SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, timeout=5)),
        mail_from=FROM,
        today=day,
        base_url=BASE_URL,
    )
    return report.sent, quiet


def test_right_contacts_right_digests_right_business_days(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    with smtp_server() as (sink, port):
        # Thursday: due, second and upcoming reminders go out the same day
        sweep(engine, catalog, THURSDAY)
        assert send(engine, catalog, THURSDAY, port) == (7, [])
        assert sink.recipients() == sorted(
            [cw("ABH-BA"), cw("AA-BA"), cw("BAMF-BA"), cw("BFZ-BA"), cw("JC-BA"), cw("MBE-BA"), cw("VHS-BA")]
        )
        abh = sink.to(cw("ABH-BA"))[0]
        text = abh.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "BA-ABS (R. H.): Meldung nicht ordnungsgemäßer Teilnahme bearbeiten" in text
        assert "BA-LAP (R. H.): Verfall der Berechtigung abwenden" in text
        assert "Rania" not in text and "Haddad" not in text  # reference and initials only
        assert "https://foerderkette.bamberg.example/teilnehmende/BA-ABS" in text
        assert abh["Subject"] == "[Förderkette BY-BA] 2 offene Schritte – 1 überfällig – 21.05.2026"
        bamf = sink.to(cw("BAMF-BA"))[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "BA-REG" in bamf and "BA-BSK" in bamf  # one digest, two participants

        # Friday: only what is new today (graduate management comes into its 8-week window)
        sweep(engine, catalog, FRIDAY)
        assert send(engine, catalog, FRIDAY, port) == (1, [])
        assert sink.recipients().count(cw("JC-BA")) == 2
        assert "BA-GRD" in sink.to(cw("JC-BA"))[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]

        # Pentecost weekend: nothing new, nothing sent on Saturday, Sunday or Whit Monday
        for day in (SATURDAY, SUNDAY, WHIT_MONDAY):
            sweep(engine, catalog, day)
            sent, quiet = send(engine, catalog, day, port)
            assert (sent, quiet) == (0, ["BY-BA"])
        assert len(sink.messages) == 8

        # Tuesday after Pentecost: the absence escalates to the ABH's lead and the coordinator
        sweep(engine, catalog, TUESDAY)
        assert send(engine, catalog, TUESDAY, port)[0] == 7
        tuesday = sink.recipients()
        for address in (cw("ABH-BA"), "lead@abh-ba.bamberg.example", "coordinator@kom-ba.bamberg.example"):
            assert address in tuesday
        escalation = sink.to("coordinator@kom-ba.bamberg.example")[0]
        assert "ESKALIERT (1)" in escalation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Jour fixe" in escalation.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_weekend_sweep_plans_for_the_next_business_day(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    sweep(engine, catalog, SATURDAY)
    messages = session.exec(select(OutboxMessage)).all()
    assert messages and {message.send_on for message in messages} == {TUESDAY}
    with smtp_server() as (sink, port):
        assert send(engine, catalog, SUNDAY, port)[0] == 0
        assert send(engine, catalog, TUESDAY, port)[0] == len(messages)
        assert len(sink.messages) == len(messages)


def test_sweeping_and_sending_twice_sends_once(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    sweep(engine, catalog, THURSDAY)
    items = session.exec(select(func.count()).select_from(ReminderItem)).one()
    with smtp_server() as (sink, port):
        first = send(engine, catalog, THURSDAY, port)[0]
        again = send(engine, catalog, THURSDAY, port)[0]
        sweep(engine, catalog, THURSDAY)
        third = send(engine, catalog, THURSDAY, port)[0]
    assert (first, again, third) == (7, 0, 0)
    assert len(sink.messages) == 7
    assert session.exec(select(func.count()).select_from(ReminderItem)).one() == items
    ids = [message["Message-ID"] for message in sink.messages]
    assert len(set(ids)) == 7


def test_one_digest_per_contact_per_day(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    """Something new after the day's digest went out waits for the next business day."""
    scenario.build(session, model)
    with smtp_server() as (sink, port):
        sweep(engine, catalog, THURSDAY)
        send(engine, catalog, THURSDAY, port)
        newcomer = scenario.make_participant(
            session,
            session.exec(select(scenario.Region)).one(),
            model,
            ref="BA-NEW",
            stage="obliged",
            since=date(2026, 5, 4),
            obliged_on=date(2026, 5, 4),
            obliged_by="JC",
        )
        assert newcomer.next_due == date(2026, 5, 18)
        sweep(engine, catalog, THURSDAY)
        assert send(engine, catalog, THURSDAY, port)[0] == 0
        assert len(sink.to(cw("JC-BA"))) == 1
        sweep(engine, catalog, FRIDAY)
        send(engine, catalog, FRIDAY, port)
        friday = sink.to(cw("JC-BA"))[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "BA-NEW" in friday and "BA-GRD" in friday


def test_unsent_reminders_of_finished_steps_are_dropped(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    sweep(engine, catalog, SATURDAY)  # planned for Tuesday
    person = get_participant(session=session, ref="BA-OBL")
    record_event(
        session=session,
        participant=person,
        event=Event("registered", {"provider": "VHS-BA"}, by="KT"),
        on=SATURDAY,
        model=model,
        today=SATURDAY,
    )
    session.commit()
    sweep(engine, catalog, SATURDAY)
    session.expire_all()
    jc = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == cw("JC-BA"))).one()
    assert (jc.status, jc.item_count) == ("pending", 1)
    assert "BA-OBL" not in body(session, jc) and "BA-GRD" in body(session, jc)
    person = get_participant(session=session, ref="BA-GRD")
    record_event(
        session=session,
        participant=person,
        event=Event("followup_planned", {"path": "bsk"}, by="JC"),
        on=SATURDAY,
        model=model,
        today=SATURDAY,
    )
    session.commit()
    sweep(engine, catalog, SATURDAY)
    session.expire_all()
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == cw("JC-BA"))).one().status == "cancelled"
    with smtp_server() as (sink, port):
        send(engine, catalog, TUESDAY, port)
    assert not sink.to(cw("JC-BA"))


def test_full_names_when_the_region_enables_them(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model, full_names=True)
    sweep(engine, catalog, THURSDAY)
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == cw("JC-BA"))).one()
    assert "BA-OBL (Rania Haddad)" in body(session, message)


def test_malformed_address_is_reported_not_crashed_on(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    from pipeline.tables import Contact

    scenario.build(session, model)
    broken = session.exec(select(Contact).where(Contact.email == cw("JC-BA"))).one()
    broken.email = "jobcenter(at)bamberg"  # bypassing validation, as an old database might
    session.add(broken)
    session.commit()
    sweep(engine, catalog, THURSDAY)
    with smtp_server() as (sink, port):
        assert send(engine, catalog, THURSDAY, port)[0] == 6
    session.expire_all()
    failed = session.exec(select(OutboxMessage).where(OutboxMessage.status == "failed")).one()
    assert failed.recipient == "jobcenter(at)bamberg"
    assert failed.last_error is not None and "Ungültige E-Mail-Adresse" in failed.last_error
    assert len(sink.messages) == 6


def test_rejected_mailbox_fails_permanently_and_is_not_retried(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    with smtp_server(sink=Sink(reject={cw("MBE-BA")})) as (sink, port):
        # six digests, and the coordinator's notice that one could not be delivered
        assert send(engine, catalog, THURSDAY, port)[0] == 6 + 1
        assert send(engine, catalog, THURSDAY, port)[0] == 0
        assert len(sink.messages) == 7 and cw("MBE-BA") not in sink.recipients()
        notice = next(m for m in sink.messages if "nicht zugestellt" in str(m["Subject"]))
        assert notice["To"].addresses[0].addr_spec == "coordinator@kom-ba.bamberg.example"
    session.expire_all()
    failed = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == cw("MBE-BA"))).one()
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in (failed.last_error or "") and "Mailbox unbekannt" in (failed.last_error or "")


def test_refused_connections_then_recovery_delivers_everything_once(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    from notifications.outbox import send_due
    from tests.smtp import free_port

    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    port = free_port()
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, timeout=5))
    from datetime import UTC, datetime

    now = [datetime.now(UTC)]
    report = send_due(engine=engine, mailer=mailer, mail_from=FROM, today=THURSDAY, clock=lambda: now[0])
    assert (report.sent, report.retry) == (0, 7)
    assert "Verbindung abgelehnt" in report.errors[0]
    again = send_due(engine=engine, mailer=mailer, mail_from=FROM, today=THURSDAY, clock=lambda: now[0])
    assert again.claimed == 0  # backing off
    with smtp_server(port=port) as (sink, _port):
        now[0] += timedelta(minutes=1, seconds=1)
        recovered = send_due(engine=engine, mailer=mailer, mail_from=FROM, today=THURSDAY, clock=lambda: now[0])
        assert recovered.sent == 7
        now[0] += timedelta(hours=2)
        assert send_due(engine=engine, mailer=mailer, mail_from=FROM, today=THURSDAY, clock=lambda: now[0]).sent == 0
    assert len(sink.messages) == 7 and len({m["To"] for m in sink.messages}) == 7
    session.expire_all()
    assert {(m.status, m.attempts) for m in session.exec(select(OutboxMessage)).all()} == {("sent", 2)}


def test_a_message_that_keeps_failing_is_retried_by_time_not_by_count(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    """Issue 21: an outage longer than any count of runs never ends reminders silently – they are
    retried for the whole window (here 3 days), however often the sender runs, then failed."""
    from datetime import UTC, datetime

    from notifications.mailers import MemoryMailer, TemporaryFailure
    from notifications.outbox import calendar_days, send_due

    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    mailer = MemoryMailer(fail_with=TemporaryFailure("451 4.3.0 Temporär nicht verfügbar"))
    start = datetime.now(UTC) + timedelta(minutes=1)  # after the rows were written
    runs = 0
    now = start
    while now < start + timedelta(days=3) - timedelta(minutes=15):  # every 15 minutes, day and night
        report = send_due(
            engine=engine,
            mailer=mailer,
            mail_from=FROM,
            today=THURSDAY,
            retry_window=calendar_days(3),
            clock=lambda at=now: at,
        )
        assert report.failed == 0
        runs += 1
        now += timedelta(minutes=15)
    session.expire_all()
    messages = session.exec(select(OutboxMessage)).all()
    assert {m.status for m in messages} == {"retry"}
    attempts = {m.attempts for m in messages}
    assert min(attempts) > 8  # far more attempts than the old limit of 8, none given up
    assert {m.retry_until for m in messages} == {start + timedelta(days=3)}
    # the first attempt after the window gives up, with the reason
    late = start + timedelta(days=3, hours=1)  # the next attempt (hourly by now) after the window
    report = send_due(
        engine=engine, mailer=mailer, mail_from=FROM, today=THURSDAY, retry_window=calendar_days(3), clock=lambda: late
    )
    assert report.failed == len(messages) and len(report.failed_ids) == len(messages)
    session.expire_all()
    messages = session.exec(select(OutboxMessage)).all()
    assert {m.status for m in messages} == {"failed"}
    assert all("Wiederholungsfrist ist abgelaufen" in (m.last_error or "") for m in messages)
    assert runs > 200


def test_the_retry_window_counts_the_regions_business_days() -> None:
    """Three business days after a failure on Friday 20.11. run to Wednesday 25.11.; before
    Christmas they skip both holidays (Bavaria)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from notifications.jobs import business_day_window
    from process_models.business_days import BusinessCalendar

    window = business_day_window({1: BusinessCalendar()}, 3, ZoneInfo("Europe/Berlin"))
    friday = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert window(1, friday) == datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    # Wed 23.12.: Thu 24. counts, the two Christmas holidays and the weekend do not
    assert window(1, datetime(2026, 12, 23, 9, 0, tzinfo=UTC)) == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
    assert window(None, friday) == datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def test_the_coordination_gets_one_summary_of_what_failed_for_good(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    """Messages that fail for good end the run with one e-mail to each coordinator of the region,
    sent in the same run and listing each failed message; a failing summary is not summarised."""
    from notifications.jobs import run_send
    from notifications.mailers import MemoryMailer, PermanentFailure
    from notifications.messages import OutgoingMessage

    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)
    due = session.exec(select(OutboxMessage)).all()

    class RefusingAllButSummaries(MemoryMailer):
        def send(self, message: OutgoingMessage, before_data: Callable[[], None] | None = None) -> None:
            if "nicht zugestellt" not in str(message.parsed()["Subject"]):
                raise PermanentFailure("550 5.1.1 Postfach unbekannt")
            super().send(message, before_data)

    mailer = RefusingAllButSummaries()
    report, _quiet = run_send(engine=engine, catalog=catalog, mailer=mailer, mail_from=FROM, today=THURSDAY)
    session.expire_all()
    summaries = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "delivery_failures")).all()
    assert report.failed == len(due) and summaries
    assert {m.status for m in summaries} == {"sent"}
    assert [m.recipient for m in summaries] == ["coordinator@kom-ba.bamberg.example"]  # the region's coordinator
    assert len(mailer.outbox) == 1
    body = mailer.outbox[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{len(due)} E-Mails aus Förderkette konnten" in body
    assert "550 5.1.1 Postfach unbekannt" in body and "None" not in body
    assert str(mailer.outbox[0]["Subject"]) == f"[Förderkette BY-BA] {len(due)} E-Mails nicht zugestellt"
    # the next run sends nothing more: the summary is one, not one per run
    again, _ = run_send(engine=engine, catalog=catalog, mailer=mailer, mail_from=FROM, today=THURSDAY)
    assert again.sent == 0 and again.failed == 0


def test_a_failing_outcome_write_stops_sending_and_raises(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outcomes are written from a thread of their own; its failure must reach the sender before
    it hands over the next message, and the rest stay claimed for the lease."""
    import notifications.outbox as outbox_module

    scenario.build(session, model)
    sweep(engine, catalog, THURSDAY)

    def broken(*_args: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(outbox_module, "_finish", broken)
    with smtp_server() as (sink, port), pytest.raises(RuntimeError, match="database gone"):
        send(engine, catalog, THURSDAY, port)
    assert len(sink.messages) == 1  # the first message's mark failed: no second one went out
    session.expire_all()
    statuses = session.exec(select(OutboxMessage.status)).all()
    assert set(statuses) == {"sending"}


def test_the_summary_counts_the_reminders_actually_planned(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    scenario.build(session, model)
    first = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=THURSDAY)
    again = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=THURSDAY)
    planned = session.exec(select(func.count()).select_from(ReminderItem)).one()
    assert first.items_planned == planned > 0
    assert again.items_planned == 0


def test_reserved_digest_rows_are_filled_or_removed(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    """Items are written straight into a digest row reserved for their contact; the sweep leaves
    no reserved row behind: filled and counted as created, or deleted when every item of the
    contact had been planned (and sent) before."""
    scenario.build(session, model)
    thursday = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=THURSDAY)
    with smtp_server() as (_sink, port):
        assert send(engine, catalog, THURSDAY, port)[0] == thursday.digests_created == 7
    friday = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=FRIDAY)
    session.expire_all()
    messages = session.exec(select(OutboxMessage)).all()
    assert not [m.idempotency_key for m in messages if m.idempotency_key.startswith("planning:")]
    assert all(session.get(OutboxContent, m.id) is not None and m.subject for m in messages)
    fridays = [m for m in messages if m.period == FRIDAY.isoformat()]
    assert friday.digests_created == len(fridays) and friday.digests_updated == 0
    unsent = session.exec(
        select(func.count()).select_from(ReminderItem).where(col(ReminderItem.outbox_id).is_(None))
    ).one()
    assert unsent == 0


def test_no_links_without_a_base_url(
    engine: Engine, session: Session, model: ProcessModel, catalog: ModelCatalog
) -> None:
    """Issue 19: without FOERDERKETTE_BASE_URL no links are written, even with a secret key."""
    scenario.build(session, model)
    run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=THURSDAY, answer_secret="s" * 40)
    contents = session.exec(select(OutboxContent)).all()
    assert contents and not any("http" in c.body_text or "http" in c.body_html for c in contents)


def test_backoff_doubles_up_to_an_hour_for_any_number_of_attempts() -> None:
    from notifications.outbox import backoff

    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 7, 8)] == [1, 2, 4, 8, 60, 60]
    assert backoff(500) == timedelta(hours=1)  # days of retries: no overflow


def test_a_lapse_that_happened_reads_verfallen_in_the_reminder(
    engine: Engine, catalog: ModelCatalog, model: ProcessModel
) -> None:
    """§ 4 Abs. 1 S. 3 IntV: a year after registration without a course start the right has
    lapsed; the reminder says so ("verfallen am …, Verfall erfassen"), never "400 Tage überfällig"."""
    from tests.factories import make_participant, make_region

    registered = TUESDAY - timedelta(days=400)
    with Session(engine) as session:
        region = make_region(session)
        make_participant(
            session, region, model, ref="BA-VERFALL", stage="registered", since=registered, today=TUESDAY,
            entitled_on=registered, registered_on=registered, assigned_on=registered, provider="VHS-BA",
        )  # fmt: skip
        session.commit()
    sweep(engine, catalog, TUESDAY)
    with Session(engine) as session:
        texts = [
            body(session, m)
            for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder_digest")).all()
        ]
    lapse = model.steps["registration_lapse"]
    mentioning = [text for text in texts if lapse.label in text]
    assert mentioning, "the lapse reaches someone"
    due = registered.replace(year=registered.year + 1)
    for text in mentioning:
        block = text[text.index(lapse.label) : text.index(lapse.label) + 400]
        assert f"verfallen am {due:%d.%m.%Y}" in block and "Verfall erfassen" in block, block
        assert "Tage überfällig" not in block.split("\n\n")[0]
