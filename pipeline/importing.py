"""Import of participants, courses and contacts from CSV/Excel: validate every row first, then write
everything in one transaction or nothing. Idempotent on the natural key (participant `ref`,
course code, contact email)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from pipeline.bulk import bulk_insert
from pipeline.database import table_of, utcnow
from pipeline.steps_cache import steps_columns
from pipeline.tables import (
    AGENCY_TYPES,
    CONTACT_ROLES,
    COURSE_FORMATS,
    COURSE_KINDS,
    COURSE_SLOTS,
    TRANSPORT_REACH,
    Agency,
    Contact,
    Course,
    Participant,
    Region,
    StageChange,
)
from pipeline.tabular import Cell, Table, cell_problem, read_table, shorten
from pipeline.validation import RegionValues, check_region_values, region_values, validate_email_address
from process_models import Interruption, ParticipantState, ProcessModel, coerce_value, open_steps
from process_models.spec import EventSpec

MAX_ERRORS_SHOWN = 50
_FAILED = "__failed_columns__"


@dataclass(frozen=True)
class RowError:
    """One problem of a file, where it is. The value is kept short (a 100,000-character cell is
    never echoed back in full: messages, the report file and the drop's e-mail quote it cut)."""

    row: int
    column: str
    value: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", shorten(self.value))
        object.__setattr__(self, "column", shorten(self.column))

    def __str__(self) -> str:
        where = f"Zeile {self.row}" if self.row else "Datei"
        column = f", Spalte '{self.column}'" if self.column else ""
        value = f", Wert '{self.value}'" if self.value else ""
        return f"{where}{column}{value}: {self.reason}"


class ImportFailed(Exception):
    """The file has errors; nothing was written. `errors` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"Import abgebrochen, nichts gespeichert: {len(errors)} Fehler")

    def report(self, limit: int = MAX_ERRORS_SHOWN) -> str:
        lines = [str(error) for error in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"… und {len(self.errors) - limit} weitere Fehler")
        return "\n".join(lines)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return f"{self.total} Zeilen: {self.created} neu, {self.updated} aktualisiert, {self.unchanged} unverändert"


@dataclass(frozen=True)
class Column:
    """A column of an import file: German header, where the value goes, how it is parsed."""

    name: str
    target: str
    kind: str = "str"
    required: bool = False
    aliases: tuple[str, ...] = ()


def normalise_header(text: str) -> str:
    text = text.strip().lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    Column("ref", "ref", "ref", True, ("referenz", "kennung", "kennzeichen")),
    Column("nachname", "last_name", "name", True, ("familienname",)),
    Column("vorname", "first_name", "name", True, ()),
    Column("geburtsjahr", "birth_year", "year"),
    Column("email", "email", "email", aliases=("e_mail", "mail", "e_mail_adresse")),
    Column("telefon", "phone", "phone", aliases=("tel", "telefonnummer")),
    Column("plz", "postcode", "postcode", aliases=("postleitzahl",)),
    Column("ort", "location", "str", aliases=("wohnort",)),
    Column("kinderbetreuung", "childcare", "bool"),
    Column("teilzeit", "part_time", "bool", aliases=("teilzeit_abend", "abendkurs")),
    Column("alphabetisierung", "literacy", "bool"),
    Column("jugend", "youth", "bool"),
    Column("oepnv", "transport_reach", "transport", aliases=("oepnv_erreichbarkeit", "erreichbarkeit")),
    Column("stufe", "stage", "stage", True, ("stage",)),
    Column("stufe_seit", "stage_since", "date"),
    Column("berechtigt_am", "fact:entitled_on"),
    Column("berechtigt_durch", "fact:entitled_by"),
    Column("titel_erteilt_am", "fact:title_issued_on"),
    Column("zulassung_am", "fact:admitted_on"),
    Column("verpflichtet_durch", "fact:obliged_by"),
    Column("verpflichtet_am", "fact:obliged_on"),
    Column("eingestuft_am", "fact:placement_tested_on"),
    Column("kursart", "fact:course_type"),
    Column("angemeldet_am", "fact:registered_on"),
    Column("kurstraeger", "fact:provider", aliases=("traeger",)),
    Column("kursbeginn", "course_start", "date"),
    Column("kursende", "fact:course_end_planned"),
    Column("unterbrochen_am", "fact:interrupted_on"),
    Column("pruefung_am", "fact:test_date"),
    Column("dtz", "fact:dtz_level", aliases=("dtz_ergebnis",)),
    Column("lid_punkte", "fact:lid_points", aliases=("lid",)),
    Column("unterbrechungen", "interruptions", "interruptions"),
)

COURSE_COLUMNS: tuple[Column, ...] = (
    Column("kurs", "code", "ref", True, ("kursnummer", "kurs_nr")),
    Column("kurstraeger", "provider", "str", True, ("traeger",)),
    Column("art", "kind", "course_kind", aliases=("kursgattung",)),
    Column("kursart", "course_type", "str", True, ("modul",)),
    Column("format", "format", "course_format", aliases=("kursform",)),
    Column("ort", "site", "str", True, ("kursort", "standort")),
    Column("plz", "postcode", "postcode"),
    Column("zeit", "slot", "course_slot", aliases=("tageszeit", "unterrichtszeit")),
    Column("beginn_geplant", "planned_start", "date", aliases=("geplanter_beginn",)),
    Column("beginn", "actual_start", "date", aliases=("kursbeginn",)),
    Column("ende", "end_date", "date", aliases=("kursende",)),
    Column("plaetze", "capacity", "count", True, ("kapazitaet",)),
    Column("mindestgroesse", "min_size", "count", aliases=("mindestteilnehmer",)),
    Column("abgesagt", "cancelled", "bool"),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("stelle", "agency_code", "ref", True, ("stelle_kuerzel",)),
    Column("stelle_typ", "agency_type", "agency_type", aliases=("typ",)),
    Column("stelle_name", "agency_name", "str"),
    Column("name", "name", "name", True),
    Column("email", "email", "email", True, ("e_mail", "mail")),
    Column("rolle", "role", "role"),
)


def fact_columns(model: ProcessModel) -> dict[str, Column]:
    """A column for every fact without one of its own in PARTICIPANT_COLUMNS, named by its German
    label (`leistungsbezug`); the identifier is an alias. Where two labels would give the same
    name, or a name of PARTICIPANT_COLUMNS, the identifier is the name."""
    taken = {normalise_header(name) for column in PARTICIPANT_COLUMNS for name in (column.name, *column.aliases)}
    documented = {column.target for column in PARTICIPANT_COLUMNS}
    headers: dict[str, list[str]] = {}
    for name, spec in model.facts.items():
        if f"fact:{name}" not in documented:
            headers.setdefault(normalise_header(spec.label), []).append(name)
    columns: dict[str, Column] = {}
    for header, names in headers.items():
        for name in names:
            german = header if len(names) == 1 and header not in taken and header not in model.facts else name
            columns[name] = Column(german, f"fact:{name}", aliases=(name,) if german != name else ())
    return columns


def course_start_fact(model: ProcessModel, stage: str) -> str:
    """The fact behind the "kursbeginn" column: the expected start before any course began
    (stages tagged `before_course`), the actual start after."""
    return "expected_start" if stage in model.stages_tagged("before_course") else "course_started_on"


def payload_field_name(spec: EventSpec, key: str) -> str:
    """The payload field of `spec` that `key` names: the field's identifier, its label, or the
    import column of the fact the field writes (`kurstraeger` for the provider). `--set` on the
    command line accepts all three; an unknown key comes back as it is, for the engine to refuse."""
    if spec.field(key) is not None:
        return key
    wanted = normalise_header(key)
    for item in spec.payload:
        if normalise_header(item.label) == wanted:
            return item.name
    for column in PARTICIPANT_COLUMNS:
        if column.target.startswith("fact:") and wanted in (column.name, *column.aliases):
            found = spec.field_for_fact(column.target[5:])
            if found is not None:
                return found.name
    return key


def fact_column_name(fact: str) -> str:
    """The header of the column that carries `fact` (its German name where there is one)."""
    if fact in ("course_started_on", "expected_start"):
        return "kursbeginn"
    for column in PARTICIPANT_COLUMNS:
        if column.target == f"fact:{fact}":
            return column.name
    return fact


# --------------------------------------------------------------------------- cell parsing


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    return cell.isoformat() if isinstance(cell, date) else str(cell)


def _choice(text: str, options: Mapping[str, str], what: str) -> str:
    wanted = text.strip().casefold()
    for key, label in options.items():
        if wanted in (key.casefold(), label.casefold()):
            return key
    raise ValueError(f"{what} „{text.strip()}“ ist nicht vorgesehen (möglich: {', '.join(options.values())})")


def parse_cell(kind: str, cell: Cell, model: ProcessModel) -> Any:
    """Typed value of one cell; raises ValueError with a German reason."""
    text = _text(cell).strip()
    if kind in ("str", "name"):
        if len(text) > 120:
            raise ValueError("höchstens 120 Zeichen")
        return text
    if kind == "ref":
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$", text):
            raise ValueError("Referenz: 1–40 Zeichen aus Buchstaben, Ziffern, . _ / -")
        return text
    if kind == "year":
        if not re.match(r"^\d{4}$", text) or not 1900 <= int(text) <= datetime.now(UTC).year:
            raise ValueError("kein gültiges Geburtsjahr (vierstellig)")
        return int(text)
    if kind == "count":
        if not re.match(r"^\d+$", text) or not 1 <= int(text) <= 100:
            raise ValueError("ganze Zahl zwischen 1 und 100 erwartet")
        return int(text)
    if kind == "email":
        return validate_email_address(text)
    if kind == "phone":
        if not re.match(r"^[0-9+()/ .-]{3,40}$", text):
            raise ValueError("keine gültige Telefonnummer")
        return text
    if kind == "postcode":
        if not re.match(r"^\d{5}$", text):
            raise ValueError("Postleitzahl muss fünfstellig sein")
        return text
    if kind == "transport":
        return _choice(text, TRANSPORT_REACH, "ÖPNV-Erreichbarkeit")
    if kind == "stage":
        stage = model.find_stage(text)
        if stage is None:
            raise ValueError(f"unbekannte Stufe (erlaubt: {', '.join(s.label for s in model.stages.values())})")
        return stage
    if kind == "course_kind":
        return _choice(text, COURSE_KINDS, "Kursgattung")
    if kind == "course_slot":
        return _choice(text, COURSE_SLOTS, "Unterrichtszeit")
    if kind == "course_format":
        return _choice(text, COURSE_FORMATS, "Format")
    if kind == "role":
        return _choice(text, CONTACT_ROLES, "Rolle")
    if kind == "agency_type":
        return _choice(text, AGENCY_TYPES, "Stellentyp")
    if kind == "interruptions":
        return _interruptions(text)
    if kind == "date" and isinstance(cell, date):
        return cell
    return coerce_value(kind, cell if not isinstance(cell, str) else text, model)


def _interruptions(text: str) -> tuple[Interruption, ...]:
    """`2026-02-02/2026-04-06; 2026-07-01/` — start/end pairs, the last may be open."""
    result: list[Interruption] = []
    for part in filter(None, (item.strip() for item in text.split(";"))):
        start_text, _, end_text = part.partition("/")
        try:
            start = date.fromisoformat(start_text.strip())
            end = date.fromisoformat(end_text.strip()) if end_text.strip() else None
        except ValueError:
            raise ValueError("Unterbrechungen: JJJJ-MM-TT/JJJJ-MM-TT, mehrere mit ; getrennt") from None
        if end is not None and end < start:
            raise ValueError("Unterbrechung endet vor ihrem Beginn")
        result.append(Interruption(start, end))
    return tuple(result)


# --------------------------------------------------------------------------- headers


def map_headers(
    table: Table, columns: Sequence[Column], *, extra: Mapping[str, Column] | None = None
) -> tuple[dict[int, Column], list[RowError]]:
    """Which column each header is; unknown, duplicate and missing required headers are errors."""
    lookup: dict[str, Column] = {}
    for column in columns:
        for name in (column.name, *column.aliases):
            lookup[normalise_header(name)] = column
    for name, column in (extra or {}).items():
        lookup.setdefault(normalise_header(name), column)
    mapping: dict[int, Column] = {}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        if problem := cell_problem(header):
            errors.append(RowError(1, f"Spalte {index + 1}", header, problem))
            continue
        if not header:
            continue  # a column without a header must stay empty (checked row by row)
        found = lookup.get(normalise_header(header))
        if found is None:
            known = ", ".join(c.name for c in columns)
            errors.append(RowError(1, header, "", f"unbekannte Spalte (bekannt: {known})"))
            continue
        if found.name in seen:
            errors.append(RowError(1, header, "", f"Spalte '{found.name}' kommt doppelt vor"))
            continue
        seen[found.name] = index
        mapping[index] = found
    missing = [column.name for column in columns if column.required and column.name not in seen]
    if missing:
        errors.append(RowError(1, ", ".join(missing), "", "Pflichtspalte fehlt"))
    return mapping, errors


def parse_rows(
    table: Table,
    mapping: Mapping[int, Column],
    model: ProcessModel,
    kinds: Callable[[Column], str],
    errors: list[RowError],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row's typed values as the file is read; problems go to `errors` (a cell with a
    control character, a value in a column without header, a value that does not parse)."""
    unnamed_reported: set[int] = set()
    for line, cells in table.rows:
        values: dict[str, Any] = {}
        for index, cell in enumerate(cells):
            if cell is None:
                continue
            if problem := cell_problem(cell):
                name = table.headers[index] if index < len(table.headers) and table.headers[index] else ""
                errors.append(RowError(line, name or f"Spalte {index + 1}", _text(cell), problem))
                values.setdefault(_FAILED, set()).add(mapping[index].name if index in mapping else name)
            elif index not in mapping and index not in unnamed_reported:
                if index >= len(table.headers) or not table.headers[index]:
                    unnamed_reported.add(index)
                    errors.append(RowError(line, f"Spalte {index + 1}", "", "Spalte ohne Überschrift enthält Werte"))
        for index, column in mapping.items():
            cell = cells[index] if index < len(cells) else None
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if column.required:
                    errors.append(RowError(line, table.headers[index], "", "Pflichtangabe fehlt"))
                values[column.target] = None
                continue
            if column.name in values.get(_FAILED, ()):
                values[column.target] = None
                continue
            try:
                values[column.target] = parse_cell(kinds(column), cell, model)
            except ValueError as exc:
                # the column as the file names it (the header may be an alias)
                errors.append(RowError(line, table.headers[index], _text(cell), str(exc)))
                values.setdefault(_FAILED, set()).add(column.name)
        yield line, values


# --------------------------------------------------------------------------- participants

_MASTER_FIELDS = (
    "last_name",
    "first_name",
    "birth_year",
    "email",
    "phone",
    "postcode",
    "location",
    "childcare",
    "part_time",
    "literacy",
    "youth",
    "transport_reach",
    "municipality_id",
)

#: Tells the home municipality of (postcode, place): its id, or None with a German reason
#: (`places.geo.HomeResolver.resolve`, passed in by the shell: pipeline does not import places).
HomeLookup = Callable[[str | None, str | None], Any]


def import_participants(
    *,
    session: Session,
    path: Path,
    region: Region,
    model: ProcessModel,
    today: date,
    max_bytes: int,
    user: str | None = None,
    home: HomeLookup | None = None,
) -> ImportResult:
    """Validate the whole file, then create or update every participant in the session.

    With `home` (the region has municipalities), each row's postcode and place must name one of
    them: the participant's home municipality is set, an unknown or ambiguous address is a row error.
    Raises ImportFailed (or TableError) without writing anything when any row is wrong.
    """
    table = read_table(path, max_bytes=max_bytes)
    extra = {name: column for column in fact_columns(model).values() for name in (column.name, *column.aliases)}
    # a fact that has a column of its own can still be given by its identifier
    extra.update({name: Column(name, f"fact:{name}") for name in model.facts if name not in extra})
    mapping, errors = map_headers(table, PARTICIPANT_COLUMNS, extra=extra)
    if errors:
        raise ImportFailed(errors)

    def kind_of(column: Column) -> str:
        if column.target.startswith("fact:"):
            return model.facts[column.target[5:]].type
        return column.kind

    present = {column.target for column in mapping.values()}
    assert region.id is not None
    known = region_values(session.connection(), region.id)
    seen: dict[str, int] = {}
    result = ImportResult()
    chunk: list[tuple[int, dict[str, Any]]] = []

    def process() -> None:
        """Validate a chunk of rows and, while the file has shown no error, write it (in the open
        transaction: a later error rolls everything back – all or nothing, without holding a
        20 MB file's rows in memory)."""
        existing = _existing_participants(session, [values["ref"] for _line, values in chunk])
        planned: list[tuple[dict[str, Any], Any]] = []
        for line, values in chunk:
            ref = values["ref"]
            current = existing.get(ref)
            if current is not None and current.region_id != region.id:
                errors.append(RowError(line, "ref", ref, "Referenz gehört zu einer anderen Region"))
                continue
            row_errors, record = _participant_record(line, values, present, current, model, today, known)
            if home is not None and not row_errors and ({"postcode", "location"} & present):
                postcode = record.get("postcode", current.postcode if current is not None else None)
                location = record.get("location", current.location if current is not None else None)
                found = home(postcode, location)
                if found.problem:
                    row_errors.append(
                        RowError(line, "plz" if postcode else "ort", postcode or location or "", found.problem)
                    )
                record["municipality_id"] = found.municipality_id
            errors.extend(row_errors)
            if not row_errors:
                planned.append((record, current))
        if not errors:
            _apply_participants(
                session=session, planned=planned, region=region, model=model, today=today, user=user, result=result
            )
        chunk.clear()

    for line, values in parse_rows(table, mapping, model, kind_of, errors):
        ref = values.get("ref")
        if not ref:
            continue
        if ref in seen:
            errors.append(RowError(line, "ref", ref, f"Referenz kommt doppelt vor (zuerst in Zeile {seen[ref]})"))
            continue
        seen[ref] = line
        chunk.append((line, values))
        if len(chunk) >= _CHUNK_ROWS:
            process()
    process()
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.row))
    session.flush()
    return result


