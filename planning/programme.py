"""The mixed-integer programmes' shared machinery: sparse constraint rows, and solving a sequence
of objectives exactly one after another (each later one keeps what the earlier ones reached)
with HiGHS through `scipy.optimize.milp`. SciPy and NumPy are imported only when there is
something to solve (0.8 s)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rows:
    """Constraint rows lo ≤ Σ value·x[column] ≤ hi, collected as a sparse matrix."""

    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def add(self, entries: Sequence[tuple[int, float]], lo: float, hi: float) -> None:
        index = len(self.lower)
        for column, value in entries:
            self.rows.append(index)
            self.cols.append(column)
            self.vals.append(value)
        self.lower.append(lo)
        self.upper.append(hi)

    def constraint(self, n: int) -> Any:
        import numpy as np  # noqa: PLC0415
        from scipy.optimize import LinearConstraint  # noqa: PLC0415
        from scipy.sparse import coo_array  # noqa: PLC0415

        matrix = coo_array((self.vals, (self.rows, self.cols)), shape=(len(self.lower), n)).tocsr()
        return LinearConstraint(matrix, np.array(self.lower), np.array(self.upper))


@dataclass(frozen=True)
class Stage:
    """One objective: its German name, the vector, +1 to minimise or −1 to maximise, and how its
    result reads in German (the default: the objective's value)."""

    name: str
    objective: Any
    sense: float
    shown: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class Solved:
    #: the rounded solution of the last stage solved, or None when none was found in time
    solution: Any
    optimal: bool
    #: per stage what it reached, in German ("Kurse auf Mindestgröße: 3 (optimal, 0.2 s)")
    stages: list[str]


def solve_in_order(
    stages: Sequence[Stage],
    constraint: Any,
    *,
    upper: Any,
    integrality: Any,
    time_limit: float,
    started: float,
) -> Solved:
    """Solve each stage with the constraint that every earlier stage keeps its optimum; exact
    (relative gap 0) unless the time limit (counted from `started`) stops it first."""
    import numpy as np  # noqa: PLC0415
    from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415

    constraints = [constraint]
    bounds = Bounds(np.zeros(len(upper)), upper)
    solution = None
    optimal = True
    report: list[str] = []
    for stage in stages:
        remaining = time_limit - (time.perf_counter() - started)
        if remaining <= 0.05:
            optimal = False
            report.append(f"{stage.name}: Zeitlimit erreicht, nicht mehr optimiert")
            break
        began = time.perf_counter()
        result = milp(
            stage.sense * stage.objective,
            constraints=constraints,
            integrality=integrality,
            bounds=bounds,
            options={"time_limit": remaining, "disp": False, "mip_rel_gap": 0.0},
        )
        if result.x is None:
            optimal = False
            report.append(f"{stage.name}: keine Lösung im Zeitlimit ({result.message})")
            break
        solution = np.round(result.x)
        value = float(stage.objective @ solution)
        shown = stage.shown(solution) if stage.shown else f"{value:.0f}"
        took = time.perf_counter() - began
        if result.status != 0:
            optimal = False
            report.append(f"{stage.name}: {shown} (Zeitlimit erreicht: beste gefundene Lösung, {took:.1f} s)")
        else:
            report.append(f"{stage.name}: {shown} (optimal, {took:.1f} s)")
        # keep what this stage reached while the next one improves its own goal
        bound = (value - 0.5, np.inf) if stage.sense < 0 else (-np.inf, value + 0.5)
        constraints = [*constraints, LinearConstraint(stage.objective.reshape(1, -1), *bound)]
    return Solved(solution, optimal, report)
