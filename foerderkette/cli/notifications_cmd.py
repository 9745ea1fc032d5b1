"""`foerderkette sweep` and `foerderkette reminders list|preview|send|resend`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from foerderkette.cli.base import (
    CliError,
    add_command,
    current_date,
    german_date,
    iso_date,
    print_json,
    print_table,
    read_connection,
)

STATUSES = ("pending", "sending", "retry", "uncertain", "sent", "failed", "cancelled")
#: exit code of `reminders list --status failed` when there are failed e-mails (monitoring)
FAILED_EXIT = 3


def register(sub: Any) -> None:
    sweep = add_command(
        sub,
        "sweep",
        "Fristen aller offenen Schritte prüfen und Erinnerungen planen",
        _sweep,
        description="Prüft für jede Person die offenen Schritte, plant Erinnerungen (vor der Frist, am Fälligkeitstag, "
        "zweite Erinnerung, Eskalation) und legt je Ansprechperson und Versandtag eine Sammelmail in den Postausgang. "
        "Wiederholtes Ausführen am selben Tag ändert nichts.",
    )
    sweep.add_argument("--region", action="append", help="nur diese Region (mehrfach möglich; Standard: alle)")
    sweep.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    sweep.add_argument("--format", choices=("text", "json"), default="text")

    reminders = sub.add_parser(
        "reminders",
        help="Erinnerungen im Postausgang anzeigen, prüfen, senden",
        description="Der Postausgang: geplante, gesendete und fehlgeschlagene E-Mails.",
    )
    actions = reminders.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(reminders))
    listing = add_command(actions, "list", "E-Mails im Postausgang auflisten", _list)
    listing.add_argument(
        "--status",
        choices=STATUSES,
        help="nur mit diesem Status; failed endet mit Exit-Code 3, wenn es fehlgeschlagene gibt (Überwachung)",
    )
    listing.add_argument("--region", help="nur diese Region")
    listing.add_argument("--limit", type=int, default=500)
    listing.add_argument("--format", choices=("table", "json"), default="table")
    preview = add_command(actions, "preview", "genau die E-Mails zeigen, die ein Versand jetzt senden würde", _preview)
    preview.add_argument("--as-of", type=iso_date, help="Versandtag (Standard: heute)")
    preview.add_argument("--to", help="nur an diese Adresse")
    preview.add_argument("--format", choices=("text", "html", "mime"), default="text")
    send = add_command(
        actions, "send", "fällige E-Mails senden (nicht an Wochenenden und Feiertagen der Region)", _send
    )
    send.add_argument("--as-of", type=iso_date, help="Versandtag (Standard: heute)")
    send.add_argument("--dry-run", action="store_true", help="nur zeigen, was gesendet würde")
    resend = add_command(actions, "resend", "eine fehlgeschlagene E-Mail erneut einplanen", _resend)
    resend.add_argument("id", type=int, help="Nummer der E-Mail (siehe reminders list)")


def _app() -> Any:
    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415

    return App(Settings.from_env())


def _sweep(args: argparse.Namespace) -> int:
    from notifications.jobs import land_figures, sweep_outbox  # noqa: PLC0415
    from pipeline.reads import NotFound, region_codes  # noqa: PLC0415

    app = _app()
    today = args.as_of or current_date()
    try:
        codes = region_codes(app.engine, args.region)
        results = [sweep_outbox(app, region=code, today=today) for code in codes]
        # then each region's row of the dashboard's Land view, as the daily sweep run computes it
        for code in codes:
            land_figures(app, region=code, today=today)
    except NotFound as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()
    if args.format == "json":
        print_json([{**vars(result), "today": result.today, "send_day": result.send_day} for result in results])
    else:
        for result in results:
            print(result.summary())
        if not results:
            print("Keine Regionen angelegt.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from notifications.labels import KINDS  # noqa: PLC0415
    from notifications.labels import STATUSES as STATUS_LABELS  # noqa: PLC0415
    from notifications.reads import list_outbox  # noqa: PLC0415

    with read_connection() as conn:
        rows = list_outbox(conn, status=args.status, region=args.region, limit=args.limit)
    # for monitoring: a listing of failed e-mails that finds any ends with exit code 3
    alarm = FAILED_EXIT if args.status == "failed" and rows else 0
    if alarm:
        print(f"{len(rows)} fehlgeschlagene E-Mail(s) – bitte prüfen (reminders resend NR)", file=sys.stderr)
    if args.format == "json":
        print_json([row.to_json() for row in rows])
        return alarm
    print_table(
        ["Nr.", "Region", "Art", "Versand", "An", "Einträge", "Status", "Versuche", "Betreff / Fehler / Grund"],
        (
            [
                r.id,
                r.region or "",
                KINDS.get(r.kind, r.kind),
                german_date(r.send_on),
                r.recipient,
                r.items,
                STATUS_LABELS.get(r.status, r.status),
                r.attempts,
                r.last_error or (f"{r.reason}: {r.subject}" if r.reason else r.subject),
            ]
            for r in rows
        ),
    )
    return alarm


def _preview(args: argparse.Namespace) -> int:
    from notifications.jobs import send_outbox  # noqa: PLC0415
    from notifications.messages import build_message  # noqa: PLC0415

    app = _app()
    try:
        report, quiet = send_outbox(app, today=args.as_of or current_date(), dry_run=True)
    finally:
        app.dispose()
    rows = [row for row in report.would_send if not args.to or row["recipient"] == args.to]
    for row in rows:
        message = build_message(row, mail_from=app.settings.mail_from).parsed()
        if args.format == "mime":
            sys.stdout.write(message.as_string() + "\n")
            continue
        body = message.get_body(("html",) if args.format == "html" else ("plain",))
        sys.stdout.write(
            f"=== Nr. {row['id']} · An: {message['To']} · Versand {row['send_on']:%d.%m.%Y}\nBetreff: {message['Subject']}\n\n"
        )
        sys.stdout.write((body.get_content() if body is not None else "") + "\n")
    print(
        f"{len(rows)} E-Mail(s) würden gesendet."
        + (f" Heute kein Versand (Wochenende/Feiertag): {', '.join(quiet)}." if quiet else ""),
        file=sys.stderr,
    )
    return 0


def _send(args: argparse.Namespace) -> int:
    from notifications.jobs import send_outbox  # noqa: PLC0415

    app = _app()
    today = args.as_of or current_date()
    try:
        report, quiet = send_outbox(app, today=today, dry_run=args.dry_run)
    finally:
        app.dispose()
    if quiet:
        print(f"Kein Versand heute ({today:%d.%m.%Y}, Wochenende oder Feiertag) für: {', '.join(quiet)}")
    if args.dry_run:
        print_table(
            ["Nr.", "An", "Betreff"], ([row["id"], row["recipient"], row["subject"]] for row in report.would_send)
        )
        print(f"{len(report.would_send)} E-Mail(s) würden gesendet (Probelauf, nichts gesendet).")
        return 0
    print(report.summary())
    for error in report.errors[:20]:
        print(f"  {error}", file=sys.stderr)
    return 0


def _resend(args: argparse.Namespace) -> int:
    from notifications.outbox import resend  # noqa: PLC0415

    app = _app()
    try:
        done = resend(app.engine, args.id)
    finally:
        app.dispose()
    if not done:
        raise CliError(f"E-Mail Nr. {args.id} gibt es nicht oder sie ist nicht fehlgeschlagen")
    print(f"E-Mail Nr. {args.id} ist wieder eingeplant.")
    return 0
