"""The public overall course list (Gesamtkursliste) of a region: every upcoming integration course
with type, format, site, start, times, childcare and free places – aggregates of the course data
only. The one query names its columns from `course`, `agency` and `course_site`, and counts
enrolments without reading who: no participant field can reach it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Connection, Date

from pipeline.labels import COURSE_FORMATS, COURSE_SLOTS
from pipeline.reads import fetch, find_region, typed
from places.reachability import SLOT_BY_KEY, slot_of
from process_models import ProcessModel


@dataclass(frozen=True, slots=True)
class PublicCourse:
    code: str
    provider: str
    course_type: str
    format: str
    site: str
    address: str
    postcode: str
    place: str
    start: date
    end: date | None
    slot: str
    times: str
    childcare: bool
    places: int
    free: int
    planned: bool

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat() if self.end else None
        return data


@dataclass(frozen=True)
class PublicCourseList:
    region_code: str
    region_name: str
    as_of: date
    courses: list[PublicCourse]

    @property
    def free_total(self) -> int:
        return sum(course.free for course in self.courses)


#: the columns of the CSV, in German (the public list's own vocabulary)
CSV_HEADERS = (
    "Kurs", "Träger", "Kursart", "Form", "Unterrichtszeit", "Uhrzeit", "Kursort", "Adresse", "PLZ", "Ort",
    "Beginn", "Ende", "Kinderbetreuung", "Plätze", "Frei",
)  # fmt: skip


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def public_courses(conn: Connection, region_code: str, model: ProcessModel, *, today: date) -> PublicCourseList:
    """The region's integration courses that start today or later and are not cancelled."""
    region = find_region(conn, region_code)
    rows = fetch(
        conn,
        typed(
            "SELECT c.code, a.name, c.course_type, c.format, c.slot, COALESCE(s.name, c.site), "
            "COALESCE(s.address, ''), COALESCE(s.postcode, c.postcode, ''), COALESCE(s.place, c.site), "
            "COALESCE(c.actual_start, c.planned_start) AS start, c.end_date, COALESCE(s.childcare, FALSE) AS care, "
            "c.capacity, (SELECT COUNT(*) FROM enrollment e WHERE e.course_id = c.id AND e.left_on IS NULL), "
            "c.actual_start IS NULL AS planned "
            "FROM course c JOIN agency a ON a.id = c.provider_id LEFT JOIN course_site s ON s.id = c.site_id "
            "WHERE c.region_id = :region AND c.kind = 'ik' AND NOT c.cancelled "
            "AND COALESCE(c.actual_start, c.planned_start) >= :today "
            "ORDER BY start, a.name, c.code",
            dates=("today",),
            columns={"start": Date, "end_date": Date, "care": Boolean, "planned": Boolean},
        ),
        {"region": region.id, "today": today},
    )
    labels = {key: spec.label for key, spec in model.course_types.items()}
    courses = []
    for (
        code,
        provider,
        kind,
        form,
        slot,
        site,
        address,
        postcode,
        place,
        start,
        end,
        care,
        capacity,
        enrolled,
        planned,
    ) in rows:
        key = slot_of(slot, form)
        spec = SLOT_BY_KEY[key]
        courses.append(
            PublicCourse(
                code,
                provider,
                labels.get(kind, kind),
                COURSE_FORMATS.get(form, form),
                site,
                address,
                postcode,
                place,
                start,
                end,
                COURSE_SLOTS.get(key, key),
                f"{_clock(spec.start)}–{_clock(spec.end)}",
                bool(care) or form == "childcare",
                int(capacity),
                max(int(capacity) - int(enrolled), 0),
                bool(planned),
            )
        )
    return PublicCourseList(region.code, region.name, today, courses)


def csv_rows(listing: PublicCourseList) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for c in listing.courses:
        place = [c.site, c.address, c.postcode, c.place]
        row: list[Any] = [c.code, c.provider, c.course_type, c.format, c.slot, c.times, *place, c.start, c.end]
        rows.append(row)
        rows[-1] += ["ja" if c.childcare else "nein", c.places, c.free]
    return rows
