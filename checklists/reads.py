"""Reading meeting series, meetings, snapshots, minutes and action items: the one read path of
the CLI's `jourfixe` commands and the web's Jour-fixe page (SQLAlchemy Core, as pipeline.reads).

Nothing here writes: a meeting that has not been created yet (it is on first use by the agenda,
the invitation or the minutes) is reported as planned, with nothing recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Connection, Date

from checklists.series import Recurrence
from pipeline.database import JSONType, UTCDateTime
from pipeline.reads import NotFound, RegionRow, fetch, fetch_one, find_region, typed
from process_models import BusinessCalendar
from process_models.loader import read_yaml

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


def checklist_path(name: str, *, region: str | None, overrides_dir: Path | None) -> Path | None:
    """The region's own checklist file (`<overrides>/<REGION>.<name>.yaml`) or the shipped default."""
    candidates = []
    if region and overrides_dir is not None:
        candidates.append(overrides_dir / f"{region}.{name}.yaml")
    candidates.append(DEFINITIONS_DIR / f"{name}.yaml")
    return next((path for path in candidates if path.is_file()), None)


def item_titles(name: str, *, region: str | None, overrides_dir: Path | None) -> dict[str, str]:
    """The agenda items' numbered titles by id ("4. Angemeldet ohne Kursbeginn …"), read from the
    checklist file without validating its queries (minutes name the item a decision was on)."""
    path = checklist_path(name, region=region, overrides_dir=overrides_dir)
    if path is None:
        return {}
    items = read_yaml(path.read_text(encoding="utf-8"), path.name).data.get("items") or []
    return {
        str(item["id"]): f"{number}. {item.get('title', item['id'])}"
        for number, item in enumerate((item for item in items if isinstance(item, dict) and "id" in item), start=1)
    }


__all__ = ["NotFound", "RegionRow", "find_region"]

_SERIES_COLUMNS = (
    "id, name, kind, rrule, starts, start_time, duration_minutes, timezone, location, video_link, "
    "invited_agencies, chair_contact_id, minute_keepers, invitation_lead_days, checklist"
)


def no_series_message(region_code: str, name: str | None) -> str:
    what = f"'{name}'" if name else "für den Jour fixe"
    return f"Region {region_code} hat keine Sitzungsreihe {what} (anlegen mit 'foerderkette jourfixe series set')"


def no_meeting_message(series_name: str, year: int, month: int) -> str:
    return f"Die Reihe „{series_name}“ hat im {month:02d}/{year} keinen Termin"


def rotating_keeper(keepers: list[int], earlier_meetings: int) -> int | None:
    """Who keeps the minutes of a meeting: the series' keepers in turn."""
    return keepers[earlier_meetings % len(keepers)] if keepers else None


@dataclass(frozen=True)
class SeriesRow:
    id: int
    name: str
    kind: str
    rrule: str
    starts: date
    start_time: str
    duration_minutes: int
    timezone: str
    location: str
    video_link: str
    invited_agencies: list[int]
    chair_contact_id: int | None
    minute_keepers: list[int]
    invitation_lead_days: int
    checklist: str

    @property
    def recurrence(self) -> Recurrence:
        return Recurrence(self.rrule, self.starts, self.start_time, self.duration_minutes, self.timezone)


_SERIES_TYPES = {"starts": Date(), "invited_agencies": JSONType, "minute_keepers": JSONType}


def _series(row: Any) -> SeriesRow:
    values = list(row)
    for index in (10, 12):
        values[index] = values[index] or []
    return SeriesRow(*values)


def list_series(conn: Connection, region: RegionRow) -> list[SeriesRow]:
    rows = fetch(
        conn,
        typed(
            f"SELECT {_SERIES_COLUMNS} FROM meeting_series WHERE region_id = :region ORDER BY id", columns=_SERIES_TYPES
        ),
        {"region": region.id},
    )
    return [_series(row) for row in rows]


