"""Reminder planning, pure: which contacts hear about an open step (its urgency:
process_models.reminders), and `plan_region`, the first half of the daily sweep: from a region's
participant rows as plain values to a `Plan` of cache refreshes and reminder items, with no
session and no SQL (the second half, `notifications.sweep.write_plan`, stores it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipeline.steps_cache import hold_pauses, steps_columns
from process_models import AgencyRef, BusinessCalendar, ParticipantState, ProcessModel, open_steps
from process_models.reminders import reminder_level, send_day

__all__ = [
    "AgencyInfo",
    "ContactInfo",
    "Directory",
    "Plan",
    "PlannedItem",
    "SweepRow",
    "plan_region",
    "reminder_level",
    "send_day",
    "still_remindable",
]

REGULAR_ROLES = ("case_worker", "coordinator")


@dataclass(frozen=True, slots=True)
class AgencyInfo:
    id: int
    code: str
    type: str
    name: str


@dataclass(frozen=True, slots=True)
class ContactInfo:
    id: int
    agency_id: int
    name: str
    email: str
    role: str


@dataclass
class Directory:
    """A region's agencies and contacts, indexed for resolving responsibilities to people."""

    agencies: Sequence[AgencyInfo]
    contacts: Sequence[ContactInfo]
    _by_code: dict[str, AgencyInfo] = field(init=False)
    _by_type: dict[str, list[AgencyInfo]] = field(init=False)
    _contacts: dict[int, list[ContactInfo]] = field(init=False)
    _contact_by_id: dict[int, ContactInfo] = field(init=False)
    _recipient_ids: dict[tuple[tuple[str, ...], str], frozenset[int]] = field(init=False)

    def __post_init__(self) -> None:
        self._by_code = {agency.code: agency for agency in self.agencies}
        self._by_type = {}
        for agency in self.agencies:
            self._by_type.setdefault(agency.type, []).append(agency)
        self._contacts = {}
        for contact in self.contacts:
            self._contacts.setdefault(contact.agency_id, []).append(contact)
        self._contact_by_id = {contact.id: contact for contact in self.contacts}
        self._recipient_ids = {}

    def agency(self, agency_id: int) -> AgencyInfo | None:
        return next((agency for agency in self.agencies if agency.id == agency_id), None)

    def contact(self, contact_id: int) -> ContactInfo | None:
        """The directory's contact with this id (None when it is not listed: deactivated, another region)."""
        return self._contact_by_id.get(contact_id)

    def agencies_for(self, ref: AgencyRef) -> list[AgencyInfo]:
        """The participant's own agency when named (e.g. their Kursträger), else every agency of the type."""
        if ref.code:
            named = self._by_code.get(ref.code)
            if named is not None and named.type == ref.type:
                return [named]
        return list(self._by_type.get(ref.type, ()))

    def coordinators(self) -> list[ContactInfo]:
        return [
            contact
            for agency in self._by_type.get("KOM", ())
            for contact in self._contacts.get(agency.id, ())
            if contact.role == "coordinator"
        ]

    def _people(self, agency: AgencyInfo, roles: Iterable[str]) -> list[ContactInfo]:
        wanted = set(roles)
        return [contact for contact in self._contacts.get(agency.id, ()) if contact.role in wanted]

    def recipient_ids(self, refs: Sequence[str], level: str) -> frozenset[int]:
        """The contacts reminded at `level` of a step with these responsibility refs ("KT:VHS-BA",
        "JC"), as cached in a participant's open steps; memoised (thousands of steps share refs)."""
        key = (tuple(refs), level)
        found = self._recipient_ids.get(key)
        if found is None:
            parsed = [AgencyRef.parse(ref) for ref in refs]
            found = frozenset(contact.id for contact, _agency in self.recipients(parsed, level))
            self._recipient_ids[key] = found
        return found

    def recipients(self, refs: Sequence[AgencyRef], level: str) -> list[tuple[ContactInfo, AgencyInfo | None]]:
        """Who is reminded of a step at `level`.

        Regular contacts (case workers, or the lead where there are none) of each responsible
        agency; at escalation also each agency's lead and the region's coordinators. A step whose
        agency has nobody on record goes to the coordinators, so nothing is silently dropped.
        """
        found: dict[int, tuple[ContactInfo, AgencyInfo | None]] = {}
        for ref in refs:
            for agency in self.agencies_for(ref):
                people = self._people(agency, REGULAR_ROLES) or self._people(agency, ("lead",))
                if level == "escalated":
                    people = people + self._people(agency, ("lead",))
                for contact in people:
                    found.setdefault(contact.id, (contact, agency))
        if level == "escalated" or not found:
            for contact in self.coordinators():
                found.setdefault(contact.id, (contact, None))
        return list(found.values())


