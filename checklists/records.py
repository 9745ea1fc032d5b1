"""Plain data an agenda is built from, and the shape of what each checklist item shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from pipeline.repository import CourseInfo
from process_models import BusinessCalendar, ProcessModel

__all__ = ["ActionInfo", "AgendaData", "CourseInfo", "Figure", "ItemResult", "Person", "Section"]


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    ref: str
    initials: str
    stage: str
    stage_since: date
    facts: dict[str, Any]
    steps: tuple[dict[str, Any], ...]
    location: str
    childcare: bool = False
    part_time: bool = False
    literacy: bool = False
    youth: bool = False
    transport_reach: str | None = None

    @property
    def label(self) -> str:
        return f"{self.ref} ({self.initials})"

    def step(self, step_id: str) -> dict[str, Any] | None:
        return next((step for step in self.steps if step["step"] == step_id), None)


@dataclass(frozen=True, slots=True)
class ActionInfo:
    id: int
    title: str
    owner: str
    due: date
    status: str
    meeting_date: date | None
    closed_on: date | None = None
    closed_by: str | None = None
    closed_note: str | None = None


@dataclass
class AgendaData:
    """Everything the checklist queries read, loaded once for one region and one meeting."""

    region_code: str
    region_name: str
    model: ProcessModel
    calendar: BusinessCalendar
    as_of: date
    meeting_date: date
    previous_meeting: date | None
    next_meeting: dict[str, Any] | None
    persons: list[Person]
    courses: list[CourseInfo]
    actions: list[ActionInfo]
    agency_names: dict[str, str] = field(default_factory=dict)
    #: computes the fill proposal for the courses below their minimum when an item asks for it
    #: (planning.reads.fill_for_region; None where there is no database, as in pure tests)
    fill: Callable[[], Any] | None = None
    #: the next central placement-test dates with their bookings (planning.reads.testing_for_region)
    testing: Callable[[], Any] | None = None
    #: the region's stored course proposal and the agreement version in force (planning.reads.stored_proposal)
    proposals: Callable[[int], tuple[Any, int | None]] | None = None

    @cached_property
    def since(self) -> date:
        """Start of "since the last meeting" (four weeks back when there was none); read once
        per person by several items, hence cached."""
        return self.previous_meeting or self.as_of - timedelta(weeks=4)


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]]
    empty: str = "Keine Einträge."
    #: rows beyond the agenda's limit, counted but not listed (every format shows the same)
    more: int = 0
    #: per row, the references of the persons it names (filled by the agenda builder)
    row_refs: list[list[str]] = field(default_factory=list)
    #: person rows this audience may not see: counted, never listed
    withheld: int = 0
    #: listed in full whatever the item's limit: the meeting's own business (its open tasks,
    #: the next date), not a list that collapses to its most urgent few
    complete: bool = False


@dataclass
class Figure:
    name: str
    value: str
    definition: str
    basis: str = ""
    #: the change since the last meeting, in words ("+0,4 Wochen", "unverändert")
    change: str = ""
    #: a small SVG line of the last months (figures.charts.sparkline), or ""
    chart: str = ""


@dataclass
class ItemResult:
    """What one agenda item shows: a headline count and summary, tables, figures — or an error."""

    count: int = 0
    summary: str = ""
    sections: list[Section] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    error: str | None = None
