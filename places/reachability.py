"""Reachability of course sites from municipalities by public transport: for every municipality
× site × time slot the journey there that arrives before the course starts and the first one
back after it ends (two connection scans per site and slot, not one per pair), or, without a
timetable, an estimate from the straight-line distance. Pure over plain data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from places.connection_scan import (
    Journey,
    Timetable,
    best_arrival,
    best_departure,
    earliest_arrivals,
    latest_departures,
)
from places.geo import distance_m

#: the longest wait at the site before the course starts or after it ends that still counts as
#: reachable (FOERDERKETTE_TRANSIT_MAX_WAIT_MINUTES sets it for the CLI and the web; agendas and
#: the demo use this default)
MAX_WAIT_MINUTES = 90


@dataclass(frozen=True, slots=True)
class Slot:
    """A time of day courses are taught in: start and end in minutes after midnight."""

    key: str
    label: str
    start: int
    end: int


#: Typical lesson times of integration courses (5 UE of 45 minutes with breaks; evening 4 UE).
SLOTS: tuple[Slot, ...] = (
    Slot("morning", "vormittags", 8 * 60 + 30, 12 * 60 + 45),
    Slot("afternoon", "nachmittags", 13 * 60 + 30, 17 * 60 + 45),
    Slot("evening", "abends", 18 * 60, 21 * 60 + 15),
)
SLOT_BY_KEY = {slot.key: slot for slot in SLOTS}


def slot_of(slot: str | None, course_format: str) -> str:
    """A course's slot: as stored, or from its format (an evening course in the evening, others mornings)."""
    if slot in SLOT_BY_KEY:
        return str(slot)
    return "evening" if course_format == "evening" else "morning"


@dataclass(frozen=True, slots=True)
class Point:
    id: int
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class WalkSettings:
    """How far people walk to a stop (metres, straight line × detour) and how fast; how long a
    search looks before the start and after the end; the speed of an estimate without timetable."""

    max_m: float = 1000.0
    speed_m_per_min: float = 75.0  # 4.5 km/h
    detour: float = 1.2
    window_min: int = 240
    estimate_kmh: float = 25.0

    def walk_seconds(self, metres: float) -> int:
        return round(metres * self.detour / self.speed_m_per_min * 60)


def walk_settings(*, walk_max_m: int, transit_estimate_kmh: int) -> WalkSettings:
    """The walking and estimate settings from the installation's (FOERDERKETTE_WALK_MAX_M,
    FOERDERKETTE_TRANSIT_ESTIMATE_KMH); the search windows keep their defaults."""
    return WalkSettings(max_m=float(walk_max_m), estimate_kmh=float(transit_estimate_kmh))


@dataclass(frozen=True, slots=True)
class ReachResult:
    """One municipality × site × slot; times in minutes after midnight (None: no journey)."""

    municipality_id: int
    site_id: int
    slot: str
    estimated: bool
    out_depart: int | None
    out_arrive: int | None
    out_minutes: int | None
    out_transfers: int | None
    back_depart: int | None
    back_arrive: int | None
    back_minutes: int | None
    back_transfers: int | None

    def to_row(self) -> dict[str, object]:
        return asdict(self)


