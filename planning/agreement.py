"""The providers' cooperation agreement as data: who takes part with which course types at which
sites and how many course starts a month, the rolling start plan, and the rotation of central
placement tests. Read from a YAML file written by the coordination (German keys, every problem
with file, line and field), stored as a canonical document per version. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.labels import COURSE_SLOTS
from process_models.loader import ModelValidationError, YamlDocument, line_of, read_yaml

#: How often the central placement test takes place: the file's word → days between dates (0: monthly).
CADENCES: dict[str, int] = {"wöchentlich": 7, "14-täglich": 14, "monatlich": 0}
_CADENCE_WORDS = {
    "wöchentlich": "wöchentlich",
    "woechentlich": "wöchentlich",
    "weekly": "wöchentlich",
    "14-täglich": "14-täglich",
    "14-taeglich": "14-täglich",
    "14-tägig": "14-täglich",
    "zweiwöchentlich": "14-täglich",
    "zweiwoechentlich": "14-täglich",
    "monatlich": "monatlich",
    "monthly": "monatlich",
}
_SLOTS = {label: key for key, label in COURSE_SLOTS.items()}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_TOP_KEYS = ("gueltig_ab", "bemerkung", "traeger", "startplan", "einstufungstests")


@dataclass(frozen=True, slots=True)
class ProviderTerms:
    """One provider taking part: the course types it offers, at which sites, how many starts a month."""

    provider: str
    course_types: tuple[str, ...]
    sites: tuple[str, ...]
    starts_per_month: int


@dataclass(frozen=True, slots=True)
class PlannedStart:
    """One line of the rolling start plan: this provider starts this type at this site in this month."""

    month: str
    provider: str
    course_type: str
    site: str
    slot: str = "morning"


@dataclass(frozen=True, slots=True)
class PlacementHost:
    provider: str
    site: str


@dataclass(frozen=True, slots=True)
class PlacementRotation:
    """Central placement tests: from the first date on, every `cadence`, hosted in turn."""

    cadence: str
    first: date
    time: str
    capacity: int
    hosts: tuple[PlacementHost, ...]


@dataclass(frozen=True)
class Agreement:
    valid_from: date | None
    note: str = ""
    providers: tuple[ProviderTerms, ...] = ()
    starts: tuple[PlannedStart, ...] = ()
    testing: PlacementRotation | None = None

    def terms(self, provider: str) -> ProviderTerms | None:
        return next((t for t in self.providers if t.provider == provider), None)


class AgreementError(ValueError):
    """Every problem of an agreement file, each with line and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Catalogue:
    """What the agreement may name: the region's providers and sites, the model's course types."""

    providers: Mapping[str, str]
    sites: Mapping[str, str]
    course_types: Mapping[str, str]

    def course_type(self, value: str) -> str | None:
        wanted = value.strip().casefold()
        for key, label in self.course_types.items():
            if wanted in (key.casefold(), label.casefold()):
                return key
        return None


