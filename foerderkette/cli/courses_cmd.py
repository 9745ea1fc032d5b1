"""`foerderkette courses suggest REF` and `foerderkette courses fill --region CODE`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel or SciPy (0.3–0.9 s each, measured).
"""

from __future__ import annotations

import argparse
from typing import Any

from foerderkette.cli.base import (
    CliError,
    add_command,
    current_date,
    german_date,
    iso_date,
    print_json,
    read_connection,
)


def register(sub: Any) -> None:
    courses = sub.add_parser(
        "courses",
        help="Kursvorschläge für Wartende und Auffüllen von Kursen unter Mindestgröße",
        description="Passende Kurse für eine wartende Person (Kursart, Format, Kinderbetreuung, ÖPNV, freie Plätze) "
        "und Vorschläge, welche Wartenden welche Kurse auf ihre Mindestgröße bringen.",
    )
    actions = courses.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(courses))
    suggest = add_command(actions, "suggest", "passende Kurse für eine Person, frühester Beginn zuerst", _suggest)
    suggest.add_argument("ref", help="Referenz der Person")
    suggest.add_argument("--all", action="store_true", help="auch die Kurse zeigen, die nicht passen (mit Grund)")
    suggest.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    suggest.add_argument("--format", choices=("text", "json"), default="text")
    fill = add_command(
        actions,
        "fill",
        "Vorschlag: welche Wartenden welche Kurse auf ihre Mindestgröße bringen (Empfehlung für BAMF und Träger)",
        _fill,
    )
    fill.add_argument("--region", required=True, help="Region (Kürzel)")
    fill.add_argument(
        "--months",
        type=int,
        default=3,
        choices=range(1, 13),
        metavar="1–12",
        help="Kurse, die in so vielen Monaten beginnen (Standard 3)",
    )
    fill.add_argument("--time-limit", type=float, default=10.0, help="Rechenzeit höchstens (Sekunden, Standard 10)")
    fill.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    fill.add_argument("--format", choices=("text", "json", "html"), default="text")
    fill.add_argument("--output", "-o", help="in diese Datei schreiben (html)")


def _suggest(args: argparse.Namespace) -> int:
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.labels import COURSE_FORMATS, COURSE_SLOTS  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from planning.reads import suggestions_for  # noqa: PLC0415
    from process_models.loader import load_model  # noqa: PLC0415

    settings = Settings.from_env()
    model = load_model()
    today = args.as_of or current_date()
    try:
        with read_connection() as conn:
            view = suggestions_for(
                conn,
                args.ref,
                model,
                today=today,
                max_wait_minutes=settings.transit_max_wait_minutes,
                formats=COURSE_FORMATS,
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    shown = [s for s in view.suggestions if args.all or s.suitable]
    if args.format == "json":
        print_json({**view.to_json(), "suggestions": [s.to_json() for s in shown]})
        return 0
    home = view.municipality or "Wohngemeinde unbekannt"
    print(f"{view.ref} · {model.stage_label(view.stage)} · {home}")
    if not view.waiting:
        print("Hinweis: wartet nicht auf einen Kurs (Stufe); die Vorschläge sind nur zur Information.")
    if not shown:
        print("Kein passender Kurs in der Kursliste." + ("" if args.all else " (--all zeigt alle mit Grund)"))
        return 0
    labels = {key: spec.label for key, spec in model.course_types.items()}
    for number, item in enumerate(shown, start=1):
        offer = item.offer
        mark = "" if item.suitable else " – passt nicht"
        print(
            f"\n{number}. {offer.code}{mark}: {labels.get(offer.course_type, offer.course_type)}, "
            f"{COURSE_FORMATS.get(offer.format, offer.format)}, {COURSE_SLOTS.get(offer.slot, offer.slot)}, {offer.site}"
        )
        print(
            f"   {offer.provider_name} · Beginn {german_date(offer.start)} (in {item.weeks_until_start} Wochen) · "
            f"{offer.free} von {offer.capacity} Plätzen frei"
        )
        for reason in item.reasons:
            sign = {True: "✓", False: "✗", None: "?"}[reason.ok]
            print(f"   {sign} {reason.text}")
    return 0


def _fill(args: argparse.Namespace) -> int:
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415
    from planning.reads import fill_for_region  # noqa: PLC0415
    from process_models.loader import load_model  # noqa: PLC0415

    if not 0.5 <= args.time_limit <= 600:
        raise CliError("--time-limit: zwischen 0,5 und 600 Sekunden")
    settings = Settings.from_env()
    model = load_model()
    today = args.as_of or current_date()
    try:
        with read_connection() as conn:
            view = fill_for_region(
                conn,
                find_region(conn, args.region),
                model,
                today=today,
                max_wait_minutes=settings.transit_max_wait_minutes,
                horizon_days=args.months * 31,
                time_limit=args.time_limit,
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        print_json(view.to_json())
        return 0
    if args.format == "html":
        from planning.render import fill_html  # noqa: PLC0415

        html = fill_html(view, model)
        if args.output:
            from pathlib import Path  # noqa: PLC0415

            Path(args.output).write_text(html, encoding="utf-8")
            print(f"geschrieben: {args.output}")
        else:
            print(html)
        return 0
    labels = {key: spec.label for key, spec in model.course_types.items()}
    print(
        f"Auffüllen von Kursen – Region {view.region}, Stand {german_date(view.as_of)} (Empfehlung; das BAMF weist zu)"
    )
    if not view.reached or not view.optimal:
        print(view.message)
    print(
        f"{view.waiting} Wartende; {view.below} Kurse unter Mindestgröße, davon {view.reached} mit diesem Vorschlag erreicht."
    )
    for row in view.courses:
        if not (row.below or row.joining):
            continue
        state = "erreicht" if row.reaches else "nicht erreichbar" if row.below else "läuft"
        print(
            f"\n{row.code} ({labels.get(row.course_type, row.course_type)}, {row.site}, Beginn {german_date(row.start)}): "
            f"{row.enrolled} + {row.joining} von mindestens {row.min_size} – {state}"
        )
        if row.note:
            print(f"   {row.note}")
        for pick in (p for p in view.picks if p.course == row.code):
            travel = f", {pick.travel_minutes} Min. Anfahrt" if pick.travel_minutes is not None else ""
            print(
                f"   {pick.ref}: wartet seit {german_date(pick.waiting_since)}, Beginn in {pick.wait_days} Tagen{travel}"
            )
    return 0