#: rows validated and written together (memory stays flat however long the file)
_CHUNK_ROWS = 1000


def _existing_participants(session: Session, refs: Sequence[str]) -> dict[str, Any]:
    """The stored participants with these references, as plain rows (not ORM objects: an import
    of 150,000 rows must not fill the session)."""
    table = table_of(Participant)
    found: dict[str, Any] = {}
    connection = session.connection()
    for start in range(0, len(refs), 900):
        chunk = refs[start : start + 900]
        for row in connection.execute(table.select().where(table.c.ref.in_(chunk))):
            found[row.ref] = row
    return found


def _participant_record(
    line: int,
    values: dict[str, Any],
    present: set[str],
    current: Any,
    model: ProcessModel,
    today: date,
    known: RegionValues,
) -> tuple[list[RowError], dict[str, Any]]:
    errors: list[RowError] = []
    stage: str | None = values.get("stage")
    if stage is None:
        return errors, {}
    facts: dict[str, Any] = dict(current.state.get("facts", {})) if current is not None else {}
    facts = {
        key: (
            date.fromisoformat(value)
            if model.facts.get(key) and model.facts[key].type == "date" and isinstance(value, str)
            else value
        )
        for key, value in facts.items()
    }
    for target in present:
        if target.startswith("fact:"):
            name = target[5:]
            if values.get(target) is None:
                facts.pop(name, None)
            else:
                facts[name] = values[target]
    if "course_start" in present:
        start = values.get("course_start")
        key = course_start_fact(model, stage)
        if start is None:
            facts.pop(key, None)
        else:
            facts[key] = start
    if values.get("birth_year") is not None:
        facts["birth_year"] = values["birth_year"]
    if facts.get("registered_on") and not facts.get("assigned_on"):
        facts["assigned_on"] = facts["registered_on"]
    if facts.get("course_started_on") and not facts.get("first_course_started_on"):
        facts["first_course_started_on"] = facts["course_started_on"]
    given = [target[5:] for target in present if target.startswith("fact:")]
    for problem in check_region_values(model, facts, known, only=given):
        errors.append(RowError(line, fact_column_name(problem.fact), str(problem.value), problem.message))
    stage_spec = model.stages[stage]
    failed: set[str] = values.get(_FAILED, set())
    for required in stage_spec.requires:
        if facts.get(required) is None and fact_column_name(required) not in failed:
            errors.append(
                RowError(line, fact_column_name(required), "", f"für die Stufe „{stage_spec.label}“ erforderlich")
            )
    if facts.get("obliged_on") is not None and facts.get("obliged_by") is None and "verpflichtet_durch" not in failed:
        errors.append(RowError(line, "verpflichtet_durch", "", "nötig, wenn verpflichtet_am angegeben ist"))
    if "interruptions" in present:
        interruptions = values.get("interruptions") or ()
    elif current is not None:
        interruptions = ParticipantState.from_json(
            current.state,
            model_version=current.model_version,
            stage=current.stage,
            stage_since=current.stage_since,
            model=model,
        ).interruptions
    else:
        interruptions = ()
    if stage in model.stages_tagged("paused") and not (interruptions and interruptions[-1].end is None):
        interruptions = (*interruptions, Interruption(facts.get("interrupted_on") or today, None))
    stage_since = values.get("stage_since")
    if stage_since is None:
        if current is not None and current.stage == stage:
            stage_since = current.stage_since
        else:
            entry = next((facts[name] for name in stage_spec.requires if isinstance(facts.get(name), date)), None)
            stage_since = entry or today
    elif stage_since > today:
        # the day the person reached the stage is past by definition
        errors.append(RowError(line, "stufe_seit", stage_since.isoformat(), "Datum liegt in der Zukunft"))
    for name, value in facts.items():
        if isinstance(value, date) and value > today and not (name in model.facts and model.facts[name].future):
            errors.append(RowError(line, fact_column_name(name), value.isoformat(), "Datum liegt in der Zukunft"))
    record = {key: values.get(key) for key in _MASTER_FIELDS if key in present}
    for flag in ("childcare", "part_time", "literacy", "youth"):
        if flag in record and record[flag] is None:
            record[flag] = False
    record.update(ref=values["ref"], stage=stage, stage_since=stage_since, facts=facts, interruptions=interruptions)
    return errors, record


