"""Reading a static GTFS feed (gtfs-kit) into one service day's timetable, after checking what
is read: a broken feed is refused with German messages naming file, line and field."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from places.connection_scan import Stop, Timetable

#: The files a feed needs, with the columns used from each.
REQUIRED: dict[str, tuple[str, ...]] = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
}
MAX_PROBLEMS = 20
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")


class FeedError(ValueError):
    """The feed cannot be used; `problems` lists where and why (German)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = f" … und {len(problems) - MAX_PROBLEMS} weitere" if len(problems) > MAX_PROBLEMS else ""
        super().__init__("; ".join(shown) + more)


@dataclass(frozen=True)
class FeedSummary:
    valid_from: date
    valid_until: date
    service_date: date
    stops: int
    routes: int
    trips: int
    stop_times: int
    connections: int

    def stats(self) -> dict[str, int]:
        return {
            "stops": self.stops,
            "routes": self.routes,
            "trips": self.trips,
            "stop_times": self.stop_times,
            "connections": self.connections,
        }


def _seconds(text: str) -> int | None:
    match = _TIME.match(text)
    if not match:
        return None
    return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])


def _date(text: str) -> date | None:
    text = text.strip()
    if not re.match(r"^\d{8}$", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def check_feed(path: Path) -> list[str]:
    """Structural checks over the raw files (line numbers as in the file, header = line 1)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{path.name}: keine lesbare ZIP-Datei ({type(exc).__name__})"]
    problems: list[str] = []
    with archive:
        names = {Path(name).name: name for name in archive.namelist() if name.endswith(".txt")}
        for required in REQUIRED:
            if required not in names:
                problems.append(f"{required} fehlt im Feed")
        if "calendar.txt" not in names and "calendar_dates.txt" not in names:
            problems.append(
                "calendar.txt oder calendar_dates.txt fehlt im Feed (ohne sie gilt keine Fahrt an einem Tag)"
            )
        if problems:
            return problems

        def rows(name: str) -> tuple[list[str], list[dict[str, str]]]:
            try:
                text = archive.read(names[name]).decode("utf-8-sig")
            except UnicodeDecodeError:
                problems.append(f"{name}: nicht UTF-8-kodiert (GTFS verlangt UTF-8)")
                return [], []
            reader = csv.DictReader(io.StringIO(text))
            header = [field.strip() for field in reader.fieldnames or []]
            reader.fieldnames = header
            return header, list(reader)

        tables: dict[str, list[dict[str, str]]] = {}
        for name, columns in REQUIRED.items():
            header, content = rows(name)
            missing = [column for column in columns if column not in header]
            if missing:
                problems.append(f"{name}: Spalte {', '.join(missing)} fehlt")
            tables[name] = content
        for name in ("calendar.txt", "calendar_dates.txt"):
            if name in names:
                tables[name] = rows(name)[1]
        if problems:
            return problems
        stops = set()
        for line, row in enumerate(tables["stops.txt"], start=2):
            stops.add(row["stop_id"])
            for column, bound in (("stop_lat", 90.0), ("stop_lon", 180.0)):
                value = (row.get(column) or "").strip()
                if not value and (row.get("location_type") or "0").strip() in ("2", "3", "4"):
                    continue  # entrances, generic nodes and boarding areas may have no position
                try:
                    number = float(value)
                except ValueError:
                    problems.append(f"stops.txt Zeile {line}, Feld {column}: '{value}' ist keine Zahl")
                    continue
                if not -bound <= number <= bound:
                    problems.append(f"stops.txt Zeile {line}, Feld {column}: {number} liegt außerhalb ±{bound:g}")
        routes = {row["route_id"] for row in tables["routes.txt"]}
        services = {row.get("service_id", "") for row in tables.get("calendar.txt", [])} | {
            row.get("service_id", "") for row in tables.get("calendar_dates.txt", [])
        }
        for line, row in enumerate(tables.get("calendar.txt", []), start=2):
            for column in ("start_date", "end_date"):
                if _date(row.get(column, "")) is None:
                    problems.append(
                        f"calendar.txt Zeile {line}, Feld {column}: '{row.get(column, '')}' ist kein Datum (JJJJMMTT)"
                    )
        for line, row in enumerate(tables.get("calendar_dates.txt", []), start=2):
            if _date(row.get("date", "")) is None:
                problems.append(
                    f"calendar_dates.txt Zeile {line}, Feld date: '{row.get('date', '')}' ist kein Datum (JJJJMMTT)"
                )
        trips = set()
        for line, row in enumerate(tables["trips.txt"], start=2):
            trips.add(row["trip_id"])
            if row["route_id"] not in routes:
                problems.append(f"trips.txt Zeile {line}, Feld route_id: Linie '{row['route_id']}' fehlt in routes.txt")
            if row["service_id"] not in services:
                problems.append(
                    f"trips.txt Zeile {line}, Feld service_id: Verkehrstage '{row['service_id']}' fehlen im Kalender"
                )
        last: dict[str, tuple[int, int, int]] = {}  # trip → (sequence, time, line)
        for line, row in enumerate(tables["stop_times.txt"], start=2):
            if len(problems) > 5 * MAX_PROBLEMS:
                break
            trip = row["trip_id"]
            if trip not in trips:
                problems.append(f"stop_times.txt Zeile {line}, Feld trip_id: Fahrt '{trip}' fehlt in trips.txt")
            if row["stop_id"] not in stops:
                problems.append(
                    f"stop_times.txt Zeile {line}, Feld stop_id: Haltestelle '{row['stop_id']}' fehlt in stops.txt"
                )
            try:
                sequence = int(row["stop_sequence"])
            except ValueError:
                problems.append(
                    f"stop_times.txt Zeile {line}, Feld stop_sequence: '{row['stop_sequence']}' ist keine ganze Zahl"
                )
                continue
            times = []
            for column in ("arrival_time", "departure_time"):
                value = (row.get(column) or "").strip()
                if not value:
                    continue  # not a timepoint: allowed between timed stops
                seconds = _seconds(value)
                if seconds is None:
                    problems.append(
                        f"stop_times.txt Zeile {line}, Feld {column}: '{value}' ist keine Uhrzeit (HH:MM:SS)"
                    )
                else:
                    times.append(seconds)
            if times:
                previous = last.get(trip)
                if previous and previous[0] < sequence and min(times) < previous[1]:
                    problems.append(
                        f"stop_times.txt Zeile {line}: Fahrt '{trip}' kommt früher an, als sie in Zeile {previous[2]} abfährt"
                    )
                if previous is None or previous[0] < sequence:
                    last[trip] = (sequence, max(times), line)
    return problems


def read_timetable(path: Path, *, today: date, service_date: date | None = None) -> tuple[Timetable, FeedSummary]:
    """The feed's timetable for a typical weekday: the busiest Monday–Friday in the first three
    weeks of its validity from `today` (or `service_date`), with the previous day's trips after
    midnight. Raises FeedError for a broken feed or one without a weekday service."""
    problems = check_feed(path)
    if problems:
        raise FeedError(problems)
    import gtfs_kit  # noqa: PLC0415 - pandas and friends (~1.4 s): only when a feed is read
    import pandas as pd  # noqa: PLC0415

    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
    except Exception as exc:  # pandas' parse errors: already located by check_feed in practice
        raise FeedError([f"{path.name}: nicht lesbar ({str(exc).splitlines()[0][:200]})"]) from None
    dates = feed.get_dates(as_date_obj=True)
    if not dates:
        raise FeedError(["Der Kalender des Feeds nennt keinen Verkehrstag"])
    valid_from, valid_until = min(dates), max(dates)
    if service_date is None:
        start = max(valid_from, today)
        weekdays = [
            day.strftime("%Y%m%d")
            for day in (start + timedelta(days=offset) for offset in range(21))
            if day.weekday() < 5 and valid_from <= day <= valid_until
        ]
        if not weekdays:
            raise FeedError(
                [
                    f"Der Feed gilt nicht an einem Werktag ab {start:%d.%m.%Y} (gültig {valid_from:%d.%m.%Y}–{valid_until:%d.%m.%Y})"
                ]
            )
        per_service = feed.trips["service_id"].astype(str).value_counts().to_dict()
        counts = [(sum(per_service.get(str(s), 0) for s in feed.get_active_services(day)), day) for day in weekdays]
        most = max(count for count, _day in counts)
        # the earliest of the busiest weekdays (a holiday timetable has fewer trips)
        busiest = next(day for count, day in counts if count == most)
        service_date = date(int(busiest[:4]), int(busiest[4:6]), int(busiest[6:]))
    day_text = service_date.strftime("%Y%m%d")
    if not feed.get_active_services(day_text):
        raise FeedError([f"Am {service_date:%d.%m.%Y} fährt laut Feed nichts"])

    stops_frame = feed.stops
    stop_index = {stop_id: index for index, stop_id in enumerate(stops_frame["stop_id"].astype(str))}
    names = stops_frame["stop_name"] if "stop_name" in stops_frame else stops_frame["stop_id"]
    stops = [
        Stop(str(stop_id), str(name) if not pd.isna(name) else str(stop_id), float(lat), float(lon))
        for stop_id, name, lat, lon in zip(
            stops_frame["stop_id"],
            names,
            stops_frame["stop_lat"].fillna(0),
            stops_frame["stop_lon"].fillna(0),
            strict=True,
        )
    ]
    columns: dict[str, list[Any]] = {"dep_stop": [], "arr_stop": [], "dep": [], "arr": [], "trip": []}
    trip_numbers: dict[tuple[int, str], int] = {}
    frames = [(0, feed.get_stop_times(day_text))]
    previous_day = (service_date - timedelta(days=1)).strftime("%Y%m%d")
    if feed.get_active_services(previous_day):
        frames.append((-86400, feed.get_stop_times(previous_day)))
    stop_time_count = 0
    for shift, frame in frames:
        frame = frame[["trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"]].copy()
        frame["arr_s"] = frame["arrival_time"].map(lambda v: _seconds(str(v)) if isinstance(v, str) else None)
        frame["dep_s"] = frame["departure_time"].map(lambda v: _seconds(str(v)) if isinstance(v, str) else None)
        frame["arr_s"] = frame["arr_s"].fillna(frame["dep_s"])
        frame["dep_s"] = frame["dep_s"].fillna(frame["arr_s"])
        frame = frame.dropna(subset=["dep_s"]).sort_values(["trip_id", "stop_sequence"])
        if shift == 0:
            stop_time_count = len(frame)
        trip_ids = frame["trip_id"].astype(str).tolist()
        stop_ids = frame["stop_id"].astype(str).tolist()
        arrivals = [int(value) + shift for value in frame["arr_s"]]
        departures = [int(value) + shift for value in frame["dep_s"]]
        for i in range(len(trip_ids) - 1):
            if trip_ids[i] != trip_ids[i + 1]:
                continue
            if shift and departures[i] < 0:
                continue  # the previous day's trips count only after midnight
            key = (shift, trip_ids[i])
            number = trip_numbers.setdefault(key, len(trip_numbers))
            columns["dep_stop"].append(stop_index[stop_ids[i]])
            columns["arr_stop"].append(stop_index[stop_ids[i + 1]])
            columns["dep"].append(departures[i])
            columns["arr"].append(arrivals[i + 1])
            columns["trip"].append(number)
    order = sorted(range(len(columns["dep"])), key=lambda i: (columns["dep"][i], columns["arr"][i]))
    timetable = Timetable(
        stops, *([columns[key][i] for i in order] for key in ("dep_stop", "arr_stop", "dep", "arr", "trip"))
    )
    summary = FeedSummary(
        valid_from,
        valid_until,
        service_date,
        len(stops),
        len(feed.routes) if feed.routes is not None else 0,
        len(feed.trips) if feed.trips is not None else 0,
        stop_time_count,
        timetable.size,
    )
    return timetable, summary


def write_feed(path: Path, tables: dict[str, list[dict[str, object]]]) -> Path:
    """Write GTFS tables (file name → rows) as a feed ZIP (the demo's synthetic timetables, the
    benchmark's and the tests' feeds)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            buffer = io.StringIO()
            if rows:
                writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            archive.writestr(name, buffer.getvalue())
    return path
