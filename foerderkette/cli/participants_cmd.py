"""`foerderkette participants list|show` (read-only, through `pipeline.reads`) and `foerderkette advance`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

import orjson

from foerderkette.cli.base import (
    CliError,
    add_command,
    current_date,
    german_date,
    iso_date,
    print_csv,
    print_json,
    print_table,
    read_connection,
    write_json_rows,
)

if TYPE_CHECKING:
    from process_models import ProcessModel

AGENCY_CODES = ("ABH", "JC", "AA", "SOZ", "BAMF", "KT", "MBE", "JMD", "KOM")


def register(sub: Any) -> None:
    participants = sub.add_parser(
        "participants",
        help="Teilnehmende anzeigen",
        description="Teilnehmende mit Stufe, nächstem Schritt, Zuständigkeit und Frist.",
    )
    actions = participants.add_subparsers(
        title="Aktionen", metavar="AKTION", required=True, parser_class=type(participants)
    )
    listing = add_command(actions, "list", "Teilnehmende auflisten (früheste Frist zuerst)", _list)
    listing.add_argument("--region", help="nur diese Region (Kürzel)")
    listing.add_argument("--stage", help="nur diese Stufe (Kennung oder deutsche Bezeichnung)")
    listing.add_argument("--overdue", action="store_true", help="nur mit überfälligem nächsten Schritt")
    listing.add_argument("--responsible", choices=AGENCY_CODES, help="nur wenn diese Stelle als Nächstes handeln muss")
    listing.add_argument("--as-of", type=iso_date, help="Stichtag für „überfällig“ (Standard: heute)")
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")

    show = add_command(actions, "show", "eine Person: Daten, offene Schritte, Verlauf", _show)
    show.add_argument("ref", help="Referenz")
    show.add_argument("--as-of", type=iso_date, help="Stichtag für „überfällig“ (Standard: heute)")
    show.add_argument("--format", choices=("text", "json"), default="text")

    hold = add_command(
        actions,
        "hold",
        "einen offenen Schritt „in Bearbeitung“ setzen (Wiedervorlage): Erinnerungen ruhen bis dahin",
        _hold,
        description="Setzt einen offenen Schritt bis zum Tag der Wiedervorlage „in Bearbeitung“: bis dahin gehen keine "
        "Erinnerungen dazu hinaus. Die Eskalation bleibt beim gesetzlichen Termin.",
    )
    hold.add_argument("ref", help="Referenz")
    hold.add_argument("step", help="Schritt: Bezeichnung oder Kennung (siehe 'participants show')")
    when = hold.add_mutually_exclusive_group(required=True)
    when.add_argument("--until", type=iso_date, help="Tag der Wiedervorlage (JJJJ-MM-TT)")
    when.add_argument("--release", action="store_true", help="„in Bearbeitung“ beenden")
    hold.add_argument("--note", help="Notiz (z. B. was erwartet wird)")
    hold.add_argument("--by", help="wer den Schritt bearbeitet (Standard: Benutzername)")
    hold.add_argument("--as-of", type=iso_date, help="heutiges Datum (Standard: heute)")

    advance = add_command(
        sub,
        "advance",
        "ein Ereignis für eine Person erfassen",
        _advance,
        description="Erfasst ein Ereignis (z. B. course_started) für eine Person. Die Prozess-Engine prüft, ob es in der "
        "aktuellen Stufe erlaubt ist; Angaben zum Ereignis mit --set feld=wert.",
    )
    advance.add_argument("ref", help="Referenz")
    advance.add_argument(
        "event",
        help="Ereignis: Bezeichnung oder Kennung, z. B. \"Kurs begonnen\" oder course_started (siehe 'process show')",
    )
    advance.add_argument("--on", type=iso_date, help="Datum des Ereignisses (Standard: heute)")
    advance.add_argument("--by", choices=AGENCY_CODES, help="erfassende Stelle")
    advance.add_argument("--note", help="Notiz zum Verlauf")
    advance.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FELD=WERT",
        help="Angabe zum Ereignis, mehrfach möglich; FELD ist der Name des Felds, seine Bezeichnung oder die Spalte des Imports (z. B. kurstraeger=VHS-BA)",
    )
    advance.add_argument("--as-of", type=iso_date, help="heutiges Datum für Fristen (Standard: heute)")
    advance.add_argument("--format", choices=("text", "json"), default="text")


def _labels() -> ProcessModel:
    """Labels are the same in every region and version's override, so the current model serves."""
    from process_models.loader import load_model  # noqa: PLC0415

    return load_model()


