"""Reading what the planning needs: waiting participants, upcoming courses with their free
places, the stored reachability – as the plain shapes of planning.suggestions. Core only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Connection, Date, bindparam

from pipeline.reads import NEEDS, NotFound, RegionRow, fact_sql, fetch, fetch_one, typed
from places.reachability import slot_of, verdict
from planning.suggestions import Offer, Seeker, Suggestion, Trip, suggest
from process_models import ProcessModel


def _placement_fact(model: ProcessModel) -> str:
    return model.facts_of_type("course_type")[0]


def _seeker(row: Sequence[Any]) -> Seeker:
    pid, ref, course_type, municipality_id, since, *needs = row
    return Seeker(
        pid,
        ref,
        str(course_type) if course_type else None,
        frozenset(name for name, flag in zip(NEEDS, needs, strict=True) if flag),
        municipality_id,
        since,
    )


def _seeker_sql(dialect: str, model: ProcessModel, where: str, *, extra: str = "") -> str:
    """The seeker columns (then `extra` ones) of the participants `where` says."""
    needs = ", ".join(f"p.{name}" for name in NEEDS)
    return (
        f"SELECT p.id, p.ref, {fact_sql(dialect, _placement_fact(model))}, p.municipality_id, p.stage_since, {needs}"
        f"{extra} FROM participant p WHERE {where} ORDER BY p.stage_since, p.ref"
    )


def waiting_seekers(conn: Connection, region: RegionRow, model: ProcessModel) -> list[Seeker]:
    """Everyone of the region in a stage the model tags `awaiting_course`."""
    stages = sorted(model.stages_tagged("awaiting_course"))
    statement = typed(
        _seeker_sql(
            conn.dialect.name, model, "p.region_id = :region AND p.stage IN :stages AND p.anonymised_on IS NULL"
        ),
        dates=(),
        columns={**{name: Boolean for name in NEEDS}, "stage_since": Date},
    ).bindparams(bindparam("stages", expanding=True))
    return [_seeker(row) for row in fetch(conn, statement, {"region": region.id, "stages": stages})]


def seeker_by_ref(conn: Connection, ref: str, model: ProcessModel) -> tuple[Seeker, str, int]:
    """One participant as a seeker, with their stage and region id (NotFound when unknown)."""
    row = fetch_one(
        conn,
        typed(
            _seeker_sql(conn.dialect.name, model, "p.ref = :ref", extra=", p.stage, p.region_id"),
            columns={**{name: Boolean for name in NEEDS}, "stage_since": Date},
        ),
        {"ref": ref},
    )
    if row is None:
        raise NotFound(f"Teilnehmende '{ref}' gibt es nicht")
    return _seeker(row[:-2]), row[-2], row[-1]


def upcoming_offers(conn: Connection, region_id: int, today: date) -> list[Offer]:
    """The region's integration courses starting after `today` (one starting today takes nobody new), not cancelled."""
    rows = fetch(
        conn,
        typed(
            "SELECT c.id, c.code, a.code, a.name, c.course_type, c.format, c.site_id, COALESCE(s.name, c.site), c.slot, "
            "COALESCE(c.actual_start, c.planned_start), c.capacity, "
            "(SELECT COUNT(*) FROM enrollment e WHERE e.course_id = c.id AND e.left_on IS NULL), c.min_size, "
            "COALESCE(s.childcare, FALSE) "
            "FROM course c JOIN agency a ON a.id = c.provider_id LEFT JOIN course_site s ON s.id = c.site_id "
            "WHERE c.region_id = :region AND c.kind = 'ik' AND NOT c.cancelled "
            "AND COALESCE(c.actual_start, c.planned_start) > :today ORDER BY 10, c.code",
            dates=("today",),
        ),
        {"region": region_id, "today": today},
    )
    offers = []
    for cid, code, pcode, pname, ctype, fmt, site_id, site, slot, start, capacity, enrolled, min_size, care in rows:
        start_day = start if isinstance(start, date) else date.fromisoformat(str(start)[:10])
        offers.append(
            Offer(
                cid,
                code,
                pcode,
                pname,
                ctype,
                fmt,
                site_id,
                site,
                slot_of(slot, fmt),
                start_day,
                int(capacity),
                int(enrolled),
                int(min_size),
                bool(care),
            )
        )
    return offers


