"""`foerderkette db upgrade|current`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
from typing import Any

from foerderkette.cli.base import add_command


def register(sub: Any) -> None:
    db = sub.add_parser(
        "db",
        help="Datenbank anlegen oder migrieren",
        description="Datenbank (FOERDERKETTE_DATABASE_URL) anlegen oder migrieren.",
    )
    actions = db.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(db))
    add_command(actions, "upgrade", "Schema anlegen oder auf den neuesten Stand migrieren (idempotent)", _upgrade)
    add_command(actions, "current", "aktuelle und neueste Schema-Revision zeigen", _current)


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
