"""Reading what the Kommune moderates: the providers' cooperation agreement with its versions,
the central placement tests (dates, bookings, invitations) and the course proposal (its input and
the one stored last). Core only; the waiting people, courses and trips come from planning.reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Connection, bindparam

from pipeline.reads import RegionRow, fetch, fetch_one, typed
from planning.reads import demand_rates, trips_for_region, upcoming_offers, waiting_seekers
from process_models import ProcessModel

# --- the cooperation agreement ---------------------------------------------------------------


@dataclass(frozen=True)
class AgreementView:
    """The agreement in force (None before the first import) with its version history."""

    region: str
    version: int | None
    agreement: Any
    created_at: Any
    created_by: str
    history: list[tuple[int, Any, str, str, str]]
    provider_names: dict[str, str]
    site_names: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        from planning.agreement import to_document  # noqa: PLC0415

        return {
            "region": self.region,
            "version": self.version,
            "agreement": to_document(self.agreement) if self.agreement is not None else None,
            "history": [
                {"version": v, "at": str(at), "by": by, "source": source, "changes": what}
                for v, at, by, source, what in self.history
            ],
        }


def agreement_catalogue(conn: Connection, region_id: int, model: ProcessModel) -> Any:
    """What an agreement of the region may name (planning.agreement.Catalogue)."""
    from planning.agreement import Catalogue  # noqa: PLC0415

    providers = dict(
        fetch(
            conn,
            typed("SELECT code, name FROM agency WHERE region_id = :region AND type = 'KT' ORDER BY code"),
            {"region": region_id},
        )
    )
    sites = dict(
        fetch(
            conn,
            typed("SELECT code, name FROM course_site WHERE region_id = :region ORDER BY code"),
            {"region": region_id},
        )
    )
    return Catalogue(providers, sites, {key: spec.label for key, spec in model.course_types.items()})


def current_agreement(conn: Connection, region_id: int) -> tuple[int, Any] | None:
    """The version number and agreement (planning.agreement.Agreement) in force, or None."""
    from pipeline.database import JSONType  # noqa: PLC0415
    from planning.agreement import from_document  # noqa: PLC0415

    row = fetch_one(
        conn,
        typed(
            "SELECT version, document FROM agreement_version WHERE region_id = :region ORDER BY version DESC LIMIT 1",
            columns={"document": JSONType},
        ),
        {"region": region_id},
    )
    return None if row is None else (int(row[0]), from_document(row[1]))


def agreement_view(conn: Connection, region: RegionRow, model: ProcessModel) -> AgreementView:
    from pipeline.database import UTCDateTime  # noqa: PLC0415

    history = [
        (int(v), at, by, source, what)
        for v, at, by, source, what in fetch(
            conn,
            typed(
                "SELECT version, created_at, created_by, source, changes FROM agreement_version "
                "WHERE region_id = :region ORDER BY version DESC",
                columns={"created_at": UTCDateTime()},
            ),
            {"region": region.id},
        )
    ]
    current = current_agreement(conn, region.id)
    catalogue = agreement_catalogue(conn, region.id, model)
    return AgreementView(
        region.code,
        current[0] if current else None,
        current[1] if current else None,
        history[0][1] if history else None,
        history[0][2] if history else "",
        history,
        dict(catalogue.providers),
        dict(catalogue.sites),
    )


# --- central placement tests -----------------------------------------------------------------


@dataclass(frozen=True)
class PlacementDateView:
    """One test date as the coordination sees it: host, place, how full."""

    day: date
    time: str
    host: str
    host_name: str
    site: str
    site_name: str
    address: str
    capacity: int
    #: stored bookings, and those the plan proposes on top (stored with `testing --book`)
    booked: int
    proposed: int
    moved_because: tuple[str, ...]
    nominal: date

    def to_json(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "day": self.day.isoformat(),
            "nominal": self.nominal.isoformat(),
            "moved_because": list(self.moved_because),
        }


@dataclass(frozen=True)
class BookingView:
    ref: str
    participant_id: int
    day: date
    host: str
    site: str
    site_id: int
    municipality: str | None
    waiting_since: date
    reachable: bool | None
    new: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "day": self.day.isoformat(),
            "host": self.host,
            "site": self.site,
            "municipality": self.municipality,
            "waiting_since": self.waiting_since.isoformat(),
            "reachable": self.reachable,
            "new": self.new,
        }


@dataclass(frozen=True)
class TestingView:
    region: str
    as_of: date
    months: int
    version: int | None
    #: why there are no dates (no agreement, no rotation in it), else ""
    missing: str
    dates: list[PlacementDateView]
    bookings: list[BookingView]
    unbooked: list[tuple[str, str | None, str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "as_of": self.as_of.isoformat(),
            "months": self.months,
            "agreement_version": self.version,
            "missing": self.missing,
            "dates": [d.to_json() for d in self.dates],
            "bookings": [b.to_json() for b in self.bookings],
            "unbooked": [{"ref": ref, "municipality": m, "reason": why} for ref, m, why in self.unbooked],
        }


def testing_for_region(
    conn: Connection,
    region: RegionRow,
    model: ProcessModel,
    *,
    today: date,
    months: int,
    max_wait_minutes: int,
    notice_days: int = 7,
) -> TestingView:
    """The next `months` of central placement tests with the bookings kept and proposed
    (planning.testing.plan_tests); nothing is written here."""
    from planning.testing import Candidate, placement_dates, plan_tests, slot_at  # noqa: PLC0415
    from process_models.deadlines import calendar_for  # noqa: PLC0415
    from process_models.durations import add_months  # noqa: PLC0415

    current = current_agreement(conn, region.id)
    rotation = current[1].testing if current else None
    if current is None or rotation is None:
        missing = (
            "Es gibt noch keine Kooperationsvereinbarung („planning agreement import“)."
            if current is None
            else "Die Kooperationsvereinbarung regelt keine zentralen Einstufungstests („einstufungstests“)."
        )
        return TestingView(region.code, today, months, current[0] if current else None, missing, [], [], [])
    dates = placement_dates(rotation, start=today, end=add_months(today, months), calendar=calendar_for(model))
    sites = {
        code: (sid, name, address)
        for sid, code, name, address in fetch(
            conn,
            typed("SELECT id, code, name, address FROM course_site WHERE region_id = :region"),
            {"region": region.id},
        )
    }
    site_codes = {sid: code for code, (sid, _n, _a) in sites.items()}
    providers = dict(
        fetch(conn, typed("SELECT code, name FROM agency WHERE region_id = :region"), {"region": region.id})
    )
    municipalities = dict(
        fetch(conn, typed("SELECT id, name FROM municipality WHERE region_id = :region"), {"region": region.id})
    )
    seekers = [s for s in waiting_seekers(conn, region, model) if s.course_type is None]
    candidates = [Candidate(s.id, s.ref, s.municipality_id, s.waiting_since) for s in seekers]
    existing = {
        pid: (day if isinstance(day, date) else date.fromisoformat(str(day)[:10]), host, site_codes.get(site, ""))
        for pid, day, host, site in fetch(
            conn,
            typed("SELECT participant_id, test_date, host, site_id FROM placement_booking WHERE region_id = :region"),
            {"region": region.id},
        )
    }
    _limit, trips = trips_for_region(conn, region.id, max_wait_minutes=max_wait_minutes)
    slot = slot_at(rotation.time)

    def reaches(municipality: int | None, site: str) -> bool | None:
        if municipality is None or site not in sites:
            return None
        trip = trips.get((municipality, sites[site][0], slot))
        return None if trip is None else trip.reachable

    plan = plan_tests(dates, candidates, existing, reaches, today=today, earliest=today + timedelta(days=notice_days))
    load: dict[tuple[date, bool], int] = {}
    for booking in plan.booked:
        load[(booking.day, booking.new)] = load.get((booking.day, booking.new), 0) + 1
    by_id = {c.id: c for c in candidates}
    return TestingView(
        region.code,
        today,
        months,
        current[0],
        "",
        [
            PlacementDateView(
                d.day,
                d.time,
                d.host,
                providers.get(d.host, d.host),
                d.site,
                sites.get(d.site, (0, d.site, ""))[1],
                sites.get(d.site, (0, d.site, ""))[2],
                d.capacity,
                load.get((d.day, False), 0),
                load.get((d.day, True), 0),
                d.moved_because,
                d.nominal,
            )
            for d in plan.dates
        ],
        [
            BookingView(
                by_id[b.candidate_id].ref,
                b.candidate_id,
                b.day,
                b.host,
                b.site,
                sites.get(b.site, (0, "", ""))[0],
                municipalities.get(by_id[b.candidate_id].municipality_id or 0),
                by_id[b.candidate_id].waiting_since,
                b.reachable,
                b.new,
            )
            for b in sorted(plan.booked, key=lambda b: (b.day, by_id[b.candidate_id].ref))
        ],
        [(by_id[cid].ref, municipalities.get(by_id[cid].municipality_id or 0), why) for cid, why in plan.unbooked],
    )


@dataclass(frozen=True)
class Invitation:
    """One printable invitation to a placement test (personal: for the coordination and the host)."""

    ref: str
    name: str
    home: str
    day: date
    time: str
    host_name: str
    host_contact: str
    site_name: str
    address: str
    municipality: str | None
    out_depart: str | None
    out_arrive: str | None
    transfers: int | None
    back_depart: str | None
    estimated_minutes: int | None


def invitations_for(conn: Connection, region: RegionRow, view: TestingView, *, slot: str) -> list[Invitation]:
    """The invitations for the bookings of a testing view, with the ÖPNV connection from each
    person's municipality to the test site as the stored reachability has it."""
    from places.reads import clock  # noqa: PLC0415

    if not view.bookings:
        return []
    ids = [b.participant_id for b in view.bookings]
    people = {
        pid: (f"{first} {last}".strip(), f"{postcode or ''} {location or ''}".strip(), mid)
        for pid, first, last, postcode, location, mid in fetch(
            conn,
            typed(
                "SELECT id, first_name, last_name, postcode, location, municipality_id FROM participant WHERE id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        )
    }
    sites = {
        code: (sid, name, f"{address}, {postcode or ''} {place}".strip(", "))
        for sid, code, name, address, postcode, place in fetch(
            conn,
            typed("SELECT id, code, name, address, postcode, place FROM course_site WHERE region_id = :region"),
            {"region": region.id},
        )
    }
    hosts = {
        code: (name, email or "")
        for code, name, email in fetch(
            conn,
            typed(
                "SELECT a.code, a.name, (SELECT MIN(c.email) FROM contact c WHERE c.agency_id = a.id AND c.active) "
                "FROM agency a WHERE a.region_id = :region"
            ),
            {"region": region.id},
        )
    }
    reach = {
        (mid, sid): (estimated, out_depart, out_arrive, out_minutes, transfers, back_depart)
        for mid, sid, estimated, out_depart, out_arrive, out_minutes, transfers, back_depart in fetch(
            conn,
            typed(
                "SELECT municipality_id, site_id, estimated, out_depart, out_arrive, out_minutes, out_transfers, back_depart "
                "FROM reach WHERE region_id = :region AND slot = :slot",
                columns={"estimated": Boolean},
            ),
            {"region": region.id, "slot": slot},
        )
    }
    times = {d.day: d.time for d in view.dates}
    result = []
    for booking in view.bookings:
        name, home, mid = people[booking.participant_id]
        sid, site_name, address = sites.get(booking.site, (0, booking.site, ""))
        trip = reach.get((mid, sid)) if mid is not None else None
        estimated = trip is not None and bool(trip[0])
        result.append(
            Invitation(
                booking.ref,
                name,
                home,
                booking.day,
                times.get(booking.day, ""),
                hosts.get(booking.host, (booking.host, ""))[0],
                hosts.get(booking.host, (booking.host, ""))[1],
                site_name,
                address,
                booking.municipality,
                None if trip is None or estimated else clock(trip[1]),
                None if trip is None or estimated else clock(trip[2]),
                None if trip is None or estimated else trip[4],
                None if trip is None or estimated else clock(trip[5]),
                trip[3] if trip is not None and estimated else None,
            )
        )
    return result


# --- course proposals ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalRow:
    month: str
    start: date
    provider: str
    provider_name: str
    course_type: str
    site: str
    slot: str
    participants: int
    within_target: int
    municipalities: list[str]

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "start": self.start.isoformat()}


@dataclass(frozen=True)
class ProposalView:
    region: str
    as_of: date
    months: int
    version: int | None
    missing: str
    message: str
    optimal: bool
    seconds: float
    demand: int
    waiting: int
    served_existing: int
    served_total: int
    within_target: int
    rows: list[ProposalRow]
    #: municipality, course type, part-time need, people, why (German)
    unserved: list[tuple[str, str, bool, int, str]]
    stages: list[str]
    #: when the stored proposal was computed (None: computed just now, not read back)
    computed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "as_of": self.as_of.isoformat(),
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "months": self.months,
            "agreement_version": self.version,
            "missing": self.missing,
            "message": self.message,
            "optimal": self.optimal,
            "seconds": round(self.seconds, 3),
            "demand": self.demand,
            "waiting": self.waiting,
            "served_by_existing_and_plan": self.served_existing,
            "served": self.served_total,
            "within_six_weeks": self.within_target,
            "proposed_courses": [row.to_json() for row in self.rows],
            "unserved": [
                {"municipality": m, "course_type": t, "part_time": pt, "people": n, "reason": why}
                for m, t, pt, n, why in self.unserved
            ],
            "solver": self.stages,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], computed_at: datetime) -> ProposalView:
        """A stored proposal back (written by to_json)."""
        return cls(
            data["region"],
            date.fromisoformat(data["as_of"]),
            int(data["months"]),
            data["agreement_version"],
            data["missing"],
            data["message"],
            bool(data["optimal"]),
            float(data["seconds"]),
            int(data["demand"]),
            int(data["waiting"]),
            int(data["served_by_existing_and_plan"]),
            int(data["served"]),
            int(data["within_six_weeks"]),
            [ProposalRow(**{**row, "start": date.fromisoformat(row["start"])}) for row in data["proposed_courses"]],
            [(u["municipality"], u["course_type"], u["part_time"], u["people"], u["reason"]) for u in data["unserved"]],
            list(data["solver"]),
            computed_at,
        )