def region_trips(
    conn: Connection, region_id: int, *, limit_minutes: int, max_wait_minutes: int
) -> dict[tuple[int, int, str], Trip]:
    rows = fetch(
        conn,
        typed(
            "SELECT municipality_id, site_id, slot, estimated, out_depart, out_arrive, out_minutes, out_transfers, "
            "back_depart, back_minutes FROM reach WHERE region_id = :region",
            columns={"estimated": Boolean},
        ),
        {"region": region_id},
    )
    trips = {}
    for mid, sid, slot, estimated, out_depart, out_arrive, out_minutes, transfers, back_depart, back_minutes in rows:
        ok = verdict(
            {
                "slot": slot,
                "out_depart": out_depart,
                "out_arrive": out_arrive,
                "out_minutes": out_minutes,
                "back_depart": back_depart,
                "back_minutes": back_minutes,
            },
            limit_minutes=limit_minutes,
            max_wait_minutes=max_wait_minutes,
        )
        trips[(mid, sid, slot)] = Trip(out_minutes, back_minutes, transfers, ok, bool(estimated))
    return trips


@dataclass(frozen=True)
class SuggestionView:
    ref: str
    stage: str
    waiting: bool
    municipality: str | None
    suggestions: list[Suggestion]

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "stage": self.stage,
            "waiting": self.waiting,
            "municipality": self.municipality,
            "suggestions": [s.to_json() for s in self.suggestions],
        }


def suggestions_for(
    conn: Connection, ref: str, model: ProcessModel, *, today: date, max_wait_minutes: int, formats: dict[str, str]
) -> SuggestionView:
    seeker, stage, region_id = seeker_by_ref(conn, ref, model)
    limit, trips = trips_for_region(conn, region_id, max_wait_minutes=max_wait_minutes)
    found = suggest(
        seeker,
        upcoming_offers(conn, region_id, today),
        trips,
        model=model,
        today=today,
        limit_minutes=limit,
        formats=formats,
    )
    name = None
    if seeker.municipality_id is not None:
        row = fetch_one(conn, typed("SELECT name FROM municipality WHERE id = :id"), {"id": seeker.municipality_id})
        name = row[0] if row else None
    return SuggestionView(seeker.ref, stage, stage in model.stages_tagged("awaiting_course"), name, found)


@dataclass(frozen=True)
class FillRow:
    """A course of the proposal: before and after, and whether it reaches its minimum."""

    code: str
    provider: str
    provider_name: str
    course_type: str
    site: str
    start: date
    enrolled: int
    joining: int
    min_size: int
    capacity: int
    below: bool
    reaches: bool
    note: str

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "start": self.start.isoformat()}


@dataclass(frozen=True)
class FillPick:
    """One proposed assignment: who, which course, how long until it starts, how they get there."""

    ref: str
    course: str
    provider: str
    start: date
    wait_days: int
    waiting_since: date
    travel_minutes: int | None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "start": self.start.isoformat(), "waiting_since": self.waiting_since.isoformat()}


@dataclass(frozen=True)
class FillView:
    region: str
    as_of: date
    message: str
    optimal: bool
    seconds: float
    waiting: int
    courses: list[FillRow]
    picks: list[FillPick]
    stages: list[str]

    @property
    def below(self) -> int:
        return sum(row.below for row in self.courses)

    @property
    def reached(self) -> int:
        return sum(row.below and row.reaches for row in self.courses)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "as_of": self.as_of.isoformat(),
            "message": self.message,
            "optimal": self.optimal,
            "seconds": round(self.seconds, 3),
            "waiting": self.waiting,
            "courses_below_minimum": self.below,
            "courses_reaching_minimum": self.reached,
            "courses": [row.to_json() for row in self.courses],
            "assignments": [pick.to_json() for pick in self.picks],
            "solver": self.stages,
        }


