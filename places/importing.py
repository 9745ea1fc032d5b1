"""Import of a region's municipalities (Gemeinden) and course sites (Kursorte) from CSV/Excel:
every row checked first, then all written in one transaction or nothing. Idempotent on the
municipality's name and the site's code; participants and courses are linked again."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from pipeline.database import table_of
from pipeline.importing import Column, ImportFailed, ImportResult, RowError, map_headers, normalise_header, parse_rows
from pipeline.tables import Course, Participant, Region
from pipeline.tabular import Table, read_table
from places.geo import HomeResolver, Place, distance_m, place_key
from places.tables import CourseSite, Municipality
from process_models import ProcessModel

MUNICIPALITY_COLUMNS: tuple[Column, ...] = (
    Column("ags", "ags", "str", aliases=("gemeindeschluessel", "amtlicher_gemeindeschluessel")),
    Column("gemeinde", "name", "str", True, ("name", "gemeindename")),
    Column("plz", "postcodes", "str", True, ("postleitzahlen", "postleitzahl")),
    Column("breite", "lat", "str", True, ("lat", "breitengrad")),
    Column("laenge", "lon", "str", True, ("lon", "lng", "laengengrad")),
)

SITE_COLUMNS: tuple[Column, ...] = (
    Column("kursort", "code", "ref", True, ("kursort_kuerzel", "standort")),
    Column("name", "name", "str", True, ("bezeichnung",)),
    Column("adresse", "address", "str", aliases=("strasse", "anschrift")),
    Column("plz", "postcode", "postcode", aliases=("postleitzahl",)),
    Column("ort", "place", "str", True),
    Column("breite", "lat", "str", True, ("lat", "breitengrad")),
    Column("laenge", "lon", "str", True, ("lon", "lng", "laengengrad")),
    Column("kinderbetreuung", "childcare", "bool", aliases=("kinderbetreuung_vor_ort",)),
)

#: Germany's extent, generously: a point outside is a swapped or mistyped coordinate.
_LAT_RANGE, _LON_RANGE = (47.0, 55.2), (5.8, 15.1)
#: A site this far from its municipality's point is more likely a typo than a fact.
_SITE_FAR_M = 25_000.0


def _coordinate(text: str, bounds: tuple[float, float], what: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{what}: Dezimalzahl erwartet (z. B. 49,8912)") from None
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{what} {value} liegt nicht in Deutschland ({bounds[0]}–{bounds[1]}; vertauscht?)")
    return value


def _postcodes(text: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(part for part in re.split(r"[\s,;/]+", text.strip()) if part))
    bad = [code for code in codes if not re.match(r"^\d{5}$", code)]
    if bad or not codes:
        raise ValueError("Postleitzahlen: fünfstellig, mehrere mit Leerzeichen oder Komma getrennt")
    return codes


def _ags(text: str, land_prefix: str | None) -> str:
    digits = text.strip()
    if not re.match(r"^\d{8}$", digits):
        raise ValueError("Amtlicher Gemeindeschlüssel: acht Ziffern (z. B. 09262000)")
    if land_prefix and not digits.startswith(land_prefix):
        raise ValueError(f"Gemeindeschlüssel beginnt nicht mit {land_prefix} (Schlüssel des Landes der Region)")
    return digits


#: The first two digits of the AGS of each Land (Länderschlüssel).
LAND_KEYS: dict[str, str] = {
    "SH": "01", "HH": "02", "NI": "03", "HB": "04", "NW": "05", "HE": "06", "RP": "07", "BW": "08",
    "BY": "09", "SL": "10", "BE": "11", "BB": "12", "MV": "13", "SN": "14", "ST": "15", "TH": "16",
}  # fmt: skip


def detect_kind(table: Table) -> str:
    """`municipalities` or `sites`, from the file's headers."""
    headers = {normalise_header(header) for header in table.headers if header}
    if headers & {"kursort", "kursort_kuerzel", "standort"}:
        return "sites"
    return "municipalities"


@dataclass
class PlacesResult(ImportResult):
    kind: str = "municipalities"
    linked: int = 0

    def summary(self) -> str:
        what = "Gemeinden" if self.kind == "municipalities" else "Kursorte"
        linked = (
            f"; {self.linked} Teilnehmende ihrer Wohngemeinde zugeordnet"
            if self.kind == "municipalities"
            else f"; {self.linked} Kurse ihrem Kursort zugeordnet"
        )
        return f"{self.total} {what}: {self.created} neu, {self.updated} aktualisiert, {self.unchanged} unverändert{linked}"


def import_places(
    *, session: Session, path: Path, region: Region, model: ProcessModel, max_bytes: int, kind: str | None = None
) -> PlacesResult:
    """Municipalities or course sites (told apart by the headers unless `kind` is given)."""
    table = read_table(path, max_bytes=max_bytes)
    kind = kind or detect_kind(table)
    if kind == "municipalities":
        return _import_municipalities(session=session, table=table, region=region, model=model)
    return _import_sites(session=session, table=table, region=region, model=model)