def find_series_by_id(conn: Connection, series_id: int | None) -> SeriesRow:
    row = fetch_one(
        conn,
        typed(f"SELECT {_SERIES_COLUMNS} FROM meeting_series WHERE id = :id", columns=_SERIES_TYPES),
        {"id": series_id},
    )
    if row is None:
        raise NotFound(f"Sitzungsreihe Nr. {series_id} gibt es nicht")
    return _series(row)


def find_series(conn: Connection, region: RegionRow, name: str | None) -> SeriesRow:
    """The region's series by name, or its (first) Jour-fixe series."""
    condition, params = ("name = :name", {"name": name}) if name else ("kind = 'jourfixe'", {})
    row = fetch_one(
        conn,
        typed(
            f"SELECT {_SERIES_COLUMNS} FROM meeting_series WHERE region_id = :region AND {condition} ORDER BY id",
            columns=_SERIES_TYPES,
        ),
        {"region": region.id, **params},
    )
    if row is None:
        raise NotFound(no_series_message(region.code, name))
    return _series(row)


@dataclass(frozen=True)
class MeetingRow:
    """A meeting as stored, or as it will be created (`id` None); `day` is the occurrence moved
    off holidays by the region's calendar."""

    id: int | None
    occurrence: date
    day: date
    starts_at: datetime
    status: str
    minute_keeper_id: int | None


def find_meeting(conn: Connection, series: SeriesRow, year: int, month: int, calendar: BusinessCalendar) -> MeetingRow:
    """The series' meeting in that month, without creating it."""
    found = series.recurrence.in_month(year, month, calendar)
    if found is None:
        raise NotFound(no_meeting_message(series.name, year, month))
    occurrence, day = found
    params = {"series": series.id, "occurrence": occurrence}
    row = fetch_one(
        conn,
        typed(
            "SELECT id, starts_at, status, minute_keeper_id FROM meeting "
            "WHERE series_id = :series AND occurrence = :occurrence",
            dates=("occurrence",),
            columns={"starts_at": UTCDateTime()},
        ),
        params,
    )
    if row is not None:
        meeting_id, starts_at, status, keeper = row
        return MeetingRow(meeting_id, occurrence, day, starts_at, status, keeper)
    earlier = fetch(
        conn,
        typed(
            "SELECT COUNT(*) FROM meeting WHERE series_id = :series AND occurrence < :occurrence",
            dates=("occurrence",),
        ),
        params,
    )[0][0]
    start, _end = series.recurrence.window(day)
    return MeetingRow(None, occurrence, day, start, "planned", rotating_keeper(series.minute_keepers, int(earlier)))


def local_start(meeting: MeetingRow, series: SeriesRow) -> datetime:
    return meeting.starts_at.astimezone(ZoneInfo(series.timezone))


def contact_name(conn: Connection, contact_id: int | None) -> str:
    if not contact_id:
        return ""
    row = fetch_one(conn, typed("SELECT name FROM contact WHERE id = :id"), {"id": contact_id})
    return str(row[0]) if row is not None else ""


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """A stored agenda of a meeting (what the meeting saw), without its content."""

    id: int
    created_at: datetime
    as_of: date
    reason: str


def list_snapshots(conn: Connection, meeting_id: int | None) -> list[SnapshotRow]:
    """The meeting's stored agendas, oldest first (without their content)."""
    if meeting_id is None:
        return []
    rows = fetch(
        conn,
        typed(
            "SELECT id, created_at, as_of, reason FROM agenda_snapshot WHERE meeting_id = :meeting ORDER BY id",
            columns={"created_at": UTCDateTime(), "as_of": Date()},
        ),
        {"meeting": meeting_id},
    )
    return [SnapshotRow(*row) for row in rows]


def snapshot_content(conn: Connection, meeting_id: int | None, snapshot_id: int) -> tuple[str, Any] | None:
    """(html, content) of one of the meeting's snapshots."""
    if meeting_id is None:
        return None
    row = fetch_one(
        conn,
        typed(
            "SELECT html, content FROM agenda_snapshot WHERE meeting_id = :meeting AND id = :id",
            columns={"content": JSONType},
        ),
        {"meeting": meeting_id, "id": snapshot_id},
    )
    return (row[0], row[1]) if row is not None else None


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    agency_id: int | None
    name: str
    present: bool