def region_suggestions(
    conn: Connection,
    region: RegionRow,
    model: ProcessModel,
    *,
    today: date,
    max_wait_minutes: int,
    formats: dict[str, str],
    keep: Callable[[Offer], bool] | None = None,
) -> tuple[list[Seeker], list[Offer], dict[int, list[Suggestion]]]:
    """Every waiting participant's suggestions among the upcoming courses (those `keep` keeps):
    the fill proposal's input and its benchmark."""

    limit, trips = trips_for_region(conn, region.id, max_wait_minutes=max_wait_minutes)
    offers = [offer for offer in upcoming_offers(conn, region.id, today) if keep is None or keep(offer)]
    seekers = waiting_seekers(conn, region, model)
    found = {
        seeker.id: suggest(seeker, offers, trips, model=model, today=today, limit_minutes=limit, formats=formats)
        for seeker in seekers
    }
    return seekers, offers, found


def fill_for_region(
    conn: Connection,
    region: RegionRow,
    model: ProcessModel,
    *,
    today: date,
    max_wait_minutes: int,
    horizon_days: int = 92,
    time_limit: float = 10.0,
    only_below: bool = False,
) -> FillView:
    """The fill proposal for the region's courses starting within `horizon_days` (with
    `only_below`, only the courses below their minimum: the agenda's item, cheaper)."""
    from planning.fill import FillCourse, propose_fill  # noqa: PLC0415
    from planning.suggestions import acceptable_types, fits  # noqa: PLC0415

    _limit, trip_of = trips_for_region(conn, region.id, max_wait_minutes=max_wait_minutes)
    offers = [
        offer
        for offer in upcoming_offers(conn, region.id, today)
        if (offer.start - today).days <= horizon_days and (not only_below or offer.enrolled < offer.min_size)
    ]
    seekers = waiting_seekers(conn, region, model) if offers else []
    # the predicate of the suggestions, without their reasons: every person against every course
    pairs = {}
    for seeker in seekers:
        types = acceptable_types(seeker, model)[0]
        pairs[seeker.id] = [offer.id for offer in offers if fits(seeker, offer, trip_of, types, today)]
    courses = [FillCourse(o.id, o.code, o.start, o.enrolled, o.capacity, o.min_size) for o in offers]
    result = propose_fill(courses, pairs, today=today, time_limit=time_limit)
    joining: dict[int, int] = {}
    for assignment in result.assignments:
        joining[assignment.course_id] = joining.get(assignment.course_id, 0) + 1
    by_offer = {offer.id: offer for offer in offers}
    rows = [
        FillRow(
            o.code,
            o.provider_code,
            o.provider_name,
            o.course_type,
            o.site,
            o.start,
            o.enrolled,
            joining.get(o.id, 0),
            o.min_size,
            o.capacity,
            o.enrolled < o.min_size,
            o.enrolled + joining.get(o.id, 0) >= o.min_size,
            result.out_of_reach.get(o.id, ""),
        )
        for o in offers
    ]
    seekers_by_id = {seeker.id: seeker for seeker in seekers}

    def travel(participant_id: int, course_id: int) -> int | None:
        seeker, offer = seekers_by_id[participant_id], by_offer[course_id]
        if seeker.municipality_id is None or offer.site_id is None or offer.online:
            return None
        trip = trip_of.get((seeker.municipality_id, offer.site_id, offer.slot))
        return trip.out_minutes if trip else None

    picks = sorted(
        (
            FillPick(
                seekers_by_id[a.participant_id].ref,
                by_offer[a.course_id].code,
                by_offer[a.course_id].provider_code,
                by_offer[a.course_id].start,
                a.wait_days,
                seekers_by_id[a.participant_id].waiting_since,
                travel(a.participant_id, a.course_id),
            )
            for a in result.assignments
        ),
        key=lambda pick: (pick.start, pick.course, pick.waiting_since, pick.ref),
    )
    return FillView(
        region.code, today, result.message, result.optimal, result.seconds, len(seekers), rows, picks, result.stages
    )