class _Reader:
    def __init__(self, doc: YamlDocument, catalogue: Catalogue) -> None:
        self.doc = doc
        self.catalogue = catalogue
        self.problems: list[str] = []

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        line = line_of(self.doc, path)
        where = f"{self.doc.name}, Zeile {line}" if line else self.doc.name
        name = next((p for p in reversed(path) if isinstance(p, str)), None)
        self.problems.append(f"{where}{f', Feld „{name}“' if name else ''}: {message}")

    def mapping(
        self, value: Any, path: tuple[str | int, ...], allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, "hier wird eine Zuordnung (Schlüssel: Wert) erwartet")
            return {}
        for key in value:
            if key not in allowed:
                self.problem((*path, key), f"unbekannter Schlüssel (erlaubt: {', '.join(allowed)})")
        for key in required:
            if value.get(key) in (None, ""):
                self.problem((*path, key), "Pflichtangabe fehlt")
        return value

    def items(self, value: Any, path: tuple[str | int, ...]) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, "hier wird eine Liste (Zeilen mit „- “) erwartet")
            return []
        return value

    def count(self, value: Any, path: tuple[str | int, ...], *, low: int, high: int) -> int:
        """A whole number in range; on a problem the highest, so that no check after it reports
        a follow-on error."""
        if value is None or value == "":
            return high  # reported as missing where it is required
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(path, f"eine ganze Zahl von {low} bis {high} erwartet, nicht „{value}“")
            return high
        return int(value)

    def day(self, value: Any, path: tuple[str | int, ...]) -> date | None:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            pass
        match = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", str(value).strip())
        if match:
            try:
                return date(int(match[3]), int(match[2]), int(match[1]))
            except ValueError:
                pass
        self.problem(path, f"„{value}“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)")
        return None

    def provider(self, value: Any, path: tuple[str | int, ...]) -> str:
        code = str(value or "").strip()
        if code not in self.catalogue.providers:
            known = ", ".join(sorted(self.catalogue.providers)) or "keine"
            self.problem(path, f"Kursträger „{code}“ gibt es in der Region nicht (bekannt: {known})")
        return code

    def site(self, value: Any, path: tuple[str | int, ...]) -> str:
        code = str(value or "").strip()
        if code not in self.catalogue.sites:
            known = ", ".join(sorted(self.catalogue.sites)) or "keine – zuerst „places import“"
            self.problem(path, f"Kursort „{code}“ gibt es in der Region nicht (bekannt: {known})")
        return code

    def course_type(self, value: Any, path: tuple[str | int, ...]) -> str:
        key = self.catalogue.course_type(str(value or ""))
        if key is None:
            known = ", ".join(self.catalogue.course_types.values())
            self.problem(path, f"Kursart „{value}“ ist unbekannt (bekannt: {known})")
            return str(value)
        return key

    def names(self, value: Any, path: tuple[str | int, ...]) -> list[Any]:
        if value is None:
            return []  # reported as missing
        if isinstance(value, str | int):
            return [value]
        if isinstance(value, list) and value:
            return value
        self.problem(path, "ein Name oder eine Liste von Namen erwartet")
        return []


