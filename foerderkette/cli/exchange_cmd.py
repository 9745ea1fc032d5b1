"""`foerderkette import participants|courses|contacts` and `foerderkette export participants|courses`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from foerderkette.cli.base import CliError, add_command, current_date, iso_date, report_failed_import

IMPORT_HELP = {
    "participants": "Teilnehmende (Spalten: ref, nachname, vorname, geburtsjahr, email, telefon, plz, ort, stage, berechtigt_am, "
    "verpflichtet_durch, verpflichtet_am, angemeldet_am, kurstraeger, kursbeginn, kursart, kinderbetreuung, teilzeit …; siehe README)",
    "courses": "Kursliste (Spalten: kurs, kurstraeger, art, kursart, format, ort, plz, beginn_geplant, beginn, ende, plaetze, mindestgroesse, abgesagt)",
    "contacts": "Stellen und Ansprechpersonen (Spalten: stelle, stelle_typ, stelle_name, name, email, rolle)",
}


def register(sub: Any) -> None:
    importer = sub.add_parser(
        "import",
        help="Teilnehmende, Kurse oder Kontakte aus CSV/Excel einlesen",
        description="Liest CSV (UTF-8 oder Windows-1252, Semikolon oder Komma) oder .xlsx. Alles oder nichts: bei einem Fehler "
        "wird nichts gespeichert und jede fehlerhafte Zeile gemeldet. Erneuter Import aktualisiert statt zu verdoppeln.",
    )
    kinds = importer.add_subparsers(title="Art", metavar="ART", required=True, parser_class=type(importer))
    for kind, help_text in IMPORT_HELP.items():
        parser = add_command(kinds, kind, help_text, _import)
        parser.set_defaults(kind=kind)
        parser.add_argument("file", type=Path, help="Datei (.csv oder .xlsx)")
        parser.add_argument("--region", required=True, help="Region (Kürzel)")
        parser.add_argument(
            "--report", type=Path, metavar="FEHLER.csv", help="alle Fehler zusätzlich in diese CSV-Datei schreiben"
        )
        parser.add_argument("--as-of", type=iso_date, help="heutiges Datum für Fristen (Standard: heute)")

    exporter = sub.add_parser(
        "export",
        help="Teilnehmende oder Kursliste als CSV/Excel ausgeben",
        description="Schreibt die Spalten des Imports; die Datei lässt sich unverändert wieder einlesen.",
    )
    kinds = exporter.add_subparsers(title="Art", metavar="ART", required=True, parser_class=type(exporter))
    for kind, help_text in (("participants", "Teilnehmende einer Region"), ("courses", "Kursliste einer Region")):
        parser = add_command(kinds, kind, help_text, _export)
        parser.set_defaults(kind=kind)
        parser.add_argument("--region", required=True, help="Region (Kürzel)")
        parser.add_argument("--output", "-o", type=Path, required=True, help="Zieldatei (.csv oder .xlsx)")


def _import(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.importing import ImportFailed, import_contacts, import_courses, import_participants  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from pipeline.tabular import TableError, write_table  # noqa: PLC0415
    from places.importing import home_resolver, site_lookup, site_of  # noqa: PLC0415

    settings = Settings.from_env()
    app = App(settings)
    max_bytes = settings.import_max_mb * 1_000_000
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            model = app.model(region)
            assert region.id is not None
            if args.kind == "participants":
                resolver = home_resolver(session=session, region_id=region.id)
                result = import_participants(
                    session=session,
                    path=args.file,
                    region=region,
                    model=model,
                    today=args.as_of or current_date(),
                    max_bytes=max_bytes,
                    user=f"cli:{getpass.getuser()}",
                    home=resolver.resolve if resolver else None,
                )
            elif args.kind == "courses":
                lookup = site_lookup(session=session, region_id=region.id)
                result = import_courses(
                    session=session,
                    path=args.file,
                    region=region,
                    model=model,
                    max_bytes=max_bytes,
                    sites=lambda text, postcode: site_of(lookup, text, postcode),
                )
            else:
                result = import_contacts(
                    session=session, path=args.file, region=region, model=model, max_bytes=max_bytes
                )
    except (NotFound, TableError) as exc:
        raise CliError(f"{args.file.name}: {exc}") from None
    except ImportFailed as exc:
        if args.report:
            write_table(
                args.report,
                ["zeile", "spalte", "wert", "fehler"],
                ([e.row, e.column, e.value, e.reason] for e in exc.errors),
            )
        report_failed_import(args.file.name, exc)
        if args.report:
            print(f"Alle Fehler: {args.report}", file=sys.stderr)
        return 1
    finally:
        app.dispose()
    print(f"{args.file.name}: {result.summary()} (Region {args.region})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.exporting import export_courses, export_participants  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import get_region  # noqa: PLC0415
    from pipeline.tabular import TableError  # noqa: PLC0415

    app = App(Settings.from_env())
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            if args.kind == "participants":
                count = export_participants(session=session, region=region, model=app.model(region), path=args.output)
            else:
                count = export_courses(session=session, region=region, model=app.model(region), path=args.output)
    except (NotFound, TableError) as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()
    print(f"{count} Zeilen geschrieben: {args.output}")
    return 0
