"""Builds an agenda from a checklist and the region's data (pure); one failing item shows an error
line and never breaks the rest."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from checklists.definition import Checklist
from checklists.queries import LISTED, REGISTRY, Query
from checklists.records import AgendaData, Figure, ItemResult, Section

log = logging.getLogger(__name__)

#: Rows listed per table unless a checklist item sets its own `limit`: the most urgent few (every
#: query sorts its rows most urgent first); the rest are counted ("… und 12 weitere") and listed
#: in full in the web UI, so the agenda of a region fits on a few A4 pages.
MAX_ROWS = LISTED


@dataclass
class AgendaItem:
    number: int
    id: str
    title: str
    reporting: list[dict[str, str]]
    description: str
    result: ItemResult
    #: rows listed per table of this item (the checklist item's `limit`, else MAX_ROWS)
    listed: int = MAX_ROWS


@dataclass
class Agenda:
    region: dict[str, str]
    checklist: str
    title: str
    meeting: dict[str, Any]
    as_of: date
    items: list[AgendaItem] = field(default_factory=list)
    #: "full" (the coordination), "agency" (one agency's copy) or "wide" (counts only)
    version: str = "full"
    #: whose copy it is, shown in the header ("Fassung für das Jobcenter Bamberg …")
    version_note: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(asdict(self))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Agenda:
        """The agenda of a stored snapshot (`to_json`), to be shown again or restricted."""
        items = []
        for item in data.get("items", []):
            result = dict(item["result"])
            result["sections"] = [Section(**section) for section in result.get("sections", [])]
            result["figures"] = [Figure(**figure) for figure in result.get("figures", [])]
            items.append(AgendaItem(**{**item, "result": ItemResult(**result)}))
        meeting = dict(data.get("meeting", {}))
        if isinstance(meeting.get("date"), str):
            meeting["date"] = date.fromisoformat(meeting["date"])
        return cls(
            region=dict(data["region"]),
            checklist=str(data["checklist"]),
            title=str(data.get("title", "")),
            meeting=meeting,
            as_of=date.fromisoformat(str(data["as_of"])),
            items=items,
            version=str(data.get("version", "full")),
            version_note=str(data.get("version_note", "")),
        )


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
    limit: int | None = MAX_ROWS,
) -> Agenda:
    """Run every checklist item's query over `data`; each table lists its item's `limit` rows
    (`limit=None`: all, for an agenda that `restrict_agenda` narrows and limits afterwards)."""
    agenda = Agenda(
        region={"code": data.region_code, "name": data.region_name},
        checklist=checklist.name,
        title=checklist.title,
        meeting=meeting,
        as_of=data.as_of,
    )
    known = {person.ref for person in data.persons}
    for number, item in enumerate(checklist.items, start=1):
        try:
            result = queries[item.query].function(data, item.params)
        except Exception as exc:  # an item's failure must not take the whole agenda down
            log.exception("agenda item %s (%s) failed", item.id, item.query)
            result = ItemResult(
                error=f"Dieser Punkt konnte nicht aus den Daten erstellt werden ({type(exc).__name__}: {exc})."
            )
        listed = int(item.params.get("limit", MAX_ROWS))
        for section in result.sections:
            section.row_refs = [persons_named(row, known) for row in section.rows]
            _limit(section, None if limit is None else listed)
        reporting = [
            {"code": code, "label": data.model.agencies[code].label if code in data.model.agencies else code}
            for code in item.reporting
        ]
        agenda.items.append(AgendaItem(number, item.id, item.title, reporting, item.description, result, listed))
    return agenda


#: how every query names a person in a cell: "REF (II)" (`Person.label`); a reference has no spaces
_PERSON = re.compile(r"([A-Za-z0-9._/-]{1,40}) \(([^()]{0,12})\)")


def persons_named(row: list[str], known: Collection[str] | None) -> list[str]:
    """The references of the persons a table row names, in any of its cells (`known`: the
    region's references; None takes anything shaped like a person's label). Found from the cells
    rather than declared by each query, so a query added later cannot forget to declare them."""
    found: list[str] = []
    for cell in row:
        for match in _PERSON.finditer(str(cell)):
            if (known is None or match[1] in known) and match[1] not in found:
                found.append(match[1])
    return found


def _limit(section: Section, limit: int | None) -> None:
    if limit is not None and not section.complete and len(section.rows) > limit:
        section.more += len(section.rows) - limit
        section.rows = section.rows[:limit]
        section.row_refs = section.row_refs[:limit]


def limited(agenda: Agenda, limit: int | None = MAX_ROWS) -> Agenda:
    """A copy of `agenda` whose tables list their item's number of rows (the rest counted);
    `limit=None` keeps every row."""
    copied = copy.deepcopy(agenda)
    for item in copied.items:
        for section in item.result.sections:
            _limit(section, None if limit is None else item.listed)
    return copied


def named_refs(agenda: Agenda) -> set[str]:
    """Every person the agenda's tables name."""
    return {
        ref for item in agenda.items for section in item.result.sections for refs in section.row_refs for ref in refs
    }


def restrict_agenda(
    agenda: Agenda, *, version: str, visible: Collection[str] = (), note: str = "", limit: int | None = MAX_ROWS
) -> Agenda:
    """A copy of `agenda` for a narrower audience: "agency" keeps the rows naming only persons in
    `visible` (the agency's own participants) and counts the others; "wide" keeps no row naming a
    person at all. Counts, summaries and figures stay: they are aggregates."""
    if version not in ("agency", "wide"):
        raise ValueError(f"unknown agenda version {version!r}")
    copied = copy.deepcopy(agenda)
    copied.version, copied.version_note = version, note
    allowed = frozenset(visible) if version == "agency" else frozenset()
    for item in copied.items:
        for section in item.result.sections:
            # a snapshot stored before rows carried their persons: any label-shaped cell counts as one
            refs = (
                section.row_refs
                if len(section.row_refs) == len(section.rows)
                else [persons_named(row, None) for row in section.rows]
            )
            kept = [(row, named) for row, named in zip(section.rows, refs, strict=True) if set(named) <= allowed]
            section.withheld += len(section.rows) - len(kept)
            section.rows = [row for row, _ in kept]
            section.row_refs = [named for _, named in kept]
            if version == "wide" and section.more and any(refs):
                # rows beyond the limit of a person table are persons too: counted, never listed
                section.withheld += section.more
                section.more = 0
            _limit(section, None if limit is None else item.listed)
    return copied
