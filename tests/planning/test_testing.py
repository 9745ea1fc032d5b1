"""Central placement tests: dates by cadence with hosts in turn, moved off weekends and Bavarian
holidays; bookings into the next reachable date with room, hand-checked."""

from __future__ import annotations

from datetime import date

from planning.agreement import PlacementHost, PlacementRotation
from planning.testing import Candidate, nominal_dates, placement_dates, plan_tests, slot_at
from process_models import BusinessCalendar, CalendarConfig

BY = BusinessCalendar(CalendarConfig(land="BY"))
HOSTS = (PlacementHost("VHS", "S1"), PlacementHost("CAR", "S2"))


def test_fortnightly_dates_rotate_hosts_and_move_off_holidays() -> None:
    # Tuesdays from 2026-12-22: 05.01.2027 is a business day, the date after Christmas…
    rotation = PlacementRotation("14-täglich", date(2026, 12, 22), "09:00", 10, HOSTS)
    dates = placement_dates(rotation, start=date(2026, 12, 1), end=date(2027, 2, 1), calendar=BY)
    assert [(d.day, d.host) for d in dates] == [
        (date(2026, 12, 22), "VHS"),
        (date(2027, 1, 5), "CAR"),
        (date(2027, 1, 19), "VHS"),
    ]
    # weekly on Wednesdays: 06.01.2027 (Heilige Drei Könige, a holiday in Bavaria) moves to Thursday
    weekly = PlacementRotation("wöchentlich", date(2026, 12, 30), "09:00", 10, HOSTS)
    moved = [d for d in placement_dates(weekly, start=date(2027, 1, 1), end=date(2027, 1, 14), calendar=BY)]
    assert [(d.day, d.nominal, d.moved_because, d.host) for d in moved] == [
        (date(2027, 1, 7), date(2027, 1, 6), ("Heilige Drei Könige",), "CAR"),  # the second date: second host
        (date(2027, 1, 13), date(2027, 1, 13), (), "VHS"),
    ]


def test_the_turn_does_not_depend_on_the_window_asked_for() -> None:
    rotation = PlacementRotation("wöchentlich", date(2027, 1, 4), "09:00", 10, HOSTS)
    late = placement_dates(rotation, start=date(2027, 1, 18), end=date(2027, 1, 25), calendar=BY)
    assert [(d.day, d.host) for d in late] == [(date(2027, 1, 18), "VHS"), (date(2027, 1, 25), "CAR")]


def test_monthly_keeps_the_ordinal_weekday() -> None:
    # the first Tuesday of each month
    rotation = PlacementRotation("monatlich", date(2027, 2, 2), "09:00", 10, HOSTS)
    assert nominal_dates(rotation, date(2027, 5, 31)) == [
        date(2027, 2, 2),
        date(2027, 3, 2),
        date(2027, 4, 6),
        date(2027, 5, 4),
    ]


def test_booking_longest_waiting_first_into_reachable_dates_with_room() -> None:
    rotation = PlacementRotation("wöchentlich", date(2027, 1, 12), "09:00", 2, HOSTS)
    dates = placement_dates(rotation, start=date(2027, 1, 1), end=date(2027, 1, 31), calendar=BY)
    # 12.01 VHS at S1, 19.01 CAR at S2, 26.01 VHS at S1
    people = [
        Candidate(1, "A", 10, date(2026, 9, 1)),
        Candidate(2, "B", 10, date(2026, 10, 1)),
        Candidate(3, "C", 20, date(2026, 8, 1)),  # lives where only S2 is reachable
        Candidate(4, "D", 10, date(2026, 11, 1)),
        Candidate(5, "E", None, date(2026, 11, 2)),  # home unknown: booked, reachability not judged
        Candidate(6, "F", 30, date(2026, 6, 1)),  # reaches nothing (and comes first)
        Candidate(7, "G", 10, date(2026, 7, 1)),  # already booked for 26.01: kept
    ]

    def reaches(municipality: int | None, site: str) -> bool | None:
        if municipality is None:
            return None
        return {10: True, 20: site == "S2", 30: False}[municipality]

    plan = plan_tests(
        dates,
        people,
        {7: (date(2027, 1, 26), "VHS", "S1")},
        reaches,
        today=date(2027, 1, 4),
        earliest=date(2027, 1, 11),
    )
    booked = {b.candidate_id: (b.day.day, b.new, b.reachable) for b in plan.booked}
    assert booked == {
        7: (26, False, True),
        3: (19, True, True),
        1: (12, True, True),
        2: (12, True, True),
        4: (19, True, True),
        5: (26, True, None),
    }
    assert plan.unbooked == [(6, "kein Testort mit freiem Platz ist mit Bus und Bahn erreichbar")]
    assert plan.load() == {date(2027, 1, 12): 2, date(2027, 1, 19): 2, date(2027, 1, 26): 2}


def test_a_missed_date_is_booked_again_and_full_dates_are_said() -> None:
    rotation = PlacementRotation("wöchentlich", date(2027, 1, 12), "09:00", 1, HOSTS)
    dates = placement_dates(rotation, start=date(2027, 1, 13), end=date(2027, 1, 20), calendar=BY)
    people = [Candidate(1, "A", 10, date(2026, 9, 1)), Candidate(2, "B", 10, date(2026, 9, 2))]
    plan = plan_tests(
        dates,
        people,
        {1: (date(2027, 1, 12), "VHS", "S1")},
        lambda m, s: True,
        today=date(2027, 1, 13),
        earliest=date(2027, 1, 13),
    )
    assert [(b.candidate_id, b.day, b.new) for b in plan.booked] == [(1, date(2027, 1, 19), True)]
    assert plan.unbooked == [(2, "alle Testtermine im Zeitraum sind voll")]


def test_the_slot_of_a_test_time() -> None:
    assert [slot_at(t) for t in ("08:00", "13:29", "13:30", "18:00")] == ["morning", "morning", "afternoon", "evening"]
