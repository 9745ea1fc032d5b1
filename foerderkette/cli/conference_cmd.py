"""`foerderkette konferenz report` (the half-yearly situation analysis with the offer overview)
and `foerderkette offers import|list` (the region's offers besides the courses, and the brochure)."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

from foerderkette.cli.base import (
    CliError,
    add_command,
    current_date,
    iso_date,
    print_json,
    print_table,
    read_connection,
    report_failed_import,
    write_document,
)
from foerderkette.settings import Settings


def register(sub: Any) -> None:
    konferenz = sub.add_parser(
        "konferenz",
        help="Integrationskonferenz: Situationsanalyse und Angebotsübersicht",
        description="Der Bericht für die halbjährliche Integrationskonferenz: nur Summen und Anteile.",
    )
    actions = konferenz.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(konferenz))
    report = add_command(actions, "report", "Situationsanalyse eines Halbjahres mit Angebotsübersicht", _report)
    report.add_argument("--region", required=True, help="Region (Kürzel)")
    report.add_argument("--period", required=True, help="Halbjahr, z. B. 2026-H2")
    report.add_argument("--as-of", type=iso_date, help="Datenstand (Standard: heute)")
    report.add_argument("--format", choices=("html", "pdf"), default="html")
    report.add_argument("--output", "-o", type=Path, help="in diese Datei schreiben")

    offers = sub.add_parser(
        "offers",
        help="Angebotsübersicht: Beratung, Lotsen, Ehrenamt, Kinderbetreuung",
        description="Die Angebote einer Region neben den Kursen (MBE, JMD, Flüchtlings- und Integrationsberatung, "
        "Integrationslotsen, Ehrenamt, Kinderbetreuung): einlesen, anzeigen, als Broschüre.",
    )
    offer_actions = offers.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(offers))
    imported = add_command(offer_actions, "import", "Angebote aus CSV/XLSX einlesen (ersetzt die der Region)", _import)
    imported.add_argument(
        "file",
        type=Path,
        help="Datei mit den Spalten art, name, adresse, plz, ort, telefon, email, web, zeiten, sprachen, gemeinden, hinweis",
    )
    imported.add_argument("--region", required=True, help="Region (Kürzel)")
    listing = add_command(offer_actions, "list", "Angebote einer Region anzeigen oder als Broschüre", _list)
    listing.add_argument("--region", required=True, help="Region (Kürzel)")
    listing.add_argument("--format", choices=("table", "json", "html", "pdf"), default="table")
    listing.add_argument("--output", "-o", type=Path, help="in diese Datei schreiben (html, pdf)")


def _model(conn: Any, region: Any) -> Any:
    from process_models import ModelCatalog  # noqa: PLC0415

    return ModelCatalog(Settings.from_env().overrides_dir).current(region.code, land=region.land)


def _report(args: argparse.Namespace) -> int:
    from checklists.conference import conference_report  # noqa: PLC0415
    from checklists.render import render_conference  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415

    with read_connection() as conn:
        try:
            region = find_region(conn, args.region)
            report = conference_report(
                conn, region.code, _model(conn, region), period_text=args.period, today=args.as_of or current_date()
            )
        except (NotFound, ValueError) as exc:
            raise CliError(str(exc)) from None
    return write_document(render_conference(report), args.format, args.output, "Bericht")


def _list(args: argparse.Namespace) -> int:
    from pipeline.offers import list_offers  # noqa: PLC0415
    from pipeline.reads import NotFound, find_region  # noqa: PLC0415

    with read_connection() as conn:
        try:
            region = find_region(conn, args.region)
        except NotFound as exc:
            raise CliError(str(exc)) from None
        if args.format in ("html", "pdf"):
            from checklists.conference import brochure  # noqa: PLC0415
            from checklists.render import render_brochure  # noqa: PLC0415

            report = brochure(conn, region.code, _model(conn, region), today=current_date())
            return write_document(render_brochure(report), args.format, args.output, "Broschüre")
        offers = list_offers(conn, region.id)
    if args.format == "json":
        print_json([offer.to_json() for offer in offers])
        return 0
    if not offers:
        print(
            f"Für {region.code} sind keine Angebote eingetragen (foerderkette offers import DATEI --region {region.code})."
        )
        return 0
    print_table(
        ["Art", "Name", "Ort", "Kontakt", "Zeiten", "Sprachen"],
        [[o.kind_label, o.name, o.place, o.phone or o.email, o.hours, ", ".join(o.languages)] for o in offers],
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from foerderkette.app import App  # noqa: PLC0415
    from pipeline.importing import ImportFailed  # noqa: PLC0415
    from pipeline.offers import parse_offers, replace_offers  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import get_region, record_audit  # noqa: PLC0415
    from pipeline.tabular import TableError  # noqa: PLC0415

    settings = Settings.from_env()
    app = App(settings)
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            assert region.id is not None
            offers = parse_offers(args.file, app.model(region), max_bytes=settings.import_max_mb * 1_000_000)
            count = replace_offers(session.connection(), region.id, offers)
            record_audit(
                session=session,
                actor=f"cli:{getpass.getuser()}",
                action="offers_import",
                region_id=region.id,
                detail=f"{count} Angebote aus {args.file.name}",
            )
    except (NotFound, TableError) as exc:
        raise CliError(f"{args.file.name}: {exc}") from None
    except ImportFailed as exc:
        return report_failed_import(args.file.name, exc)
    finally:
        app.dispose()
    print(f"{count} Angebote für {args.region} eingelesen; die bisherigen sind ersetzt.")
    return 0