def assignment_event(model: ProcessModel) -> str | None:
    """The model's event by which the BAMF assigns someone waiting to a provider: allowed in the
    stages awaiting a course, recorded by the BAMF, setting the provider."""
    waiting = model.stages_tagged("awaiting_course")
    providers = set(model.facts_of_type("provider"))
    allowed = {event for stage in waiting for event in model.allowed_events(stage)}
    for event_id in sorted(allowed):
        spec = model.events[event_id]
        if "BAMF" in spec.actors and any(fact in providers for fact, _source in spec.sets):
            return event_id
    return None


def placement_event(model: ProcessModel) -> str | None:
    """The model's event that records a placement test: allowed in the stages awaiting a course,
    with a required payload field of the placement's course type that sets it."""
    placement = _placement_fact(model)
    allowed = {event for stage in model.stages_tagged("awaiting_course") for event in model.allowed_events(stage)}
    for event_id in sorted(allowed):
        spec = model.events[event_id]
        required = {f.name for f in spec.payload if f.required and f.type == "course_type"}
        if any(fact == placement and source.removeprefix("payload.") in required for fact, source in spec.sets):
            return event_id
    return None


@dataclass(frozen=True, slots=True)
class WaitingTime:
    """How long people waited from registration to course start with one provider and course
    type (the survey's "kürzeste Wartezeit", a recommendation where to register)."""

    provider: str
    course_type: str
    shortest_days: int
    median_days: float
    starts: int
    within_target: int


def waiting_times(
    conn: Connection, region_id: int, model: ProcessModel, *, today: date, months: int = 12
) -> list[WaitingTime]:
    """From the history: the first day in a stage awaiting the start (registered or assigned) to
    the first day in a stage attending, for course starts in the last `months`; by provider and
    course type (the facts of those types)."""
    import statistics  # noqa: PLC0415

    from process_models.durations import add_calendar, add_months  # noqa: PLC0415

    awaiting = sorted(model.stages_tagged("awaiting_start"))
    attending = sorted(model.stages_tagged("attending"))
    if not awaiting or not attending:
        return []
    dialect = conn.dialect.name
    provider = fact_sql(dialect, model.facts_of_type("provider")[0])
    kind = fact_sql(dialect, _placement_fact(model))
    statement = typed(
        f"SELECT {provider}, {kind}, "
        "(SELECT MIN(s.occurred_on) FROM stage_change s WHERE s.participant_id = p.id AND s.to_stage IN :awaiting), "
        "(SELECT MIN(s.occurred_on) FROM stage_change s WHERE s.participant_id = p.id AND s.to_stage IN :attending) "
        "FROM participant p WHERE p.region_id = :region AND EXISTS (SELECT 1 FROM stage_change s "
        "WHERE s.participant_id = p.id AND s.to_stage IN :attending AND s.occurred_on >= :since)",
        dates=("since",),
    ).bindparams(bindparam("awaiting", expanding=True), bindparam("attending", expanding=True))
    rows = fetch(
        conn,
        statement,
        {"region": region_id, "awaiting": awaiting, "attending": attending, "since": add_months(today, -months)},
    )
    target = model.duration("waiting_time_target")
    groups: dict[tuple[str, str], list[int]] = {}
    within: dict[tuple[str, str], int] = {}
    for provider_code, course_type, registered, started in rows:
        if not provider_code or not course_type or registered is None or started is None:
            continue
        first = registered if isinstance(registered, date) else date.fromisoformat(str(registered)[:10])
        start = started if isinstance(started, date) else date.fromisoformat(str(started)[:10])
        if start < first:
            continue
        key = (str(provider_code), str(course_type))
        groups.setdefault(key, []).append((start - first).days)
        within[key] = within.get(key, 0) + (start <= add_calendar(first, target))
    return sorted(
        (
            WaitingTime(p, t, min(days), float(statistics.median(days)), len(days), within.get((p, t), 0))
            for (p, t), days in groups.items()
        ),
        key=lambda w: (w.course_type, w.shortest_days, w.provider),
    )


