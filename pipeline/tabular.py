"""Reading and writing the tables coordinators exchange: CSV (UTF-8 or Excel's Windows-1252 with
semicolons) and Excel `.xlsx`."""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

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
    """A file being read: its headers, and its rows as they are read (`(line, cells)`, the file
    line (CSV) or sheet row (xlsx) of each, for messages). The rows are read once, lazily: a 20 MB
    file is never held in memory as a whole (issue 21)."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    encoding: str


#: limits of an .xlsx file, checked before anything is loaded (a zip bomb is refused in
#: milliseconds): its unpacked size as a multiple of the import limit, and the rows of its sheet
XLSX_UNPACKED_FACTOR = 10
MAX_ROWS = 250_000
#: the longest cell a CSV may hold (the csv module's own limit, named)
MAX_CELL_CHARACTERS = 100_000


def read_table(path: Path, *, max_bytes: int) -> Table:
    """Open a CSV or `.xlsx` file; refuses files over `max_bytes`, empty files, files in no
    supported encoding and .xlsx files that unpack to more than allowed. Cells come as read:
    `cell_problem` says which one holds what no cell may hold."""
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
        return _read_xlsx(path, max_unpacked=max(max_bytes, 1_000_000) * XLSX_UNPACKED_FACTOR)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise TableError(f"Dateityp '{suffix or path.name}' wird nicht unterstützt (erlaubt: .csv, .xlsx)")


def cell_problem(cell: Cell) -> str | None:
    """Why a cell cannot be taken (a control character, NUL included), or None."""
    if isinstance(cell, str) and (bad := next((c for c in cell if c in CONTROL_CHARACTERS), None)):
        return f"Steuerzeichen 0x{ord(bad):02x} nicht erlaubt"
    return None


def unescape(cell: Cell) -> Cell:
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


_CHUNK = 1 << 20
#: a valid UTF-8 sequence of two to four bytes: a file that has one is meant to be UTF-8
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_UNDEFINED_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _place(path: Path, offset: int) -> str:
    """ "Zeile 12, Byte 7" of byte `offset` of the file (read up to it, in chunks)."""
    line, line_start, position = 1, 0, 0
    with path.open("rb") as handle:
        while position < offset:
            chunk = handle.read(min(_CHUNK, offset - position))
            if not chunk:
                break
            newlines = chunk.count(b"\n")
            if newlines:
                line += newlines
                line_start = position + chunk.rindex(b"\n") + 1
            position += len(chunk)
    return f"Zeile {line}, Byte {offset - line_start + 1}"


def _first_utf8_error(path: Path, skip: int) -> tuple[int, int] | None:
    """Offset and value of the first byte that is not UTF-8 (None: the whole file is), read in
    chunks through an incremental decoder."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    position = skip
    with path.open("rb") as handle:
        handle.seek(skip)
        while chunk := handle.read(_CHUNK):
            # the error's offset is within the bytes the decoder kept from the last chunk plus this one
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                return position - len(pending) + exc.start, data[exc.start]
            position += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return position - 1, 0
    return None


