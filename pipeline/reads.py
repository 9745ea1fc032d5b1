"""Reading the case data: one function per view, each returning a public shape (frozen
dataclasses) that the CLI, the web UI and the JSON output all render.

Every read goes through a SQLAlchemy Core `Connection` with `text()` statements whose parameters
and result columns carry their types, so dates, timestamps and JSON come back as Python values on
SQLite and PostgreSQL alike. The listings read the open-step columns every write caches on the
participant row (`pipeline.repository.store_state`); who may see a participant is one WHERE
fragment from `pipeline.access`, passed in as `scope`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Boolean, Connection, Date, Engine, TextClause, bindparam, text

from pipeline.database import JSONType, UTCDateTime

#: A WHERE fragment over participant `p` with its bound parameters (see pipeline.access).
Scope = tuple[str, dict[str, Any]]


def typed(sql: str, *, dates: Sequence[str] = (), columns: Mapping[str, Any] | None = None) -> TextClause:
    """A text statement whose date parameters and typed result columns convert on both dialects."""
    clause = text(sql)
    used = [name for name in dates if f":{name}" in sql]
    if used:
        clause = clause.bindparams(*(bindparam(name, type_=Date()) for name in used))
    if columns:
        return clause.columns(**columns)  # type: ignore[return-value]
    return clause


def fetch(conn: Connection, statement: TextClause, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """All rows of a read statement as plain tuples (for unpacking into the public shapes)."""
    return cast("list[tuple[Any, ...]]", conn.execute(statement, dict(params or {})).all())


def fetch_one(
    conn: Connection, statement: TextClause, params: Mapping[str, Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a read statement, or None."""
    return cast("tuple[Any, ...] | None", conn.execute(statement, dict(params or {})).first())


def initials(first_name: str, last_name: str) -> str:
    return f"{first_name[:1]}. {last_name[:1]}.".upper()


def responsible_text(refs: Sequence[str]) -> str:
    """Who is responsible, as users write it: the agency's own code where the case names one
    (`KT:VHS-BA` → VHS-BA), otherwise the agency type (JC)."""
    return ", ".join(ref.partition(":")[2] or ref for ref in refs)


def iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


#: The needs a participant may have (boolean columns of `participant`), with their German labels.
NEED_LABELS: dict[str, str] = {
    "childcare": "Kinderbetreuung",
    "part_time": "Teilzeit/Abend",
    "literacy": "Alphabetisierung",
    "youth": "Jugendkurs",
}
NEEDS = tuple(NEED_LABELS)


def fact_sql(dialect: str, name: str) -> str:
    """SQL for one fact of a participant `p` (its state JSON)."""
    if dialect == "sqlite":
        return f"json_extract(p.state, '$.facts.{name}')"
    return f"(p.state->'facts'->>'{name}')"


def json_text_sql(dialect: str, column: str) -> str:
    """A JSON column as text, for LIKE over its elements."""
    return column if dialect == "sqlite" else f"CAST({column} AS TEXT)"


# --------------------------------------------------------------------------- regions


class NotFound(LookupError):
    """A region, participant, agency, series or meeting does not exist (German message)."""


@dataclass(frozen=True, slots=True)
class RegionRow:
    id: int
    code: str
    name: str
    land: str
    full_names_in_email: bool = False


@dataclass(frozen=True, slots=True)
class RegionSummary:
    code: str
    name: str
    land: str
    participants: int

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "land": self.land, "participants": self.participants}


def unknown_region_message(code: str, known: Sequence[str]) -> str:
    """The German error for a region code that does not exist, naming (up to 20 of) the known ones."""
    listed = ", ".join(known[:20])
    return f"Region '{code}' gibt es nicht" + (
        f" (vorhanden: {listed})" if listed else " (noch keine Regionen angelegt)"
    )