def _rows(
    table: Table, columns: Sequence[Column], model: ProcessModel
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    mapping, errors = map_headers(table, columns)
    if errors:
        raise ImportFailed(errors)
    rows = list(parse_rows(table, mapping, model, lambda column: column.kind, errors))
    return rows, errors


def _field(line: int, column: str, value: str, parse: Any, errors: list[RowError]) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        errors.append(RowError(line, column, value, str(exc)))
        return None


def _import_municipalities(*, session: Session, table: Table, region: Region, model: ProcessModel) -> PlacesResult:
    rows, errors = _rows(table, MUNICIPALITY_COLUMNS, model)
    prefix = LAND_KEYS.get(region.land)
    seen_names: dict[str, int] = {}
    seen_ags: dict[str, int] = {}
    planned: list[dict[str, Any]] = []
    for line, values in rows:
        name = values.get("name")
        if not name:
            continue
        key = place_key(name)
        if key in seen_names:
            errors.append(
                RowError(line, "gemeinde", name, f"Gemeinde kommt doppelt vor (zuerst in Zeile {seen_names[key]})")
            )
            continue
        seen_names[key] = line
        record: dict[str, Any] = {"name": name}
        record["ags"] = (
            _field(line, "ags", values["ags"], lambda text: _ags(text, prefix), errors) if values.get("ags") else None
        )
        if record["ags"]:
            if record["ags"] in seen_ags:
                errors.append(
                    RowError(
                        line,
                        "ags",
                        record["ags"],
                        f"Gemeindeschlüssel kommt doppelt vor (zuerst in Zeile {seen_ags[record['ags']]})",
                    )
                )
            seen_ags.setdefault(record["ags"], line)
        record["postcodes"] = (
            _field(line, "plz", values.get("postcodes") or "", _postcodes, errors) if values.get("postcodes") else None
        )
        record["lat"] = (
            _field(line, "breite", values.get("lat") or "", lambda t: _coordinate(t, _LAT_RANGE, "Breite"), errors)
            if values.get("lat")
            else None
        )
        record["lon"] = (
            _field(line, "laenge", values.get("lon") or "", lambda t: _coordinate(t, _LON_RANGE, "Länge"), errors)
            if values.get("lon")
            else None
        )
        planned.append(record)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.row))
    assert region.id is not None
    existing = {
        place_key(m.name): m
        for m in session.exec(select(Municipality).where(Municipality.region_id == region.id)).all()
    }
    result = PlacesResult(kind="municipalities")
    region_id = region.id
    for record in planned:
        record["postcodes"] = list(record["postcodes"])
    _upsert(
        session,
        result,
        planned,
        lambda r: existing.get(place_key(r["name"])),
        lambda r: Municipality(region_id=region_id, **r),
    )
    result.linked = link_participants(session=session, region=region)
    return result


def _import_sites(*, session: Session, table: Table, region: Region, model: ProcessModel) -> PlacesResult:
    rows, errors = _rows(table, SITE_COLUMNS, model)
    assert region.id is not None
    resolver = home_resolver(session=session, region_id=region.id)
    places = {place.id: place for place in resolver.places}
    seen: dict[str, int] = {}
    planned: list[dict[str, Any]] = []
    for line, values in rows:
        code = values.get("code")
        if not code:
            continue
        if code in seen:
            errors.append(RowError(line, "kursort", code, f"Kursort kommt doppelt vor (zuerst in Zeile {seen[code]})"))
            continue
        seen[code] = line
        record: dict[str, Any] = {
            "code": code,
            "name": values.get("name") or "",
            "address": values.get("address") or "",
            "postcode": values.get("postcode"),
            "place": values.get("place") or "",
            "childcare": bool(values.get("childcare")),
        }
        record["lat"] = (
            _field(line, "breite", values.get("lat") or "", lambda t: _coordinate(t, _LAT_RANGE, "Breite"), errors)
            if values.get("lat")
            else None
        )
        record["lon"] = (
            _field(line, "laenge", values.get("lon") or "", lambda t: _coordinate(t, _LON_RANGE, "Länge"), errors)
            if values.get("lon")
            else None
        )
        # a site in one of the region's municipalities is linked to it; one outside (the
        # Landkreis's courses in the kreisfreie Stadt) is not – but a known place with a wrong
        # postcode, or a point far from its municipality, is a typo to fix
        home = resolver.resolve(record["postcode"], record["place"])
        named = [p for p in resolver.places if place_key(p.name) == place_key(record["place"])]
        if home.municipality_id is None and named:
            errors.append(RowError(line, "plz", record["postcode"] or "", home.problem or "PLZ passt nicht zum Ort"))
        record["municipality_id"] = home.municipality_id
        if home.municipality_id is not None and record["lat"] is not None and record["lon"] is not None:
            place = places[home.municipality_id]
            far = distance_m(place.lat, place.lon, record["lat"], record["lon"])
            if far > _SITE_FAR_M:
                errors.append(
                    RowError(
                        line,
                        "breite",
                        f"{record['lat']}, {record['lon']}",
                        f"liegt {far / 1000:.0f} km von {place.name} entfernt – Koordinaten prüfen",
                    )
                )
        planned.append(record)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.row))
    existing = {
        site.code: site for site in session.exec(select(CourseSite).where(CourseSite.region_id == region.id)).all()
    }
    result = PlacesResult(kind="sites")
    region_id = region.id
    _upsert(session, result, planned, lambda r: existing.get(r["code"]), lambda r: CourseSite(region_id=region_id, **r))
    result.linked = link_courses(session=session, region_id=region.id)
    return result


