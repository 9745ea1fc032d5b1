"""Filling courses below their minimum size: which waiting participants could join which
upcoming courses so that as many courses as possible reach their minimum, as many people as
possible get a place, and the waiting until the start is as short as possible – in that order.

Solved exactly as a mixed-integer programme with HiGHS (`scipy.optimize.milp`), lexicographically
in two solves: the number of courses reaching their minimum first; then people placed and waiting
days in one objective whose weights keep that order exact (relative gap 0: proven optimal). A
recommendation for BAMF and the providers: the Kommune steers, BAMF assigns.
Pure over plain data (the pairs that may be assigned come from planning.suggestions).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class FillCourse:
    id: int
    code: str
    start: date
    enrolled: int
    capacity: int
    min_size: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.enrolled, 0)

    @property
    def below(self) -> bool:
        return self.enrolled < self.min_size


@dataclass(frozen=True, slots=True)
class Assignment:
    participant_id: int
    course_id: int
    wait_days: int


@dataclass(frozen=True)
class FillResult:
    """The proposal: who joins which course, which courses thereby reach their minimum, and the
    solver's word on it (German)."""

    assignments: list[Assignment]
    reached: list[int]
    #: courses below minimum that cannot reach it, with the reason (German)
    out_of_reach: dict[int, str]
    optimal: bool
    message: str
    seconds: float
    objective: tuple[int, int, int] = (0, 0, 0)
    stages: list[str] = field(default_factory=list)


def _key(assignments: Sequence[Assignment], reached: int) -> tuple[int, int, int]:
    return (reached, len(assignments), sum(a.wait_days for a in assignments))


def propose_fill(
    courses: Sequence[FillCourse],
    pairs: Mapping[int, Sequence[int]],
    *,
    today: date,
    time_limit: float = 10.0,
) -> FillResult:
    """`pairs`: participant id → the course ids they may join (suitable, reachable, free places)."""
    started = time.perf_counter()
    by_id = {course.id: course for course in courses}
    edges = [(p, c) for p, cs in pairs.items() for c in dict.fromkeys(cs) if c in by_id and by_id[c].free > 0]
    wait = [max((by_id[c].start - today).days, 0) for _p, c in edges]
    below = [course for course in courses if course.below]
    below_index = {course.id: len(edges) + index for index, course in enumerate(below)}
    out_of_reach: dict[int, str] = {}
    candidates: dict[int, int] = {}
    for _p, c in edges:
        candidates[c] = candidates.get(c, 0) + 1
    for course in below:
        missing = course.min_size - course.enrolled
        if candidates.get(course.id, 0) < missing:
            out_of_reach[course.id] = (
                f"es fehlen {missing} bis zur Mindestgröße {course.min_size}, passend sind nur "
                f"{candidates.get(course.id, 0)} Wartende"
            )
    n = len(edges) + len(below)
    if not edges:
        return FillResult(
            [], [], out_of_reach, True, "Keine wartende Person passt zu einem kommenden Kurs mit freien Plätzen.", 0.0
        )
    if all(by_id[c].below and c in out_of_reach for _p, c in edges):
        # every course anyone fits is below its minimum and cannot reach it: nobody may join one,
        # the empty proposal is the optimum (and no solver is needed)
        return FillResult(
            [],
            [],
            out_of_reach,
            True,
            "Kein Kurs unter Mindestgröße lässt sich mit den Wartenden auf seine Mindestgröße bringen.",
            time.perf_counter() - started,
        )

    import numpy as np  # noqa: PLC0415 - SciPy and NumPy only where there is something to solve

    from planning.programme import Rows, Stage, solve_in_order  # noqa: PLC0415

    rows = Rows()
    per_person: dict[int, list[int]] = {}
    per_course: dict[int, list[int]] = {}
    for index, (p, c) in enumerate(edges):
        per_person.setdefault(p, []).append(index)
        per_course.setdefault(c, []).append(index)
    for indices in per_person.values():
        if len(indices) > 1:
            rows.add([(i, 1.0) for i in indices], 0, 1)  # at most one course each
    for c, indices in per_course.items():
        course = by_id[c]
        if course.below:
            y = below_index[c]
            # joins only a course that runs: x ≤ free·y, and a course runs when it has its minimum
            rows.add([*((i, 1.0) for i in indices), (y, -float(course.free))], -np.inf, 0)
            for i in indices:  # the same per person: a much tighter relaxation, solved far faster
                rows.add([(i, 1.0), (y, -1.0)], -np.inf, 0)
            rows.add([*((i, 1.0) for i in indices), (y, -float(course.min_size - course.enrolled))], 0, np.inf)
        else:
            rows.add([(i, 1.0) for i in indices], 0, course.free)
    for course in below:
        if course.id not in per_course:
            rows.add([(below_index[course.id], 1.0)], 0, 0)  # nobody fits: it cannot reach its minimum

    reach_vector = np.zeros(n)
    for course in below:
        reach_vector[below_index[course.id]] = 1.0
    placed_vector = np.zeros(n)
    placed_vector[: len(edges)] = 1.0
    wait_vector = np.zeros(n)
    wait_vector[: len(edges)] = wait
    # people placed and waiting days in one solve: each placement is worth more than any total of
    # waiting days can differ (wait < big for each of at most `people` placements) – still exact
    people = len(per_person)
    big = (max(wait, default=0) + 1) * people + 1
    solved = solve_in_order(
        [
            Stage("Kurse auf Mindestgröße", reach_vector, -1.0),
            Stage(
                "Personen mit Platz, dann Wartetage",
                wait_vector - big * placed_vector,
                1.0,
                lambda x: f"{placed_vector @ x:.0f} Personen, {wait_vector @ x:.0f} Wartetage",
            ),
        ],
        rows.constraint(n),
        upper=np.ones(n),
        integrality=np.ones(n),
        time_limit=time_limit,
        started=started,
    )
    solution, optimal, stages = solved.solution, solved.optimal, solved.stages
    if solution is None:
        return FillResult(
            [],
            [],
            out_of_reach,
            False,
            "Keine Lösung im Zeitlimit gefunden.",
            time.perf_counter() - started,
            stages=stages,
        )
    assignments = [Assignment(p, c, wait[index]) for index, (p, c) in enumerate(edges) if solution[index] > 0.5]
    joined: dict[int, int] = {}
    for assignment in assignments:
        joined[assignment.course_id] = joined.get(assignment.course_id, 0) + 1
    reached = [course.id for course in below if course.enrolled + joined.get(course.id, 0) >= course.min_size]
    if below and not reached:
        message = "Kein Kurs unter Mindestgröße lässt sich mit den Wartenden auf seine Mindestgröße bringen."
    elif below:
        message = f"{len(reached)} von {len(below)} Kursen unter Mindestgröße erreichen sie mit diesem Vorschlag."
    else:
        message = "Kein Kurs ist unter seiner Mindestgröße."
    if not optimal:
        message += " Zeitlimit erreicht: beste gefundene Lösung, nicht nachweislich optimal."
    return FillResult(
        assignments,
        reached,
        out_of_reach,
        optimal,
        message,
        time.perf_counter() - started,
        _key(assignments, len(reached)),
        stages,
    )
