"""Reminder milestones of an open step (pure): how urgent it is on a given day."""

from __future__ import annotations

from datetime import date, timedelta

from process_models.business_days import BusinessCalendar
from process_models.durations import Duration, add_calendar
from process_models.state import OpenStep

#: Urgency levels of a reminder, least urgent first.
LEVELS: tuple[str, ...] = ("upcoming", "due", "second", "escalated")
LEVEL_LABELS: dict[str, str] = {
    "upcoming": "Demnächst fällig",
    "due": "Fällig",
    "second": "Überfällig – zweite Erinnerung",
    "escalated": "Eskaliert",
}


def shift(day: date, period: Duration, calendar: BusinessCalendar) -> date:
    """`day` moved by `period` (business days counted on the region's calendar)."""
    if period.is_business:
        return calendar.add_business_days(day, period.amount).date
    return add_calendar(day, period)


def _milestone_days(step: OpenStep, calendar: BusinessCalendar) -> tuple[date, date, date, date]:
    """The days `step` reaches upcoming, due, second and escalated (kept on the calendar: thousands
    of participants share a rule and a due date, and business-day arithmetic is the costly part)."""
    rule, due = step.reminders, step.due
    key = ("reminder_milestones", rule, due)
    days: tuple[date, date, date, date] | None = calendar.memo.get(key)
    if days is None:
        days = (
            shift(due, -rule.lead, calendar),
            due if rule.on_due else due + timedelta(days=1),
            shift(due, rule.repeat_after, calendar),
            shift(due, rule.escalate_after, calendar),
        )
        calendar.memo[key] = days
    return days


def reminder_level(step: OpenStep, today: date, calendar: BusinessCalendar) -> str | None:
    """The highest reminder milestone `step` has reached by `today`, or None.

    upcoming: from `lead` before the due date; due: on and after it (if `on_due`);
    second: `repeat_after` after it; escalated: `escalate_after` after it.
    """
    lead_start, _due_day, second, escalated = _milestone_days(step, calendar)
    due = step.due
    if today < due:
        return "upcoming" if today >= lead_start else None
    if today >= escalated:
        return "escalated"
    if today >= second:
        return "second"
    if step.reminders.on_due or today > due:
        return "due"
    return None


def next_milestone(step: OpenStep, after: date, calendar: BusinessCalendar) -> date | None:
    """The first day after `after` on which `step` reaches a higher reminder level than it has on
    `after`; None once it is escalated (nothing more to remind of)."""
    current = reminder_level(step, after, calendar)
    for day in sorted({day for day in _milestone_days(step, calendar) if day > after}):
        if reminder_level(step, day, calendar) != current:
            return day
    return None


def remind_on(step: OpenStep, today: date, calendar: BusinessCalendar, *, planned: bool) -> date | None:
    """The next day the sweep must look at `step`: today while it has a reminder level whose
    items are not `planned` yet, else the day of its next milestone."""
    if not planned and reminder_level(step, today, calendar) is not None:
        return today
    return next_milestone(step, today, calendar)


def send_day(today: date, calendar: BusinessCalendar) -> date:
    """The day mail planned `today` goes out: today, or the next business day on quiet days."""
    return calendar.next_business_day(today)