def parse_agreement(text: str, name: str, catalogue: Catalogue) -> Agreement:
    """The agreement in a YAML file; raises AgreementError listing every problem."""
    try:
        doc = read_yaml(text, name)
    except ModelValidationError as exc:
        raise AgreementError([f"{e.file}{f', Zeile {e.line}' if e.line else ''}: {e.de}" for e in exc.errors]) from None
    reader = _Reader(doc, catalogue)
    top = reader.mapping(doc.data, (), _TOP_KEYS, ("traeger",))
    valid_from = reader.day(top["gueltig_ab"], ("gueltig_ab",)) if top.get("gueltig_ab") else None
    providers: list[ProviderTerms] = []
    seen: set[str] = set()
    for index, item in enumerate(reader.items(top.get("traeger"), ("traeger",))):
        path = ("traeger", index)
        entry = reader.mapping(
            item, path, ("kuerzel", "kursarten", "kursorte", "kurse_je_monat"), ("kuerzel", "kursarten", "kursorte")
        )
        if not entry:
            continue
        code = reader.provider(entry.get("kuerzel"), (*path, "kuerzel"))
        if code in seen:
            reader.problem((*path, "kuerzel"), f"Kursträger „{code}“ steht zweimal in der Vereinbarung")
        seen.add(code)
        types = tuple(
            reader.course_type(v, (*path, "kursarten", i))
            for i, v in enumerate(reader.names(entry.get("kursarten"), (*path, "kursarten")))
        )
        sites = tuple(
            reader.site(v, (*path, "kursorte", i))
            for i, v in enumerate(reader.names(entry.get("kursorte"), (*path, "kursorte")))
        )
        per_month = reader.count(entry.get("kurse_je_monat", 1), (*path, "kurse_je_monat"), low=0, high=50)
        providers.append(ProviderTerms(code, types, sites, per_month))
    terms = {t.provider: t for t in providers}
    starts: list[PlannedStart] = []
    for index, item in enumerate(reader.items(top.get("startplan"), ("startplan",))):
        path = ("startplan", index)
        entry = reader.mapping(
            item, path, ("monat", "traeger", "kursart", "kursort", "zeit"), ("monat", "traeger", "kursart", "kursort")
        )
        if not entry:
            continue
        month = str(entry.get("monat") or "").strip()
        match = _MONTH.match(month)
        if not match or not 1 <= int(match[2]) <= 12:
            reader.problem((*path, "monat"), f"„{month}“ ist kein Monat (JJJJ-MM)")
        provider = reader.provider(entry.get("traeger"), (*path, "traeger"))
        course_type = reader.course_type(entry.get("kursart"), (*path, "kursart"))
        site = reader.site(entry.get("kursort"), (*path, "kursort"))
        slot = _SLOTS.get(str(entry.get("zeit") or "vormittags").strip().casefold())
        if slot is None:
            reader.problem((*path, "zeit"), f"„{entry.get('zeit')}“: vormittags, nachmittags oder abends erwartet")
            slot = "morning"
        own = terms.get(provider)
        if own is not None and course_type not in own.course_types:
            reader.problem((*path, "kursart"), f"{provider} bietet laut Vereinbarung diese Kursart nicht an")
        if own is not None and site not in own.sites:
            reader.problem((*path, "kursort"), f"{provider} unterrichtet laut Vereinbarung nicht an diesem Kursort")
        if provider in catalogue.providers and own is None:
            reader.problem((*path, "traeger"), f"{provider} steht nicht unter „traeger“ der Vereinbarung")
        starts.append(PlannedStart(month, provider, course_type, site, slot))
    counts: dict[tuple[str, str], int] = {}
    for index, start in enumerate(starts):
        counts[(start.provider, start.month)] = counts.get((start.provider, start.month), 0) + 1
        own = terms.get(start.provider)
        if own is not None and counts[(start.provider, start.month)] == own.starts_per_month + 1:
            reader.problem(
                ("startplan", index, "monat"),
                f"{start.provider} hat im Monat {start.month} mehr Kursbeginne geplant als die "
                f"{own.starts_per_month} vereinbarten („kurse_je_monat“)",
            )
    testing = None
    if top.get("einstufungstests") is not None:
        rotation_path: tuple[str | int, ...] = ("einstufungstests",)
        entry = reader.mapping(
            top["einstufungstests"],
            rotation_path,
            ("rhythmus", "erster_termin", "uhrzeit", "plaetze", "gastgeber"),
            ("rhythmus", "erster_termin", "uhrzeit", "plaetze", "gastgeber"),
        )
        if entry:
            cadence = _CADENCE_WORDS.get(str(entry.get("rhythmus") or "").strip().casefold())
            if cadence is None:
                reader.problem((*rotation_path, "rhythmus"), "wöchentlich, 14-täglich oder monatlich erwartet")
            first = reader.day(entry.get("erster_termin"), (*rotation_path, "erster_termin"))
            time = str(entry.get("uhrzeit") or "").strip()
            if isinstance(entry.get("uhrzeit"), int):  # YAML reads 09:00 unquoted as minutes (sexagesimal)
                minutes = int(entry["uhrzeit"])
                time = f"{minutes // 60:02d}:{minutes % 60:02d}"
            if not _TIME.match(time):
                reader.problem((*rotation_path, "uhrzeit"), f"„{time}“ ist keine Uhrzeit (HH:MM)")
            else:
                hours, minutes_text = time.split(":")
                time = f"{int(hours):02d}:{minutes_text}"
            capacity = reader.count(entry.get("plaetze"), (*rotation_path, "plaetze"), low=1, high=500)
            hosts = []
            for index, item in enumerate(reader.items(entry.get("gastgeber"), (*rotation_path, "gastgeber"))):
                host_path = (*rotation_path, "gastgeber", index)
                host = reader.mapping(item, host_path, ("traeger", "kursort"), ("traeger", "kursort"))
                if host:
                    hosts.append(
                        PlacementHost(
                            reader.provider(host.get("traeger"), (*host_path, "traeger")),
                            reader.site(host.get("kursort"), (*host_path, "kursort")),
                        )
                    )
            if not hosts and entry.get("gastgeber") is not None:
                reader.problem((*rotation_path, "gastgeber"), "mindestens ein gastgebender Kursträger erwartet")
            if cadence and first and hosts:
                testing = PlacementRotation(cadence, first, time, capacity, tuple(hosts))
    if reader.problems:
        raise AgreementError(reader.problems)
    return Agreement(valid_from, str(top.get("bemerkung") or "").strip(), tuple(providers), tuple(starts), testing)


def to_document(agreement: Agreement) -> dict[str, Any]:
    """The canonical JSON document stored per version (codes and keys, ISO dates)."""
    testing = agreement.testing
    return {
        "valid_from": agreement.valid_from.isoformat() if agreement.valid_from else None,
        "note": agreement.note,
        "providers": [
            {
                "provider": t.provider,
                "course_types": list(t.course_types),
                "sites": list(t.sites),
                "starts_per_month": t.starts_per_month,
            }
            for t in agreement.providers
        ],
        "starts": [
            {"month": s.month, "provider": s.provider, "course_type": s.course_type, "site": s.site, "slot": s.slot}
            for s in agreement.starts
        ],
        "testing": None
        if testing is None
        else {
            "cadence": testing.cadence,
            "first": testing.first.isoformat(),
            "time": testing.time,
            "capacity": testing.capacity,
            "hosts": [{"provider": h.provider, "site": h.site} for h in testing.hosts],
        },
    }


