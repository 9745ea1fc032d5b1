"""`foerderkette privacy purge|export|erase`: the personal-data lifecycle (DSGVO)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from foerderkette.cli.base import CliError, add_command, current_date, iso_date, print_json, print_table


def register(sub: Any) -> None:
    privacy = sub.add_parser(
        "privacy",
        help="Datenschutz: Aufbewahrungsfristen, Auskunft, Löschung",
        description=(
            "Abgeschlossene Fälle nach der Aufbewahrungsfrist anonymisieren (Standard 3 Jahre nach Abschluss, "
            "FOERDERKETTE_RETENTION_YEARS oder <REGION>.privacy.yaml), das Protokoll nach seiner Frist löschen, "
            "Auskunft nach Art. 15 DSGVO erteilen, eine Person auf begründeten Antrag löschen (Art. 17)."
        ),
    )
    actions = privacy.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(privacy))
    purge = add_command(actions, "purge", "Aufbewahrungsfristen anwenden (anonymisieren, Protokoll kürzen)", _purge)
    purge.add_argument("--region", help="nur diese Region (Standard: alle)")
    purge.add_argument("--dry-run", action="store_true", help="nur anzeigen, was geschähe")
    purge.add_argument("--as-of", type=iso_date, help="Stichtag (Standard: heute)")
    purge.add_argument("--format", choices=("table", "json"), default="table")
    export = add_command(actions, "export", "alles über eine Person ausgeben (Art. 15 DSGVO)", _export)
    export.add_argument("ref", help="Referenz der Person")
    export.add_argument("--format", choices=("json", "html"), default="json")
    export.add_argument("-o", "--output", type=Path, help="Datei (Standard: Standardausgabe)")
    erase = add_command(actions, "erase", "eine Person löschen (Art. 17 DSGVO, mit Begründung)", _erase)
    erase.add_argument("ref", help="Referenz der Person")
    erase.add_argument("--reason", required=True, help="Begründung, z. B. „Antrag vom 01.12.2026, Az. 12-345“")


def _app() -> Any:
    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415

    return App(Settings.from_env())


def _actor() -> str:
    import getpass  # noqa: PLC0415

    return f"{getpass.getuser()} (Kommandozeile)"


def _purge(args: argparse.Namespace) -> int:
    from notifications.privacy import purge_regions  # noqa: PLC0415
    from pipeline.privacy import RetentionPolicy  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415

    app = _app()
    try:
        reports = purge_regions(
            app.engine,
            app.catalog,
            regions=[args.region] if args.region else None,
            default=RetentionPolicy(app.settings.retention_years, app.settings.audit_retention_years),
            overrides_dir=app.settings.overrides_dir,
            today=args.as_of or current_date(),
            actor=_actor(),
            dry_run=args.dry_run,
        )
    except NotFound as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        print_json([report.to_json() for report in reports])
        return 0
    print_table(
        [
            "Region",
            "Frist Fälle",
            "Frist Protokoll",
            "Anonymisiert" if not args.dry_run else "Würde anonymisieren",
            "Texte bereinigt",
            "Protokolleinträge gelöscht" if not args.dry_run else "Würde löschen",
        ],
        [
            [
                r.region,
                f"{r.policy.case_years} Jahre",
                f"{r.policy.audit_years} Jahre",
                str(len(r.anonymised)),
                str(r.texts_redacted),
                str(r.audit_deleted),
            ]
            for r in reports
        ],
    )
    if args.dry_run:
        for report in reports:
            for label in report.anonymised:
                print(f"  {report.region}: {label}")
        print("Probelauf: nichts geändert.")
    return 0


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _export(args: argparse.Namespace) -> int:
    from notifications.privacy import subject_access  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415

    app = _app()
    try:
        data = _plain(subject_access(app.engine, ref=args.ref, actor=_actor(), today=current_date()))
    except NotFound as exc:
        raise CliError(str(exc)) from None
    if args.format == "html":
        from foerderkette.privacy_report import render_report  # noqa: PLC0415

        text = render_report(data, app.catalog)
    else:
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"Auskunft über {args.ref} geschrieben: {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _erase(args: argparse.Namespace) -> int:
    from notifications.privacy import erase_person  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415

    app = _app()
    try:
        person = erase_person(app.engine, ref=args.ref, reason=args.reason, actor=_actor())
    except (NotFound, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(
        f"{person.ref} gelöscht; Referenz und Name in gespeicherten E-Mails und Tagesordnungen ersetzt. Protokolliert."
    )
    return 0