@dataclass(frozen=True, slots=True)
class SweepRow:
    """A participant row as the sweep reads it: the state plus the cached step columns."""

    id: int
    model_version: str
    stage: str
    stage_since: date
    state: Mapping[str, Any]
    open_steps: list[dict[str, Any]]
    next_remind: date | None
    steps_valid_until: date | None
    steps_fingerprint: str
    step_holds: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One reminder of one step to one contact, at one level."""

    participant_id: int
    step: str
    due: date
    level: str
    contact_id: int
    agency_id: int | None


@dataclass
class Plan:
    """What a sweep found for a region's rows: stored by `notifications.sweep.write_plan`."""

    evaluated: int = 0
    overdue: int = 0
    #: cached step columns that changed, per participant id
    refreshed: dict[int, dict[str, Any]] = field(default_factory=dict)
    items: list[PlannedItem] = field(default_factory=list)
    #: the participants evaluated, every (participant, step, due) still open among them with
    #: who is responsible for it, and their Wiedervorlagen
    evaluated_ids: set[int] = field(default_factory=set)
    open_keys: dict[tuple[int, str, date], list[str]] = field(default_factory=dict)
    holds: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    #: who is responsible for each step that has a reminder (for the digests' "also with")
    responsible: dict[tuple[int, str], list[str]] = field(default_factory=dict)


def plan_region(
    rows: Iterable[SweepRow],
    *,
    directory: Directory,
    model_for: Callable[[str], ProcessModel],
    calendar: BusinessCalendar,
    today: date,
) -> Plan:
    """Evaluate each row's open steps as of `today` and plan who is reminded of which."""
    plan = Plan()
    for row in rows:
        model = model_for(row.model_version)
        state = ParticipantState.from_json(
            row.state, model_version=row.model_version, stage=row.stage, stage_since=row.stage_since, model=model
        )
        steps = open_steps(state, today=today, model=model)
        plan.evaluated += 1
        plan.evaluated_ids.add(row.id)
        columns = steps_columns(
            steps, state=state, today=today, model=model, reminders_planned=True, holds=row.step_holds
        )
        if row.step_holds:
            plan.holds[row.id] = row.step_holds
        if (row.open_steps, row.next_remind, row.steps_valid_until, row.steps_fingerprint) != (
            columns["open_steps"],
            columns["next_remind"],
            columns["steps_valid_until"],
            columns["steps_fingerprint"],
        ):
            plan.refreshed[row.id] = columns
        for step in steps:
            plan.overdue += step.overdue
            refs = [str(ref) for ref in step.responsible]
            plan.open_keys[(row.id, step.step, step.due)] = refs
            level = reminder_level(step, today, calendar)
            if level is None or hold_pauses(row.step_holds, step.step, level, today):
                continue
            plan.responsible[(row.id, step.step)] = refs
            for contact, agency in directory.recipients(step.responsible, level):
                plan.items.append(
                    PlannedItem(row.id, step.step, step.due, level, contact.id, agency.id if agency else None)
                )
    return plan


def still_remindable(
    *,
    step_refs: Sequence[str] | None,
    level: str,
    contact_id: int,
    holds: Mapping[str, Any] | None,
    step: str,
    directory: Directory,
    today: date,
) -> bool:
    """Whether an unsent reminder item is still true: its step is open with the same due date
    (`step_refs`, its responsibilities, None when not), the contact is still among those reminded
    of it at its level (a new Kursträger, a different Jobcenter) and no Wiedervorlage pauses it.
    The one judgement of the sweep and of the revision before sending."""
    if step_refs is None or hold_pauses(holds, step, level, today):
        return False
    return contact_id in directory.recipient_ids(step_refs, level)
