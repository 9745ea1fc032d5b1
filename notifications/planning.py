"""Reminder planning, pure: which contacts hear about an open step (its urgency: process_models.reminders)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from process_models import AgencyRef
from process_models.reminders import reminder_level, send_day

__all__ = ["AgencyInfo", "ContactInfo", "Directory", "reminder_level", "send_day"]

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

    def __post_init__(self) -> None:
        self._by_code = {agency.code: agency for agency in self.agencies}
        self._by_type = {}
        for agency in self.agencies:
            self._by_type.setdefault(agency.type, []).append(agency)
        self._contacts = {}
        for contact in self.contacts:
            self._contacts.setdefault(contact.agency_id, []).append(contact)
        self._contact_by_id = {contact.id: contact for contact in self.contacts}

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