def region_codes(conn: Connection | Engine, only: Sequence[str] | None = None) -> list[str]:
    """The codes of all regions, or of `only` (each checked to exist), in order."""
    if isinstance(conn, Engine):
        with conn.connect() as connection:
            return region_codes(connection, only)
    codes = [str(code) for (code,) in fetch(conn, text("SELECT code FROM region ORDER BY code"))]
    if not only:
        return codes
    for code in only:
        if code not in codes:
            raise NotFound(unknown_region_message(code, codes))
    return [code for code in codes if code in only]


_REGION = typed(
    "SELECT id, code, name, land, full_names_in_email FROM region WHERE code = :code",
    columns={"full_names_in_email": Boolean},
)


def find_region(conn: Connection, code: str) -> RegionRow:
    row = fetch_one(conn, _REGION, {"code": code})
    if row is None:
        raise NotFound(unknown_region_message(code, region_codes(conn)))
    return RegionRow(*row)


def list_regions(conn: Connection) -> list[RegionSummary]:
    rows = fetch(
        conn,
        text(
            "SELECT r.code, r.name, r.land, (SELECT COUNT(*) FROM participant p WHERE p.region_id = r.id) "
            "FROM region r ORDER BY r.code"
        ),
    )
    return [RegionSummary(code, name, land, int(count)) for code, name, land, count in rows]


def agency_names(conn: Connection, region_id: int) -> dict[str, str]:
    """The names of a region's agencies by code ("VHS-BA") and, where a type has one agency only,
    by type too ("JC" → "Jobcenter Bamberg"), as agency references name them."""
    rows = fetch(conn, text("SELECT code, type, name FROM agency WHERE region_id = :region"), {"region": region_id})
    names = {code: name for code, _, name in rows}
    by_type: dict[str, list[str]] = {}
    for _, kind, name in rows:
        by_type.setdefault(kind, []).append(name)
    names.update({kind: members[0] for kind, members in by_type.items() if len(members) == 1 and kind not in names})
    return names