@dataclass(frozen=True, slots=True)
class DecisionRow:
    item_key: str | None
    text: str
    recorded_by: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: int
    title: str
    owner: str
    owner_agency_id: int | None
    owner_contact_id: int | None
    due: date
    status: str
    closed_by: str | None
    closed_at: datetime | None
    closed_note: str | None
    meeting_id: int | None


@dataclass(frozen=True, slots=True)
class Minutes:
    attendance: tuple[AttendanceRow, ...]
    decisions: tuple[DecisionRow, ...]
    actions: tuple[ActionRow, ...]

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "attendance": [{"name": row.name, "present": row.present} for row in self.attendance],
            "decisions": [{"item": row.item_key, "text": row.text, "by": row.recorded_by} for row in self.decisions],
            "actions": [
                {"id": a.id, "title": a.title, "due": a.due.isoformat(), "status": a.status, "closed_by": a.closed_by}
                for a in self.actions
            ],
        }


_ACTIONS = (
    "SELECT a.id, a.title, COALESCE(g.name, '–'), a.owner_agency_id, a.owner_contact_id, a.due, a.status, "
    "a.closed_by, a.closed_at, a.closed_note, a.meeting_id FROM action_item a LEFT JOIN agency g ON g.id = a.owner_agency_id"
)
_ACTION_TYPES = {"due": Date(), "closed_at": UTCDateTime()}


def minutes(conn: Connection, meeting_id: int | None) -> Minutes:
    """Attendance, decisions and action items recorded for the meeting."""
    if meeting_id is None:
        return Minutes((), (), ())
    params = {"meeting": meeting_id}
    attendance = fetch(
        conn,
        typed(
            "SELECT agency_id, name, present FROM attendance WHERE meeting_id = :meeting ORDER BY name",
            columns={"present": Boolean},
        ),
        params,
    )
    decisions = fetch(
        conn,
        typed(
            "SELECT item_key, text, recorded_by, created_at FROM decision WHERE meeting_id = :meeting ORDER BY id",
            columns={"created_at": UTCDateTime()},
        ),
        params,
    )
    actions = fetch(
        conn, typed(f"{_ACTIONS} WHERE a.meeting_id = :meeting ORDER BY a.id", columns=_ACTION_TYPES), params
    )
    return Minutes(
        tuple(AttendanceRow(*row) for row in attendance),
        tuple(DecisionRow(*row) for row in decisions),
        tuple(ActionRow(*row) for row in actions),
    )


def list_actions(conn: Connection, region: RegionRow, status: str) -> list[ActionRow]:
    """The region's action items (`status` open, closed or all), by due date."""
    condition = "" if status == "all" else " AND a.status = :status"
    rows = fetch(
        conn,
        typed(f"{_ACTIONS} WHERE a.region_id = :region{condition} ORDER BY a.due, a.id", columns=_ACTION_TYPES),
        {"region": region.id, "status": status},
    )
    return [ActionRow(*row) for row in rows]


@dataclass(frozen=True)
class MinutesDocument:
    """The minutes of one meeting as a document (HTML, PDF, e-mail): everything needed to render them."""

    series: str
    region: str
    start: datetime
    status: str
    minute_keeper: str
    minutes: Minutes
    #: checklist item id → its title ("3. Berechtigungen …"), for the decisions
    titles: dict[str, str]

    @property
    def present(self) -> list[str]:
        return [row.name for row in self.minutes.attendance if row.present]

    @property
    def absent(self) -> list[str]:
        return [row.name for row in self.minutes.attendance if not row.present]


def minutes_document(
    conn: Connection, region: RegionRow, series: SeriesRow, meeting: MeetingRow, titles: dict[str, str]
) -> MinutesDocument:
    return MinutesDocument(
        series=series.name,
        region=region.name,
        start=local_start(meeting, series),
        status=meeting.status,
        minute_keeper=contact_name(conn, meeting.minute_keeper_id),
        minutes=minutes(conn, meeting.id),
        titles=titles,
    )
