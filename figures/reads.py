"""Reads what the key figures count, set-based: one query for the cases a viewer may see (only
the facts the definitions read, no name and no reference) and one for the courses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Boolean, Connection, Date

from figures.dashboard import Dashboard, Filters, LandRow, build_dashboard
from figures.definitions import FACTS_READ, Case, Context, CourseRecord
from figures.land import stored_row
from pipeline.access import Viewer, visible_participants
from pipeline.database import JSONType
from pipeline.reads import NEEDS, Scope, agency_names, fact_sql, fetch, find_region, typed
from process_models import ProcessModel


def _typed_fact(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if kind == "int":
        return int(value)
    return value


def load_cases(conn: Connection, scope: Scope, model: ProcessModel, *, region_column: bool = False) -> list[Case]:
    """The cases of `scope` (a viewer's WHERE fragment, `pipeline.access.visible_participants`)."""
    dialect = conn.dialect.name
    names = [name for name in FACTS_READ if name in model.facts]
    kinds = [model.facts[name].type for name in names]
    where, params = scope
    facts = ", ".join(f"{fact_sql(dialect, name)} AS f{index}" for index, name in enumerate(names))
    needs = ", ".join(f"p.{need}" for need in NEEDS)
    region = "r.code" if region_column else "''"
    join = " JOIN region r ON r.id = p.region_id" if region_column else ""
    rows = fetch(
        conn,
        typed(
            f"SELECT p.stage, p.birth_year, p.next_due, p.next_agencies, {region}, {needs}, {facts} "
            f"FROM participant p{join} WHERE {where}",
            columns={"next_due": Date, **{need: Boolean for need in NEEDS}},
        ),
        params,
    )
    cases = []
    offset = 5 + len(NEEDS)
    for row in rows:
        agencies = row[3]
        if isinstance(agencies, str | bytes):
            agencies = orjson.loads(agencies)
        cases.append(
            Case(
                stage=row[0],
                birth_year=row[1],
                next_due=row[2],
                next_agencies=tuple(agencies or ()),
                region=row[4],
                needs=frozenset(need for need, flag in zip(NEEDS, row[5:offset], strict=True) if flag),
                facts={
                    name: _typed_fact(kind, value)
                    for name, kind, value in zip(names, kinds, row[offset:], strict=True)
                    if value is not None
                },
            )
        )
    return cases


def load_courses(
    conn: Connection, region_ids: Sequence[int], *, provider_code: str | None = None
) -> list[CourseRecord]:
    """The integration courses of the regions with their active enrolments (by provider name)."""
    if not region_ids:
        return []
    marks = ", ".join(f":r{index}" for index in range(len(region_ids)))
    params: dict[str, Any] = {f"r{index}": value for index, value in enumerate(region_ids)}
    provider = ""
    if provider_code:
        provider, params["provider"] = " AND a.code = :provider", provider_code
    rows = fetch(
        conn,
        typed(
            "SELECT a.name, c.course_type, c.capacity, "
            "(SELECT COUNT(*) FROM enrollment e WHERE e.course_id = c.id AND e.left_on IS NULL), "
            "COALESCE(c.actual_start, c.planned_start) AS start, c.end_date, c.cancelled "
            "FROM course c JOIN agency a ON a.id = c.provider_id "
            f"WHERE c.region_id IN ({marks}) AND c.kind = 'ik'{provider}",
            columns={"start": Date, "end_date": Date, "cancelled": Boolean},
        ),
        params,
    )
    return [CourseRecord(*row) for row in rows]


def providers(conn: Connection, region_id: int) -> list[tuple[str, str]]:
    """The region's course providers (code, name), for the dashboard's filter."""
    rows = fetch(
        conn,
        typed("SELECT code, name FROM agency WHERE region_id = :region AND type = 'KT' ORDER BY name"),
        {"region": region_id},
    )
    return [(code, name) for code, name in rows]


def read_dashboard(
    conn: Connection, viewer: Viewer, model: ProcessModel, *, today: date, filters: Filters, land: bool = False
) -> Dashboard:
    """The dashboard as `viewer` may see it: an agency's own participants (and a provider's own
    courses); the Land view, aggregates of every region, for the coordination only."""
    region = find_region(conn, viewer.region_code)
    ctx = Context.of(model, today, agency_names(conn, region.id))
    cases = load_cases(conn, visible_participants(viewer, conn.dialect.name, model), model)
    own = viewer.agency_code if viewer.is_agency and viewer.agency_type == "KT" else None
    courses = load_courses(conn, [region.id], provider_code=own)
    regions: list[LandRow] = []
    if land and not viewer.is_agency:
        regions = read_land(conn, months=filters.months, course_type=filters.course_type)
        if len(regions) < 2:
            regions = []
    return build_dashboard(cases, courses, ctx, filters, land=regions, region=region.code)


def read_land(conn: Connection, *, months: int, course_type: str) -> list[LandRow]:
    """Every region's row of the Land view as its last daily computation stored it (`figures.land`):
    one row per region, none of its cases."""
    rows = fetch(
        conn,
        typed(
            "SELECT r.code, r.name, f.document FROM region r LEFT JOIN region_figures f ON f.region_id = r.id "
            "ORDER BY r.code",
            columns={"document": JSONType},
        ),
    )
    return [stored_row(code, name, document, months=months, course_type=course_type) for code, name, document in rows]