# --------------------------------------------------------------------------- the participant listing


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    """One line of the participant listing: next step, who must act, due date as of a day.

    Fields are in the order of the JSON object (`orjson` encodes the dataclass as it is, dates
    as ISO strings): 100,000 rows encode in one C call instead of building dicts.
    """

    ref: str
    region: str
    initials: str
    stage: str
    stage_since: date
    next_step: str | None
    responsible_agency: str | None
    responsible_agencies: tuple[str, ...]
    responsible: tuple[str, ...]
    due: date | None
    overdue: bool
    days_overdue: int
    model_version: str

    def to_json(self) -> dict[str, Any]:
        return orjson.loads(orjson.dumps(self))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class ParticipantFilter:
    """What a listing asks for; `overdue` is judged against `as_of`."""

    as_of: date
    region: str | None = None
    stage: str | None = None
    overdue: bool = False
    responsible: str | None = None
    search: str | None = None
    course_type: str | None = None
    need: str | None = None
    scope: Scope | None = None
    #: one of ORDERS, "-" in front for descending (the web list's sortable columns)
    order: str = "due"

    def where(self, dialect: str) -> tuple[str, dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {"as_of": self.as_of}
        if self.region:
            where.append("r.code = :region")
            params["region"] = self.region
        if self.stage:
            where.append("p.stage = :stage")
            params["stage"] = self.stage
        if self.overdue:
            where.append("p.next_due < :as_of")
        if self.responsible:
            where.append(f"{json_text_sql(dialect, 'p.next_agencies')} LIKE :responsible")
            params["responsible"] = f'%"{self.responsible}"%'
        if self.search:
            where.append(
                "(LOWER(p.ref) LIKE :search OR LOWER(p.last_name) LIKE :search OR LOWER(p.first_name) LIKE :search)"
            )
            params["search"] = f"%{self.search.strip().lower()}%"
        if self.course_type:
            where.append(f"{fact_sql(dialect, 'course_type')} = :course_type")
            params["course_type"] = self.course_type
        if self.need:
            if self.need not in NEEDS:
                raise ValueError(f"unknown need {self.need}")
            where.append(f"p.{self.need} = :need_true")
            params["need_true"] = True
        if self.scope is not None:
            where.append(self.scope[0])
            params.update(self.scope[1])
        return (" WHERE " + " AND ".join(where) if where else ""), params


_FROM = " FROM participant p JOIN region r ON r.id = p.region_id"
_ORDER = " ORDER BY r.code, CASE WHEN p.next_due IS NULL THEN 1 ELSE 0 END, p.next_due, p.ref"
#: the orders a listing offers: key → columns (each ascending; "-key" reverses all but the region)
ORDERS: dict[str, tuple[str, ...]] = {
    "due": ("CASE WHEN p.next_due IS NULL THEN 1 ELSE 0 END", "p.next_due", "p.ref"),
    "ref": ("p.ref",),
    "stage": ("p.stage", "p.stage_since", "p.ref"),
    "step": ("CASE WHEN p.next_step IS NULL THEN 1 ELSE 0 END", "p.next_step", "p.next_due", "p.ref"),
}


def order_sql(order: str) -> str:
    """The ORDER BY of a listing for `order` ("due", "-ref" …); unknown orders fall back to due dates."""
    descending = order.startswith("-")
    columns = ORDERS.get(order.lstrip("-"))
    if columns is None:
        return _ORDER
    direction = " DESC" if descending else ""
    return " ORDER BY r.code, " + ", ".join(f"{column}{direction}" for column in columns)


_INITIALS = "UPPER(SUBSTR(p.first_name, 1, 1)) || '. ' || UPPER(SUBSTR(p.last_name, 1, 1)) || '.'"


def list_participants(
    conn: Connection, filters: ParticipantFilter, *, limit: int | None = None, offset: int = 0
) -> list[ParticipantRow]:
    """Participants with their next step, responsible agency and due date, earliest due first.

    The columns are read untyped and converted here: SQLAlchemy's per-value result processing
    took 0.45 s of a 100,000-row listing on SQLite, the conversions below 0.1 s.
    """
    where, params = filters.where(conn.dialect.name)
    sql = (
        f"SELECT p.ref, r.code, {_INITIALS}, p.stage, p.stage_since, p.next_step, p.next_responsible, "
        "p.next_agencies, p.next_due, p.model_version" + _FROM + where + order_sql(filters.order)
    )
    if limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=limit, offset=offset)
    as_of = filters.as_of
    loads, fromiso, text_type = orjson.loads, date.fromisoformat, str
    result: list[ParticipantRow] = []
    append = result.append
    # conversions inline (no helper call per value): this loop runs 100,000 times for a whole Land
    for ref, region, short, stage, since, step, refs, agencies, due, version in fetch(
        conn, typed(sql, dates=("as_of",)), params
    ):
        if type(agencies) is text_type:
            agencies, refs = loads(agencies), loads(refs)
        if type(due) is text_type:
            due = fromiso(due)
        if type(since) is text_type:
            since = fromiso(since)
        late = (as_of - due).days if due is not None and due < as_of else 0
        append(
            ParticipantRow(
                ref,
                region,
                short,
                stage,
                since,
                step,
                agencies[0] if agencies else None,
                tuple(agencies or ()),
                tuple(refs or ()),
                due,
                late > 0,
                late,
                version,
            )
        )
    return result


def count_participants(conn: Connection, filters: ParticipantFilter) -> int:
    """How many participants `list_participants` lists with these filters (all pages)."""
    where, params = filters.where(conn.dialect.name)
    row = fetch_one(conn, typed("SELECT COUNT(*)" + _FROM + where, dates=("as_of",)), params)
    return int(row[0]) if row else 0