def stored_proposal(conn: Connection, region_id: int) -> ProposalView | None:
    """The region's last computed course proposal (planning.repository.store_proposal), or None."""
    from pipeline.database import JSONType, UTCDateTime  # noqa: PLC0415

    row = fetch_one(
        conn,
        typed(
            "SELECT document, computed_at FROM proposal_run WHERE region_id = :region",
            columns={"document": JSONType, "computed_at": UTCDateTime()},
        ),
        {"region": region_id},
    )
    return None if row is None else ProposalView.from_json(row[0], row[1])


@dataclass(frozen=True)
class ProposalInstance:
    """The course proposal's input for one region (planning.proposals): who needs a place when,
    what can take them, what fits, how many new courses each provider may still open a month."""

    version: int
    waiting: int
    groups: list[Any]
    supplies: list[Any]
    fits: Callable[[Any, Any], bool]
    caps: dict[tuple[str, str], int]
    municipalities: dict[int, str]
    site_label: dict[int, str]
    providers: dict[str, str]


def proposal_instance(
    conn: Connection, region: RegionRow, model: ProcessModel, *, today: date, months: int, max_wait_minutes: int
) -> ProposalInstance | int:
    """The proposal's input, or the number of waiting people where the region has no agreement yet."""
    from planning.demand import expected_type  # noqa: PLC0415
    from planning.proposals import Group, Supply  # noqa: PLC0415
    from process_models.deadlines import calendar_for  # noqa: PLC0415
    from process_models.durations import add_months  # noqa: PLC0415

    current = current_agreement(conn, region.id)
    seekers = waiting_seekers(conn, region, model)
    if current is None:
        return len(seekers)
    version, agreement = current
    municipalities = dict(
        fetch(conn, typed("SELECT id, name FROM municipality WHERE region_id = :region"), {"region": region.id})
    )
    site_rows = fetch(
        conn, typed("SELECT id, code, name, address FROM course_site WHERE region_id = :region"), {"region": region.id}
    )
    site_id = {code: sid for sid, code, _n, _a in site_rows}
    site_label = {sid: f"{name}, {address}" if address else name for sid, _c, name, address in site_rows}
    providers = dict(
        fetch(conn, typed("SELECT code, name FROM agency WHERE region_id = :region"), {"region": region.id})
    )
    groups: list[Group] = []
    counts: dict[tuple[int, str, bool], int] = {}
    for seeker in seekers:
        if seeker.municipality_id in municipalities:
            key = (seeker.municipality_id or 0, expected_type(seeker, model), "part_time" in seeker.needs)
            counts[key] = counts.get(key, 0) + 1
    for (mid, kind, part_time), count in sorted(counts.items()):
        groups.append(Group(len(groups), mid, kind, part_time, count, today, False))
    rates = demand_rates(conn, region.id, model, today=today)
    first_month = today.replace(day=1)
    for mid, per_month in sorted(rates.entries_per_month.items()):
        if mid not in municipalities:
            continue
        for kind, share in sorted(rates.type_shares.items()):
            for part_time, part in ((True, rates.part_time_share), (False, 1 - rates.part_time_share)):
                flow = per_month * rates.conversion * share * part
                carried = 0.0
                for offset in range(1, months + 1):
                    carried += flow
                    whole = int(carried)
                    carried -= whole
                    if whole:
                        groups.append(
                            Group(len(groups), mid, kind, part_time, whole, add_months(first_month, offset), True)
                        )
    horizon_end = add_months(today, months)
    offers = [o for o in upcoming_offers(conn, region.id, today) if o.start <= horizon_end]
    supplies: list[Supply] = []
    used: dict[tuple[str, str], int] = {}
    for offer in offers:
        month = offer.start.strftime("%Y-%m")
        used[(offer.provider_code, month)] = used.get((offer.provider_code, month), 0) + 1
        if offer.free > 0:
            supplies.append(
                Supply(
                    len(supplies),
                    "online" if offer.online else "course",
                    offer.provider_code,
                    offer.course_type,
                    offer.site_id,
                    offer.slot,
                    offer.start,
                    offer.free,
                    0,
                    offer.code,
                )
            )
    calendar = calendar_for(model)

    def first_monday(month: str) -> date:
        day = date(int(month[:4]), int(month[5:]), 1)
        while day.weekday() != 0:
            day += timedelta(days=1)
        return calendar.next_business_day(day)

    def max_group(kind: str) -> int:
        spec = model.course_types.get(kind)
        return spec.max_group if spec else 25

    def min_group(kind: str) -> int:
        spec = model.course_types.get(kind)
        return spec.min_group if spec is not None and spec.min_group is not None else 15

    existing = {(o.provider_code, o.course_type, o.site_id, o.start.strftime("%Y-%m")) for o in offers}
    for planned in agreement.starts:
        start = first_monday(planned.month)
        sid = site_id.get(planned.site)
        if not today < start <= horizon_end or (planned.provider, planned.course_type, sid, planned.month) in existing:
            continue
        used[(planned.provider, planned.month)] = used.get((planned.provider, planned.month), 0) + 1
        supplies.append(
            Supply(
                len(supplies),
                "plan",
                planned.provider,
                planned.course_type,
                sid,
                planned.slot,
                start,
                max_group(planned.course_type),
                0,
                "Startplan",
            )
        )
    caps: dict[tuple[str, str], int] = {}
    for offset in range(1, months + 1):
        month = add_months(first_month, offset).strftime("%Y-%m")
        start = first_monday(month)
        if start > horizon_end:
            continue
        for terms in agreement.providers:
            caps[(terms.provider, month)] = terms.starts_per_month - used.get((terms.provider, month), 0)
            if caps[(terms.provider, month)] <= 0:
                continue
            for kind in terms.course_types:
                for code in terms.sites:
                    for slot in ("morning", "evening"):
                        supplies.append(
                            Supply(
                                len(supplies),
                                "new",
                                terms.provider,
                                kind,
                                site_id.get(code),
                                slot,
                                start,
                                max_group(kind),
                                min_group(kind),
                            )
                        )
    _limit, trips = trips_for_region(conn, region.id, max_wait_minutes=max_wait_minutes)

    def fits(group: Group, supply: Supply) -> bool:
        if supply.course_type != group.course_type:
            return False
        if group.part_time and supply.slot == "morning":
            return False
        if supply.kind == "online":
            return True
        trip = trips.get((group.municipality_id, supply.site_id or 0, supply.slot))
        return trip is not None and trip.reachable

    return ProposalInstance(version, len(seekers), groups, supplies, fits, caps, municipalities, site_label, providers)


