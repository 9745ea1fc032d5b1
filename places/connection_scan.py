"""Earliest-arrival and latest-departure search over one service day of a timetable: the
Connection Scan Algorithm (Dibbelt, Pajor, Strasser, Wagner: "Connection Scan Algorithm",
ACM JEA 23, 2018), pure Python over plain lists.

A timetable is the day's elementary connections (a vehicle going from one stop to the next),
sorted by departure. Times are seconds after midnight of the service day and may exceed 24 h
(a trip after midnight). Changing vehicles at a stop needs no time of its own beyond arriving
no later than the next departure; walking to and from stops is given per search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Stop:
    id: str
    name: str
    lat: float
    lon: float


@dataclass
class Timetable:
    """The connections of one service day (parallel lists, sorted by departure, then arrival)."""

    stops: list[Stop]
    dep_stop: list[int]
    arr_stop: list[int]
    dep: list[int]
    arr: list[int]
    trip: list[int]
    #: the connections' indices by arrival (then departure), and those arrivals, for the backward scan
    by_arrival: list[int] = field(default_factory=list)
    arrivals: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.by_arrival and self.dep:
            self.by_arrival = sorted(range(len(self.arr)), key=lambda i: (self.arr[i], self.dep[i]))
            self.arrivals = [self.arr[i] for i in self.by_arrival]

    @property
    def size(self) -> int:
        return len(self.dep)


@dataclass(frozen=True, slots=True)
class Journey:
    """A door-to-door journey: leave (from the origin point), arrive (at the destination point),
    and how many vehicles it uses (transfers = vehicles − 1; 0 vehicles: on foot)."""

    leave: int
    arrive: int
    vehicles: int

    @property
    def transfers(self) -> int:
        return max(self.vehicles - 1, 0)

    @property
    def seconds(self) -> int:
        return self.arrive - self.leave


def earliest_arrivals(
    timetable: Timetable, sources: Mapping[int, int], leave_at: int, until: int
) -> dict[int, tuple[int, int, int]]:
    """From an origin left no earlier than `leave_at` (`sources`: stop → walking seconds from the
    origin), the earliest arrival at every stop reachable by `until`: stop → (arrival, vehicles,
    latest leave time at the origin for that arrival). Stops reached on foot have 0 vehicles."""
    best: dict[int, tuple[int, int, int]] = {stop: (leave_at + walk, 0, leave_at) for stop, walk in sources.items()}
    boarded: dict[int, tuple[int, int]] = {}  # trip → (leave time at origin, vehicles)
    dep, arr, dep_stop, arr_stop, trips = (
        timetable.dep,
        timetable.arr,
        timetable.dep_stop,
        timetable.arr_stop,
        timetable.trip,
    )
    end = bisect_right(dep, until)
    for i in range(bisect_left(dep, leave_at), end):
        trip = trips[i]
        on = boarded.get(trip)
        here = best.get(dep_stop[i])
        if here is not None and here[0] <= dep[i]:
            # board here: from a walking source leave just in time, else as the journey to here did
            leave = dep[i] - sources[dep_stop[i]] if here[1] == 0 else here[2]
            candidate = (leave, here[1] + 1)
            if on is None or candidate[0] > on[0] or (candidate[0] == on[0] and candidate[1] < on[1]):
                boarded[trip] = on = candidate
        if on is None:
            continue
        target, time = arr_stop[i], arr[i]
        known = best.get(target)
        if (
            known is None
            or time < known[0]
            or (time == known[0] and (on[0] > known[2] or (on[0] == known[2] and on[1] < known[1])))
        ):
            best[target] = (time, on[1], on[0])
    return best


def latest_departures(
    timetable: Timetable, targets: Mapping[int, int], arrive_by: int, since: int
) -> dict[int, tuple[int, int, int]]:
    """The backward scan: to reach a destination by `arrive_by` (`targets`: stop → walking
    seconds to the destination), the latest departure from every stop that still makes it, no
    earlier than `since`: stop → (departure, vehicles, arrival at the destination)."""
    best: dict[int, tuple[int, int, int]] = {stop: (arrive_by - walk, 0, arrive_by) for stop, walk in targets.items()}
    alighted: dict[int, tuple[int, int]] = {}  # trip → (arrival at destination, vehicles)
    dep, arr, dep_stop, arr_stop, trips = (
        timetable.dep,
        timetable.arr,
        timetable.dep_stop,
        timetable.arr_stop,
        timetable.trip,
    )
    order, arrivals = timetable.by_arrival, timetable.arrivals
    first = bisect_left(arrivals, since)
    for position in range(bisect_right(arrivals, arrive_by) - 1, first - 1, -1):
        i = order[position]
        trip = trips[i]
        on = alighted.get(trip)
        here = best.get(arr_stop[i])
        if here is not None and arr[i] <= here[0]:
            # get off here: to a walking target arrive as one walks on, else as the journey from here does
            arrive = arr[i] + targets[arr_stop[i]] if here[1] == 0 else here[2]
            candidate = (arrive, here[1] + 1)
            if on is None or candidate[1] < on[1] or (candidate[1] == on[1] and candidate[0] < on[0]):
                alighted[trip] = on = candidate
        if on is None or dep[i] < since:
            continue
        source, time = dep_stop[i], dep[i]
        known = best.get(source)
        if (
            known is None
            or time > known[0]
            or (time == known[0] and (on[1] < known[1] or (on[1] == known[1] and on[0] < known[2])))
        ):
            best[source] = (time, on[1], on[0])
    return best


def best_arrival(found: Mapping[int, tuple[int, int, int]], near: Mapping[int, int]) -> Journey | None:
    """The best journey to a point from the stops `near` it (stop → walking seconds) after an
    `earliest_arrivals` search; stops reached only on foot do not count (walking the whole way
    is the caller's case)."""
    result: Journey | None = None
    for stop, walk in near.items():
        label = found.get(stop)
        if label is None or label[1] == 0:
            continue
        journey = Journey(label[2], label[0] + walk, label[1])
        if result is None or (journey.arrive, -journey.leave, journey.vehicles) < (
            result.arrive,
            -result.leave,
            result.vehicles,
        ):
            result = journey
    return result


def best_departure(found: Mapping[int, tuple[int, int, int]], near: Mapping[int, int]) -> Journey | None:
    """The best journey from a point through the stops `near` it after a `latest_departures` search."""
    result: Journey | None = None
    for stop, walk in near.items():
        label = found.get(stop)
        if label is None or label[1] == 0:
            continue
        journey = Journey(label[0] - walk, label[2], label[1])
        if result is None or (-journey.leave, journey.vehicles, journey.arrive) < (
            -result.leave,
            result.vehicles,
            result.arrive,
        ):
            result = journey
    return result
