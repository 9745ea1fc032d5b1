"""`foerderkette places import|list` and `foerderkette transit import|reach`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, gtfs-kit or pandas (0.3–1.4 s each, measured).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foerderkette.cli.base import (
    CliError,
    add_command,
    current_date,
    german_date,
    iso_date,
    print_json,
    print_table,
    read_connection,
    report_failed_import,
)

if TYPE_CHECKING:
    from foerderkette.settings import Settings
    from places.reachability import WalkSettings


def register(sub: Any) -> None:
    places = sub.add_parser(
        "places",
        help="Gemeinden und Kursorte einer Region",
        description="Gemeinden (Wohnorte) und Kursorte: Import aus CSV/Excel, Übersicht mit Datenqualität.",
    )
    actions = places.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(places))
    importer = add_command(
        actions,
        "import",
        "Gemeinden (Spalten: ags, gemeinde, plz, breite, laenge) oder Kursorte (kursort, name, adresse, plz, ort, "
        "breite, laenge, kinderbetreuung) einlesen – alles oder nichts",
        _import,
    )
    importer.add_argument("file", type=Path, help="Datei (.csv oder .xlsx)")
    importer.add_argument("--region", required=True, help="Region (Kürzel)")
    importer.add_argument(
        "--kind", choices=("municipalities", "sites"), help="Art der Datei (Standard: an den Spalten erkannt)"
    )
    importer.add_argument("--as-of", type=iso_date, help="heutiges Datum (Standard: heute)")
    listing = add_command(actions, "list", "Gemeinden und Kursorte einer Region anzeigen", _list)
    listing.add_argument("--region", required=True, help="Region (Kürzel)")
    listing.add_argument("--format", choices=("table", "json"), default="table")

    transit = sub.add_parser(
        "transit",
        help="ÖPNV-Fahrplan (GTFS) und Erreichbarkeit der Kursorte",
        description="Liest den GTFS-Fahrplan der Region und berechnet, wie jede Gemeinde jeden Kursort zu "
        "jeder Unterrichtszeit erreicht (Hinfahrt vor Beginn, erste Rückfahrt nach Ende).",
    )
    actions = transit.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(transit))
    feed = add_command(actions, "import", "GTFS-Feed (ZIP) einlesen, prüfen und die Erreichbarkeit berechnen", _feed)
    feed.add_argument("file", type=Path, help="GTFS-Feed (.zip)")
    feed.add_argument("--region", required=True, help="Region (Kürzel)")
    feed.add_argument(
        "--date", type=iso_date, help="Verkehrstag (Standard: der verkehrsreichste Werktag der nächsten drei Wochen)"
    )
    feed.add_argument("--as-of", type=iso_date, help="heutiges Datum (Standard: heute)")
    reach = add_command(actions, "reach", "Erreichbarkeit Gemeinde × Kursort × Unterrichtszeit anzeigen", _reach)
    reach.add_argument("--region", required=True, help="Region (Kürzel)")
    reach.add_argument("--only-unreachable", action="store_true", help="nur was nicht erreichbar ist")
    reach.add_argument("--format", choices=("table", "json"), default="table")


def _walk(settings: Settings) -> WalkSettings:
    from places.reachability import walk_settings  # noqa: PLC0415

    return walk_settings(walk_max_m=settings.walk_max_m, transit_estimate_kmh=settings.transit_estimate_kmh)


def _import(args: argparse.Namespace) -> int:
    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.importing import ImportFailed  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from pipeline.tabular import TableError  # noqa: PLC0415
    from places.importing import import_places  # noqa: PLC0415
    from places.service import refresh_reach  # noqa: PLC0415
    from places.transit import FeedError  # noqa: PLC0415

    settings = Settings.from_env()
    app = App(settings)
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            result = import_places(
                session=session,
                path=args.file,
                region=region,
                model=app.model(region),
                max_bytes=settings.import_max_mb * 1_000_000,
                kind=args.kind,
            )
            refreshed = refresh_reach(
                session=session, region=region, today=args.as_of or current_date(), walk=_walk(settings)
            )
    except (NotFound, TableError, FeedError) as exc:
        raise CliError(f"{args.file.name}: {exc}") from None
    except ImportFailed as exc:
        return report_failed_import(args.file.name, exc)
    finally:
        app.dispose()
    print(f"{args.file.name}: {result.summary()} (Region {args.region})")
    if refreshed.computed:
        how = "geschätzt aus der Entfernung (kein Fahrplan)" if refreshed.estimated else "aus dem Fahrplan"
        print(f"Erreichbarkeit neu berechnet ({how}): {refreshed.pairs} Verbindungen")
    return 0


def _list(args: argparse.Namespace) -> int:
    from pipeline.reads import NotFound  # noqa: PLC0415
    from places.reads import list_places  # noqa: PLC0415

    try:
        with read_connection() as conn:
            view = list_places(conn, args.region)
    except NotFound as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        print_json(view.to_json())
        return 0
    print(f"Gemeinden der Region {view.region}: {len(view.municipalities)}")
    print_table(
        ["Gemeinde", "AGS", "PLZ", "Breite", "Länge", "Teilnehmende"],
        (
            [
                m.name,
                m.ags or "–",
                " ".join(m.postcodes),
                f"{m.lat:.4f}".replace(".", ","),
                f"{m.lon:.4f}".replace(".", ","),
                m.participants,
            ]
            for m in view.municipalities
        ),
    )
    print()
    print(f"Kursorte: {len(view.sites)}")
    print_table(
        ["Kursort", "Name", "Adresse", "Gemeinde", "Kinderbetreuung", "Kurse"],
        (
            [
                s.code,
                s.name,
                f"{s.address}, {s.postcode or ''} {s.place}".strip(", "),
                s.municipality or "außerhalb der Region",
                "ja" if s.childcare else "nein",
                s.courses,
            ]
            for s in view.sites
        ),
    )
    if view.unlinked:
        print(
            f"\nDatenqualität: {view.unlinked} Teilnehmende mit einer Anschrift, die zu keiner Gemeinde der Region passt "
            "(PLZ/Ort prüfen und neu importieren)"
        )
    return 0


def _feed(args: argparse.Namespace) -> int:
    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from places.service import import_feed  # noqa: PLC0415
    from places.transit import FeedError  # noqa: PLC0415

    if not args.file.exists():
        raise CliError(f"Datei '{args.file}' gibt es nicht")
    settings = Settings.from_env()
    app = App(settings)
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            summary, refreshed = import_feed(
                session=session,
                region=region,
                path=args.file,
                today=args.as_of or current_date(),
                walk=_walk(settings),
                user=f"cli:{getpass.getuser()}",
                service_date=args.date,
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    except FeedError as exc:
        print(f"foerderkette: Fehler: {args.file.name}: Fahrplan abgelehnt, nichts gespeichert:", file=sys.stderr)
        for problem in exc.problems[:50]:
            print(problem, file=sys.stderr)
        if len(exc.problems) > 50:
            print(f"… und {len(exc.problems) - 50} weitere", file=sys.stderr)
        return 1
    finally:
        app.dispose()
    print(
        f"{args.file.name}: {summary.stops} Haltestellen, {summary.trips} Fahrten, {summary.stop_times} Halte; "
        f"gültig {german_date(summary.valid_from)}–{german_date(summary.valid_until)}; "
        f"Verkehrstag der Berechnung {german_date(summary.service_date)} (Region {args.region})"
    )
    print(f"Erreichbarkeit berechnet: {refreshed.pairs} Verbindungen (Gemeinde × Kursort × Unterrichtszeit)")
    return 0


def _reach(args: argparse.Namespace) -> int:
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.labels import COURSE_SLOTS  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415
    from places.reads import (  # noqa: PLC0415
        clock,
        current_basis,
        reach_state,
        reach_table,
        region_transit_limit,
    )

    settings = Settings.from_env()
    walk = _walk(settings)
    try:
        with read_connection() as conn:
            region = find_region(conn, args.region)
            stale = reach_state(conn, region.id)[0] != current_basis(conn, region.id, walk)
        computed = False
        if stale:
            computed = _refresh(settings, args.region, walk)
        with read_connection() as conn:
            table = reach_table(
                conn,
                args.region,
                limit_minutes=region_transit_limit(conn, region.id),
                max_wait_minutes=settings.transit_max_wait_minutes,
                computed=computed,
            )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    rows = [row for row in table.rows if not (args.only_unreachable and row.reachable)]
    if args.format == "json":
        print_json({**table.to_json(), "rows": [row.to_json() for row in rows]})
        return 0
    basis = (
        "geschätzt aus der Luftlinie (kein Fahrplan eingelesen)"
        if table.estimated
        else f"Fahrplan, Verkehrstag {german_date(table.service_date)}"
    )
    note = " – neu berechnet" if computed else ""
    print(f"Erreichbarkeit Region {table.region} ({basis}; Grenze {table.limit_minutes} Min. je Richtung){note}")
    if not rows:
        print("Keine Einträge (Gemeinden und Kursorte mit 'places import' anlegen).")
        return 0

    def leg(depart: int | None, arrive: int | None, minutes: int | None, transfers: int | None) -> str:
        if minutes is None:
            return "keine Verbindung"
        change = "" if not transfers else f", {transfers}× umsteigen"
        mark = " (geschätzt)" if table.estimated else ""
        return f"{clock(depart)}–{clock(arrive)} ({minutes} Min.{change}){mark}"

    print_table(
        ["Gemeinde", "Kursort", "Zeit", "Hinfahrt", "Rückfahrt", "erreichbar"],
        (
            [
                row.municipality,
                row.site_code,
                COURSE_SLOTS.get(row.slot, row.slot),
                leg(row.out_depart, row.out_arrive, row.out_minutes, row.out_transfers),
                leg(row.back_depart, row.back_arrive, row.back_minutes, row.back_transfers),
                "ja" if row.reachable else "nein",
            ]
            for row in rows
        ),
    )
    return 0


def _refresh(settings: Settings, region_code: str, walk: WalkSettings) -> bool:
    from foerderkette.app import App  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from places.service import refresh_reach  # noqa: PLC0415

    app = App(settings)
    try:
        with app.session() as session:
            region = get_region(session=session, code=region_code)
            return refresh_reach(session=session, region=region, today=current_date(), walk=walk).computed
    finally:
        app.dispose()
