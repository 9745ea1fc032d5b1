"""Course suggestions for every waiting participant of a 6,000-participant region, against
reading their inputs (the I/O floor); the fill proposal for 200 upcoming courses and 800 waiting
people, against a greedy heuristic (whose result it must not fall behind)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from benchmarks.common import DEMO_AS_OF, DataSet, Figure, alternating, prepare

if TYPE_CHECKING:
    from planning.proposals import Group, Supply


def suggestions(data: DataSet) -> Figure:
    from pipeline.database import create_db_engine
    from pipeline.labels import COURSE_FORMATS
    from pipeline.reads import find_region, region_codes
    from planning.reads import region_suggestions, trips_for_region, upcoming_offers, waiting_seekers
    from process_models import load_model

    url = prepare(data)
    engine = create_db_engine(url)
    model = load_model()
    code = region_codes(engine)[0]
    counts: list[tuple[int, int, int]] = []
    with engine.connect() as conn:
        region = find_region(conn, code)

        def full() -> None:
            seekers, offers, found = region_suggestions(
                conn, region, model, today=DEMO_AS_OF, max_wait_minutes=90, formats=COURSE_FORMATS
            )
            counts.append((len(seekers), len(offers), sum(s.suitable for items in found.values() for s in items)))

        def floor() -> None:
            trips_for_region(conn, region.id, max_wait_minutes=90)
            upcoming_offers(conn, region.id, DEMO_AS_OF)
            waiting_seekers(conn, region, model)

        value, baseline, note = alternating(full, floor, runs=3)
    engine.dispose()
    seekers, offers, suitable = counts[-1]
    return Figure(
        f"suggestions.region.{data.label}",
        value,
        baseline,
        5.0,
        "s",
        "max",
        f"{seekers} waiting × {offers} upcoming courses in {code}, {suitable} suitable pairs with reasons; "
        f"baseline: reading the waiting, the courses and the reachability; {note}",
    )


def _instance(seed: int = 5) -> tuple[list, dict[int, list[int]], date]:  # type: ignore[type-arg]
    from planning.fill import FillCourse

    rng = random.Random(seed)
    today = date(2026, 12, 3)
    courses = []
    for index in range(200):
        minimum = rng.choice((10, 12, 15, 15, 15))
        courses.append(
            FillCourse(
                index, f"K{index}", today + timedelta(days=rng.randint(3, 90)), rng.randint(0, minimum + 8), 25, minimum
            )
        )
    pairs = {1000 + p: rng.sample(range(200), rng.randint(3, 12)) for p in range(800)}
    return courses, pairs, today


def greedy(courses: list, pairs: dict[int, list[int]], today: date) -> tuple[int, int]:  # type: ignore[type-arg]
    """The baseline: courses closest to their minimum first, each taking the people who fit it and
    are still free, earliest-waiting first; a course that cannot reach its minimum takes nobody."""
    by_id = {course.id: course for course in courses}
    fitting: dict[int, list[int]] = {}
    for person, options in pairs.items():
        for course_id in options:
            fitting.setdefault(course_id, []).append(person)
    taken: set[int] = set()
    reached = placed = 0
    for course in sorted((c for c in courses if c.below), key=lambda c: c.min_size - c.enrolled):
        free = [p for p in fitting.get(course.id, []) if p not in taken][: course.free]
        if course.enrolled + len(free) >= course.min_size:
            taken.update(free)
            reached += 1
            placed += len(free)
    for course in sorted((c for c in courses if not c.below), key=lambda c: c.start):
        free = [p for p in fitting.get(course.id, []) if p not in taken][: course.free]
        taken.update(free)
        placed += len(free)
    del by_id
    return reached, placed


def fill() -> Figure:
    from planning.fill import propose_fill

    courses, pairs, today = _instance()
    results: list = []  # type: ignore[type-arg]
    heuristic: list[tuple[int, int]] = []
    value, baseline, note = alternating(
        lambda: results.append(propose_fill(courses, pairs, today=today, time_limit=10.0)),
        lambda: heuristic.append(greedy(courses, pairs, today)),
        runs=3,
    )
    result = results[-1]
    below = sum(course.below for course in courses)
    reached, placed = heuristic[-1]
    assert result.objective[0] >= reached, "the programme fell behind the greedy baseline"
    return Figure(
        "fill.200_courses_800_waiting_seconds",
        value,
        baseline,
        10.0,
        "s",
        "max",
        f"{below} of 200 courses below minimum; MIP: {result.objective[0]} reach it, {result.objective[1]} placed, "
        f"optimal={result.optimal}; greedy baseline: {reached} reach it, {placed} placed; {note}",
    )


def demand(data: DataSet) -> Figure:
    from pipeline.database import create_db_engine
    from pipeline.reads import find_region, region_codes
    from planning.reads import demand_for_region, trips_for_region, upcoming_offers, waiting_seekers
    from process_models import load_model

    url = prepare(data)
    engine = create_db_engine(url)
    model = load_model()
    code = region_codes(engine)[0]
    sizes: list[int] = []
    with engine.connect() as conn:
        region = find_region(conn, code)

        def full() -> None:
            result = demand_for_region(conn, region, model, today=DEMO_AS_OF, months=6, max_wait_minutes=90)
            sizes.append(len(result.rows))

        def floor() -> None:
            trips_for_region(conn, region.id, max_wait_minutes=90)
            upcoming_offers(conn, region.id, DEMO_AS_OF)
            waiting_seekers(conn, region, model)

        value, baseline, note = alternating(full, floor, runs=3)
    engine.dispose()
    return Figure(
        f"planning_demand.region.{data.label}",
        value,
        baseline,
        10.0,
        "s",
        "max",
        f"planning demand for {code}, 6 months: {sizes[-1]} rows (municipality × type × part-time), clusters and "
        f"trade-offs, the history's rates included; baseline: reading the waiting, the courses and the reachability; {note}",
    )


def greedy_proposal(
    groups: Sequence[Group],
    supplies: Sequence[Supply],
    fits: Callable[[Group, Supply], bool],
    caps: dict[tuple[str, str], int],
) -> tuple[int, int, int]:
    """The baseline of the course proposal: existing courses and the start plan take whoever fits,
    earliest start first; then, month by month, a new course opens wherever the people who fit it
    and have no place reach its minimum (the fullest candidate first) and its provider has room
    left that month. Returns (within six weeks, with a place, new courses)."""
    from planning.proposals import TARGET_DAYS

    check = fits
    left = {g.key: g.count for g in groups}
    room = dict(caps)
    within = served = opened = 0

    def take(supply: Supply, capacity: int) -> None:
        nonlocal within, served
        for group in sorted(groups, key=lambda g: g.ready):
            if capacity <= 0:
                break
            if left[group.key] <= 0 or supply.start < group.ready or not check(group, supply):
                continue
            amount = min(left[group.key], capacity)
            left[group.key] -= amount
            capacity -= amount
            served += amount
            if (supply.start - group.ready).days <= TARGET_DAYS:
                within += amount

    for supply in sorted((s for s in supplies if s.kind != "new"), key=lambda s: s.start):
        take(supply, supply.capacity)
    candidates = [s for s in supplies if s.kind == "new"]
    for month in sorted({s.start for s in candidates}):
        while True:
            best: tuple[int, Supply] | None = None
            for supply in candidates:
                key = (supply.provider, supply.start.strftime("%Y-%m"))
                if supply.start != month or room.get(key, 0) <= 0:
                    continue
                fitting = sum(
                    left[g.key] for g in groups if left[g.key] > 0 and supply.start >= g.ready and check(g, supply)
                )
                if fitting >= supply.min_size and (best is None or fitting > best[0]):
                    best = (fitting, supply)
            if best is None:
                break
            supply = best[1]
            room[(supply.provider, supply.start.strftime("%Y-%m"))] -= 1
            candidates.remove(supply)
            opened += 1
            take(supply, supply.capacity)
    return within, served, opened


def proposal(data: DataSet) -> Figure:
    from pipeline.database import create_db_engine
    from pipeline.reads import find_region, region_codes
    from planning.coordination import proposal_instance, proposals_for_region
    from planning.proposals import propose_courses
    from process_models import load_model

    url = prepare(data)
    engine = create_db_engine(url)
    model = load_model()
    code = region_codes(engine)[0]
    views: list = []  # type: ignore[type-arg]
    with engine.connect() as conn:
        region = find_region(conn, code)
        instance = proposal_instance(conn, region, model, today=DEMO_AS_OF, months=6, max_wait_minutes=90)
        assert not isinstance(instance, int), "the demo region has a cooperation agreement"
        heuristic = greedy_proposal(instance.groups, instance.supplies, instance.fits, instance.caps)

        def greedy_region() -> None:  # the same reading, then the greedy instead of the programme
            again = proposal_instance(conn, region, model, today=DEMO_AS_OF, months=6, max_wait_minutes=90)
            assert not isinstance(again, int)
            greedy_proposal(again.groups, again.supplies, again.fits, again.caps)

        value, baseline, note = alternating(
            lambda: views.append(
                proposals_for_region(conn, region, model, today=DEMO_AS_OF, months=6, max_wait_minutes=90)
            ),
            lambda: greedy_region(),
            runs=3,
        )
        exact = propose_courses(instance.groups, instance.supplies, instance.fits, instance.caps)
    engine.dispose()
    view = views[-1]
    assert exact.within_target >= heuristic[0], "the programme fell behind the greedy baseline"
    return Figure(
        f"course_proposal.region.{data.label}",
        value,
        baseline,
        10.0,
        "s",
        "max",
        f"course proposal for {code}, 6 months: {view.demand} waiting and expected, {len(instance.supplies)} courses, "
        f"planned starts and candidates; MIP: {view.within_target} start within six weeks, {view.served_total} with a "
        f"place, {len(view.rows)} new courses, optimal={view.optimal}; greedy baseline: {heuristic[0]} within six weeks, "
        f"{heuristic[1]} with a place, {heuristic[2]} new courses; {note}",
    )