def from_document(document: Mapping[str, Any]) -> Agreement:
    """A stored version back (written by to_document; trusted)."""
    testing = document.get("testing")
    return Agreement(
        date.fromisoformat(document["valid_from"]) if document.get("valid_from") else None,
        document.get("note") or "",
        tuple(
            ProviderTerms(p["provider"], tuple(p["course_types"]), tuple(p["sites"]), int(p["starts_per_month"]))
            for p in document.get("providers", ())
        ),
        tuple(
            PlannedStart(s["month"], s["provider"], s["course_type"], s["site"], s.get("slot", "morning"))
            for s in document.get("starts", ())
        ),
        None
        if not testing
        else PlacementRotation(
            testing["cadence"],
            date.fromisoformat(testing["first"]),
            testing["time"],
            int(testing["capacity"]),
            tuple(PlacementHost(h["provider"], h["site"]) for h in testing["hosts"]),
        ),
    )


def to_yaml(agreement: Agreement, course_types: Mapping[str, str]) -> str:
    """The agreement in the import file's own format (German keys and labels), so that
    `agreement show --format yaml` can be edited and imported again."""
    slots = COURSE_SLOTS

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["# Kooperationsvereinbarung der Integrationskursträger"]
    if agreement.valid_from:
        lines.append(f"gueltig_ab: {agreement.valid_from.isoformat()}")
    if agreement.note:
        lines.append(f"bemerkung: {quoted(agreement.note)}")
    lines.append("traeger:")
    for t in agreement.providers:
        lines += [
            f"  - kuerzel: {quoted(t.provider)}",
            "    kursarten: [" + ", ".join(quoted(course_types.get(k, k)) for k in t.course_types) + "]",
            "    kursorte: [" + ", ".join(quoted(s) for s in t.sites) + "]",
            f"    kurse_je_monat: {t.starts_per_month}",
        ]
    if agreement.starts:
        lines.append("startplan:")
        for s in agreement.starts:
            lines += [
                f"  - monat: {quoted(s.month)}",
                f"    traeger: {quoted(s.provider)}",
                f"    kursart: {quoted(course_types.get(s.course_type, s.course_type))}",
                f"    kursort: {quoted(s.site)}",
                f"    zeit: {slots.get(s.slot, 'vormittags')}",
            ]
    if agreement.testing:
        r = agreement.testing
        lines += [
            "einstufungstests:",
            f"  rhythmus: {r.cadence}",
            f"  erster_termin: {r.first.isoformat()}",
            f'  uhrzeit: "{r.time}"',
            f"  plaetze: {r.capacity}",
            "  gastgeber:",
        ]
        for h in r.hosts:
            lines += [f"    - traeger: {quoted(h.provider)}", f"      kursort: {quoted(h.site)}"]
    return "\n".join(lines) + "\n"


def changes(old: Agreement | None, new: Agreement) -> list[str]:
    """What a new version changes, in German words (for the audit log and the version list)."""
    if old is None:
        return ["erste Fassung"]
    result = []
    before, after = {t.provider: t for t in old.providers}, {t.provider: t for t in new.providers}
    for code in sorted(after.keys() - before.keys()):
        result.append(f"Kursträger {code} neu dabei")
    for code in sorted(before.keys() - after.keys()):
        result.append(f"Kursträger {code} nicht mehr dabei")
    for code in sorted(before.keys() & after.keys()):
        if before[code] != after[code]:
            result.append(f"Angebot von {code} geändert")
    old_starts, new_starts = set(old.starts), set(new.starts)
    if new_starts - old_starts:
        result.append(f"{len(new_starts - old_starts)} Kursbeginne im Startplan neu")
    if old_starts - new_starts:
        result.append(f"{len(old_starts - new_starts)} Kursbeginne aus dem Startplan gestrichen")
    if old.testing != new.testing:
        result.append("Einstufungstests geändert" if old.testing and new.testing else "Einstufungstests neu geregelt")
    if old.valid_from != new.valid_from:
        result.append("Gültigkeitsbeginn geändert")
    if old.note != new.note:
        result.append("Bemerkung geändert")
    return result or ["keine inhaltliche Änderung"]
