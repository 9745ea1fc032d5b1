"""A synthetic GTFS feed for a demo region, with a realistic rural pattern: a town line every
30 minutes between the towns with course sites, an hourly bus from the larger municipalities to
the nearest of them, three buses a day from the villages – and nothing at weekends. Written as a
real feed and read through `transit import`, so some courses are unreachable from some villages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

from places.connection_scan import Stop
from places.geo import distance_m
from places.transit import write_feed

__all__ = ["Stop", "write_demo_feed"]


def _minutes(stop_a: Stop, stop_b: Stop, kmh: float) -> int:
    """Driving time along the road (straight line × 1.3) plus a minute per village on the way."""
    km = distance_m(stop_a.lat, stop_a.lon, stop_b.lat, stop_b.lon) * 1.3 / 1000
    return max(3, round(km / kmh * 60) + round(km / 4))


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}:00"


def write_demo_feed(
    path: Path,
    *,
    towns: Sequence[Stop],
    places: Sequence[Stop],
    weights: Mapping[str, int],
    valid_from: date,
    agency: str,
) -> Path:
    """`towns`: one stop per course site (the town line runs through them in the given order);
    `places`: one stop per municipality; `weights`: population in thousands by municipality name."""
    trips: list[dict[str, object]] = []
    stop_times: list[dict[str, object]] = []
    routes: list[dict[str, object]] = []

    def trip(route: str, trip_id: str, calls: Sequence[tuple[Stop, int]]) -> None:
        trips.append({"route_id": route, "service_id": "WERKTAGS", "trip_id": trip_id})
        for order, (stop, minute) in enumerate(calls, start=1):
            stop_times.append(
                {
                    "trip_id": trip_id,
                    "arrival_time": _clock(minute),
                    "departure_time": _clock(minute),
                    "stop_id": stop.id,
                    "stop_sequence": order,
                }
            )

    if len(towns) > 1:
        routes.append(
            {
                "route_id": "STADT",
                "agency_id": "DEMO",
                "route_short_name": "100",
                "route_long_name": "Stadtlinie " + " – ".join(t.name for t in towns),
                "route_type": 3,
            }
        )
        for direction, chain in (("H", list(towns)), ("R", list(towns)[::-1])):
            for start in range(5 * 60 + 30, 22 * 60 + 31, 30):
                minute, calls = start, []
                for index, stop in enumerate(chain):
                    if index:
                        minute += _minutes(chain[index - 1], stop, 45)
                    calls.append((stop, minute))
                trip("STADT", f"STADT-{direction}-{start}", calls)
    town_names = {town.name for town in towns}
    for number, place in enumerate(places):
        if place.name in town_names:
            continue
        nearest = min(towns, key=lambda town: distance_m(town.lat, town.lon, place.lat, place.lon))
        if distance_m(nearest.lat, nearest.lon, place.lat, place.lon) < 1200:
            continue  # a district of the town itself: the town's stops serve it
        route = f"L{number + 1}"
        ride = _minutes(place, nearest, 40)
        large = weights.get(place.name, 1) >= 6
        routes.append(
            {
                "route_id": route,
                "agency_id": "DEMO",
                "route_short_name": str(200 + number),
                "route_long_name": f"{place.name} – {nearest.name}",
                "route_type": 3,
            }
        )
        if large:
            inbound = list(range(5 * 60 + 40, 20 * 60 + 41, 60))
            outbound = list(range(6 * 60 + 35, 21 * 60 + 36, 60))
        else:
            # the school-bus pattern of a village: early in, midday and afternoon out
            inbound = [6 * 60 + 50, 12 * 60 + 10, 16 * 60 + 10]
            outbound = [7 * 60 + 45, 13 * 60 + 5, 17 * 60 + 35]
        for start in inbound:
            trip(route, f"{route}-H-{start}", [(place, start), (nearest, start + ride)])
        for start in outbound:
            trip(route, f"{route}-R-{start}", [(nearest, start), (place, start + ride)])
    stops = {stop.id: stop for stop in (*towns, *places)}
    tables: dict[str, list[dict[str, object]]] = {
        "agency.txt": [{"agency_id": "DEMO", "agency_name": agency, "agency_url": "https://oepnv.example", "agency_timezone": "Europe/Berlin"}],
        "stops.txt": [{"stop_id": s.id, "stop_name": s.name, "stop_lat": f"{s.lat:.6f}", "stop_lon": f"{s.lon:.6f}"} for s in stops.values()],
        "routes.txt": routes,
        "trips.txt": trips,
        "stop_times.txt": stop_times,
        "calendar.txt": [
            {
                "service_id": "WERKTAGS", "monday": 1, "tuesday": 1, "wednesday": 1, "thursday": 1, "friday": 1,
                "saturday": 0, "sunday": 0, "start_date": valid_from.strftime("%Y%m%d"),
                "end_date": (valid_from + timedelta(days=365)).strftime("%Y%m%d"),
            }
        ],
    }  # fmt: skip
    return write_feed(path, tables)
