"""Central placement tests in rotation: the dates of the agreement's cadence with their host in
turn, moved off weekends and holidays; waiting people without a placement booked into the next
date with room that they can reach. Pure over plain data."""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from planning.agreement import CADENCES, PlacementRotation
from process_models.business_days import BusinessCalendar


@dataclass(frozen=True, slots=True)
class PlacementDate:
    day: date
    time: str
    host: str
    site: str
    capacity: int
    #: the date of the rotation before it was moved off a weekend or holiday, and why
    nominal: date
    moved_because: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A waiting person without a placement test."""

    id: int
    ref: str
    municipality_id: int | None
    waiting_since: date


@dataclass(frozen=True, slots=True)
class Booked:
    candidate_id: int
    day: date
    host: str
    site: str
    #: True: reachable by ÖPNV; None: not judged (no home municipality or no reachability computed)
    reachable: bool | None
    new: bool


@dataclass(frozen=True)
class PlacementPlan:
    dates: list[PlacementDate]
    booked: list[Booked]
    #: who could not be booked, with the reason in German
    unbooked: list[tuple[int, str]]

    def load(self) -> dict[date, int]:
        counts: dict[date, int] = {}
        for booking in self.booked:
            counts[booking.day] = counts.get(booking.day, 0) + 1
        return counts


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The `nth` (1–5) weekday of a month; the last one where the month has fewer."""
    days = [
        day
        for day in month_calendar.Calendar().itermonthdates(year, month)
        if day.month == month and day.weekday() == weekday
    ]
    return days[min(nth, len(days)) - 1]


def nominal_dates(rotation: PlacementRotation, until: date) -> list[date]:
    """The rotation's dates from its first one to `until`, before moving off holidays."""
    step = CADENCES[rotation.cadence]
    result = []
    if step:
        day = rotation.first
        while day <= until:
            result.append(day)
            day += timedelta(days=step)
        return result
    nth = (rotation.first.day - 1) // 7 + 1
    year, month = rotation.first.year, rotation.first.month
    while True:
        day = _nth_weekday(year, month, rotation.first.weekday(), nth)
        if day > until:
            return result
        result.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def placement_dates(
    rotation: PlacementRotation, *, start: date, end: date, calendar: BusinessCalendar
) -> list[PlacementDate]:
    """The dates between `start` and `end`: the k-th date of the rotation is hosted by host k mod n
    (counted from the first date, so the turn does not depend on the window asked for)."""
    result = []
    for index, nominal in enumerate(nominal_dates(rotation, end)):
        moved = calendar.roll_forward(nominal)
        if not start <= moved.date <= end:
            continue
        host = rotation.hosts[index % len(rotation.hosts)]
        result.append(
            PlacementDate(
                moved.date, rotation.time, host.provider, host.site, rotation.capacity, nominal, moved.reasons
            )
        )
    return result


def plan_tests(
    dates: Sequence[PlacementDate],
    candidates: Sequence[Candidate],
    existing: Mapping[int, tuple[date, str, str]],
    reaches: Callable[[int | None, str], bool | None],
    *,
    today: date,
    earliest: date,
) -> PlacementPlan:
    """Keep every booking into a date from `today` on (a missed date is booked again); book the others, longest waiting first, into
    the first date from `earliest` on (time for the invitation to arrive) with a free seat at a site
    they can reach (`reaches(municipality, site)`: True, False, or None when it cannot be judged)."""
    seats = {d.day: d.capacity for d in dates}
    booked: list[Booked] = []
    unbooked: list[tuple[int, str]] = []
    waiting = sorted(candidates, key=lambda c: (c.waiting_since, c.ref))
    rest = []
    for candidate in waiting:
        held = existing.get(candidate.id)
        if held is not None and held[0] >= today:
            day, host, site = held
            if day in seats:
                seats[day] -= 1
            booked.append(Booked(candidate.id, day, host, site, reaches(candidate.municipality_id, site), False))
        else:
            rest.append(candidate)
    for candidate in rest:
        outcome: list[bool | None] = []
        for test in dates:
            if test.day < earliest or seats[test.day] <= 0:
                continue
            ok = reaches(candidate.municipality_id, test.site)
            outcome.append(ok)
            if ok is False:
                continue
            seats[test.day] -= 1
            booked.append(Booked(candidate.id, test.day, test.host, test.site, ok, True))
            break
        else:
            if not [d for d in dates if d.day >= earliest]:
                reason = "kein Testtermin im Zeitraum"
            elif not outcome:
                reason = "alle Testtermine im Zeitraum sind voll"
            else:
                reason = "kein Testort mit freiem Platz ist mit Bus und Bahn erreichbar"
            unbooked.append((candidate.id, reason))
    return PlacementPlan(list(dates), booked, unbooked)


def slot_at(time: str) -> str:
    """The course slot whose journeys fit a test at `time` (HH:MM): morning before 13:30 and so on."""
    hours, minutes = (int(part) for part in time.split(":"))
    at = hours * 60 + minutes
    if at < 13 * 60 + 30:
        return "morning"
    return "afternoon" if at < 18 * 60 else "evening"
