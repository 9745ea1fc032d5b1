"""ÖPNV reachability at the issue's size: 50 municipalities × 40 course sites × 3 slots on a
synthetic feed of ≥ 100,000 stop times; against the floor any method pays, reading the feed
with gtfs-kit and taking the day's stop times (run in turn, same process, same file)."""

from __future__ import annotations

import random
import tempfile
from datetime import date
from pathlib import Path

from benchmarks.common import Figure, alternating
from places.transit import write_feed

TODAY = date(2026, 12, 3)


def synthetic_feed(
    path: Path, *, lines: int = 60, stops_per_line: int = 12, headway_min: int = 15, seed: int = 7
) -> tuple[list[tuple[float, float]], int]:
    """A feed over a 40 × 40 km area: `lines` bus lines through random stops, both directions,
    every `headway_min` minutes 05:00–23:00 on weekdays. Returns the stops' points and the number
    of stop times."""
    rng = random.Random(seed)
    points = [(49.7 + rng.random() * 0.36, 10.6 + rng.random() * 0.55) for _ in range(400)]
    trips: list[dict[str, object]] = []
    stop_times: list[dict[str, object]] = []
    for line in range(lines):
        route = rng.sample(range(len(points)), stops_per_line)
        for direction, sequence in enumerate((route, route[::-1])):
            for start in range(5 * 60, 23 * 60, headway_min):
                trip = f"L{line}-{direction}-{start}"
                trips.append({"route_id": f"L{line}", "service_id": "WK", "trip_id": trip})
                minute = start + rng.randint(0, 3)
                for order, stop in enumerate(sequence, start=1):
                    text = f"{minute // 60:02d}:{minute % 60:02d}:00"
                    stop_times.append(
                        {
                            "trip_id": trip,
                            "arrival_time": text,
                            "departure_time": text,
                            "stop_id": f"S{stop}",
                            "stop_sequence": order,
                        }
                    )
                    minute += rng.randint(2, 5)
    tables: dict[str, list[dict[str, object]]] = {
        "agency.txt": [
            {
                "agency_id": "A",
                "agency_name": "Bench",
                "agency_url": "https://bench.example",
                "agency_timezone": "Europe/Berlin",
            }
        ],
        "stops.txt": [
            {"stop_id": f"S{i}", "stop_name": f"Halt {i}", "stop_lat": lat, "stop_lon": lon}
            for i, (lat, lon) in enumerate(points)
        ],
        "routes.txt": [
            {"route_id": f"L{line}", "agency_id": "A", "route_short_name": str(line), "route_type": 3}
            for line in range(lines)
        ],
        "trips.txt": trips,
        "stop_times.txt": stop_times,
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
                "end_date": "20271231",
            }
        ],
    }
    write_feed(path, tables)
    return points, len(stop_times)


def reachability() -> list[Figure]:
    from places.reachability import Point, WalkSettings, compute_reach
    from places.transit import read_timetable

    folder = Path(tempfile.mkdtemp(prefix="reach-bench-"))
    path = folder / "feed.zip"
    points, count = synthetic_feed(path)
    rng = random.Random(3)
    chosen = rng.sample(points, 90)
    municipalities = [Point(i, f"Gemeinde {i}", lat + 0.002, lon) for i, (lat, lon) in enumerate(chosen[:50])]
    sites = [Point(100 + i, f"Kursort {i}", lat, lon + 0.002) for i, (lat, lon) in enumerate(chosen[50:])]
    found: list[int] = []

    def full() -> None:
        timetable, _summary = read_timetable(path, today=TODAY)
        results = compute_reach(timetable, municipalities, sites, WalkSettings())
        found.append(sum(r.out_minutes is not None for r in results))

    def floor() -> None:
        import gtfs_kit

        feed = gtfs_kit.read_feed(path, dist_units="km")
        feed.get_stop_times("20261207")

    value, baseline, note = alternating(full, floor, runs=2)
    return [
        Figure(
            "reach_50x40x3_seconds",
            value,
            baseline,
            30.0,
            "s",
            "max",
            f"{count:,} stop times, 6,000 pairs, {found[-1]} with a journey there; baseline: gtfs-kit reading the feed and the day's stop times; {note}",
        )
    ]
