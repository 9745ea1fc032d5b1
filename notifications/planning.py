"""Reminder planning, pure: how urgent an open step is today and which contacts hear about it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from process_models import AgencyRef, BusinessCalendar, Duration, OpenStep
from process_models.durations import add_calendar

REGULAR_ROLES = ("case_worker", "coordinator")


def shift(day: date, period: Duration, calendar: BusinessCalendar) -> date:
    """`day` moved by `period` (business days counted on the region's calendar)."""
    if period.is_business:
        return calendar.add_business_days(day, period.amount).date
    return add_calendar(day, period)


def reminder_level(step: OpenStep, today: date, calendar: BusinessCalendar) -> str | None:
    """The highest reminder milestone `step` has reached by `today`, or None.

    upcoming: from `lead` before the due date; due: on and after it (if `on_due`);
    second: `repeat_after` after it; escalated: `escalate_after` after it.
    """
    rule = step.reminders
    due = step.due
    if today < due:
        return "upcoming" if today >= shift(due, -rule.lead, calendar) else None
    if today >= shift(due, rule.escalate_after, calendar):
        return "escalated"
    if today >= shift(due, rule.repeat_after, calendar):
        return "second"
    if rule.on_due or today > due:
        return "due"
    return None


def send_day(today: date, calendar: BusinessCalendar) -> date:
    """The day mail planned `today` goes out: today, or the next business day on quiet days."""
    return calendar.next_business_day(today)


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

    def __post_init__(self) -> None:
        self._by_code = {agency.code: agency for agency in self.agencies}
        self._by_type = {}
        for agency in self.agencies:
            self._by_type.setdefault(agency.type, []).append(agency)
        self._contacts = {}
        for contact in self.contacts:
            self._contacts.setdefault(contact.agency_id, []).append(contact)

    def agency(self, agency_id: int) -> AgencyInfo | None:
        return next((agency for agency in self.agencies if agency.id == agency_id), None)

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