def decide_encoding(path: Path) -> tuple[str, int]:
    """The encoding of the whole file and the length of its byte order mark: UTF-8 (with or
    without BOM), UTF-16 with BOM, or Windows-1252 – decided once for the file, never per line.
    A file that fits none is refused with the line and byte of the first bad sequence."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        raise TableError("Die Datei ist eine Excel-Arbeitsmappe: bitte mit der Endung .xlsx hochladen")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            with path.open("r", encoding="utf-16", newline="") as handle:
                while handle.read(_CHUNK):
                    pass
        except UnicodeError:
            raise TableError(
                "Die Datei beginnt als UTF-16, ist aber kein gültiges UTF-16: bitte als „CSV UTF-8“ speichern"
            ) from None
        return "utf-16", 0
    if head.count(b"\x00") > len(head) // 10:
        raise TableError(
            "Kodierung nicht unterstützt (UTF-16 ohne Byte-Order-Mark oder Binärdatei): bitte als „CSV UTF-8“ "
            "oder „CSV (Trennzeichen-getrennt)“ speichern"
        )
    bom = 3 if head.startswith(codecs.BOM_UTF8) else 0
    error = _first_utf8_error(path, bom)
    if error is None:
        return "utf-8", bom
    offset, value = error
    meant_as_utf8 = bom > 0 or _first_match(path, _UTF8_SEQUENCE) is not None
    if meant_as_utf8:
        raise TableError(
            f"Die Datei ist als UTF-8 gespeichert, enthält aber in {_place(path, offset)} ein Zeichen, das kein "
            f"UTF-8 ist (Byte 0x{value:02x}). Bitte die ganze Datei einheitlich als „CSV UTF-8“ speichern; "
            "nichts importiert."
        )
    undefined = _first_match(path, _UNDEFINED_CP1252)
    if undefined is not None:
        offset, value = undefined
        raise TableError(
            f"Kodierung nicht erkannt: weder UTF-8 noch Windows-1252 ({_place(path, offset)}, Byte 0x{value:02x}). "
            "Bitte als „CSV UTF-8“ speichern; nichts importiert."
        )
    return "cp1252", 0


def _first_match(path: Path, pattern: re.Pattern[bytes]) -> tuple[int, int] | None:
    """Offset and first byte of the first match of `pattern` in the file, read in overlapping chunks."""
    position, tail = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            data = tail + chunk
            found = pattern.search(data)
            if found is not None:
                return position - len(tail) + found.start(), data[found.start()]
            tail = data[-3:]
            position += len(chunk)
    return None


def _read_csv(path: Path) -> Table:
    encoding, _bom = decide_encoding(path)
    label = {"utf-8": "utf-8", "utf-16": "utf-16", "cp1252": "windows-1252"}[encoding]
    handle = path.open("r", encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")
    try:
        first, consumed = handle.readline(), 1
        while first and not first.strip():
            first, consumed = handle.readline(), consumed + 1
        if not first.strip():
            raise TableError("Die Datei ist leer")
        delimiter = max((";", ",", "\t"), key=first.count)
        header_cells = next(csv.reader([first], delimiter=delimiter), [])
    except BaseException:
        handle.close()
        raise
    headers = [cell.strip() for cell in header_cells]
    return Table(headers, _csv_rows(handle, delimiter, consumed), label)


def _csv_rows(handle: TextIO, delimiter: str, consumed: int) -> Iterator[tuple[int, list[Cell]]]:
    """The records after the header, each with the file line it starts on (`consumed`: the
    lines up to the header)."""
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        count = 0
        while True:
            start = consumed + reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                reason = str(exc)
                if "field larger than field limit" in reason:
                    reason = f"ein Feld ist länger als {MAX_CELL_CHARACTERS:,} Zeichen".replace(",", ".")
                raise TableError(f"CSV nicht lesbar ab Zeile {start}: {reason}. Nichts importiert.") from None
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            yield start, [unescape(cell.strip() or None) for cell in record]
        if not count:
            raise TableError("Die Datei enthält keine Datenzeilen (nur die Kopfzeile)")


_SHEET = re.compile(rb"<sheet\b[^>]*?\br:id=\"([^\"]+)\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The archive member of the workbook's first sheet (as openpyxl reads it)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        relations = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return "xl/worksheets/sheet1.xml"
    found = _SHEET.search(workbook)
    if found is None:
        return "xl/worksheets/sheet1.xml"
    rel = found.group(1).decode()
    target = re.search(
        rf"<Relationship\b[^>]*?Id=\"{re.escape(rel)}\"[^>]*?Target=\"([^\"]+)\"", relations
    ) or re.search(rf"<Relationship\b[^>]*?Target=\"([^\"]+)\"[^>]*?Id=\"{re.escape(rel)}\"", relations)
    if target is None:
        return "xl/worksheets/sheet1.xml"
    name = target.group(1)
    return name.lstrip("/") if name.startswith("/") else f"xl/{name}"


def _check_xlsx(path: Path, max_unpacked: int) -> None:
    """Refuse an .xlsx that unpacks to more than `max_unpacked` bytes or whose first sheet has
    more than MAX_ROWS rows – from the archive's directory and one streamed pass over the sheet,
    before openpyxl loads anything."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableError(f"Excel-Datei nicht lesbar: keine gültige .xlsx-Datei ({exc})") from None
    with archive:
        unpacked = sum(item.file_size for item in archive.infolist())
        if unpacked > max_unpacked:
            raise TableError(
                f"Excel-Datei entpackt zu groß ({unpacked / 1_000_000:,.0f} MB; höchstens "
                f"{max_unpacked / 1_000_000:,.0f} MB): bitte als CSV speichern oder aufteilen. Nichts importiert.".replace(
                    ",", "."
                )
            )
        rows, tail = 0, b""
        try:
            with archive.open(_first_sheet(archive)) as sheet:
                while chunk := sheet.read(_CHUNK):
                    data = tail + chunk
                    rows += len(_ROW_TAG.findall(data))
                    tail = data[-8:]
                    if _ROW_TAG.search(tail):
                        rows -= 1  # counted again with the next chunk
                    if rows > MAX_ROWS + 1:
                        raise TableError(
                            f"Excel-Datei hat mehr als {MAX_ROWS:,} Zeilen: bitte aufteilen. Nichts importiert.".replace(
                                ",", "."
                            )
                        )
        except TableError:
            raise
        except KeyError:
            raise TableError("Excel-Datei nicht lesbar: die Arbeitsmappe hat kein Tabellenblatt") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise TableError(f"Excel-Datei nicht lesbar: beschädigt ({shorten(str(exc), 120)})") from None


def _read_xlsx(path: Path, *, max_unpacked: int) -> Table:
    _check_xlsx(path, max_unpacked)
    from openpyxl import load_workbook  # noqa: PLC0415 - 0.3 s, only when needed

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise TableError(f"Excel-Datei nicht lesbar: {shorten(str(exc), 200)}") from None
    try:
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header_row = next(iterator, None)
    except Exception as exc:
        workbook.close()
        raise TableError(f"Excel-Datei nicht lesbar: {shorten(str(exc), 200)}") from None
    if header_row is None:
        workbook.close()
        raise TableError("Die Datei ist leer")
    headers = [str(cell).strip() if cell is not None else "" for cell in header_row]
    return Table(headers, _xlsx_rows(workbook, iterator), "xlsx")


def _xlsx_rows(workbook: Any, iterator: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[Cell]]]:
    count = 0
    try:
        for number, values in enumerate(iterator, start=2):
            cells: list[Cell] = [unescape(_xlsx_cell(value)) for value in values]
            if all(cell is None for cell in cells):
                continue
            count += 1
            yield number, cells
    except TableError:
        raise
    except Exception as exc:  # a broken sheet part, found while reading
        raise TableError(f"Excel-Datei nicht lesbar: {shorten(str(exc), 200)}") from None
    finally:
        workbook.close()
    if not count:
        raise TableError("Die Datei enthält keine Datenzeilen (nur die Kopfzeile)")


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
