"""Demand by place and format: for every municipality × course type × part-time need, the people
waiting now, the people expected from the pipeline in the period (from the region's own entry
and conversion rates), the free places they can reach, the gap; for clusters of municipalities
that reach a common site whether and when a course can reach its minimum size; and, for a special
format, the trade-off between waiting for a dedicated course nearby and joining a general course
further away. Pure over plain data."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from planning.suggestions import Offer, Seeker, Trip, acceptable_types
from process_models import ProcessModel


@dataclass(frozen=True, slots=True)
class Rates:
    """What the region's history says, shown with the figures: new entitlements and obligations
    per month and municipality (last 12 months), and the share of those entitled or obliged 6 to 18
    months ago who have started a course since."""

    entries_per_month: Mapping[int, float]
    conversion: float
    converted: int
    cohort: int
    #: course types of the people placed in the last 12 months (shares)
    type_shares: Mapping[str, float]
    part_time_share: float


@dataclass(frozen=True, slots=True)
class DemandRow:
    municipality: str
    course_type: str
    part_time: bool
    waiting: int
    expected: float
    places: int
    cluster: str

    @property
    def gap(self) -> float:
        return max(self.waiting + self.expected - self.places, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "expected": round(self.expected, 1), "gap": round(self.gap, 1)}


@dataclass(frozen=True, slots=True)
class ClusterRow:
    """Municipalities that reach the same site best, for one course type and part-time need."""

    cluster: str
    course_type: str
    part_time: bool
    municipalities: int
    waiting: int
    expected: float
    places: int
    min_size: int
    #: months until the waiting and expected people reach the minimum (0: now; None: not in sight)
    months_to_minimum: int | None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "expected": round(self.expected, 1)}


@dataclass(frozen=True, slots=True)
class TradeOff:
    """For people waiting for a special format: a dedicated course nearby against a general
    course further away."""

    cluster: str
    course_type: str
    part_time: bool
    waiting: int
    dedicated_weeks: int | None
    general_course: str | None
    general_weeks: int | None
    general_minutes: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Demand:
    months: int
    rows: list[DemandRow]
    clusters: list[ClusterRow]
    tradeoffs: list[TradeOff]
    rates: Rates

    def to_json(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "rows": [row.to_json() for row in self.rows],
            "clusters": [row.to_json() for row in self.clusters],
            "tradeoffs": [row.to_json() for row in self.tradeoffs],
            "rates": {
                "conversion": round(self.rates.conversion, 3),
                "converted": self.rates.converted,
                "cohort": self.rates.cohort,
                "type_shares": {k: round(v, 3) for k, v in self.rates.type_shares.items()},
                "part_time_share": round(self.rates.part_time_share, 3),
                "entries_per_month": round(sum(self.rates.entries_per_month.values()), 1),
            },
        }


def expected_type(seeker: Seeker, model: ProcessModel) -> str:
    """The one course type a waiting person counts for: the placement, else the special type of
    their needs (an exclusive one first), else the general course."""
    types, provisional = acceptable_types(seeker, model)
    if not provisional or len(types) == 1:
        return next(iter(types))
    special = sorted(
        (t for t in types if model.course_types[t].needs), key=lambda t: (not model.course_types[t].exclusive, t)
    )
    return special[0] if special else next(iter(types))


def _serves(offer: Offer, course_type: str, part_time: bool) -> bool:
    if offer.course_type != course_type:
        return False
    return not part_time or offer.format in ("part_time", "evening") or offer.slot in ("afternoon", "evening")


def _reaches(trips: Mapping[tuple[int, int, str], Trip], municipality: int, offer: Offer) -> bool:
    if offer.online:
        return True
    if offer.site_id is None:
        return False
    trip = trips.get((municipality, offer.site_id, offer.slot))
    return trip is not None and trip.reachable


def build_demand(
    *,
    municipalities: Mapping[int, str],
    seekers: Sequence[Seeker],
    offers: Sequence[Offer],
    trips: Mapping[tuple[int, int, str], Trip],
    sites: Mapping[int, str],
    rates: Rates,
    model: ProcessModel,
    today: date,
    months: int,
) -> Demand:
    """The demand of the next `months` by municipality, type and part-time need."""
    horizon = [o for o in offers if (o.start - today).days <= months * 31]
    # the site each municipality reaches fastest in the morning: its cluster
    cluster_of: dict[int, str] = {}
    for mid in municipalities:
        best = min(
            (
                (trip.out_minutes, sites[sid])
                for (m, sid, slot), trip in trips.items()
                if m == mid and slot == "morning" and trip.reachable and trip.out_minutes is not None and sid in sites
            ),
            default=None,
        )
        cluster_of[mid] = best[1] if best else "ohne erreichbaren Kursort"
    waiting: dict[tuple[int, str, bool], int] = {}
    for seeker in seekers:
        if seeker.municipality_id is None or seeker.municipality_id not in municipalities:
            continue
        key = (seeker.municipality_id, expected_type(seeker, model), "part_time" in seeker.needs)
        waiting[key] = waiting.get(key, 0) + 1
    expected: dict[tuple[int, str, bool], float] = {}
    for mid, per_month in rates.entries_per_month.items():
        if mid not in municipalities:
            continue
        flow = per_month * months * rates.conversion
        for course_type, share in rates.type_shares.items():
            for part_time, part in ((True, rates.part_time_share), (False, 1 - rates.part_time_share)):
                if flow * share * part > 0:
                    expected[(mid, course_type, part_time)] = flow * share * part
    keys = sorted(set(waiting) | set(expected), key=lambda k: (municipalities[k[0]], k[1], k[2]))
    rows = []
    for mid, course_type, part_time in keys:
        places = sum(o.free for o in horizon if _serves(o, course_type, part_time) and _reaches(trips, mid, o))
        rows.append(
            DemandRow(
                municipalities[mid],
                course_type,
                part_time,
                waiting.get((mid, course_type, part_time), 0),
                expected.get((mid, course_type, part_time), 0.0),
                places,
                cluster_of[mid],
            )
        )
    clusters: dict[tuple[str, str, bool], list[DemandRow]] = {}
    for row in rows:
        clusters.setdefault((row.cluster, row.course_type, row.part_time), []).append(row)
    cluster_rows = []
    for (name, course_type, part_time), members in sorted(clusters.items()):
        spec = model.course_types.get(course_type)
        minimum = spec.min_group if spec is not None and spec.min_group is not None else 15
        now = sum(m.waiting for m in members)
        coming = sum(m.expected for m in members)
        per_month = coming / months if months else 0.0
        if now >= minimum:
            when: int | None = 0
        elif per_month > 0:
            needed = math.ceil((minimum - now) / per_month)
            when = needed if needed <= 24 else None
        else:
            when = None
        places = max((m.places for m in members), default=0)
        cluster_rows.append(ClusterRow(name, course_type, part_time, len(members), now, coming, places, minimum, when))
    general = next(key for key, spec in model.course_types.items() if not spec.needs)
    tradeoffs = []
    for group in cluster_rows:
        spec = model.course_types.get(group.course_type)
        # a trade-off only where a general course is an option at all (not for literacy) and the
        # places within reach do not already cover who waits
        if spec is None or not spec.needs or spec.exclusive or group.waiting == 0 or group.places >= group.waiting:
            continue
        homes = [home for home, name in cluster_of.items() if name == group.cluster]
        options: list[tuple[date, int, str]] = []
        for offer in horizon:
            if offer.course_type != general or offer.free <= 0 or offer.online:
                continue
            minutes = [
                trip.out_minutes or 0
                for home in homes
                if offer.site_id is not None
                and (trip := trips.get((home, offer.site_id, offer.slot))) is not None
                and trip.reachable
            ]
            if minutes:
                options.append((offer.start, max(minutes, default=0), offer.code))
        nearest = min(options, default=None)
        tradeoffs.append(
            TradeOff(
                group.cluster,
                group.course_type,
                group.part_time,
                group.waiting,
                None if group.months_to_minimum is None else math.ceil(group.months_to_minimum * 30.4 / 7),
                nearest[2] if nearest else None,
                max((nearest[0] - today).days, 0) // 7 if nearest else None,
                nearest[1] if nearest else None,
            )
        )
    return Demand(months, rows, cluster_rows, tradeoffs, rates)
