"""Periods as written in the process model ("6w", "1y", "3m", "10bd") and their calendar arithmetic."""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Unit = Literal["d", "w", "m", "y", "bd"]

_PATTERN = re.compile(r"^(-?)(\d+)(bd|d|w|m|y)$")

_UNIT_LABELS_DE: dict[str, tuple[str, str]] = {
    "d": ("Tag", "Tage"),
    "w": ("Woche", "Wochen"),
    "m": ("Monat", "Monate"),
    "y": ("Jahr", "Jahre"),
    "bd": ("Arbeitstag", "Arbeitstage"),
}


@dataclass(frozen=True, slots=True)
class Duration:
    """A signed period: calendar days, weeks, months, years, or business days."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _PATTERN.match(text.strip())
        if not match:
            raise ValueError(
                f"'{text}' ist keine Frist (erwartet z. B. 14d, 6w, 3m, 1y, 10bd) / "
                f"'{text}' is not a period (expected e.g. 14d, 6w, 3m, 1y, 10bd)"
            )
        sign, number, unit = match.groups()
        amount = int(number)
        return cls(-amount if sign else amount, unit)  # type: ignore[arg-type]

    @staticmethod
    def is_literal(text: str) -> bool:
        return bool(_PATTERN.match(text.strip()))

    @property
    def is_business(self) -> bool:
        return self.unit == "bd"

    def __neg__(self) -> Duration:
        return Duration(-self.amount, self.unit)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def label_de(self) -> str:
        singular, plural = _UNIT_LABELS_DE[self.unit]
        return f"{abs(self.amount)} {singular if abs(self.amount) == 1 else plural}"

    def approx_days(self) -> int:
        """Rough length in calendar days, for sorting and sanity checks only."""
        factor = {"d": 1, "w": 7, "m": 30, "y": 365, "bd": 7 / 5}[self.unit]
        return round(self.amount * factor)


def add_months(start: date, months: int) -> date:
    """Calendar months after `start`; a missing day ends on the month's last day (§ 188 Abs. 3 BGB)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def add_calendar(start: date, duration: Duration) -> date:
    """End of a calendar period that starts with an event on `start` (§§ 187 Abs. 1, 188 BGB).

    The event day itself is not counted, so a period of weeks ends on the weekday of the event,
    a period of months or years on the same day number.
    """
    unit = duration.unit
    if unit == "d":
        return start + timedelta(days=duration.amount)
    if unit == "w":
        return start + timedelta(weeks=duration.amount)
    if unit == "m":
        return add_months(start, duration.amount)
    if unit == "y":
        return add_months(start, 12 * duration.amount)
    raise ValueError("business-day periods need a calendar: use BusinessCalendar.add")
