"""Demand by place and format on a small instance checked by hand (planning.demand.build_demand)."""

from __future__ import annotations

from datetime import date

from planning.demand import Rates, build_demand, expected_type
from planning.suggestions import Offer, Seeker, Trip
from process_models import load_model

MODEL = load_model()
TODAY = date(2026, 12, 3)
# Dorf (1) reaches site 10 (Stadt) in 30 min; Weiler (2) reaches it in 70 min (too long) and nothing else
TRIPS = {
    (1, 10, "morning"): Trip(30, 30, 0, True, False),
    (2, 10, "morning"): Trip(70, 70, 1, False, False),
}


def _seeker(pid: int, home: int, course_type: str | None = None, *needs: str) -> Seeker:
    return Seeker(pid, f"P{pid}", course_type, frozenset(needs), home, date(2026, 10, 1))


def _offer(oid: int, course_type: str, enrolled: int, start: date = date(2027, 1, 11)) -> Offer:
    return Offer(
        oid, f"K{oid}", "VHS", "VHS", course_type, "full_time", 10, "Stadt", "morning", start, 25, enrolled, 15, False
    )


def test_expected_type_of_the_waiting() -> None:
    assert expected_type(_seeker(1, 1, "intensive"), MODEL) == "intensive"
    assert expected_type(_seeker(1, 1, None), MODEL) == "general"
    assert expected_type(_seeker(1, 1, None, "youth"), MODEL) == "youth"
    assert expected_type(_seeker(1, 1, None, "youth", "literacy"), MODEL) == "literacy"


def test_demand_by_place_clusters_and_the_trade_off() -> None:
    seekers = [
        *[_seeker(n, 1, "general") for n in range(1, 6)],  # 5 general in Dorf
        *[_seeker(n, 1, "youth") for n in range(10, 14)],  # 4 youth in Dorf
        _seeker(20, 2, "general"),  # 1 general in Weiler
        _seeker(30, 2, None, "part_time"),  # provisional general, part-time, Weiler
    ]
    # 1 entry a month in Dorf, none in Weiler; 50 % start a course; half of the placed are youth
    rates = Rates({1: 1.0}, 0.5, 10, 20, {"general": 0.5, "youth": 0.5}, 0.0)
    offers = [_offer(1, "general", 20), _offer(2, "youth", 0, date(2027, 9, 1))]  # the youth course is beyond 6 months
    demand = build_demand(
        municipalities={1: "Dorf", 2: "Weiler"}, seekers=seekers, offers=offers, trips=TRIPS, sites={10: "Stadt"},
        rates=rates, model=MODEL, today=TODAY, months=6,
    )  # fmt: skip
    rows = {(r.municipality, r.course_type, r.part_time): r for r in demand.rows}
    # Dorf, general: 5 waiting, 6 months × 1 × 50 % × 50 % = 1.5 expected, 5 free places reachable
    dorf = rows[("Dorf", "general", False)]
    assert (dorf.waiting, dorf.expected, dorf.places, dorf.gap, dorf.cluster) == (5, 1.5, 5, 1.5, "Stadt")
    youth = rows[("Dorf", "youth", False)]
    assert (youth.waiting, youth.expected, youth.places, youth.gap) == (4, 1.5, 0, 5.5)
    # Weiler reaches no site within the limit: its own cluster, no places
    weiler = rows[("Weiler", "general", False)]
    assert (weiler.waiting, weiler.expected, weiler.places, weiler.cluster) == (1, 0.0, 0, "ohne erreichbaren Kursort")
    assert rows[("Weiler", "general", True)].waiting == 1
    clusters = {(c.cluster, c.course_type, c.part_time): c for c in demand.clusters}
    # youth near Stadt: 4 waiting + 0.25 a month → 15 reached after ceil(11 / 0.25) = 44 months: not in sight
    assert clusters[("Stadt", "youth", False)].months_to_minimum is None
    # general near Stadt: 5 waiting + 0.25 a month → ceil(10 / 0.25) = 40 months: not in sight either
    assert clusters[("Stadt", "general", False)].months_to_minimum is None
    # the youth waiting could join the general course K1 now: 5 weeks away, 30 minutes
    [trade] = [t for t in demand.tradeoffs if t.course_type == "youth"]
    assert (trade.cluster, trade.waiting, trade.dedicated_weeks, trade.general_course, trade.general_weeks, trade.general_minutes) == (
        "Stadt", 4, None, "K1", 5, 30,
    )  # fmt: skip


def test_minimum_reached_in_months() -> None:
    seekers = [_seeker(n, 1, "youth") for n in range(10)]
    rates = Rates({1: 2.0}, 1.0, 5, 5, {"youth": 1.0}, 0.0)
    demand = build_demand(
        municipalities={1: "Dorf"}, seekers=seekers, offers=[], trips=TRIPS, sites={10: "Stadt"},
        rates=rates, model=MODEL, today=TODAY, months=6,
    )  # fmt: skip
    [cluster] = demand.clusters
    # 10 waiting, 2 a month expected: 15 after ceil(5 / 2) = 3 months
    assert (cluster.waiting, cluster.expected, cluster.months_to_minimum) == (10, 12.0, 3)
    [trade] = demand.tradeoffs
    assert trade.dedicated_weeks == 14 and trade.general_course is None  # ceil(3 × 30.4 / 7)