def proposals_for_region(
    conn: Connection,
    region: RegionRow,
    model: ProcessModel,
    *,
    today: date,
    months: int,
    max_wait_minutes: int,
    time_limit: float = 10.0,
) -> ProposalView:
    """planning.proposals.propose_courses over the region's waiting and expected people, its
    courses, the agreed start plan and the providers' terms of the cooperation agreement."""
    from planning.proposals import propose_courses  # noqa: PLC0415

    instance = proposal_instance(conn, region, model, today=today, months=months, max_wait_minutes=max_wait_minutes)
    if isinstance(instance, int):
        return ProposalView(
            region.code,
            today,
            months,
            None,
            "Es gibt noch keine Kooperationsvereinbarung („planning agreement import“).",
            "",
            True,
            0.0,
            0,
            instance,
            0,
            0,
            0,
            [],
            [],
            [],
        )
    result = propose_courses(instance.groups, instance.supplies, instance.fits, instance.caps, time_limit=time_limit)
    municipalities, site_label, providers = instance.municipalities, instance.site_label, instance.providers

    def gap_reason(municipality: int, kind: str, part_time: bool) -> str:
        """Why people of a place and type find no place: nothing of their type they can reach, or
        not enough room (places, the minimum size, the agreed starts a month)."""
        groups = [
            g
            for g in instance.groups
            if (g.municipality_id, g.course_type, g.part_time) == (municipality, kind, part_time)
        ]
        if not any(instance.fits(g, s) for g in groups for s in instance.supplies):
            return "kein erreichbares Angebot dieser Kursart (auch nicht in der Vereinbarung)"
        return "zu wenige Plätze: freie Plätze, Mindestgröße oder vereinbarte Kursbeginne je Monat reichen nicht"

    return ProposalView(
        region.code,
        today,
        months,
        instance.version,
        "",
        result.message,
        result.optimal,
        result.seconds,
        result.demand,
        instance.waiting,
        result.served_existing,
        result.served_total,
        result.within_target,
        [
            ProposalRow(
                p.supply.start.strftime("%Y-%m"),
                p.supply.start,
                p.supply.provider,
                providers.get(p.supply.provider, p.supply.provider),
                p.supply.course_type,
                site_label.get(p.supply.site_id or 0, ""),
                p.supply.slot,
                p.participants,
                p.within_target,
                [municipalities[m] for m in p.municipalities],
            )
            for p in result.proposed
        ],
        sorted(
            ((municipalities[m], kind, pt, n, gap_reason(m, kind, pt)) for (m, kind, pt), n in result.unserved.items()),
            key=lambda r: (-r[3], r[0]),
        ),
        result.stages,
    )


def placement_bookings_of(conn: Connection, participant_id: int) -> list[dict[str, Any]]:
    """A person's placement-test booking as the subject access report shows it (Art. 15 DSGVO)."""
    return [
        {"test_date": day if isinstance(day, date) else str(day)[:10], "host": host, "site": site, "booked_by": by}
        for day, host, site, by in fetch(
            conn,
            typed(
                "SELECT b.test_date, b.host, COALESCE(s.name, ''), b.booked_by FROM placement_booking b "
                "LEFT JOIN course_site s ON s.id = b.site_id WHERE b.participant_id = :id ORDER BY b.test_date",
                dates=(),
            ),
            {"id": participant_id},
        )
    ]