def _apply_participants(
    *,
    session: Session,
    planned: Iterable[tuple[dict[str, Any], Any]],
    region: Region,
    model: ProcessModel,
    today: date,
    user: str | None,
    result: ImportResult,
) -> None:
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changes: list[tuple[str, str | None, str, date]] = []
    for record, current in planned:
        state = ParticipantState(
            model_version=current.model_version if current is not None else model.version,
            stage=record["stage"],
            stage_since=record["stage_since"],
            facts=record["facts"],
            interruptions=tuple(record["interruptions"]),
        )
        row = {key: record[key] for key in _MASTER_FIELDS if key in record}
        row.update(
            model_version=state.model_version,
            stage=state.stage,
            stage_since=state.stage_since,
            state=state.to_json(),
            **steps_columns(open_steps(state, today=today, model=model), state=state, today=today, model=model),
            updated_at=now,
        )
        if current is None:
            inserts.append(
                {
                    **{
                        key: None
                        for key in (
                            "birth_year",
                            "email",
                            "phone",
                            "postcode",
                            "location",
                            "transport_reach",
                            "municipality_id",
                        )
                    },
                    "childcare": False,
                    "part_time": False,
                    "literacy": False,
                    "youth": False,
                    **row,
                    "ref": record["ref"],
                    "region_id": region.id,
                    "created_at": now,
                }
            )
            changes.append((record["ref"], None, state.stage, state.stage_since))
            result.created += 1
            continue
        before = {key: getattr(current, key) for key in (*_MASTER_FIELDS, "stage", "stage_since", "state")}
        after = {key: row.get(key, before[key]) for key in before}
        if before == after:
            result.unchanged += 1
            continue
        updates.append({**row, "_id": current.id})
        changes.append((record["ref"], current.stage, state.stage, state.stage_since))
        result.updated += 1
    table = table_of(Participant)
    bulk_insert(session.connection(), table, inserts)
    # Rows update only the columns their file carries; group them by that column set.
    for group in _group_by_keys(updates):
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({key: bindparam(key) for key in group[0] if key != "_id"})
        )
        session.execute(statement, group)
    ids = _existing_participants(session, [ref for ref, *_ in changes])
    history: list[dict[str, Any]] = [
        {
            "participant_id": ids[ref].id,
            "occurred_on": since,
            "recorded_at": now,
            "event": "import",
            "from_stage": from_stage,
            "to_stage": to_stage,
            "by_user": user,
            "by_agency": None,
            "note": "Import",
            "payload": {},
            "model_version": ids[ref].model_version,
        }
        for ref, from_stage, to_stage, since in changes
    ]
    bulk_insert(session.connection(), table_of(StageChange), history)