def stage_counts(conn: Connection, *, as_of: date, scope: Scope) -> dict[str, tuple[int, int]]:
    """Per stage: how many participants, and how many of them are overdue (within `scope`)."""
    sql = (
        "SELECT p.stage, COUNT(*), SUM(CASE WHEN p.next_due < :as_of THEN 1 ELSE 0 END) "
        f"FROM participant p WHERE {scope[0]} GROUP BY p.stage"
    )
    rows = fetch(conn, typed(sql, dates=("as_of",)), {"as_of": as_of, **scope[1]})
    return {stage: (int(total), int(late or 0)) for stage, total, late in rows}


# --------------------------------------------------------------------------- one participant


@dataclass(frozen=True, slots=True)
class OpenStepView:
    """An open step as cached on the row, judged against a day."""

    step: str
    label: str
    responsible: tuple[str, ...]
    due: date
    due_note: str | None
    legal_basis: str | None
    days_overdue: int
    #: "in Bearbeitung": reminders pause until this follow-up date (Wiedervorlage), set by whom
    hold_until: date | None = None
    hold_by: str | None = None
    hold_note: str | None = None

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "label": self.label,
            "responsible": list(self.responsible),
            "due": self.due.isoformat(),
            "due_note": self.due_note,
            "legal_basis": self.legal_basis,
            "overdue": self.overdue,
            "days_overdue": self.days_overdue,
            "hold": {"until": iso(self.hold_until), "by": self.hold_by, "note": self.hold_note}
            if self.hold_until
            else None,
        }


def open_step_views(
    steps: Sequence[Mapping[str, Any]], as_of: date, holds: Mapping[str, Any] | None = None
) -> tuple[OpenStepView, ...]:
    """The cached open steps (JSON of `OpenStep.to_json`) as views judged against `as_of`, with
    the Wiedervorlagen (`participant.step_holds`) still ahead of it."""
    views = []
    for step in steps:
        hold = (holds or {}).get(step["step"])
        hold_until = date.fromisoformat(hold["until"]) if hold else None
        if hold_until is not None and hold_until <= as_of:
            hold, hold_until = None, None
        due = date.fromisoformat(step["due"])
        views.append(
            OpenStepView(
                step["step"],
                step["label"],
                tuple(step.get("responsible") or ()),
                due,
                step.get("due_note"),
                step.get("legal_basis"),
                (as_of - due).days if due < as_of else 0,
                hold_until,
                hold.get("by") if hold else None,
                hold.get("note") if hold else None,
            )
        )
    return tuple(views)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    on: date
    event: str
    from_stage: str | None
    to_stage: str
    by_agency: str | None
    by_user: str | None
    note: str | None
    payload: dict[str, Any]
    recorded_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "event": self.event,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "by_agency": self.by_agency,
            "by_user": self.by_user,
            "note": self.note,
            "payload": self.payload,
        }


@dataclass(frozen=True, slots=True)
class ParticipantDetail:
    """One participant's record, open steps (judged against a day) and full timeline."""

    id: int
    ref: str
    region_id: int
    region: str
    region_name: str
    last_name: str
    first_name: str
    birth_year: int | None
    email: str | None
    phone: str | None
    postcode: str | None
    location: str | None
    childcare: bool
    part_time: bool
    literacy: bool
    youth: bool
    transport_reach: str | None
    model_version: str
    stage: str
    stage_since: date
    facts: dict[str, Any]
    open_steps: tuple[OpenStepView, ...]
    timeline: tuple[TimelineEntry, ...] = field(default=())

    @property
    def needs(self) -> list[str]:
        """The German labels of the needs recorded."""
        return [label for key, label in NEED_LABELS.items() if getattr(self, key)]

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "region": self.region,
            "region_name": self.region_name,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "birth_year": self.birth_year,
            "email": self.email,
            "phone": self.phone,
            "postcode": self.postcode,
            "location": self.location,
            "needs": {
                "childcare": self.childcare,
                "part_time": self.part_time,
                "literacy": self.literacy,
                "youth": self.youth,
                "transport_reach": self.transport_reach,
            },
            "model_version": self.model_version,
            "stage": self.stage,
            "stage_since": iso(self.stage_since),
            "facts": self.facts,
            "open_steps": [step.to_json() for step in self.open_steps],
            "timeline": [entry.to_json() for entry in self.timeline],
        }


