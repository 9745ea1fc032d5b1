"""Builds an agenda from a checklist and the region's data (pure); one failing item shows an error
line and never breaks the rest."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from checklists.definition import Checklist
from checklists.queries import REGISTRY, Query
from checklists.records import AgendaData, ItemResult

log = logging.getLogger(__name__)

#: Rows listed per table; the rest are counted ("… und 12 weitere") so agendas stay printable.
MAX_ROWS = 40


@dataclass
class AgendaItem:
    number: int
    id: str
    title: str
    reporting: list[dict[str, str]]
    description: str
    result: ItemResult


@dataclass
class Agenda:
    region: dict[str, str]
    checklist: str
    title: str
    meeting: dict[str, Any]
    as_of: date
    items: list[AgendaItem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(asdict(self))
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def build_agenda(
    checklist: Checklist,
    data: AgendaData,
    *,
    meeting: dict[str, Any],
    queries: Mapping[str, Query] = REGISTRY,
) -> Agenda:
    """Run every checklist item's query over `data`."""
    agenda = Agenda(
        region={"code": data.region_code, "name": data.region_name},
        checklist=checklist.name,
        title=checklist.title,
        meeting=meeting,
        as_of=data.as_of,
    )
    for number, item in enumerate(checklist.items, start=1):
        try:
            result = queries[item.query].function(data, item.params)
        except Exception as exc:  # an item's failure must not take the whole agenda down
            log.exception("agenda item %s (%s) failed", item.id, item.query)
            result = ItemResult(
                error=f"Dieser Punkt konnte nicht aus den Daten erstellt werden ({type(exc).__name__}: {exc})."
            )
        for section in result.sections:
            if len(section.rows) > MAX_ROWS:
                section.more += len(section.rows) - MAX_ROWS
                section.rows = section.rows[:MAX_ROWS]
        reporting = [
            {"code": code, "label": data.model.agencies[code].label if code in data.model.agencies else code}
            for code in item.reporting
        ]
        agenda.items.append(AgendaItem(number, item.id, item.title, reporting, item.description, result))
    return agenda
