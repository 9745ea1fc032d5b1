"""Export of participants and the course list to CSV or `.xlsx`, in the import's own columns, so
an exported file imports back to the identical state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from pipeline.importing import COURSE_COLUMNS, PARTICIPANT_COLUMNS, course_start_fact
from pipeline.tables import Agency, Course, Participant, Region
from pipeline.tabular import Cell, write_table
from process_models import ProcessModel

_DERIVED_BY_IMPORT = {"birth_year"}


def _participant_rows(session: Session, region: Region) -> Iterator[Participant]:
    query = select(Participant).where(Participant.region_id == region.id).order_by(Participant.ref)
    yield from session.exec(query.execution_options(yield_per=2000))


def export_participants(*, session: Session, region: Region, model: ProcessModel, path: Path) -> int:
    """Write every participant of `region`; facts without a German column go into columns named by their identifier."""
    documented = {column.target[5:] for column in PARTICIPANT_COLUMNS if column.target.startswith("fact:")}
    extra: set[str] = set()
    participants = list(_participant_rows(session, region))
    for participant in participants:
        facts = participant.state.get("facts", {})
        kursbeginn = course_start_fact(model, participant.stage)
        extra.update(
            name for name in facts if name not in documented and name not in _DERIVED_BY_IMPORT and name != kursbeginn
        )
    extra_columns = sorted(extra)
    headers = [column.name for column in PARTICIPANT_COLUMNS] + extra_columns

    def rows() -> Iterator[list[Cell]]:
        for participant in participants:
            facts: dict[str, Any] = participant.state.get("facts", {})
            interruptions = participant.state.get("interruptions") or []
            row: list[Cell] = []
            for column in PARTICIPANT_COLUMNS:
                target = column.target
                if target.startswith("fact:"):
                    row.append(_cell(facts.get(target[5:])))
                elif target == "course_start":
                    key = course_start_fact(model, participant.stage)
                    row.append(_cell(facts.get(key)))
                elif target == "interruptions":
                    row.append("; ".join(f"{start}/{end or ''}" for start, end in interruptions) or None)
                elif target == "stage_since":
                    row.append(participant.stage_since)
                else:
                    row.append(_cell(getattr(participant, target)))
            row.extend(_cell(facts.get(name)) for name in extra_columns)
            yield row

    return write_table(path, headers, rows(), sheet_title="Teilnehmende")


def _cell(value: Any) -> Cell:
    if isinstance(value, list):
        # a list of agencies ("agencies" facts), as the import reads it back
        return ", ".join(str(item) for item in value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value  # type: ignore[no-any-return]


def export_courses(*, session: Session, region: Region, path: Path) -> int:
    """The overall course list of a region, in the columns `import courses` reads."""
    providers = {
        agency.id: agency.code for agency in session.exec(select(Agency).where(Agency.region_id == region.id)).all()
    }
    courses = session.exec(
        select(Course).where(Course.region_id == region.id).order_by(col(Course.planned_start), Course.code)
    ).all()
    headers = [column.name for column in COURSE_COLUMNS]

    def rows() -> Iterator[list[Cell]]:
        for course in courses:
            values = {**course.model_dump(), "provider": providers[course.provider_id]}
            yield [values.get(column.target) for column in COURSE_COLUMNS]

    return write_table(path, headers, rows(), sheet_title="Kursliste")
