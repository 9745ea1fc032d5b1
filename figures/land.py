"""The Land view: every region's headline figures side by side. Computed with the same definitions
as every other figure (`figures.definitions.figure`), once a day per region by the daily sweep run
and stored (`region_figures`), so that comparing 96 regions reads 96 rows – reading a million
cases took 45 s and 2.5 GB for one page. The viewer's own region is computed live; every other
row says the day it holds for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from figures.definitions import FIGURES, Case, Context, FigureValue, Observation, Period, figure, observe

#: the periods the dashboard offers, in months back from today
PERIODS = (3, 6, 12, 24)
#: the headline figures of the Land view, one column each
LAND_KEYS = ("waiting_time", "waiting_within_target", "access_time", "completion_rate", "transitions_6m")


@dataclass(frozen=True)
class LandRow:
    region: str
    name: str
    persons: int
    values: tuple[FigureValue, ...]
    #: the day the figures hold for: today for the viewer's own region, else the day of the
    #: region's last computation; None when it has none yet
    as_of: date | None = None


def live_row(code: str, name: str, observations: Sequence[Observation], period: Period, ctx: Context) -> LandRow:
    """A region's row from its observations, now (the viewer's own region)."""
    values = tuple(figure(key, observations, period, ctx) for key in LAND_KEYS)
    return LandRow(code, name, len(observations), values, ctx.as_of)


def land_document(cases: Sequence[Case], ctx: Context, course_types: Sequence[str]) -> dict[str, Any]:
    """One region's figures for every period of the dashboard and every course-type filter (""
    is all), each case observed once: what `stored_row` reads back."""
    groups: dict[str, list[Observation]] = {"": [], **{kind: [] for kind in course_types}}
    for case in cases:
        observation = observe(case, ctx)
        groups[""].append(observation)
        kind = case.facts.get("course_type")
        if kind in groups and kind:
            groups[kind].append(observation)
    return {
        "as_of": ctx.as_of.isoformat(),
        "groups": {
            kind: {
                "persons": len(observations),
                "periods": {
                    str(months): [
                        _stored(figure(key, observations, Period.months_back(ctx.as_of, months), ctx))
                        for key in LAND_KEYS
                    ]
                    for months in PERIODS
                },
            }
            for kind, observations in groups.items()
        },
    }


def _stored(value: FigureValue) -> list[Any]:
    return [value.text, value.number, value.basis, value.basis_text]


def stored_row(code: str, name: str, document: Mapping[str, Any] | None, *, months: int, course_type: str) -> LandRow:
    """A region's row as its last computation stored it (no document yet: a row that says so)."""
    group = (document or {}).get("groups", {}).get(course_type)
    stored = group["periods"].get(str(months)) if group else None
    if document is None or group is None or stored is None:
        return LandRow(code, name, 0, tuple(_value(key, ["–", None, 0, ""]) for key in LAND_KEYS), None)
    values = tuple(_value(key, entry) for key, entry in zip(LAND_KEYS, stored, strict=True))
    return LandRow(code, name, int(group["persons"]), values, date.fromisoformat(document["as_of"]))


def _value(key: str, entry: Sequence[Any]) -> FigureValue:
    spec = FIGURES[key]
    text, number, basis, basis_text = entry
    return FigureValue(key, spec.name, "", text, number, spec.unit, int(basis), basis_text)


def store_land_figures(conn: Any, region_id: int, model: Any, *, today: date) -> int:
    """Compute one region's Land-view figures for `today` and store them in place of the last
    ones; returns the number of cases counted."""
    from sqlalchemy import delete, insert  # noqa: PLC0415

    from figures.reads import load_cases  # noqa: PLC0415
    from figures.tables import RegionFigures  # noqa: PLC0415
    from pipeline.database import utcnow  # noqa: PLC0415
    from pipeline.reads import agency_names  # noqa: PLC0415

    cases = load_cases(conn, ("p.region_id = :land_region", {"land_region": region_id}), model)
    document = land_document(cases, Context.of(model, today, agency_names(conn, region_id)), tuple(model.course_types))
    table = RegionFigures.__table__  # type: ignore[attr-defined]
    conn.execute(delete(table).where(table.c.region_id == region_id))
    conn.execute(insert(table).values(region_id=region_id, as_of=today, document=document, computed_at=utcnow()))
    return len(cases)
