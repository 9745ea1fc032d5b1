"""Export of participants and the course list to CSV or `.xlsx`, in the import's own columns, so
an exported file imports back to the identical state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from pipeline.importing import COURSE_COLUMNS, PARTICIPANT_COLUMNS, course_start_fact, fact_columns
from pipeline.tables import (
    COURSE_FORMATS,
    COURSE_KINDS,
    COURSE_SLOTS,
    TRANSPORT_REACH,
    Agency,
    Course,
    Participant,
    Region,
)
from pipeline.tabular import Cell, write_table
from process_models import ProcessModel

_DERIVED_BY_IMPORT = {"birth_year"}


def _participant_rows(session: Session, region: Region) -> Iterator[Participant]:
    query = select(Participant).where(Participant.region_id == region.id).order_by(Participant.ref)
    yield from session.exec(query.execution_options(yield_per=2000))


def export_participants(*, session: Session, region: Region, model: ProcessModel, path: Path) -> int:
    """Write every participant of `region` in German: the import's columns, then a column per
    further fact named by its label; values as labels (Stufe, Kursart, ja/nein …), which the
    import reads back."""
    documented = {column.target[5:] for column in PARTICIPANT_COLUMNS if column.target.startswith("fact:")}
    named = fact_columns(model)
    extra: set[str] = set()
    participants = list(_participant_rows(session, region))
    for participant in participants:
        facts = participant.state.get("facts", {})
        kursbeginn = course_start_fact(model, participant.stage)
        extra.update(
            name for name in facts if name not in documented and name not in _DERIVED_BY_IMPORT and name != kursbeginn
        )
    extra_columns = [name for name in model.facts if name in extra] + sorted(extra - set(model.facts))
    headers = [column.name for column in PARTICIPANT_COLUMNS] + [
        named[name].name if name in named else name for name in extra_columns
    ]

    def fact(name: str, value: Any) -> Cell:
        spec = model.facts.get(name)
        if spec is not None and spec.type == "date":
            return _cell(value)
        return model.fact_text(name, value) if value is not None else None

    def rows() -> Iterator[list[Cell]]:
        for participant in participants:
            facts: dict[str, Any] = participant.state.get("facts", {})
            interruptions = participant.state.get("interruptions") or []
            row: list[Cell] = []
            for column in PARTICIPANT_COLUMNS:
                target = column.target
                if target.startswith("fact:"):
                    row.append(fact(target[5:], facts.get(target[5:])))
                elif target == "course_start":
                    row.append(_cell(facts.get(course_start_fact(model, participant.stage))))
                elif target == "interruptions":
                    row.append("; ".join(f"{start}/{end or ''}" for start, end in interruptions) or None)
                elif target == "stage_since":
                    row.append(participant.stage_since)
                elif target == "stage":
                    row.append(model.stage_label(participant.stage))
                elif target == "transport_reach":
                    reach = participant.transport_reach
                    row.append(TRANSPORT_REACH.get(reach, reach) if reach else None)
                else:
                    row.append(_cell(getattr(participant, target)))
            row.extend(fact(name, facts.get(name)) for name in extra_columns)
            yield row

    return write_table(path, headers, rows(), sheet_title="Teilnehmende")


def _cell(value: Any) -> Cell:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list):
        # a list of agencies ("agencies" facts), as the import reads it back
        return ", ".join(str(item) for item in value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value  # type: ignore[no-any-return]


def export_courses(
    *, session: Session, region: Region, model: ProcessModel, path: Path, provider: str | None = None
) -> int:
    """The overall course list of a region, in the columns `import courses` reads; with
    `provider` (a Kursträger's code) only that provider's courses."""
    providers = {
        agency.id: agency.code for agency in session.exec(select(Agency).where(Agency.region_id == region.id)).all()
    }
    courses = [
        course
        for course in session.exec(
            select(Course).where(Course.region_id == region.id).order_by(col(Course.planned_start), Course.code)
        ).all()
        if provider is None or providers[course.provider_id] == provider
    ]
    headers = [column.name for column in COURSE_COLUMNS]

    def rows() -> Iterator[list[Cell]]:
        for course in courses:
            values = {
                **course.model_dump(),
                "provider": providers[course.provider_id],
                "kind": COURSE_KINDS.get(course.kind, course.kind),
                "format": COURSE_FORMATS.get(course.format, course.format),
                "slot": COURSE_SLOTS.get(course.slot, course.slot) if course.slot else None,
                "course_type": model.value_text("course_type", course.course_type),
            }
            yield [_cell(values.get(column.target)) for column in COURSE_COLUMNS]

    return write_table(path, headers, rows(), sheet_title="Kursliste")