def _group_by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


# --------------------------------------------------------------------------- courses


def import_courses(
    *,
    session: Session,
    path: Path,
    region: Region,
    model: ProcessModel,
    max_bytes: int,
    sites: Callable[[str | None, str | None], int | None] | None = None,
) -> ImportResult:
    """The region's course list; `sites` links each course to its course site by the `ort` text
    and postcode (site code or name; places.importing.site_of), passed in by the shell."""
    table = read_table(path, max_bytes=max_bytes)
    mapping, errors = map_headers(table, COURSE_COLUMNS)
    if errors:
        raise ImportFailed(errors)
    errors = []
    parsed = list(parse_rows(table, mapping, model, lambda column: column.kind, errors))
    providers = {
        agency.code: agency
        for agency in session.exec(select(Agency).where(Agency.region_id == region.id, Agency.type == "KT")).all()
    }
    existing = {
        course.code: course for course in session.exec(select(Course).where(Course.region_id == region.id)).all()
    }
    seen: dict[str, int] = {}
    planned: list[dict[str, Any]] = []
    bsk_levels = model.value_sets.get("bsk_level")
    for line, values in parsed:
        code = values.get("code")
        if not code:
            continue
        if code in seen:
            errors.append(RowError(line, "kurs", code, f"Kurs kommt doppelt vor (zuerst in Zeile {seen[code]})"))
            continue
        seen[code] = line
        provider = values.get("provider")
        if provider and provider not in providers:
            errors.append(
                RowError(
                    line,
                    "kurstraeger",
                    provider,
                    f"Kursträger ist in dieser Region nicht angelegt (bekannt: {', '.join(sorted(providers)) or 'keine'})",
                )
            )
        kind = values.get("kind") or "ik"
        course_type = values.get("course_type")
        if course_type:
            try:
                if kind == "ik":
                    values["course_type"] = coerce_value("course_type", course_type, model)
                else:
                    values["course_type"] = _choice(
                        course_type, bsk_levels.values if bsk_levels else {}, "Berufssprachkurs-Modul"
                    )
            except ValueError as exc:
                errors.append(RowError(line, "kursart", course_type, str(exc)))
        capacity = values.get("capacity")
        if kind == "ik" and capacity and values.get("course_type") in model.course_types:
            limit = model.course_types[values["course_type"]].max_group
            if capacity > limit:
                errors.append(
                    RowError(
                        line,
                        "plaetze",
                        str(capacity),
                        f"höchstens {limit} Teilnehmende in dieser Kursart (§ 14 Abs. 3 IntV)",
                    )
                )
        min_size = values.get("min_size")
        if min_size and capacity and min_size > capacity:
            errors.append(RowError(line, "mindestgroesse", str(min_size), "größer als die Zahl der Plätze"))
        for first, second in (("planned_start", "end_date"), ("actual_start", "end_date")):
            if values.get(first) and values.get(second) and values[second] < values[first]:
                errors.append(RowError(line, "ende", values[second].isoformat(), "Kursende liegt vor dem Beginn"))
        values["kind"] = kind
        planned.append(values)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.row))
    result = ImportResult()
    fields = (
        "kind",
        "course_type",
        "format",
        "site",
        "postcode",
        "slot",
        "planned_start",
        "actual_start",
        "end_date",
        "capacity",
        "min_size",
        "cancelled",
    )
    for values in planned:
        provider_id = providers[values["provider"]].id
        assert provider_id is not None and region.id is not None
        course = existing.get(values["code"])
        data = {key: values[key] for key in fields if key in values and values[key] is not None}
        # the minimum size: the course's own, else its type's usual one (the model's `min_group`)
        spec = model.course_types.get(values.get("course_type") or "") if values["kind"] == "ik" else None
        usual = spec.min_group if spec is not None and spec.min_group is not None else 15
        data.setdefault("min_size", min(usual, values["capacity"]))
        if sites is not None:
            data["site_id"] = sites(values.get("site"), values.get("postcode"))
        if course is None:
            session.add(Course(region_id=region.id, code=values["code"], provider_id=provider_id, **data))
            result.created += 1
            continue
        before = course.model_dump()
        for key, value in {**data, "provider_id": provider_id}.items():
            setattr(course, key, value)
        if course.model_dump() == before:
            result.unchanged += 1
        else:
            session.add(course)
            result.updated += 1
    session.flush()
    return result


