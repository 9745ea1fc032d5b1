"""The Jour fixe end to end on seeded data: agenda golden files, invitations, snapshots, follow-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from checklists.reads import list_snapshots, snapshot_content
from checklists.render import render_agenda
from checklists.repository import add_action, cancel, get_series, meeting_for_month, reschedule
from checklists.tables import ActionItem
from foerderkette.demo import generate_demo
from notifications.jobs import run_send
from notifications.jourfixe import (
    agenda_for_month,
    agenda_ics,
    checklist_for,
    plan_action_reminders,
    send_cancellation,
    send_invitations,
)
from notifications.mailers import SmtpConfig, SmtpMailer
from notifications.tables import OutboxContent, OutboxMessage
from pipeline.repository import find_agency, get_region
from process_models import ModelCatalog, load_model
from tests.golden import check_golden
from tests.smtp import smtp_server

AS_OF = date(2026, 11, 20)
GOLDEN = Path(__file__).parent / "golden"
FROM = "Förderkette <jourfixe@landkreis-bamberg.example>"


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    generate_demo(engine=engine, catalog=ModelCatalog(None), participants=400, regions=1, seed=21, as_of=AS_OF)
    return engine


def _agenda(session: Session, year: int = 2026, month: int = 12, as_of: date = AS_OF, limit: int | None = 10):  # type: ignore[no-untyped-def]
    region = get_region(session=session, code="BY-BA")
    model = load_model()
    series = get_series(session=session, region=region)
    meeting, agenda = agenda_for_month(
        session=session,
        region=region,
        model=model,
        series=series,
        year=year,
        month=month,
        as_of=as_of,
        overrides_dir=None,
        limit=limit,
    )
    return region, model, series, meeting, agenda


@pytest.mark.parametrize("fmt", ["html", "md", "txt", "json", "ics"])
def test_agenda_golden_files(seeded: Engine, fmt: str) -> None:
    with Session(seeded) as session:
        region, _model, _series, _meeting, agenda = _agenda(session)
        if fmt == "ics":
            text = agenda_ics(
                agenda=agenda,
                region=region,
                mail_from=FROM,
                attendees=[("Anna Huber", "anna.huber@jc-ba.bamberg.example")],
                stamp=datetime(2026, 11, 20, tzinfo=UTC),
            )
        else:
            text = render_agenda(agenda, fmt)
        session.commit()
    check_golden(GOLDEN / f"agenda_BY-BA_2026-12.{fmt}", text)


def test_agenda_json_carries_the_same_content(seeded: Engine) -> None:
    with Session(seeded) as session:
        _region, _model, _series, _meeting, agenda = _agenda(session)
    data = agenda.to_json()
    assert len(data["items"]) == 14
    text = render_agenda(agenda, "txt")
    for item in data["items"]:
        assert item["title"] in text
        assert item["result"]["summary"] in text
    figures = next(item for item in data["items"] if item["id"] == "figures")["result"]["figures"]
    assert [figure["name"] for figure in figures] == [
        "Wartezeit Anmeldung → Kursbeginn",
        "Zugangszeit Berechtigung → Kursbeginn",
        "Abschlussquote",
        "Ergebnisse Deutsch-Test für Zuwanderer",
        "Test „Leben in Deutschland“ bestanden",
        "Übergang binnen 6 Monaten nach dem Kurs",
        "Übergang binnen 12 Monaten nach dem Kurs",
        "Überfällige Schritte nach Stelle",
        "Auslastung der Kurse",
    ]
    assert all(figure["definition"] for figure in figures)
    # the figures of events carry their change since the last meeting and a line of twelve months
    assert all(figure["change"] and figure["chart"].startswith('<svg role="img"') for figure in figures[:7])
    # the state on the day (open steps, enrolments) has no earlier value to compare with
    assert all(figure["change"] == "" and figure["chart"] == "" for figure in figures[7:])


def _parse_ics(text: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(text)
    assert isinstance(calendar, icalendar.Calendar)
    return calendar


def test_ics_parses_and_has_the_right_times_across_daylight_saving(seeded: Engine) -> None:
    with Session(seeded) as session:
        region, _model, _series, _meeting, october = _agenda(session, 2026, 10)
        *_, december = _agenda(session, 2026, 12)
        texts = [
            agenda_ics(
                agenda=agenda, region=region, mail_from=FROM, attendees=[], stamp=datetime(2026, 9, 1, tzinfo=UTC)
            )
            for agenda in (october, december)
        ]
    starts = []
    for text in texts:
        calendar = _parse_ics(text)
        assert calendar["method"] == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        start = event.decoded("dtstart")
        assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Berlin"
        starts.append(start.astimezone(UTC))
        assert calendar.walk("VTIMEZONE")[0]["tzid"] == "Europe/Berlin"
    assert starts == [datetime(2026, 10, 6, 7, 30, tzinfo=UTC), datetime(2026, 12, 1, 8, 30, tzinfo=UTC)]


def _messages(sink_messages: list[EmailMessage], kind: str) -> list[EmailMessage]:
    return [m for m in sink_messages if kind in str(m["Subject"])]


def _calendar_part(message: EmailMessage) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar" and not p.get_filename())
    assert part.get_param("method") in ("REQUEST", "CANCEL")
    return _parse_ics(part.get_content())


def test_invitations_exactly_once_then_update_then_cancellation(seeded: Engine) -> None:
    catalog = ModelCatalog(None)
    with Session(seeded) as session:
        region, model, series, meeting, _agenda_unused = _agenda(session)
        checklist = checklist_for(series, region, model, None)
        first = send_invitations(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            checklist=checklist,
            today=AS_OF,
            mail_from=FROM,
        )
        again = send_invitations(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            checklist=checklist,
            today=AS_OF,
            mail_from=FROM,
        )
        session.commit()
        invited = first.queued
        assert invited > 10 and again.already and again.queued == 0
        assert first.send_on == date(2026, 11, 24)  # five business days before Tuesday, 01.12.
        assert len(list_snapshots(session.connection(), meeting.id)) == 1
    with smtp_server() as (sink, port):
        mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, timeout=5))
        assert (
            run_send(engine=seeded, catalog=catalog, mailer=mailer, mail_from=FROM, today=AS_OF)[0].sent == 0
        )  # not yet: invitation day
        assert (
            run_send(engine=seeded, catalog=catalog, mailer=mailer, mail_from=FROM, today=date(2026, 11, 24))[0].sent
            == invited
        )
        assert (
            run_send(engine=seeded, catalog=catalog, mailer=mailer, mail_from=FROM, today=date(2026, 11, 24))[0].sent
            == 0
        )
        invitations = _messages(sink.messages, "Einladung")
        assert len(invitations) == invited
        calendar = _calendar_part(invitations[0])
        event = calendar.walk("VEVENT")[0]
        uid = str(event["uid"])
        assert (event["sequence"], str(event["status"])) == (0, "CONFIRMED")
        assert len(event.get("attendee")) == invited
        attachments = {part.get_filename() for part in invitations[0].walk() if part.get_filename()}
        assert attachments == {"einladung.ics", "tagesordnung-2026-12-01.html"}
        text = invitations[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Dienstag, 01.12.2026, 09:30–11:30 Uhr" in text and "1. Offene Aufgaben der letzten Sitzung" in text

        with Session(seeded) as session:
            region, model, series, meeting, _ = _agenda(session)
            reschedule(
                session=session,
                meeting=meeting,
                series=series,
                day=date(2026, 12, 2),
                start_time="10:00",
                location=None,
            )
            update = send_invitations(
                session=session,
                region=region,
                model=model,
                series=series,
                meeting=meeting,
                checklist=checklist,
                today=date(2026, 11, 25),
                mail_from=FROM,
            )
            session.commit()
        assert update.sequence == 1 and update.queued == invited
        run_send(engine=seeded, catalog=catalog, mailer=mailer, mail_from=FROM, today=date(2026, 11, 25))
        updated = _messages(sink.messages, "Aktualisierte Einladung")
        assert len(updated) == invited
        event = _calendar_part(updated[0]).walk("VEVENT")[0]
        assert (str(event["uid"]), event["sequence"]) == (uid, 1)
        assert event.decoded("dtstart").astimezone(UTC) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

        with Session(seeded) as session:
            region, model, series, meeting, _ = _agenda(session)
            cancel(session=session, meeting=meeting)
            assert (
                send_cancellation(
                    session=session,
                    region=region,
                    model=model,
                    series=series,
                    meeting=meeting,
                    today=date(2026, 11, 26),
                    mail_from=FROM,
                    reason="Krankheit der Vorsitzenden",
                )
                == invited
            )
            session.commit()
        run_send(engine=seeded, catalog=catalog, mailer=mailer, mail_from=FROM, today=date(2026, 11, 26))
        cancellations = _messages(sink.messages, "Abgesagt")
        assert len(cancellations) == invited
        calendar = _calendar_part(cancellations[0])
        event = calendar.walk("VEVENT")[0]
        assert (calendar["method"], str(event["uid"]), event["sequence"], str(event["status"])) == (
            "CANCEL",
            uid,
            2,
            "CANCELLED",
        )
        assert "Krankheit der Vorsitzenden" in cancellations[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_the_snapshot_keeps_what_the_meeting_saw(seeded: Engine) -> None:
    with Session(seeded) as session:
        region, model, series, meeting, _ = _agenda(session)
        send_invitations(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            checklist=checklist_for(series, region, model, None),
            today=AS_OF,
            mail_from=FROM,
        )
        session.commit()
        snapshot = list_snapshots(session.connection(), meeting.id)[0]
        stored = snapshot_content(session.connection(), meeting.id, snapshot.id)
        assert stored is not None
        (seen_html, seen_content), seen_as_of = stored, snapshot.as_of
        add_action(
            session=session,
            region=region,
            meeting=meeting,
            item_key="aob",
            title="Neu nach dem Versand",
            owner=find_agency(session=session, region=region, code="JC-BA"),
            contact=None,
            due=date(2027, 1, 1),
        )
        session.commit()
        *_, live = _agenda(session)
    assert "Neu nach dem Versand" in render_agenda(live, "txt")
    assert "Neu nach dem Versand" not in seen_html
    assert seen_content["items"][0]["id"] == "action_items" and seen_as_of == AS_OF


def test_open_action_items_are_reminded_like_due_steps(seeded: Engine) -> None:
    with Session(seeded) as session:
        region = get_region(session=session, code="BY-BA")
        model = load_model()
        overdue = session.exec(select(ActionItem).where(ActionItem.status == "open").order_by(ActionItem.due)).first()  # type: ignore[arg-type]
        assert overdue is not None and overdue.due < AS_OF
        first = plan_action_reminders(session=session, region=region, model=model, today=AS_OF)
        session.commit()
        again = plan_action_reminders(session=session, region=region, model=model, today=AS_OF)
        session.commit()
        assert first.reminded >= 1 and first.digests >= 1 and again.reminded == 0
        messages = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "action_items")).all()
        bodies = [session.get(OutboxContent, message.id).body_text for message in messages]  # type: ignore[union-attr]
        assert any(overdue.title in body for body in bodies)
        later = plan_action_reminders(session=session, region=region, model=model, today=AS_OF + timedelta(days=40))
        session.commit()
        assert later.reminded >= 1  # the next milestone is mailed once more
        meeting = meeting_for_month(
            session=session, series=get_series(session=session, region=region), year=2026, month=12, model=model
        )
        assert meeting.uid.endswith("@foerderkette")


def test_an_escalated_case_whose_step_closed_leaves_the_next_agenda(seeded: Engine) -> None:
    """Issue 19: the agenda shows the same truth as the reminders."""
    from pipeline.repository import get_participant, record_event
    from process_models import Event

    def escalations(session: Session) -> tuple[list[list[str]], str]:
        # every row: the printed agenda lists the ten most urgent, the case may be further down
        _region, _model, _series, _meeting, agenda = _agenda(session, limit=None)
        item = next(item for item in agenda.to_json()["items"] if item["id"] == "action_items")
        section = next(s for s in item["result"]["sections"] if s["title"] == "Eskalierte Fristen")
        return section["rows"], item["result"]["summary"]

    with Session(seeded) as session:
        model = load_model()
        rows, summary = escalations(session)
        label = model.steps["exam_result"].label
        row = next(row for row in rows if row[1] == label)
        ref = row[0].split(" ")[0]
        participant = get_participant(session=session, ref=ref)
        record_event(
            session=session,
            participant=participant,
            event=Event("test_result", {"dtz_level": "B1"}, by="KT"),
            on=AS_OF,
            model=model,
            today=AS_OF,
        )
        session.commit()
        after, summary_after = escalations(session)
    assert all(not (r[0].startswith(f"{ref} ") and r[1] == label) for r in after)
    count = int(summary.split(", ")[-1].split()[0])
    assert summary_after.endswith(f"{count - 1} eskalierte Fristen") or summary_after.endswith("1 eskalierte Frist")
