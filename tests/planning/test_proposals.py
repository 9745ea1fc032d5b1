"""The course proposal (planning.proposals.propose_courses) on hand-checked instances: a new
course only where it reaches its minimum, within the providers' monthly capacity of the
cooperation agreement, people served within six weeks first."""

from __future__ import annotations

import random
from datetime import date

import pytest

from planning.proposals import Group, Supply, propose_courses

TODAY = date(2026, 12, 3)
JAN = date(2027, 1, 4)  # 32 days: within six weeks
REACH = {(1, "A"), (1, "B"), (2, "B")}  # municipality 2 reaches only site B
SITES = {10: "A", 20: "B"}


def fits(group: Group, supply: Supply) -> bool:
    return supply.course_type == group.course_type and (group.municipality_id, SITES[supply.site_id or 0]) in REACH


def _supplies(literacy_min: int = 10) -> list[Supply]:
    return [
        Supply(0, "course", "P", "general", 10, "morning", date(2026, 12, 20), 5, 0, "IK-1"),
        Supply(1, "new", "P", "general", 10, "morning", JAN, 25, 12),
        Supply(2, "new", "P", "general", 20, "morning", JAN, 25, 12),
        Supply(3, "new", "P", "literacy", 10, "morning", JAN, 15, literacy_min),
    ]


def test_one_new_course_where_together_they_reach_the_minimum() -> None:
    groups = [
        Group(0, 1, "general", False, 10, TODAY, False),
        Group(1, 2, "general", False, 6, TODAY, False),
        Group(2, 1, "literacy", False, 4, TODAY, False),
    ]
    result = propose_courses(groups, _supplies(), fits, {("P", "2027-01"): 1})
    # site A: only municipality 1 (10 people, minus the existing course) – never 12; site B reaches
    # both: 6 + at least 6 of municipality 1, the existing course takes at most 4 then
    assert [p.supply.key for p in result.proposed] == [2]
    assert result.served_total == 16 and result.within_target == 16 and result.optimal
    assert 12 <= result.proposed[0].participants <= 16
    assert result.proposed[0].municipalities == (1, 2)
    assert result.unserved == {(1, "literacy", False): 4}  # 4 never make a literacy course of 10


def test_the_monthly_capacity_of_the_agreement_decides_between_courses() -> None:
    groups = [
        Group(0, 1, "general", False, 10, TODAY, False),
        Group(1, 2, "general", False, 6, TODAY, False),
        Group(2, 1, "literacy", False, 10, TODAY, False),
    ]
    one = propose_courses(groups, _supplies(), fits, {("P", "2027-01"): 1})
    assert [p.supply.key for p in one.proposed] == [2]  # 12+ people beat 10
    two = propose_courses(groups, _supplies(), fits, {("P", "2027-01"): 2})
    assert sorted(p.supply.key for p in two.proposed) == [2, 3]
    assert two.served_total == 26
    none = propose_courses(groups, _supplies(), fits, {})
    assert none.proposed == [] and none.served_total == 5  # only the existing course


def test_people_expected_later_are_not_placed_before_they_come() -> None:
    groups = [Group(0, 2, "general", False, 14, date(2027, 2, 1), True)]
    result = propose_courses(groups, _supplies(), fits, {("P", "2027-01"): 1})
    assert result.proposed == [] and result.served_total == 0
    assert result.message == "Niemand passt zu einem Kurs oder möglichen Kursbeginn."


@pytest.mark.parametrize("seed", range(12))
def test_never_behind_the_greedy_baseline(seed: int) -> None:
    from benchmarks.planning import greedy_proposal

    rng = random.Random(seed)
    groups = [
        Group(
            index,
            rng.choice((1, 2)),
            rng.choice(("general", "literacy")),
            False,
            rng.randint(1, 9),
            TODAY if rng.random() < 0.6 else date(2027, rng.choice((1, 2, 3)), 1),
            False,
        )
        for index in range(rng.randint(2, 8))
    ]
    supplies = [Supply(0, "course", "P", "general", 10, "morning", date(2026, 12, 20), rng.randint(0, 6), 0)]
    for month in (1, 2, 3):
        for site in (10, 20):
            for kind in ("general", "literacy"):
                supplies.append(
                    Supply(
                        len(supplies),
                        "new",
                        rng.choice(("P", "Q")),
                        kind,
                        site,
                        "morning",
                        date(2027, month, 4),
                        12,
                        rng.randint(5, 10),
                    )
                )
    caps = {(p, f"2027-0{m}"): rng.randint(0, 2) for p in ("P", "Q") for m in (1, 2, 3)}
    exact = propose_courses(groups, supplies, fits, caps)
    within, served, _opened = greedy_proposal(groups, supplies, fits, caps)
    assert exact.optimal
    assert exact.within_target >= within
    if exact.within_target == within:
        assert exact.served_total >= served
    # every proposed course reaches its minimum and stays within its capacity and its month's room
    for course in exact.proposed:
        assert course.supply.min_size <= course.participants <= course.supply.capacity
    for (provider, month), room in caps.items():
        assert (
            sum(1 for c in exact.proposed if (c.supply.provider, c.supply.start.strftime("%Y-%m")) == (provider, month))
            <= room
        )
