"""The `foerderkette` command line. Subcommands import their heavy dependencies only when run
(measured: SQLAlchemy 0.3 s, SQLModel and pydantic 0.3 s more, Prefect 1.3 s, openpyxl 0.3 s cold),
so `--help` answers in ~0.1 s and read-only commands in well under a second."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from foerderkette.cli import (
    conference_cmd,
    courses_cmd,
    db_cmd,
    demo_cmd,
    exchange_cmd,
    flows_cmd,
    jourfixe_cmd,
    notifications_cmd,
    participants_cmd,
    places_cmd,
    planning_cmd,
    privacy_cmd,
    process_cmd,
    regions_cmd,
    users_cmd,
)
from foerderkette.cli.base import CliError, Parser

_COMMAND_MODULES = [
    db_cmd,
    demo_cmd,
    regions_cmd,
    participants_cmd,
    exchange_cmd,
    places_cmd,
    courses_cmd,
    planning_cmd,
    conference_cmd,
    flows_cmd,
    notifications_cmd,
    jourfixe_cmd,
    process_cmd,
    users_cmd,
    privacy_cmd,
]


def build_parser() -> Parser:
    parser = Parser(
        prog="foerderkette",
        description="Förderkette – Prozesssteuerung für den Referenzprozess Integrationskurs.",
        epilog="Einstellungen über FOERDERKETTE_*-Umgebungsvariablen (siehe README).",
    )
    sub = parser.add_subparsers(title="Befehle", metavar="BEFEHL", required=True, parser_class=Parser)
    for module in _COMMAND_MODULES:
        module.register(sub)
    return parser


def _user_error_types() -> tuple[type[BaseException], ...]:
    from foerderkette.settings import SettingsError  # noqa: PLC0415
    from process_models.engine import TransitionNotAllowed, VersionMigrationError  # noqa: PLC0415
    from process_models.loader import ModelValidationError  # noqa: PLC0415

    return (SettingsError, ModelValidationError, TransitionNotAllowed, VersionMigrationError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"foerderkette: Fehler: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("foerderkette: abgebrochen", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if isinstance(exc, _user_error_types()):
            print(f"foerderkette: Fehler: {exc}", file=sys.stderr)
            return 1
        database = _database_problem(exc)
        if database:
            print(f"foerderkette: Fehler: {database}", file=sys.stderr)
            return 1
        raise


def _database_problem(exc: BaseException) -> str | None:
    """A one-line German reason for database errors a user can fix (schema missing, server down)."""
    if not type(exc).__module__.startswith(("sqlalchemy", "psycopg", "sqlite3")):
        return None
    text = str(exc).lower()
    if "no such table" in text or "does not exist" in text or "undefinedtable" in text:
        return "Die Datenbank ist nicht eingerichtet oder veraltet – bitte zuerst 'foerderkette db upgrade' ausführen"
    if "connection" in text or "could not connect" in text or "unable to open" in text:
        return f"Die Datenbank ist nicht erreichbar ({str(exc).splitlines()[0]})"
    return None


if __name__ == "__main__":
    sys.exit(main())