_DETAIL_COLUMNS: dict[str, Any] = {
    "childcare": Boolean,
    "part_time": Boolean,
    "literacy": Boolean,
    "youth": Boolean,
    "stage_since": Date(),
    "state": JSONType,
    "open_steps": JSONType,
    "step_holds": JSONType,
}
_TIMELINE = typed(
    "SELECT occurred_on, event, from_stage, to_stage, by_agency, by_user, note, payload, recorded_at "
    "FROM stage_change WHERE participant_id = :pid ORDER BY occurred_on, id",
    columns={"occurred_on": Date(), "payload": JSONType, "recorded_at": UTCDateTime()},
)


def participant_detail(
    conn: Connection, *, ref: str, as_of: date, scope: Scope | None = None
) -> ParticipantDetail | None:
    """The participant `ref` if it exists (and lies within `scope`), with its timeline."""
    where, params = "p.ref = :ref", {"ref": ref}
    if scope is not None:
        where += f" AND {scope[0]}"
        params.update(scope[1])
    row = fetch_one(
        conn,
        typed(
            "SELECT p.id, p.ref, p.region_id, r.code, r.name, p.last_name, p.first_name, p.birth_year, p.email, "
            "p.phone, p.postcode, p.location, p.childcare, p.part_time, p.literacy, p.youth, p.transport_reach, "
            f"p.model_version, p.stage, p.stage_since, p.state, p.open_steps, p.step_holds{_FROM} WHERE {where}",
            columns=_DETAIL_COLUMNS,
        ),
        params,
    )
    if row is None:
        return None
    state, steps, holds = row[-3], row[-2], row[-1]
    timeline = tuple(
        TimelineEntry(on, event, source, target, agency, user, note, payload or {}, recorded)
        for on, event, source, target, agency, user, note, payload, recorded in fetch(conn, _TIMELINE, {"pid": row[0]})
    )
    values: tuple[Any, ...] = (
        *row[:-3],
        (state or {}).get("facts", {}),
        open_step_views(steps or [], as_of, holds),
        timeline,
    )
    return ParticipantDetail(*values)


@dataclass(frozen=True, slots=True)
class ReminderView:
    """A reminder about one participant, with the state of the email it went out in."""

    planned_for: date
    step: str
    due: date
    level: str
    contact: str
    status: str | None
    sent_at: datetime | None


_REMINDERS = typed(
    "SELECT i.planned_for, i.step, i.due, i.level, c.name, o.status, o.sent_at FROM reminder_item i "
    "JOIN contact c ON c.id = i.contact_id LEFT JOIN outbox o ON o.id = i.outbox_id "
    "WHERE i.participant_id = :pid ORDER BY i.planned_for DESC, i.id DESC LIMIT 100",
    columns={"planned_for": Date(), "due": Date(), "sent_at": UTCDateTime()},
)


def reminders_about(conn: Connection, participant_id: int) -> list[ReminderView]:
    """The latest 100 reminders that named the participant, newest first."""
    return [ReminderView(*row) for row in fetch(conn, _REMINDERS, {"pid": participant_id})]


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str
    role: str
    action: str
    detail: str
    source: str


_AUDIT = typed(
    "SELECT at, actor, role, action, detail, source FROM audit_log WHERE participant_id = :pid "
    "ORDER BY at DESC, id DESC LIMIT :limit",
    columns={"at": UTCDateTime()},
)


def audit_about(conn: Connection, participant_id: int, *, limit: int = 500) -> list[AuditView]:
    """Who read or changed the participant's record, newest first (the access log)."""
    return [AuditView(*row) for row in fetch(conn, _AUDIT, {"pid": participant_id, "limit": limit})]