def basis_fingerprint(
    feed_sha: str | None, municipalities: Sequence[Point], sites: Sequence[Point], walk: WalkSettings
) -> str:
    """What a stored result was computed from: when this changes, the results are stale."""
    data = {
        "feed": feed_sha,
        "municipalities": sorted((p.id, round(p.lat, 6), round(p.lon, 6)) for p in municipalities),
        "sites": sorted((p.id, round(p.lat, 6), round(p.lon, 6)) for p in sites),
        "slots": [asdict(slot) for slot in SLOTS],
        "walk": asdict(walk),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _near(point: Point, timetable: Timetable, walk: WalkSettings) -> dict[int, int]:
    """Stops within walking distance of a point: stop index → walking seconds."""
    # a cheap box first (1° latitude ≈ 111 km), the haversine for what is inside
    box = walk.max_m / 111_000 * 1.5
    near = {}
    for index, stop in enumerate(timetable.stops):
        if abs(stop.lat - point.lat) > box or abs(stop.lon - point.lon) > box * 2:
            continue
        metres = distance_m(point.lat, point.lon, stop.lat, stop.lon)
        if metres <= walk.max_m:
            near[index] = walk.walk_seconds(metres)
    return near


def _minutes(seconds: int) -> int:
    return seconds // 60


def _result(
    municipality: Point, site: Point, slot: Slot, there: Journey | None, back: Journey | None, *, estimated: bool
) -> ReachResult:
    return ReachResult(
        municipality.id,
        site.id,
        slot.key,
        estimated,
        _minutes(there.leave) if there else None,
        -(-there.arrive // 60) if there else None,
        -(-there.seconds // 60) if there else None,
        there.transfers if there else None,
        _minutes(back.leave) if back else None,
        -(-back.arrive // 60) if back else None,
        -(-back.seconds // 60) if back else None,
        back.transfers if back else None,
    )


def compute_reach(
    timetable: Timetable, municipalities: Sequence[Point], sites: Sequence[Point], walk: WalkSettings
) -> list[ReachResult]:
    """Every municipality × site × slot from the timetable: per site and slot one backward scan
    (latest departure still arriving by the start) and one forward scan (earliest arrival home
    after the end), so the work grows with sites × slots, not with pairs."""
    near_home = {m.id: _near(m, timetable, walk) for m in municipalities}
    results = []
    window = walk.window_min * 60
    for site in sites:
        near_site = _near(site, timetable, walk)
        for slot in SLOTS:
            start, end = slot.start * 60, slot.end * 60
            outbound = latest_departures(timetable, near_site, start, start - window) if near_site else {}
            inbound = earliest_arrivals(timetable, near_site, end, end + window) if near_site else {}
            for municipality in municipalities:
                metres = distance_m(municipality.lat, municipality.lon, site.lat, site.lon)
                if metres <= walk.max_m:
                    on_foot = walk.walk_seconds(metres)
                    there: Journey | None = Journey(start - on_foot, start, 0)
                    back: Journey | None = Journey(end, end + on_foot, 0)
                else:
                    there = best_departure(outbound, near_home[municipality.id])
                    back = best_arrival(inbound, near_home[municipality.id])
                results.append(_result(municipality, site, slot, there, back, estimated=False))
    return results


def estimate_reach(municipalities: Sequence[Point], sites: Sequence[Point], walk: WalkSettings) -> list[ReachResult]:
    """Without a timetable: the straight-line distance × detour at `estimate_kmh` (on foot within
    walking distance), marked estimated."""
    results = []
    for site in sites:
        for municipality in municipalities:
            straight = distance_m(municipality.lat, municipality.lon, site.lat, site.lon)
            on_foot = straight <= walk.max_m
            seconds = (
                walk.walk_seconds(straight) if on_foot else round(straight * walk.detour / (walk.estimate_kmh / 3.6))
            )
            for slot in SLOTS:
                start, end = slot.start * 60, slot.end * 60
                there = Journey(start - seconds, start, 0 if on_foot else 1)
                back = Journey(end, end + seconds, 0 if on_foot else 1)
                results.append(_result(municipality, site, slot, there, back, estimated=True))
    return results


def verdict(
    result: Mapping[str, object] | ReachResult, *, limit_minutes: int, max_wait_minutes: int = MAX_WAIT_MINUTES
) -> bool:
    """Whether a course in this slot can be attended from this municipality: a journey each way
    within the region's limit, arriving no more than `max_wait_minutes` before the start and
    leaving no more than that after the end."""
    get = result.get if isinstance(result, Mapping) else lambda key: getattr(result, key)
    out_minutes, back_minutes = get("out_minutes"), get("back_minutes")
    out_arrive, back_depart = get("out_arrive"), get("back_depart")
    slot = SLOT_BY_KEY[str(get("slot"))]
    if out_minutes is None or back_minutes is None or out_arrive is None or back_depart is None:
        return False
    assert isinstance(out_minutes, int) and isinstance(back_minutes, int)
    assert isinstance(out_arrive, int) and isinstance(back_depart, int)
    return (
        out_minutes <= limit_minutes
        and back_minutes <= limit_minutes
        and slot.start - out_arrive <= max_wait_minutes
        and back_depart - slot.end <= max_wait_minutes
    )
