"""`foerderkette jourfixe …`: series, agenda, invitations, minutes and action items.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from foerderkette.cli.base import (
    CliError,
    add_command,
    current_date,
    german_date,
    iso_date,
    month,
    print_json,
    print_table,
    read_connection,
    write_document,
)
from foerderkette.settings import Settings

AGENDA_FORMATS = ("html", "pdf", "md", "txt", "json", "ics")


def register(sub: Any) -> None:
    jourfixe = sub.add_parser(
        "jourfixe",
        help="Jour fixe: Sitzungsreihe, Tagesordnung, Einladung, Protokoll, Aufgaben",
        description="Der monatliche Jour fixe der Stellen: die Tagesordnung schreibt sich aus den Daten.",
    )
    actions = jourfixe.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(jourfixe))

    series = actions.add_parser("series", help="Sitzungsreihe anzeigen oder festlegen")
    series_actions = series.add_subparsers(
        title="Aktionen", metavar="AKTION", required=True, parser_class=type(jourfixe)
    )
    show = add_command(series_actions, "show", "Sitzungsreihen einer Region anzeigen", _series_show)
    show.add_argument("--region", required=True)
    show.add_argument("--format", choices=("table", "json"), default="table")
    setter = add_command(
        series_actions,
        "set",
        "Sitzungsreihe anlegen oder ändern",
        _series_set,
        description="Legt eine Sitzungsreihe an oder ändert sie. Wiederholung als iCalendar-RRULE, z. B. "
        "FREQ=MONTHLY;BYDAY=1TU (erster Dienstag im Monat); Termine an Feiertagen rücken auf den nächsten Arbeitstag.",
    )
    setter.add_argument("--region", required=True)
    setter.add_argument("--name", default="Jour fixe Integrationskurs")
    setter.add_argument("--kind", choices=("jourfixe", "network", "konferenz"))
    setter.add_argument("--rrule", help="Wiederholung (RRULE)")
    setter.add_argument("--starts", type=iso_date, help="erster möglicher Termin")
    setter.add_argument("--time", help="Beginn HH:MM")
    setter.add_argument("--duration", type=int, help="Dauer in Minuten")
    setter.add_argument("--location", help="Ort")
    setter.add_argument("--video", help="Videokonferenz-Link")
    setter.add_argument("--invite", help="eingeladene Stellen (Kürzel, mit Komma getrennt)")
    setter.add_argument("--chair", help="Vorsitz (E-Mail einer Ansprechperson)")
    setter.add_argument("--keepers", help="Protokoll im Wechsel (E-Mails, mit Komma getrennt)")
    setter.add_argument("--lead-days", type=int, help="Einladung so viele Arbeitstage vor der Sitzung")
    setter.add_argument("--checklist", help="Name der Checkliste (Standard jourfixe)")

    agenda = add_command(actions, "agenda", "Tagesordnung aus den aktuellen Daten erstellen", _agenda)
    _meeting_options(agenda)
    agenda.add_argument("--as-of", type=iso_date, help="Datenstand (Standard: heute)")
    agenda.add_argument("--format", choices=AGENDA_FORMATS, default="txt")
    agenda.add_argument("--output", "-o", type=Path, help="in diese Datei schreiben")

    send = add_command(
        actions,
        "send",
        "Einladung mit Tagesordnung und Kalendereintrag an die Eingeladenen",
        _send,
        description="Erstellt die Tagesordnung, speichert sie als Stand der Sitzung und legt je eingeladener Person eine "
        "Einladung (mit .ics) in den Postausgang. Versand am Einladungstag (Arbeitstage vor der Sitzung laut Reihe), frühestens heute. "
        "Wiederholtes Ausführen sendet nichts doppelt.",
    )
    _meeting_options(send)
    send.add_argument("--as-of", type=iso_date, help="heute (Standard: heute)")

    move = add_command(actions, "reschedule", "Sitzung verlegen (aktualisierte Einladung)", _reschedule)
    _meeting_options(move)
    move.add_argument("--date", type=iso_date, required=True, help="neuer Tag")
    move.add_argument("--time", help="neue Uhrzeit HH:MM")
    move.add_argument("--location", help="neuer Ort")
    move.add_argument("--as-of", type=iso_date)

    cancel = add_command(actions, "cancel", "Sitzung absagen (Absage an alle Eingeladenen)", _cancel)
    _meeting_options(cancel)
    cancel.add_argument("--reason", default="", help="Grund")
    cancel.add_argument("--as-of", type=iso_date)

    snaps = add_command(actions, "snapshots", "gespeicherte Tagesordnungen einer Sitzung", _snapshots)
    _meeting_options(snaps)
    snaps.add_argument("--show", type=int, metavar="NR", help="diesen Stand ausgeben")
    snaps.add_argument("--format", choices=("html", "json"), default="html")

    minutes = actions.add_parser("minutes", help="Protokoll: Anwesenheit, Beschlüsse, Aufgaben")
    minute_actions = minutes.add_subparsers(
        title="Aktionen", metavar="AKTION", required=True, parser_class=type(jourfixe)
    )
    minutes_show = add_command(minute_actions, "show", "Protokoll anzeigen", _minutes_show)
    _meeting_options(minutes_show)
    minutes_show.add_argument("--format", choices=("text", "json", "html", "pdf"), default="text")
    minutes_show.add_argument("--output", "-o", type=Path, help="in diese Datei schreiben (html, pdf)")
    minutes_send = add_command(
        minute_actions, "send", "Protokoll als PDF über den Postausgang an die Eingeladenen", _minutes_send
    )
    _meeting_options(minutes_send)
    minutes_send.add_argument("--as-of", type=iso_date, help="Versanddatum (Standard: heute)")
    attend = add_command(minute_actions, "attendance", "Anwesenheit erfassen", _minutes_attendance)
    _meeting_options(attend)
    attend.add_argument("--present", default="", help="anwesende Stellen (Kürzel, Komma)")
    attend.add_argument("--absent", default="", help="abwesende Stellen (Kürzel, Komma)")
    decide = add_command(minute_actions, "decision", "Beschluss zu einem Tagesordnungspunkt", _minutes_decision)
    _meeting_options(decide)
    decide.add_argument("--item", required=True, help="Tagesordnungspunkt (Kennung, z. B. waiting)")
    decide.add_argument("--text", required=True)
    task = add_command(minute_actions, "action", "Aufgabe vereinbaren", _minutes_action)
    _meeting_options(task)
    task.add_argument("--item", default="", help="Tagesordnungspunkt")
    task.add_argument("--title", required=True)
    task.add_argument("--owner", required=True, help="zuständige Stelle (Kürzel)")
    task.add_argument("--contact", help="zuständige Person (E-Mail)")
    task.add_argument("--due", type=iso_date, required=True)

    tasks = actions.add_parser("actions", help="Aufgaben aus dem Jour fixe")
    task_actions = tasks.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(jourfixe))
    listing = add_command(task_actions, "list", "Aufgaben anzeigen", _actions_list)
    listing.add_argument("--region", required=True)
    listing.add_argument("--status", choices=("open", "closed", "all"), default="open")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    close = add_command(task_actions, "close", "Aufgabe als erledigt schließen", _actions_close)
    close.add_argument("id", type=int)
    close.add_argument("--region", required=True)
    close.add_argument("--by", required=True, help="wer sie erledigt hat")
    close.add_argument("--note", help="Vermerk")

    followup = add_command(
        actions, "followup", "an offene Aufgaben erinnern (läuft auch im täglichen Sweep)", _followup
    )
    followup.add_argument("--region", required=True)
    followup.add_argument("--as-of", type=iso_date)


def _meeting_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", required=True, help="Region (Kürzel)")
    parser.add_argument("--month", type=month, required=True, help="Monat der Sitzung JJJJ-MM")
    parser.add_argument("--series", help="Name der Sitzungsreihe (Standard: der Jour fixe)")


@contextmanager
def _context() -> Iterator[tuple[Any, Any]]:
    """App and session; domain errors become one-line CLI errors."""
    from foerderkette.app import App  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415

    app = App(Settings.from_env())
    try:
        with app.session() as session:
            yield app, session
    except (NotFound, ValueError) as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()


def _meeting(app: Any, session: Any, args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    from checklists.repository import get_series, meeting_for_month  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415

    region = get_region(session=session, code=args.region)
    model = app.model(region)
    series = get_series(session=session, region=region, name=args.series)
    year, number = args.month
    meeting = meeting_for_month(session=session, series=series, year=year, month=number, model=model)
    return region, model, series, meeting


@contextmanager
def _reading() -> Iterator[tuple[Any, Any]]:
    """A read-only connection and the model catalog; lookups that fail become one-line CLI errors."""
    from pipeline.reads import NotFound  # noqa: PLC0415
    from process_models import ModelCatalog  # noqa: PLC0415

    catalog = ModelCatalog(Settings.from_env().overrides_dir)
    with read_connection() as conn:
        try:
            yield conn, catalog
        except NotFound as exc:
            raise CliError(str(exc)) from None


def _read_meeting(conn: Any, catalog: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """The series and its meeting of `--month` (not created when it does not exist yet)."""
    from checklists.reads import find_meeting, find_region, find_series  # noqa: PLC0415

    region = find_region(conn, args.region)
    series = find_series(conn, region, args.series)
    year, number = args.month
    return series, find_meeting(conn, series, year, number, _calendar(catalog, region))


def _calendar(catalog: Any, region: Any) -> Any:
    """The business calendar of a region read through `checklists.reads` (its Land's holidays)."""
    from process_models import calendar_for  # noqa: PLC0415

    return calendar_for(catalog.current(region.code, land=region.land))


def _series_show(args: argparse.Namespace) -> int:
    from checklists.labels import SERIES_KINDS  # noqa: PLC0415
    from checklists.reads import find_region, list_series  # noqa: PLC0415
    from checklists.series import rule_in_words  # noqa: PLC0415

    today = current_date()
    with _reading() as (conn, catalog):
        region = find_region(conn, args.region)
        calendar = _calendar(catalog, region)
        rows: list[dict[str, Any]] = []
        for series in list_series(conn, region):
            upcoming = series.recurrence.occurrences(today, today.replace(year=today.year + 1), calendar)[:3]
            rows.append(
                {
                    "name": series.name,
                    "kind": series.kind,
                    "rrule": series.rrule,
                    "time": series.start_time,
                    "duration": series.duration_minutes,
                    "location": series.location,
                    "video": series.video_link,
                    "invited_agencies": len(series.invited_agencies),
                    "lead_days": series.invitation_lead_days,
                    "next": [day.isoformat() for _, day in upcoming],
                }
            )
    if args.format == "json":
        print_json(rows)
    else:
        print_table(
            ["Reihe", "Art", "Wiederholung", "Beginn", "Ort", "Eingeladen", "Nächste Termine"],
            (
                [
                    r["name"],
                    SERIES_KINDS.get(r["kind"], r["kind"]),
                    rule_in_words(r["rrule"], r["time"]),
                    r["time"],
                    r["location"],
                    r["invited_agencies"],
                    ", ".join(german_date(day) for day in r["next"]),
                ]
                for r in rows
            ),
        )
    return 0


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _series_set(args: argparse.Namespace) -> int:
    from sqlmodel import select  # noqa: PLC0415

    from checklists.labels import DEFAULT_CHECKLISTS  # noqa: PLC0415
    from checklists.repository import find_contact, save_series  # noqa: PLC0415
    from checklists.tables import MeetingSeries  # noqa: PLC0415
    from pipeline.repository import find_agency, get_region  # noqa: PLC0415

    with _context() as (_app, session):
        region = get_region(session=session, code=args.region)
        series = session.exec(
            select(MeetingSeries).where(MeetingSeries.region_id == region.id, MeetingSeries.name == args.name)
        ).first()
        if series is None:
            assert region.id is not None
            series = MeetingSeries(region_id=region.id, name=args.name, starts=args.starts or current_date())
        for field, value in (
            ("kind", args.kind),
            ("rrule", args.rrule),
            ("starts", args.starts),
            ("start_time", args.time),
            ("duration_minutes", args.duration),
            ("location", args.location),
            ("video_link", args.video),
            ("invitation_lead_days", args.lead_days),
            ("checklist", args.checklist),
        ):
            if value is not None:
                setattr(series, field, value)
        if args.kind is not None and args.checklist is None and series.checklist in DEFAULT_CHECKLISTS.values():
            series.checklist = DEFAULT_CHECKLISTS[args.kind]  # a wide meeting starts with its counts-only list
        if args.invite is not None:
            series.invited_agencies = [
                find_agency(session=session, region=region, code=code).id for code in _split(args.invite)
            ]
        if args.chair:
            series.chair_contact_id = find_contact(session=session, region=region, email=args.chair).id
        if args.keepers is not None:
            series.minute_keepers = [
                find_contact(session=session, region=region, email=email).id for email in _split(args.keepers)
            ]
        save_series(session=session, series=series)
    print(f"Sitzungsreihe „{args.name}“ für {args.region} gespeichert.")
    return 0


def _agenda(args: argparse.Namespace) -> int:
    from checklists.render import render_agenda  # noqa: PLC0415
    from checklists.repository import invitees  # noqa: PLC0415
    from notifications.jourfixe import agenda_ics, build_meeting_agenda, checklist_for  # noqa: PLC0415

    as_of = args.as_of or current_date()
    with _context() as (app, session):
        region, model, series, meeting = _meeting(app, session, args)
        checklist = checklist_for(series, region, model, app.settings.overrides_dir)
        agenda = build_meeting_agenda(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            as_of=as_of,
            checklist=checklist,
        )
        if args.format == "ics":
            people = invitees(session=session, series=series)
            stamp = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
            text = agenda_ics(
                agenda=agenda,
                region=region,
                mail_from=app.settings.mail_from,
                attendees=[(p.name, p.email) for p in people],
                stamp=stamp,
            )
        elif args.format == "pdf":
            html = render_agenda(agenda, "html", link_base=app.settings.base_url or None)
            return write_document(html, "pdf", args.output, "Tagesordnung")
        else:
            text = render_agenda(agenda, args.format, link_base=app.settings.base_url or None)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"Tagesordnung geschrieben: {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _send(args: argparse.Namespace) -> int:
    from notifications.jourfixe import checklist_for, send_invitations  # noqa: PLC0415

    with _context() as (app, session):
        region, model, series, meeting = _meeting(app, session, args)
        result = send_invitations(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            checklist=checklist_for(series, region, model, app.settings.overrides_dir),
            today=args.as_of or current_date(),
            mail_from=app.settings.mail_from,
            base_url=app.settings.base_url,
        )
    print(result.summary())
    return 0


def _reschedule(args: argparse.Namespace) -> int:
    from checklists.repository import reschedule  # noqa: PLC0415
    from notifications.jourfixe import checklist_for, send_invitations  # noqa: PLC0415

    today = args.as_of or current_date()
    with _context() as (app, session):
        region, model, series, meeting = _meeting(app, session, args)
        reschedule(
            session=session, meeting=meeting, series=series, day=args.date, start_time=args.time, location=args.location
        )
        result = send_invitations(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            checklist=checklist_for(series, region, model, app.settings.overrides_dir),
            today=today,
            mail_from=app.settings.mail_from,
            base_url=app.settings.base_url,
        )
    print(f"Sitzung verlegt auf {args.date:%d.%m.%Y} (Stand {result.sequence}). {result.summary()}")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from checklists.repository import cancel  # noqa: PLC0415
    from notifications.jourfixe import send_cancellation  # noqa: PLC0415

    with _context() as (app, session):
        region, model, series, meeting = _meeting(app, session, args)
        if meeting.status == "cancelled":
            raise CliError("Die Sitzung ist bereits abgesagt")
        cancel(session=session, meeting=meeting)
        queued = send_cancellation(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            today=args.as_of or current_date(),
            mail_from=app.settings.mail_from,
            reason=args.reason,
        )
    print(f"Sitzung abgesagt; {queued} Absagen im Postausgang.")
    return 0


def _snapshots(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415

    from checklists.labels import SNAPSHOT_REASONS  # noqa: PLC0415
    from checklists.reads import list_snapshots, snapshot_content  # noqa: PLC0415

    with _reading() as (conn, catalog):
        _series, meeting = _read_meeting(conn, catalog, args)
        if args.show is not None:
            chosen = snapshot_content(conn, meeting.id, args.show)
            if chosen is None:
                raise CliError(f"Stand Nr. {args.show} gibt es für diese Sitzung nicht")
            html, content = chosen
            sys.stdout.write(
                html if args.format == "html" else json.dumps(content, ensure_ascii=False, indent=2) + "\n"
            )
            return 0
        stored = list_snapshots(conn, meeting.id)
    print_table(
        ["Nr.", "Erstellt", "Datenstand", "Anlass"],
        (
            [
                s.id,
                f"{s.created_at:%d.%m.%Y %H:%M} UTC",
                f"{s.as_of:%d.%m.%Y}",
                SNAPSHOT_REASONS.get(s.reason, s.reason),
            ]
            for s in stored
        ),
    )
    return 0


def _minutes_show(args: argparse.Namespace) -> int:
    from checklists.labels import ACTION_STATUSES, MEETING_STATUSES  # noqa: PLC0415
    from checklists.reads import contact_name, item_titles, local_start, minutes  # noqa: PLC0415

    with _reading() as (conn, catalog):
        series, meeting = _read_meeting(conn, catalog, args)
        titles = item_titles(series.checklist, region=args.region, overrides_dir=Settings.from_env().overrides_dir)
        if args.format in ("html", "pdf"):
            from checklists.reads import find_region, minutes_document  # noqa: PLC0415
            from checklists.render import render_minutes  # noqa: PLC0415

            html = render_minutes(minutes_document(conn, find_region(conn, args.region), series, meeting, titles))
            return write_document(html, args.format, args.output, "Protokoll")
        start = local_start(meeting, series)
        data: dict[str, Any] = {
            "meeting": {
                "date": start.date().isoformat(),
                "start": start.strftime("%H:%M"),
                "status": meeting.status,
                "minute_keeper": contact_name(conn, meeting.minute_keeper_id),
            },
            **minutes(conn, meeting.id).to_json(),
        }
    if args.format == "json":
        print_json(data)
        return 0
    status = MEETING_STATUSES.get(meeting.status, meeting.status)
    print(
        f"Protokoll {series.name} am {start:%d.%m.%Y} um {start:%H:%M} Uhr ({status}), "
        f"Protokoll: {data['meeting']['minute_keeper'] or '–'}"
    )
    print("Anwesend: " + (", ".join(a["name"] for a in data["attendance"] if a["present"]) or "–"))
    print("Entschuldigt/abwesend: " + (", ".join(a["name"] for a in data["attendance"] if not a["present"]) or "–"))
    for decision in data["decisions"]:
        item = titles.get(decision["item"], "Sonstiges")
        print(f"Beschluss zu TOP {item}: {decision['text']}")
    for action in data["actions"]:
        due = german_date(action["due"])
        print(
            f"Aufgabe Nr. {action['id']}: {action['title']} – fällig {due} – "
            f"{ACTION_STATUSES.get(action['status'], action['status'])}"
        )
    return 0


def _minutes_send(args: argparse.Namespace) -> int:
    from checklists.pdf import PdfUnavailable  # noqa: PLC0415
    from notifications.jourfixe import send_minutes  # noqa: PLC0415

    with _context() as (app, session):
        region, _model, series, meeting = _meeting(app, session, args)
        try:
            queued = send_minutes(
                session=session,
                region=region,
                series=series,
                meeting=meeting,
                today=args.as_of or current_date(),
                overrides_dir=app.settings.overrides_dir,
            )
        except PdfUnavailable as exc:
            raise CliError(str(exc)) from None
    print(
        f"Protokoll vom {meeting.occurrence:%d.%m.%Y}: {queued} E-Mail{'s' if queued != 1 else ''} "
        "mit dem PDF in den Postausgang gestellt" + (" (schon zuvor gestellt: keine neuen)" if not queued else "")
    )
    return 0


def _minutes_attendance(args: argparse.Namespace) -> int:
    from checklists.repository import record_attendance  # noqa: PLC0415
    from pipeline.repository import find_agency  # noqa: PLC0415

    with _context() as (app, session):
        region, _model, _series, meeting = _meeting(app, session, args)
        for codes, present in ((_split(args.present), True), (_split(args.absent), False)):
            for code in codes:
                record_attendance(
                    session=session,
                    meeting=meeting,
                    agency=find_agency(session=session, region=region, code=code),
                    present=present,
                )
    print("Anwesenheit gespeichert.")
    return 0


def _minutes_decision(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from checklists.repository import add_decision  # noqa: PLC0415

    with _context() as (app, session):
        _region, _model, _series, meeting = _meeting(app, session, args)
        add_decision(
            session=session, meeting=meeting, item_key=args.item, text=args.text, recorded_by=f"cli:{getpass.getuser()}"
        )
    print("Beschluss gespeichert.")
    return 0


def _minutes_action(args: argparse.Namespace) -> int:
    from checklists.repository import add_action, find_contact  # noqa: PLC0415
    from pipeline.repository import find_agency  # noqa: PLC0415

    with _context() as (app, session):
        region, _model, _series, meeting = _meeting(app, session, args)
        owner = find_agency(session=session, region=region, code=args.owner)
        contact = find_contact(session=session, region=region, email=args.contact) if args.contact else None
        action = add_action(
            session=session,
            region=region,
            meeting=meeting,
            item_key=args.item,
            title=args.title,
            owner=owner,
            contact=contact,
            due=args.due,
        )
    print(f"Aufgabe Nr. {action.id} gespeichert (zuständig: {owner.name}, fällig {args.due:%d.%m.%Y}).")
    return 0


def _actions_list(args: argparse.Namespace) -> int:
    from checklists.labels import ACTION_STATUSES  # noqa: PLC0415
    from checklists.reads import find_region, list_actions  # noqa: PLC0415

    with _reading() as (conn, _catalog):
        rows = list_actions(conn, find_region(conn, args.region), args.status)
    if args.format == "json":
        print_json(
            [
                {
                    "id": r.id,
                    "title": r.title,
                    "owner": r.owner,
                    "due": r.due.isoformat(),
                    "status": r.status,
                    "closed_by": r.closed_by,
                    "closed_at": r.closed_at.isoformat() if r.closed_at else None,
                }
                for r in rows
            ]
        )
    else:
        print_table(
            ["Nr.", "Aufgabe", "Zuständig", "Fällig", "Status", "Erledigt von"],
            (
                [
                    r.id,
                    r.title,
                    r.owner,
                    f"{r.due:%d.%m.%Y}",
                    ACTION_STATUSES.get(r.status, r.status),
                    r.closed_by or "",
                ]
                for r in rows
            ),
        )
    return 0


def _actions_close(args: argparse.Namespace) -> int:
    from checklists.repository import close_action  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415

    with _context() as (_app, session):
        region = get_region(session=session, code=args.region)
        close_action(session=session, region=region, action_id=args.id, closed_by=args.by, note=args.note)
    print(f"Aufgabe Nr. {args.id} erledigt (von {args.by}).")
    return 0


def _followup(args: argparse.Namespace) -> int:
    from notifications.jourfixe import plan_action_reminders  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415

    with _context() as (app, session):
        region = get_region(session=session, code=args.region)
        result = plan_action_reminders(
            session=session, region=region, model=app.model(region), today=args.as_of or current_date()
        )
    print(f"{result.reminded} Aufgaben erinnert, {result.digests} E-Mails im Postausgang.")
    return 0
