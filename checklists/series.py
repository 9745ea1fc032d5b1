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


_DAYS = {code: index for index, code in enumerate(("MO", "TU", "WE", "TH", "FR", "SA", "SU"))}
_ORDINAL = {-1: "letzten", 1: "1.", 2: "2.", 3: "3.", 4: "4.", 5: "5."}


def rule_in_words(rrule: str, start_time: str) -> str:
    """A meeting rule as people say it ("jeden 1. Dienstag im Monat, 09:30"); a rule beyond the
    usual monthly and weekly ones is named as such rather than shown as RRULE text."""
    parts = dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)
    frequency = parts.get("FREQ")
    interval = int(parts.get("INTERVAL", "1") or 1)
    days = [day for day in parts.get("BYDAY", "").split(",") if day]
    extra = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "WKST"}
    words = None
    if not extra and len(days) == 1:
        code = days[0][-2:]
        nth_text = days[0][:-2]
        name = WEEKDAYS_DE[_DAYS[code]] if code in _DAYS else None
        nth = int(nth_text) if nth_text.lstrip("+-").isdigit() else None
        if name and frequency == "MONTHLY" and nth in _ORDINAL:
            where = f"{_ORDINAL[nth]} {name}"
            words = f"jeden {where} im Monat" if interval == 1 else f"alle {interval} Monate am {where}"
        elif name and frequency == "WEEKLY" and nth is None:
            words = f"jeden {name}" if interval == 1 else f"alle {interval} Wochen am {name}"
    monthday = parts.get("BYMONTHDAY", "")
    if words is None and frequency == "MONTHLY" and not days and extra == {"BYMONTHDAY"} and monthday.isdigit():
        words = f"jeden {int(monthday)}. des Monats" if interval == 1 else f"alle {interval} Monate am {int(monthday)}."
    if words is None:
        words = "nach einer eigenen Wiederholungsregel"
    return f"{words}, {start_time}"
