"""`foerderkette db upgrade|current|backup|restore`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from foerderkette.cli.base import CliError, add_command


def register(sub: Any) -> None:
    db = sub.add_parser(
        "db",
        help="Datenbank anlegen oder migrieren",
        description="Datenbank (FOERDERKETTE_DATABASE_URL) anlegen oder migrieren.",
    )
    actions = db.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(db))
    add_command(actions, "upgrade", "Schema anlegen oder auf den neuesten Stand migrieren (idempotent)", _upgrade)
    add_command(actions, "current", "aktuelle und neueste Schema-Revision zeigen", _current)
    saved = add_command(actions, "backup", "Datenbank sichern (SQLite: Online-Sicherung; PostgreSQL: pg_dump)", _backup)
    saved.add_argument("file", type=Path, help="Zieldatei (darf noch nicht existieren)")
    back = add_command(
        actions, "restore", "Datenbank aus einer Sicherung wiederherstellen (Anwendung vorher anhalten)", _restore
    )
    back.add_argument("file", type=Path, help="Sicherungsdatei")
    back.add_argument("--yes", action="store_true", help="bestätigt: die Datenbank wird ersetzt")


def _upgrade(args: argparse.Namespace) -> int:
    from foerderkette.db import current_revision, upgrade  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.database import create_db_engine  # noqa: PLC0415

    settings = Settings.from_env()
    engine = create_db_engine(settings.database_url)
    try:
        upgrade(engine)
        print(
            f"Datenbank ist auf Revision {current_revision(engine)}: {engine.url.render_as_string(hide_password=True)}"
        )
    finally:
        engine.dispose()
    return 0


def _current(args: argparse.Namespace) -> int:
    from foerderkette.db import current_revision, head_revision  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from pipeline.database import create_db_engine  # noqa: PLC0415

    engine = create_db_engine(Settings.from_env().database_url)
    try:
        current, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    print(f"aktuell: {current or '(leer)'}, neueste: {head}")
    return 0 if current == head else 1


def _backup(args: argparse.Namespace) -> int:
    from foerderkette.backup import BackupError, backup  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415

    try:
        backup(Settings.from_env().database_url, args.file)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"Gesichert: {args.file} ({args.file.stat().st_size:,} Bytes)".replace(",", "."))
    return 0


def _restore(args: argparse.Namespace) -> int:
    from foerderkette.backup import BackupError, restore  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415

    if not args.yes:
        raise CliError("Die Wiederherstellung ersetzt die ganze Datenbank – mit --yes bestätigen")
    try:
        restore(Settings.from_env().database_url, args.file)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"Wiederhergestellt aus {args.file}")
    return 0