def demand_rates(conn: Connection, region_id: int, model: ProcessModel, *, today: date) -> Any:
    """The region's own entry and conversion rates (planning.demand.Rates), from the history."""
    from planning.demand import Rates  # noqa: PLC0415
    from process_models.durations import add_months  # noqa: PLC0415

    awaiting = sorted(model.stages_tagged("awaiting_course"))
    attending = sorted(model.stages_tagged("attending"))
    statement = typed(
        "SELECT p.municipality_id, MIN(s.occurred_on), "
        "MAX(CASE WHEN EXISTS (SELECT 1 FROM stage_change t WHERE t.participant_id = p.id AND t.to_stage IN :attending) "
        "THEN 1 ELSE 0 END) "
        "FROM participant p JOIN stage_change s ON s.participant_id = p.id "
        "WHERE p.region_id = :region AND s.to_stage IN :awaiting GROUP BY p.id, p.municipality_id",
    ).bindparams(bindparam("awaiting", expanding=True), bindparam("attending", expanding=True))
    rows = fetch(conn, statement, {"region": region_id, "awaiting": awaiting, "attending": attending})
    year_ago, cohort_start, cohort_end = add_months(today, -12), add_months(today, -18), add_months(today, -6)
    entries: dict[int, float] = {}
    cohort = converted = 0
    for municipality, first, started in rows:
        day = first if isinstance(first, date) else date.fromisoformat(str(first)[:10])
        if municipality is not None and year_ago <= day <= today:
            entries[municipality] = entries.get(municipality, 0.0) + 1 / 12
        if cohort_start <= day < cohort_end:
            cohort += 1
            converted += int(started or 0)
    placement = fact_sql(conn.dialect.name, _placement_fact(model))
    shares = fetch(
        conn,
        typed(
            f"SELECT {placement}, COUNT(*), SUM(CASE WHEN p.part_time THEN 1 ELSE 0 END) FROM participant p "
            f"WHERE p.region_id = :region AND {placement} IS NOT NULL GROUP BY 1"
        ),
        {"region": region_id},
    )
    total = sum(int(count) for _kind, count, _pt in shares)
    type_shares = {str(kind): int(count) / total for kind, count, _pt in shares} if total else {}
    part_time = sum(int(pt or 0) for _kind, _count, pt in shares) / total if total else 0.0
    return Rates(entries, converted / cohort if cohort else 0.0, converted, cohort, type_shares, part_time)


def demand_for_region(
    conn: Connection, region: RegionRow, model: ProcessModel, *, today: date, months: int, max_wait_minutes: int
) -> Any:
    """planning.demand.build_demand over the region's data."""
    from planning.demand import build_demand  # noqa: PLC0415

    municipalities = dict(
        fetch(conn, typed("SELECT id, name FROM municipality WHERE region_id = :region"), {"region": region.id})
    )
    sites = dict(
        fetch(conn, typed("SELECT id, name FROM course_site WHERE region_id = :region"), {"region": region.id})
    )
    return build_demand(
        municipalities=municipalities,
        seekers=waiting_seekers(conn, region, model),
        offers=upcoming_offers(conn, region.id, today),
        trips=trips_for_region(conn, region.id, max_wait_minutes=max_wait_minutes)[1],
        sites=sites,
        rates=demand_rates(conn, region.id, model, today=today),
        model=model,
        today=today,
        months=months,
    )


def trips_for_region(
    conn: Connection, region_id: int, *, max_wait_minutes: int
) -> tuple[int, dict[tuple[int, int, str], Trip]]:
    """The region's longest accepted journey and its stored trips judged against it."""
    from places.reads import region_transit_limit  # noqa: PLC0415

    limit = region_transit_limit(conn, region_id)
    return limit, region_trips(conn, region_id, limit_minutes=limit, max_wait_minutes=max_wait_minutes)
