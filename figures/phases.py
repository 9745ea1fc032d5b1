"""The phases of the reference process as operations look at it – Zusteuerung, Integrationskurs,
Prüfung, then the model's later groups (Anschluss, Sprache → Beruf, Arbeit / Ausbildung) – derived
from what the model says of its stages (tags and groups), never from a stage by name; and the
counts of one region per phase: persons, overdue, overdue per responsible agency."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import orjson
from sqlalchemy import Connection, bindparam

from figures.definitions import Context, responsible_labels
from pipeline.labels import STAGE_GROUPS
from pipeline.reads import fetch, typed
from process_models import ProcessModel


@dataclass(frozen=True)
class Phase:
    label: str
    stages: tuple[str, ...]


def process_phases(model: ProcessModel) -> list[Phase]:
    """Every stage in exactly one phase, in the model's order. The group that holds the course
    (tags `attending`, `paused`) splits into before the course (tag `before_course`: Zusteuerung),
    the course itself, and the rest of it (exam and outcome: Prüfung); every other group of the
    model is a phase of its own."""
    before = model.stages_tagged("before_course")
    course = model.stages_tagged("attending") | model.stages_tagged("paused")
    course_groups = {model.stages[stage].group for stage in course}
    phases: dict[str, list[str]] = {"Zusteuerung": [], "Integrationskurs": [], "Prüfung": []}
    for stage, spec in model.stages.items():
        if stage in before:
            phases["Zusteuerung"].append(stage)
        elif stage in course:
            phases["Integrationskurs"].append(stage)
        elif spec.group in course_groups:
            phases["Prüfung"].append(stage)
        else:
            phases.setdefault(STAGE_GROUPS.get(spec.group, spec.group or "Weitere"), []).append(stage)
    return [Phase(label, tuple(stages)) for label, stages in phases.items() if stages]


@dataclass
class PhaseCounts:
    label: str
    persons: int = 0
    overdue: int = 0
    #: stage label → (persons, overdue), in the model's order
    stages: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: agency name → persons whose next step there is overdue
    agencies: Counter[str] = field(default_factory=Counter)


def phase_counts(
    conn: Connection, region_id: int, phase: Phase, model: ProcessModel, *, today: date, agency_names: dict[str, str]
) -> PhaseCounts:
    """One set-based read for one phase of one region (indexed by region and stage)."""
    counts = PhaseCounts(phase.label)
    rows = fetch(
        conn,
        typed(
            "SELECT p.stage, COUNT(*), SUM(CASE WHEN p.next_due < :today THEN 1 ELSE 0 END) FROM participant p "
            "WHERE p.region_id = :region AND p.stage IN :stages GROUP BY p.stage",
            dates=("today",),
        ).bindparams(bindparam("stages", expanding=True)),
        {"region": region_id, "stages": list(phase.stages), "today": today},
    )
    found = {stage: (int(n), int(late or 0)) for stage, n, late in rows}
    for stage in phase.stages:
        if stage in found:
            counts.stages[model.stage_label(stage)] = found[stage]
    counts.persons = sum(n for n, _ in found.values())
    counts.overdue = sum(late for _, late in found.values())
    late_rows = fetch(
        conn,
        typed(
            "SELECT p.next_agencies FROM participant p WHERE p.region_id = :region AND p.stage IN :stages "
            "AND p.next_due < :today",
            dates=("today",),
        ).bindparams(bindparam("stages", expanding=True)),
        {"region": region_id, "stages": list(phase.stages), "today": today},
    )
    ctx = Context.of(model, today, agency_names)
    for (agencies,) in late_rows:
        refs = orjson.loads(agencies) if isinstance(agencies, str | bytes) else agencies or []
        counts.agencies.update(responsible_labels(refs, ctx))
    return counts
