"""Reading and writing the tables coordinators exchange: CSV (UTF-8 or Excel's Windows-1252 with
semicolons) and Excel `.xlsx`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

Cell = str | int | float | bool | date | None

#: A text cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV
#: injection"): exports write it with a leading apostrophe, imports take that apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Control characters no spreadsheet cell may hold (tab, line feed and carriage return may)
CONTROL_CHARACTERS = frozenset(chr(code) for code in (*range(0, 9), 11, 12, *range(14, 32), 127))


#: the longest value quoted in a message (error lists, reports, e-mails); longer ones are cut
SHOWN_CHARACTERS = 80


def shorten(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """`text` for a message: cut after `limit` characters with a note of its full length, control
    characters shown as U+FFFD (a 100,000-character cell is never echoed back in full)."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} Zeichen)".replace(",", ".")
    return neutralise(text) if any(c in CONTROL_CHARACTERS for c in text) else text


class TableError(ValueError):
    """The file as a whole cannot be read (German message)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    #: the file line (CSV) or sheet row (xlsx) of each row, for error messages
    line_numbers: list[int]
    encoding: str


def read_table(path: Path, *, max_bytes: int) -> Table:
    """Read a CSV or `.xlsx` file; refuses files over `max_bytes`, empty files and unknown encodings."""
    if not path.is_file():
        raise TableError(f"Datei '{path}' gibt es nicht")
    size = path.stat().st_size
    if size > max_bytes:
        raise TableError(
            f"Datei ist zu groß ({size / 1_000_000:.1f} MB; höchstens {max_bytes / 1_000_000:.0f} MB). "
            "Bitte in mehrere Dateien aufteilen oder FOERDERKETTE_IMPORT_MAX_MB erhöhen."
        )
    if size == 0:
        raise TableError("Die Datei ist leer")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        table = _read_xlsx(path)
    elif suffix in (".csv", ".txt"):
        table = _read_csv(path.read_bytes())
    else:
        raise TableError(f"Dateityp '{suffix or path.name}' wird nicht unterstützt (erlaubt: .csv, .xlsx)")
    _check_characters(table)
    table.rows = [[_unescape(cell) for cell in row] for row in table.rows]
    return table


def _check_characters(table: Table) -> None:
    """Refuse the file when a cell holds a control character (they break exports and are never
    part of a name or an address), naming each place."""
    problems = []
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        for index, cell in enumerate(row):
            if isinstance(cell, str) and (bad := next((c for c in cell if c in CONTROL_CHARACTERS), None)):
                column = table.headers[index] if index < len(table.headers) and table.headers[index] else f"{index + 1}"
                problems.append(f"Zeile {line}, Spalte „{column}“: Steuerzeichen 0x{ord(bad):02x} nicht erlaubt")
    if problems:
        more = f" (und {len(problems) - 10} weitere)" if len(problems) > 10 else ""
        raise TableError("Die Datei enthält Steuerzeichen: " + "; ".join(problems[:10]) + more + ". Nichts importiert.")


def _unescape(cell: Cell) -> Cell:
    """A cell as exported by `write_table`: the apostrophe that kept a formula-like text from
    being evaluated is not part of the value."""
    if isinstance(cell, str) and len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


def neutralise(text: str) -> str:
    """`text` safe for a spreadsheet cell: never a formula (a leading apostrophe where it would be
    one), no control characters (replaced by U+FFFD, which every format can hold)."""
    if any(c in CONTROL_CHARACTERS for c in text):
        text = "".join("\ufffd" if c in CONTROL_CHARACTERS else c for c in text)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise TableError(
            "Kodierung nicht unterstützt (UTF-16 oder Binärdatei): bitte als „CSV UTF-8“ oder „CSV (Trennzeichen-getrennt)“ speichern"
        )
    if data.startswith(b"PK\x03\x04"):
        raise TableError("Die Datei ist eine Excel-Arbeitsmappe: bitte mit der Endung .xlsx hochladen")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise TableError(
            f"Kodierung nicht erkannt (Byte 0x{data[exc.start]:02x} an Stelle {exc.start}): bitte als UTF-8 oder Windows-1252 speichern"
        ) from None
    return text, "windows-1252"


def _read_csv(data: bytes) -> Table:
    text, encoding = _decode(data)
    if not text.strip():
        raise TableError("Die Datei ist leer")
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise TableError(f"CSV nicht lesbar: {exc}") from None
    headers = [cell.strip() for cell in records[0]] if records else []
    rows: list[list[Cell]] = []
    lines: list[int] = []
    line = 1
    for index, record in enumerate(records[1:], start=2):
        line = index
        if not any(cell.strip() for cell in record):
            continue
        rows.append([cell.strip() or None for cell in record])
        lines.append(line)
    if not rows:
        raise TableError("Die Datei enthält keine Datenzeilen (nur die Kopfzeile)")
    return Table(headers, rows, lines, encoding)


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # noqa: PLC0415 - 0.3 s, only when needed

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise TableError(f"Excel-Datei nicht lesbar: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header_row = next(iterator, None)
        if header_row is None:
            raise TableError("Die Datei ist leer")
        headers = [str(cell).strip() if cell is not None else "" for cell in header_row]
        rows: list[list[Cell]] = []
        lines: list[int] = []
        for number, values in enumerate(iterator, start=2):
            cells: list[Cell] = [_xlsx_cell(value) for value in values]
            if all(cell is None for cell in cells):
                continue
            rows.append(cells)
            lines.append(number)
    finally:
        workbook.close()
    if not rows:
        raise TableError("Die Datei enthält keine Datenzeilen (nur die Kopfzeile)")
    return Table(headers, rows, lines, "xlsx")


def _xlsx_cell(value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # type: ignore[no-any-return]


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "ja" if cell else "nein"
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, int | float):
        return str(cell)
    return neutralise(str(cell))


def write_table(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet_title: str = "Daten"
) -> int:
    """Write CSV (UTF-8 with BOM, semicolons: opens correctly in German Excel) or `.xlsx`; returns
    rows written. Text is `neutralise`d: no cell becomes a formula, no control character breaks
    the file; in `.xlsx` every text cell is stored as text."""
    suffix = path.suffix.lower()
    count = 0
    if suffix == ".xlsx":
        from openpyxl import Workbook  # noqa: PLC0415
        from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(sheet_title)

        def text_cell(value: str) -> Any:
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # stored as text, whatever it looks like
            return cell

        sheet.append([text_cell(neutralise(header)) for header in headers])
        for row in rows:
            sheet.append(
                [
                    cell
                    if isinstance(cell, int | float | date) and not isinstance(cell, bool)
                    else (text_cell(text) if (text := _text(cell)) else None)
                    for cell in row
                ]
            )
            count += 1
        workbook.save(path)
        return count
    if suffix != ".csv":
        raise TableError(f"Dateityp '{suffix}' wird nicht unterstützt (erlaubt: .csv, .xlsx)")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([neutralise(header) for header in headers])
        for row in rows:
            writer.writerow([_text(cell) for cell in row])
            count += 1
    return count
