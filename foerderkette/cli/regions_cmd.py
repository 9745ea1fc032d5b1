"""`foerderkette regions add|list`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
from typing import Any

from foerderkette.cli.base import CliError, add_command, print_json, print_table, read_connection


def register(sub: Any) -> None:
    regions = sub.add_parser(
        "regions",
        help="Regionen (Landkreise, kreisfreie Städte) verwalten",
        description="Regionen anlegen und anzeigen.",
    )
    actions = regions.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(regions))
    add = add_command(actions, "add", "Region anlegen oder ändern", _add)
    add.add_argument("code", help="Kürzel, z. B. BY-BA")
    add.add_argument("--name", required=True, help="Name, z. B. „Landkreis Bamberg“")
    add.add_argument("--land", default="BY", help="Bundesland (Kürzel, Standard BY): bestimmt die Feiertage")
    add.add_argument(
        "--full-names", action="store_true", help="Erinnerungen nennen volle Namen statt Referenz und Initialen"
    )
    listing = add_command(actions, "list", "Regionen anzeigen", _list)
    listing.add_argument("--format", choices=("table", "json"), default="table")


def _add(args: argparse.Namespace) -> int:
    import re  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.tables import Region  # noqa: PLC0415
    from process_models.business_days import LAENDER  # noqa: PLC0415

    if not re.match(r"^[A-Z]{2}-[A-Z0-9-]{1,16}$", args.code):
        raise CliError(f"Regionskürzel '{args.code}' ungültig: Land-Kürzel, Bindestrich, Kennzeichen (z. B. BY-BA)")
    if args.land not in LAENDER:
        raise CliError(f"Unbekanntes Land '{args.land}' (erlaubt: {', '.join(LAENDER)})")
    app = App(Settings.from_env())
    with app.session() as session:
        from sqlmodel import select  # noqa: PLC0415

        region = session.exec(select(Region).where(Region.code == args.code)).first() or Region(
            code=args.code, name=args.name
        )
        region.name, region.land, region.full_names_in_email = args.name, args.land, args.full_names
        session.add(region)
    print(f"Region {args.code} gespeichert: {args.name} ({args.land})")
    return 0


def _list(args: argparse.Namespace) -> int:
    from pipeline.reads import list_regions  # noqa: PLC0415 - SQLAlchemy: not for --help

    with read_connection() as conn:
        rows = list_regions(conn)
    if args.format == "json":
        print_json([row.to_json() for row in rows])
    else:
        print_table(
            ["Region", "Name", "Land", "Teilnehmende"], ([r.code, r.name, r.land, r.participants] for r in rows)
        )
    return 0
