"""Writing small GTFS feeds for tests: tables as lists of dicts, zipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from places import transit

Rows = Sequence[Mapping[str, object]]


def write_feed(path: Path, tables: Mapping[str, Rows]) -> Path:
    return transit.write_feed(path, {name: [dict(row) for row in rows] for name, rows in tables.items()})


def stop_times(trip: str, *calls: tuple[str, str]) -> list[dict[str, object]]:
    """A trip's stop times from (stop, HH:MM:SS) pairs."""
    return [
        {"trip_id": trip, "arrival_time": time, "departure_time": time, "stop_id": stop, "stop_sequence": index + 1}
        for index, (stop, time) in enumerate(calls)
    ]


def hand_feed() -> dict[str, list[dict[str, object]]]:
    """The feed whose journeys tests/places/test_transit.py computes by hand.

    Dorf (stop H at its point) – Umstieg (T) – Kursort A (stop S, 200 m from the site); Weiler
    lies 2.2 km from its only stop F (too far to walk). Weekdays: H 07:30 → T 07:50, T 08:00 →
    S 08:15; back S 12:50 → T 13:05, T 13:10 → H 13:30; evening H 17:20 → S 17:50 and back only
    after midnight, S 24:10 → H 24:40; F 07:00 → S 07:30. Sundays only: H 07:40 → S 08:10.
    """
    return {
        "agency.txt": [
            {
                "agency_id": "V",
                "agency_name": "Verkehrsverbund Test",
                "agency_url": "https://vgn.example",
                "agency_timezone": "Europe/Berlin",
            }
        ],
        "stops.txt": [
            {"stop_id": "H", "stop_name": "Dorf, Mitte", "stop_lat": 49.9, "stop_lon": 10.9},
            {"stop_id": "T", "stop_name": "Umstieg, Bahnhof", "stop_lat": 49.95, "stop_lon": 10.95},
            {"stop_id": "S", "stop_name": "Kursort A", "stop_lat": 50.0018, "stop_lon": 11.0},
            {"stop_id": "F", "stop_name": "Weiler, Abzweig", "stop_lat": 49.82, "stop_lon": 10.8},
        ],
        "routes.txt": [
            {"route_id": route, "agency_id": "V", "route_short_name": route, "route_type": 3}
            for route in ("1", "2", "3")
        ],
        "trips.txt": [
            {"route_id": "1", "service_id": "WK", "trip_id": "t1"},
            {"route_id": "2", "service_id": "WK", "trip_id": "t2"},
            {"route_id": "3", "service_id": "SU", "trip_id": "t3"},
            {"route_id": "2", "service_id": "WK", "trip_id": "t4"},
            {"route_id": "1", "service_id": "WK", "trip_id": "t5"},
            {"route_id": "3", "service_id": "WK", "trip_id": "t6"},
            {"route_id": "3", "service_id": "WK", "trip_id": "t7"},
            {"route_id": "3", "service_id": "WK", "trip_id": "t8"},
        ],
        "stop_times.txt": [
            *stop_times("t1", ("H", "07:30:00"), ("T", "07:50:00")),
            *stop_times("t2", ("T", "08:00:00"), ("S", "08:15:00")),
            *stop_times("t3", ("H", "07:40:00"), ("S", "08:10:00")),
            *stop_times("t4", ("S", "12:50:00"), ("T", "13:05:00")),
            *stop_times("t5", ("T", "13:10:00"), ("H", "13:30:00")),
            *stop_times("t6", ("S", "24:10:00"), ("H", "24:40:00")),
            *stop_times("t7", ("H", "17:20:00"), ("S", "17:50:00")),
            *stop_times("t8", ("F", "07:00:00"), ("S", "07:30:00")),
        ],
        "calendar.txt": [
            {
                "service_id": "WK",
                "monday": 1,
                "tuesday": 1,
                "wednesday": 1,
                "thursday": 1,
                "friday": 1,
                "saturday": 0,
                "sunday": 0,
                "start_date": "20261207",
                "end_date": "20270331",
            },
            {
                "service_id": "SU",
                "monday": 0,
                "tuesday": 0,
                "wednesday": 0,
                "thursday": 0,
                "friday": 0,
                "saturday": 0,
                "sunday": 1,
                "start_date": "20261207",
                "end_date": "20270331",
            },
        ],
    }
