"""The fill proposal (planning.fill.propose_fill) against brute force on small instances, and
instances where no course can reach its minimum."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest

from planning.fill import FillCourse, propose_fill

TODAY = date(2026, 12, 3)


def brute_force(courses: list[FillCourse], pairs: dict[int, list[int]]) -> tuple[int, int, int]:
    """The best (courses reaching minimum, people placed, −waiting days) over every assignment."""
    by_id = {course.id: course for course in courses}
    people = sorted(pairs)
    best: tuple[int, int, int] | None = None
    for choice in itertools.product(*[[None, *pairs[p]] for p in people]):
        joined: dict[int, int] = {}
        for course_id in choice:
            if course_id is not None:
                joined[course_id] = joined.get(course_id, 0) + 1
        if any(count > by_id[c].free for c, count in joined.items()):
            continue
        # nobody joins a course below its minimum that does not reach it
        if any(by_id[c].below and by_id[c].enrolled + count < by_id[c].min_size for c, count in joined.items()):
            continue
        reached = sum(1 for c in courses if c.below and c.enrolled + joined.get(c.id, 0) >= c.min_size)
        waiting = sum((by_id[c].start - TODAY).days for c in choice if c is not None)
        key = (reached, sum(joined.values()), -waiting)
        if best is None or key > best:
            best = key
    assert best is not None
    return best


def _instance(seed: int) -> tuple[list[FillCourse], dict[int, list[int]]]:
    rng = random.Random(seed)
    courses = []
    for index in range(rng.randint(1, 3)):
        capacity = rng.randint(2, 4)
        minimum = rng.randint(1, capacity)
        courses.append(
            FillCourse(
                index + 1,
                f"K{index + 1}",
                TODAY + timedelta(days=rng.randint(7, 90)),
                rng.randint(0, minimum),
                capacity,
                minimum,
            )
        )
    pairs = {
        100 + person: rng.sample([c.id for c in courses], rng.randint(0, len(courses)))
        for person in range(rng.randint(1, 6))
    }
    return courses, pairs


@pytest.mark.parametrize("seed", range(60))
def test_matches_brute_force(seed: int) -> None:
    courses, pairs = _instance(seed)
    result = propose_fill(courses, pairs, today=TODAY)
    expected = brute_force(courses, pairs)
    assert result.optimal
    assert (result.objective[0], result.objective[1], -result.objective[2]) == expected
    # the proposal itself is feasible: one course each, capacity kept, only allowed pairs
    people = [a.participant_id for a in result.assignments]
    assert len(people) == len(set(people))
    for course in courses:
        joined = [a for a in result.assignments if a.course_id == course.id]
        assert len(joined) <= course.free
        if course.below and joined:
            assert course.enrolled + len(joined) >= course.min_size
    assert all(a.course_id in pairs[a.participant_id] for a in result.assignments)


def test_reaching_a_minimum_beats_placing_more_people() -> None:
    # K1 needs 3 more to start; K2 already runs. Three people fit both: all go to K1 so it starts,
    # though K2 begins earlier
    courses = [
        FillCourse(1, "K1", TODAY + timedelta(days=40), 12, 25, 15),
        FillCourse(2, "K2", TODAY + timedelta(days=10), 20, 25, 15),
    ]
    result = propose_fill(courses, {1: [1, 2], 2: [1, 2], 3: [1, 2]}, today=TODAY)
    assert result.reached == [1]
    assert sorted(a.course_id for a in result.assignments) == [1, 1, 1]


def test_none_feasible_is_said_with_the_reason_per_course() -> None:
    courses = [
        FillCourse(1, "K1", TODAY + timedelta(days=20), 5, 25, 15),
        FillCourse(2, "K2", TODAY + timedelta(days=30), 0, 16, 12),
    ]
    result = propose_fill(courses, {1: [1], 2: [1], 3: [2]}, today=TODAY)
    assert result.assignments == [] and result.reached == []
    assert result.message == "Kein Kurs unter Mindestgröße lässt sich mit den Wartenden auf seine Mindestgröße bringen."
    assert result.out_of_reach == {
        1: "es fehlen 10 bis zur Mindestgröße 15, passend sind nur 2 Wartende",
        2: "es fehlen 12 bis zur Mindestgröße 12, passend sind nur 1 Wartende",
    }


def test_nobody_fits_anything() -> None:
    result = propose_fill([FillCourse(1, "K1", TODAY, 0, 25, 15)], {1: []}, today=TODAY)
    assert result.assignments == [] and "Keine wartende Person passt" in result.message
