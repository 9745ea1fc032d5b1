"""Reminder levels and recipients, pure."""

from __future__ import annotations

from datetime import date

import pytest

from notifications.planning import AgencyInfo, ContactInfo, Directory, reminder_level, send_day
from process_models import AgencyRef, BusinessCalendar, CalendarConfig, Duration, OpenStep
from process_models.spec import ReminderRule

BY = BusinessCalendar(CalendarConfig(land="BY"))
RULE = ReminderRule(
    lead=Duration.parse("5bd"), on_due=True, repeat_after=Duration.parse("5bd"), escalate_after=Duration.parse("10bd")
)


def step(due: date, rule: ReminderRule = RULE, *refs: AgencyRef) -> OpenStep:
    return OpenStep("course_start", "Kursbeginn", refs or (AgencyRef("KT", "VHS"),), due, due, "", False, 0, "", rule)


@pytest.mark.parametrize(
    ("today", "level"),
    [
        (date(2026, 5, 15), None),
        (date(2026, 5, 18), "upcoming"),  # five business days before 26.05. (Pfingstmontag does not count)
        (date(2026, 5, 25), "upcoming"),
        (date(2026, 5, 26), "due"),
        (date(2026, 6, 1), "due"),
        (date(2026, 6, 2), "second"),  # five business days after
        (date(2026, 6, 9), "second"),  # Fronleichnam 04.06. does not count
        (date(2026, 6, 10), "escalated"),
        (date(2027, 1, 1), "escalated"),
    ],
)
def test_levels_count_business_days(today: date, level: str | None) -> None:
    assert reminder_level(step(date(2026, 5, 26)), today, BY) == level


def test_calendar_lead_and_no_reminder_on_the_due_day() -> None:
    rule = ReminderRule(
        lead=Duration.parse("8w"), on_due=False, repeat_after=Duration.parse("1w"), escalate_after=Duration.parse("2w")
    )
    due = date(2026, 7, 1)
    assert reminder_level(step(due, rule), date(2026, 5, 5), BY) is None
    assert reminder_level(step(due, rule), date(2026, 5, 6), BY) == "upcoming"
    assert reminder_level(step(due, rule), due, BY) is None
    assert reminder_level(step(due, rule), date(2026, 7, 2), BY) == "due"  # late, even without on-due reminders
    assert reminder_level(step(due, rule), date(2026, 7, 8), BY) == "second"


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 5, 22), date(2026, 5, 22)),
        (date(2026, 5, 23), date(2026, 5, 26)),
        (date(2026, 12, 24), date(2026, 12, 24)),
        (date(2026, 12, 26), date(2026, 12, 28)),
    ],
)
def test_send_day_skips_weekends_and_holidays(today: date, expected: date) -> None:
    assert send_day(today, BY) == expected


AGENCIES = [
    AgencyInfo(1, "VHS", "KT", "VHS"),
    AgencyInfo(2, "BFZ", "KT", "bfz"),
    AgencyInfo(3, "JC-BA", "JC", "Jobcenter"),
    AgencyInfo(4, "KOM-BA", "KOM", "Landratsamt"),
    AgencyInfo(5, "MBE-BA", "MBE", "Caritas"),
]
CONTACTS = [
    ContactInfo(10, 1, "VHS Sachbearbeitung", "sb@vhs.example", "case_worker"),
    ContactInfo(11, 1, "VHS Leitung", "leitung@vhs.example", "lead"),
    ContactInfo(20, 2, "bfz", "sb@bfz.example", "case_worker"),
    ContactInfo(31, 3, "JC Leitung", "leitung@jc.example", "lead"),
    ContactInfo(40, 4, "Koordination", "koordination@lra.example", "coordinator"),
]
DIRECTORY = Directory(AGENCIES, CONTACTS)


def ids(found: list[tuple[ContactInfo, AgencyInfo | None]]) -> list[int]:
    return [contact.id for contact, _ in found]


def test_the_participants_own_provider_is_reminded_not_every_provider() -> None:
    assert ids(DIRECTORY.recipients([AgencyRef("KT", "VHS")], "due")) == [10]
    assert ids(DIRECTORY.recipients([AgencyRef("KT")], "due")) == [10, 20]
    assert ids(DIRECTORY.recipients([AgencyRef("KT", "UNBEKANNT")], "due")) == [10, 20]


def test_escalation_adds_the_lead_and_the_coordinator() -> None:
    assert ids(DIRECTORY.recipients([AgencyRef("KT", "VHS")], "escalated")) == [10, 11, 40]


def test_an_agency_without_case_workers_reaches_its_lead_and_one_without_anybody_the_coordinator() -> None:
    assert ids(DIRECTORY.recipients([AgencyRef("JC")], "upcoming")) == [31]
    assert ids(DIRECTORY.recipients([AgencyRef("MBE")], "due")) == [40]
    assert ids(DIRECTORY.recipients([AgencyRef("ABH")], "due")) == [40]
