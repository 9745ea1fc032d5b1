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