def _list(args: argparse.Namespace) -> int:
    from pipeline.reads import (  # noqa: PLC0415
        NotFound,
        ParticipantFilter,
        find_region,
        list_participants,
        responsible_text,
    )

    as_of = args.as_of or current_date()
    stage = None
    model = None
    if args.stage:
        model = _labels()
        stage = model.find_stage(args.stage)
        if stage is None:
            raise CliError(f"Unbekannte Stufe '{args.stage}' (erlaubt: {', '.join(model.stages)})")
    filters = ParticipantFilter(
        as_of=as_of, region=args.region, stage=stage, overdue=args.overdue, responsible=args.responsible
    )
    with read_connection() as conn:
        if args.region:
            try:
                find_region(conn, args.region)
            except NotFound as exc:
                raise CliError(str(exc)) from None
        items = list_participants(conn, filters)
    if args.format == "json":
        # one compact object per line, as before; orjson encodes the frozen rows as they are
        write_json_rows([[orjson.dumps(item).decode() for item in items]])
        return 0
    keys = ["ref", "region", "initials", "stage", "next_step", "responsible", "due", "days_overdue"]
    if args.format == "csv":
        print_csv(
            keys,
            (
                [
                    item.ref,
                    item.region,
                    item.initials,
                    item.stage,
                    item.next_step,
                    " ".join(item.responsible),
                    item.due,
                    item.days_overdue,
                ]
                for item in items
            ),
        )
        return 0
    model = model or _labels()
    print_table(
        ["Referenz", "Region", "Name", "Stufe", "Nächster Schritt", "Zuständig", "Fällig", "Überfällig"],
        (
            [
                item.ref,
                item.region,
                item.initials,
                model.stage_label(item.stage),
                model.steps[item.next_step].label
                if item.next_step and item.next_step in model.steps
                else (item.next_step or "–"),
                responsible_text(item.responsible),
                german_date(item.due) or "–",
                f"{item.days_overdue} Tage" if item.overdue else "",
            ]
            for item in items
        ),
    )
    print(
        f"\n{len(items)} Teilnehmende, davon {sum(item.overdue for item in items)} überfällig (Stichtag {as_of:%d.%m.%Y})"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipeline.labels import TRANSPORT_REACH  # noqa: PLC0415
    from pipeline.reads import participant_detail, responsible_text  # noqa: PLC0415

    as_of = args.as_of or current_date()
    with read_connection() as conn:
        detail = participant_detail(conn, ref=args.ref, as_of=as_of)
    if detail is None:
        raise CliError(f"Teilnehmende mit Referenz '{args.ref}' gibt es nicht")
    if args.format == "json":
        print_json(detail.to_json())
        return 0
    model = _labels()
    out = sys.stdout
    out.write(
        f"{detail.ref} · {detail.first_name} {detail.last_name} · Region {detail.region} ({detail.region_name})\n"
    )
    out.write(
        f"Stufe: {model.stage_label(detail.stage)} seit {german_date(detail.stage_since)} · Prozessversion {detail.model_version}\n"
    )
    contact = ", ".join(
        filter(None, [detail.email, detail.phone, " ".join(filter(None, [detail.postcode, detail.location]))])
    )
    out.write(f"Geburtsjahr: {detail.birth_year or '–'} · Kontakt: {contact or '–'}\n")
    labels = detail.needs
    if detail.transport_reach:
        labels.append(f"ÖPNV-Erreichbarkeit: {TRANSPORT_REACH.get(detail.transport_reach, detail.transport_reach)}")
    out.write(f"Bedarfe: {', '.join(labels) or 'keine'}\n")
    out.write("\nAngaben:\n")
    for name, value in detail.facts.items():
        if name == "birth_year":  # shown above with the personal data
            continue
        label = model.facts[name].label if name in model.facts else name
        out.write(f"  {label}: {model.fact_text(name, value, agency_names=True)}\n")
    out.write(f"\nOffene Schritte (Stichtag {as_of:%d.%m.%Y}):\n")
    if not detail.open_steps:
        out.write("  keine\n")
    for step in detail.open_steps:
        late = f"ÜBERFÄLLIG seit {step.days_overdue} Tagen" if step.overdue else "offen"
        note = f" ({step.due_note})" if step.due_note else ""
        if step.hold_until:
            note += f" · in Bearbeitung bis {german_date(step.hold_until)} ({step.hold_by})"
        out.write(
            f"  {german_date(step.due)}  {late:<26} {step.label} – zuständig: {responsible_text(step.responsible)}{note}\n"
        )
    out.write("\nVerlauf:\n")
    for entry in detail.timeline:
        change = (
            f"{model.stage_label(entry.from_stage)} → {model.stage_label(entry.to_stage)}"
            if entry.from_stage
            else f"→ {model.stage_label(entry.to_stage)}"
        )
        who = " · ".join(filter(None, [entry.by_agency, entry.by_user]))
        note = f" · „{entry.note}“" if entry.note else ""
        event = "Import" if entry.event == "import" else model.event_label(entry.event)
        out.write(f"  {german_date(entry.on)}  {event:<32} {change}{(' · ' + who) if who else ''}{note}\n")
    return 0


def _participant_and_model(app: Any, session: Any, ref: str) -> tuple[Any, ProcessModel]:
    """The participant row `ref` (NotFound otherwise) and the process model of its version."""
    from pipeline.repository import get_participant  # noqa: PLC0415
    from pipeline.tables import Region  # noqa: PLC0415

    participant = get_participant(session=session, ref=ref)
    region = session.get(Region, participant.region_id)
    assert region is not None
    return participant, app.model(region, participant.model_version)


def _hold(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import InvalidHold, hold_step, record_audit  # noqa: PLC0415

    today = args.as_of or current_date()
    by = args.by or f"cli:{getpass.getuser()}"
    app = App(Settings.from_env())
    try:
        with app.session() as session:
            participant, model = _participant_and_model(app, session, args.ref)
            step = model.find_step(args.step)
            if step is None:
                open_labels = ", ".join(f"„{entry['label']}“" for entry in participant.open_steps) or "keine"
                raise CliError(f"Unbekannter Schritt '{args.step}' (offen für {args.ref}: {open_labels})")
            hold_step(
                session=session,
                participant=participant,
                step=step,
                until=None if args.release else args.until,
                by=by,
                note=args.note,
                model=model,
                today=today,
            )
            record_audit(
                session=session,
                actor=by,
                action="hold_released" if args.release else "hold",
                region_id=participant.region_id,
                participant_id=participant.id,
                detail=f"{model.steps[step].label}: "
                + ("in Bearbeitung beendet" if args.release else f"Wiedervorlage am {args.until:%d.%m.%Y}"),
                source="cli",
            )
    except (NotFound, InvalidHold) as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()
    label = model.steps[step].label
    if args.release:
        print(f"{args.ref}: „{label}“ ist nicht mehr in Bearbeitung; Erinnerungen gehen wieder hinaus.")
    else:
        print(
            f"{args.ref}: „{label}“ in Bearbeitung bis {args.until:%d.%m.%Y} – bis dahin keine Erinnerungen, "
            "die Eskalation bleibt beim gesetzlichen Termin."
        )
    return 0


def _advance(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.importing import payload_field_name  # noqa: PLC0415
    from pipeline.reads import NotFound, responsible_text  # noqa: PLC0415
    from pipeline.repository import record_event  # noqa: PLC0415
    from process_models import Event  # noqa: PLC0415

    today = args.as_of or current_date()
    on = args.on or today
    if on > today:
        raise CliError(f"Das Datum {on:%d.%m.%Y} liegt in der Zukunft")
    payload: dict[str, str] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--set erwartet FELD=WERT, nicht '{item}'")
        payload[key.strip()] = value.strip()
    app = App(Settings.from_env())
    try:
        with app.session() as session:
            participant, model = _participant_and_model(app, session, args.ref)
            event_id = model.find_event(args.event)
            if event_id is None:
                raise CliError(
                    f"Unbekanntes Ereignis '{args.event}' (erlaubt in „{model.stage_label(participant.stage)}“: "
                    + ", ".join(f"{model.event_label(e)} ({e})" for e in model.allowed_events(participant.stage))
                    + ")"
                )
            spec = model.events[event_id]
            fields = {payload_field_name(spec, key): value for key, value in payload.items()}
            transition = record_event(
                session=session,
                participant=participant,
                event=Event(event_id, fields, by=args.by, note=args.note),
                on=on,
                model=model,
                today=today,
                user=f"cli:{getpass.getuser()}",
            )
            steps = list(participant.open_steps)
    except NotFound as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()
    if args.format == "json":
        print_json(
            {
                "ref": args.ref,
                "event": event_id,
                "from": transition.source,
                "to": transition.target,
                "on": on,
                "open_steps": steps,
            }
        )
        return 0
    print(
        f"{args.ref}: {model.event_label(event_id)} am {on:%d.%m.%Y} – {model.stage_label(transition.source)} → {model.stage_label(transition.target)}"
    )
    for step in steps:
        print(
            f"  offen: {step['label']} – zuständig: {responsible_text(step['responsible'])}, fällig {german_date(step['due'])}"
        )
    return 0
