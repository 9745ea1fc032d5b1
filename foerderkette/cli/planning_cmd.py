"""`foerderkette planning demand --region CODE`: demand by place and format (issue 23).

Imports inside the handlers are on purpose: every command module is imported for `--help`.
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
    print_csv,
    print_json,
    print_table,
    read_connection,
)


def register(sub: Any) -> None:
    planning = sub.add_parser(
        "planning",
        help="Kursbedarfsplanung: Bedarf nach Ort und Format",
        description="Bedarf nach Gemeinde, Kursart und Teilzeitbedarf: Wartende, aus der Pipeline Erwartete, "
        "erreichbare freie Plätze, Lücke; ob und wann Spezialkurse ihre Mindestgröße erreichen.",
    )
    actions = planning.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(planning))
    demand = add_command(actions, "demand", "Bedarf nach Ort und Format für die nächsten Monate", _demand)
    demand.add_argument("--region", required=True, help="Region (Kürzel)")
    demand.add_argument(
        "--months", type=int, default=6, choices=range(1, 25), metavar="1–24", help="Zeitraum in Monaten (Standard 6)"
    )
    demand.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    demand.add_argument("--format", choices=("text", "json", "csv"), default="text")


def _demand(args: argparse.Namespace) -> int:
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415
    from planning.reads import demand_for_region  # noqa: PLC0415
    from process_models.loader import load_model  # noqa: PLC0415

    settings = Settings.from_env()
    model = load_model()
    today = args.as_of or current_date()
    try:
        with read_connection() as conn:
            demand = demand_for_region(
                conn,
                find_region(conn, args.region),
                model,
                today=today,
                months=args.months,
                max_wait_minutes=settings.transit_max_wait_minutes,
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    labels = {key: spec.label for key, spec in model.course_types.items()}

    def kind(course_type: str, part_time: bool) -> str:
        return labels.get(course_type, course_type) + (" (Teilzeit/Abend)" if part_time else "")

    headers = ["Gemeinde", "Kursart", "Wartende", "Erwartet", "Erreichbare Plätze", "Lücke", "Cluster (Kursort)"]
    rows = [
        [
            r.municipality,
            kind(r.course_type, r.part_time),
            r.waiting,
            f"{r.expected:.1f}",
            r.places,
            f"{r.gap:.1f}",
            r.cluster,
        ]
        for r in demand.rows
    ]
    if args.format == "json":
        print_json(demand.to_json())
        return 0
    if args.format == "csv":
        print_csv(headers, rows)
        return 0
    rates = demand.rates
    print(f"Bedarf nach Ort und Format – Region {args.region}, {args.months} Monate ab {german_date(today)}")
    print(
        f"Aus dem eigenen Verlauf: {sum(rates.entries_per_month.values()):.1f} neue Berechtigungen/Verpflichtungen je Monat; "
        f"von {rates.cohort} vor 6–18 Monaten Berechtigten haben {rates.converted} einen Kurs begonnen "
        f"({rates.conversion:.0%}); davon Teilzeit/Abend {rates.part_time_share:.0%}."
    )
    print()
    print_table(headers, rows)
    print("\nCluster (Gemeinden, die denselben Kursort am schnellsten erreichen) – Mindestgröße erreichbar?")
    print_table(
        ["Cluster", "Kursart", "Gemeinden", "Wartende", "Erwartet", "Mindestgröße", "erreicht"],
        (
            [
                c.cluster,
                kind(c.course_type, c.part_time),
                c.municipalities,
                c.waiting,
                f"{c.expected:.1f}",
                c.min_size,
                "jetzt"
                if c.months_to_minimum == 0
                else f"in {c.months_to_minimum} Monaten"
                if c.months_to_minimum
                else "nicht absehbar",
            ]
            for c in demand.clusters
        ),
    )
    if demand.tradeoffs:
        print("\nAbwägung: eigener Kurs in der Nähe oder allgemeiner Kurs weiter weg")
        print_table(
            [
                "Cluster",
                "Kursart",
                "Wartende",
                "eigener Kurs in (Wochen)",
                "allgemeiner Kurs",
                "Beginn in (Wochen)",
                "Fahrzeit (Min.)",
            ],
            (
                [
                    t.cluster,
                    kind(t.course_type, t.part_time),
                    t.waiting,
                    "nicht absehbar" if t.dedicated_weeks is None else t.dedicated_weeks,
                    t.general_course or "keiner erreichbar",
                    "–" if t.general_weeks is None else t.general_weeks,
                    "–" if t.general_minutes is None else t.general_minutes,
                ]
                for t in demand.tradeoffs
            ),
        )
    return 0
