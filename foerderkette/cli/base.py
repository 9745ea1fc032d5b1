"""Shared CLI plumbing: a German argparse, errors that end a command, table/JSON/CSV output.

Only the standard library is imported here so that `--help` and read-only commands start fast.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from foerderkette.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

_ARGPARSE_DE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"the following arguments are required: (.*)"), r"Folgende Angaben fehlen: \1"),
    (
        re.compile(r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)"),
        r"Angabe \1: ungültiger Wert \2 (möglich: \3)",
    ),
    (re.compile(r"unrecognized arguments: (.*)"), r"Unbekannte Angaben: \1"),
    (re.compile(r"argument (.*?): expected one argument"), r"Angabe \1 erwartet einen Wert"),
    (re.compile(r"argument (.*?): expected at least one argument"), r"Angabe \1 erwartet mindestens einen Wert"),
    (re.compile(r"argument (.*?): invalid (.*?) value: (.*)"), r"Angabe \1: ungültiger Wert \3"),
    (re.compile(r"argument (.*?): (.*)"), r"Angabe \1: \2"),
]


class CliError(Exception):
    """Ends a command with a one-line German reason and a non-zero exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class GermanHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(
        self, usage: str | None, actions: Iterable[argparse.Action], groups: Iterable[Any], prefix: str | None = None
    ) -> None:
        super().add_usage(usage, actions, groups, "Aufruf: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse with German headings and one-line German errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", GermanHelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "Argumente"
        self._optionals.title = "Optionen"
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help="diese Hilfe zeigen und beenden"
        )

    def error(self, message: str) -> NoReturn:
        for pattern, replacement in _ARGPARSE_DE:
            if pattern.match(message):
                message = pattern.sub(replacement, message, count=1)
                break
        self.exit(2, f"{self.prog}: Fehler: {message} (Hilfe: {self.prog} --help)\n")


def iso_date(text: str) -> date:
    """argparse type for --as-of/--on: ISO or German date (`process_models.parse_date`, the one parser)."""
    from process_models import parse_date  # noqa: PLC0415 - loads the process model package: not for --help

    try:
        return parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' ist kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ)") from None


def german_date(value: date | str | None) -> str:
    """A date (or an ISO date text) as TT.MM.JJJJ; empty for none."""
    if not value:
        return ""
    iso = value.isoformat() if isinstance(value, date) else value
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}"


def month(text: str) -> tuple[int, int]:
    match = re.match(r"^(\d{4})-(\d{2})$", text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise argparse.ArgumentTypeError(f"'{text}' ist kein Monat (JJJJ-MM)")
    return int(match[1]), int(match[2])


def current_date() -> date:
    """Today in FOERDERKETTE_TIMEZONE (the default for --as-of and --on)."""
    return Settings.from_env().today()


def read_connection() -> Connection:
    """A read-only connection to the configured database, for commands that only read."""
    from pipeline.database import read_only_connection  # noqa: PLC0415 - SQLAlchemy: not for --help

    try:
        return read_only_connection(Settings.from_env().database_url)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None


Handler = Callable[[argparse.Namespace], int | None]


def add_command(sub: Any, name: str, help_text: str, handler: Handler, description: str | None = None) -> Parser:
    parser: Parser = sub.add_parser(name, help=help_text, description=description or help_text)
    parser.set_defaults(handler=handler)
    return parser


def print_json(data: Any, out: TextIO | None = None) -> None:
    """JSON on stdout. Lists print one compact object per line: still one JSON document, but
    encoded by the C encoder (`indent` forces the pure-Python one, 30× slower on 100k rows)."""
    out = out or sys.stdout
    if isinstance(data, list):
        encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
        write_json_rows([[encode(item) for item in data]], out)
        return
    json.dump(data, out, ensure_ascii=False, indent=2, default=_json_default)
    out.write("\n")


def write_json_rows(batches: Iterable[Sequence[str]], out: TextIO | None = None) -> None:
    """A JSON list of already encoded objects, one per line, written batch by batch as they come."""
    out = out or sys.stdout
    opening = "[\n"
    for batch in batches:
        if batch:
            out.write(opening + ",\n".join(batch))
            opening = ",\n"
    out.write("[]\n" if opening == "[\n" else "\n]\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    materialised = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in materialised:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    line = "  ".join(header.ljust(widths[i]) for i, header in enumerate(headers))
    out.write(line.rstrip() + "\n")
    out.write("  ".join("-" * width for width in widths) + "\n")
    for row in materialised:
        out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")


def print_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None) -> None:
    from pipeline.tabular import neutralise  # noqa: PLC0415 (stdlib only: cheap for read-only commands)

    writer = csv.writer(out or sys.stdout)
    writer.writerow([neutralise(header) for header in headers])
    for row in rows:
        writer.writerow(
            [
                ""
                if cell is None
                else cell.isoformat()
                if isinstance(cell, date)
                else neutralise(cell)
                if isinstance(cell, str)
                else cell
                for cell in row
            ]
        )


def dicts_to_rows(items: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[list[Any]]:
    return [[item.get(key) for key in keys] for item in items]


def report_failed_import(file_name: str, errors: Any) -> int:
    """Print an all-or-nothing import's refusal (pipeline.importing.ImportFailed) to stderr; exit 1."""
    print(
        f"foerderkette: Fehler: {file_name}: Import abgebrochen, nichts gespeichert – {len(errors.errors)} Fehler:",
        file=sys.stderr,
    )
    print(errors.report(), file=sys.stderr)
    return 1


def write_document(document: str, fmt: str, output: Path | None, what: str) -> int:
    """A document (HTML, or PDF made from it with WeasyPrint) to `output` or standard output."""
    if fmt == "pdf":
        from checklists.pdf import PdfUnavailable, html_to_pdf  # noqa: PLC0415

        try:
            pdf = html_to_pdf(document)
        except PdfUnavailable as exc:
            raise CliError(str(exc)) from None
        if output:
            output.write_bytes(pdf)
        else:
            sys.stdout.buffer.write(pdf)
    elif output:
        output.write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)
    if output:
        print(f"{what} geschrieben: {output}", file=sys.stderr)
    return 0