def _upsert(
    session: Session,
    result: PlacesResult,
    planned: Sequence[dict[str, Any]],
    current_of: Callable[[dict[str, Any]], Any],
    new: Callable[[dict[str, Any]], Any],
) -> None:
    """Creates or updates a row per checked record, counting what changed."""
    for record in planned:
        current = current_of(record)
        if current is None:
            session.add(new(record))
            result.created += 1
            continue
        before = current.model_dump()
        for key, value in record.items():
            setattr(current, key, value)
        if current.model_dump() == before:
            result.unchanged += 1
        else:
            session.add(current)
            result.updated += 1
    session.flush()


def home_resolver(*, session: Session, region_id: int) -> HomeResolver:
    """The region's municipalities, ready to tell the home municipality of an address."""
    rows = session.exec(select(Municipality).where(Municipality.region_id == region_id)).all()
    return HomeResolver([Place(m.id or 0, m.name, tuple(m.postcodes), m.lat, m.lon, m.ags) for m in rows])


def site_lookup(*, session: Session, region_id: int) -> dict[str, int]:
    """The region's course sites by code, by name where only one site has it, and by name with
    postcode (three sites all called "Passau"), for linking courses."""
    lookup: dict[str, int] = {}
    names: dict[str, list[int]] = {}
    for site in session.exec(select(CourseSite).where(CourseSite.region_id == region_id)).all():
        assert site.id is not None
        lookup[place_key(site.code)] = site.id
        lookup[f"{place_key(site.name)}|{site.postcode or ''}"] = site.id
        names.setdefault(place_key(site.name), []).append(site.id)
    for name, ids in names.items():
        if len(ids) == 1:
            lookup.setdefault(name, ids[0])
    return lookup


def site_of(lookup: Mapping[str, int], text: str | None, postcode: str | None = None) -> int | None:
    """The course site a course's `ort` (and postcode) names, or None."""
    if not text:
        return None
    key = place_key(text)
    return lookup.get(f"{key}|{postcode or ''}") or lookup.get(key)


def link_participants(*, session: Session, region: Region) -> int:
    """Sets every participant's home municipality from postcode and place (after the
    municipalities changed); an address that fits none stays unlinked and shows as a data-quality
    problem (`places list`). Returns how many are linked."""
    assert region.id is not None
    resolver = home_resolver(session=session, region_id=region.id)
    participant = table_of(Participant)
    rows = (
        session.connection()
        .execute(
            select(
                participant.c.id, participant.c.postcode, participant.c.location, participant.c.municipality_id
            ).where(participant.c.region_id == region.id)
        )
        .all()
    )
    changes = []
    linked = 0
    for pid, postcode, location, current in rows:
        found = resolver.resolve(cast("str | None", postcode), cast("str | None", location)).municipality_id
        linked += found is not None
        if found != current:
            changes.append({"pid": pid, "mid": found})
    if changes:
        session.connection().execute(
            update(participant).where(participant.c.id == bindparam("pid")).values(municipality_id=bindparam("mid")),
            changes,
        )
    return linked


def link_courses(*, session: Session, region_id: int) -> int:
    """Sets every course's site from its `site` text and postcode (site code or name)."""
    lookup = site_lookup(session=session, region_id=region_id)
    course = table_of(Course)
    rows = (
        session.connection()
        .execute(
            select(course.c.id, course.c.site, course.c.postcode, course.c.site_id).where(
                course.c.region_id == region_id
            )
        )
        .all()
    )
    changes = []
    linked = 0
    for cid, site, postcode, current in rows:
        found = site_of(lookup, cast("str | None", site), cast("str | None", postcode))
        linked += found is not None
        if found != current:
            changes.append({"cid": cid, "sid": found})
    if changes:
        session.connection().execute(
            update(course).where(course.c.id == bindparam("cid")).values(site_id=bindparam("sid")), changes
        )
    return linked
