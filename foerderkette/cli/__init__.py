"""The `foerderkette` command line. Subcommands import their heavy dependencies only when run."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from foerderkette.cli import (
    db_cmd,
    demo_cmd,
    exchange_cmd,
    notifications_cmd,
    participants_cmd,
    process_cmd,
    regions_cmd,
)
from foerderkette.cli.base import CliError, Parser

_COMMAND_MODULES = [db_cmd, demo_cmd, regions_cmd, participants_cmd, exchange_cmd, notifications_cmd, process_cmd]


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
        raise


if __name__ == "__main__":
    sys.exit(main())
