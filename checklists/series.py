"""Recurrence of meeting series (pure): RRULE occurrences in local time, moved off holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from process_models import BusinessCalendar
from process_models.business_days import WEEKDAYS_DE


class SeriesError(ValueError):
    pass


@dataclass(frozen=True)
class Recurrence:
    rrule: str
    starts: date
    start_time: str
    duration_minutes: int
    timezone: str = "Europe/Berlin"

    def validate(self) -> None:
        try:
            self.local_time()
            ZoneInfo(self.timezone)
            rrulestr(self.rrule, dtstart=datetime.combine(self.starts, self.local_time()))
        except (ValueError, KeyError) as exc:
            raise SeriesError(
                f"Ungültige Wiederholung '{self.rrule}' ab {self.starts} {self.start_time}: {exc}"
            ) from None
        if not 15 <= self.duration_minutes <= 600:
            raise SeriesError("Dauer muss zwischen 15 und 600 Minuten liegen")

    def local_time(self) -> time:
        hours, _, minutes = self.start_time.partition(":")
        return time(int(hours), int(minutes))

    def occurrences(self, start: date, end: date, calendar: BusinessCalendar) -> list[tuple[date, date]]:
        """(rule date, meeting date) pairs with rule dates in [start, end]; holidays move a
        meeting to the next business day."""
        rule = rrulestr(self.rrule, dtstart=datetime.combine(self.starts, self.local_time()))
        found = rule.between(datetime.combine(start, time.min), datetime.combine(end, time.max), inc=True)
        return [(moment.date(), calendar.next_business_day(moment.date())) for moment in found]

    def in_month(self, year: int, month: int, calendar: BusinessCalendar) -> tuple[date, date] | None:
        first = date(year, month, 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        found = self.occurrences(first, last, calendar)
        return found[0] if found else None

    def after(self, day: date, calendar: BusinessCalendar) -> tuple[date, date] | None:
        found = self.occurrences(day + timedelta(days=1), day + timedelta(days=400), calendar)
        return found[0] if found else None

    def window(self, day: date) -> tuple[datetime, datetime]:
        """Start and end of a meeting on `day`, in UTC."""
        local = datetime.combine(day, self.local_time(), tzinfo=ZoneInfo(self.timezone))
        start = local.astimezone(UTC)
        return start, start + timedelta(minutes=self.duration_minutes)


def weekday(day: date) -> str:
    return WEEKDAYS_DE[day.weekday()]