# --------------------------------------------------------------------------- contacts


def import_contacts(
    *, session: Session, path: Path, region: Region, model: ProcessModel, max_bytes: int
) -> ImportResult:
    """Agencies and their contacts; unknown agencies are created when type and name are given."""
    table = read_table(path, max_bytes=max_bytes)
    mapping, errors = map_headers(table, CONTACT_COLUMNS)
    if errors:
        raise ImportFailed(errors)
    errors = []
    parsed = list(parse_rows(table, mapping, model, lambda column: column.kind, errors))
    agencies = {
        agency.code: agency for agency in session.exec(select(Agency).where(Agency.region_id == region.id)).all()
    }
    new_agencies: dict[str, tuple[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    planned: list[dict[str, Any]] = []
    for line, values in parsed:
        code, email = values.get("agency_code"), values.get("email")
        if not code or not email:
            continue
        key = (code, email)
        if key in seen:
            errors.append(RowError(line, "email", email, f"Kontakt kommt doppelt vor (zuerst in Zeile {seen[key]})"))
            continue
        seen[key] = line
        agency = agencies.get(code)
        if agency is not None and values.get("agency_type") and values["agency_type"] != agency.type:
            errors.append(
                RowError(line, "stelle_typ", values["agency_type"], f"Stelle {code} ist vom Typ {agency.type}")
            )
        if agency is None and code not in new_agencies:
            if not values.get("agency_type") or not values.get("agency_name"):
                errors.append(RowError(line, "stelle", code, "neue Stelle: stelle_typ und stelle_name angeben"))
                continue
            new_agencies[code] = (values["agency_type"], values["agency_name"])
        planned.append(values)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.row))
    for code, (type_, name) in new_agencies.items():
        agency = Agency(region_id=region.id, code=code, type=type_, name=name)  # type: ignore[arg-type]
        session.add(agency)
        agencies[code] = agency
    session.flush()
    result = ImportResult()
    for values in planned:
        agency = agencies[values["agency_code"]]
        contact = session.exec(
            select(Contact).where(Contact.agency_id == agency.id, Contact.email == values["email"])
        ).first()
        role = values.get("role") or "case_worker"
        if contact is None:
            session.add(Contact(agency_id=agency.id, name=values["name"], email=values["email"], role=role))  # type: ignore[arg-type]
            result.created += 1
        elif (contact.name, contact.role) != (values["name"], role):
            contact.name, contact.role, contact.active = values["name"], role, True
            session.add(contact)
            result.updated += 1
        else:
            result.unchanged += 1
    session.flush()
    return result
