"""Business days per German Land: weekends, public holidays, local holidays and closing days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from process_models.durations import Duration, add_calendar

WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)

LAENDER = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}


def format_date(value: date) -> str:
    """German numeric date ("03.10.2026"); formatted by hand, strftime costs 5x as much and
    digests print tens of thousands of dates."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def format_long_date(value: date) -> str:
    """German date in words, as a letter writes it ("Dienstag, 12. Januar 2027")."""
    return f"{WEEKDAYS_DE[value.weekday()]}, {value.day}. {MONTHS_DE[value.month - 1]} {value.year}"


@dataclass(frozen=True)
class CalendarConfig:
    """Which days a region's agencies work.

    `subdivision` is a `holidays` subdivision (a Land code, or a municipality the package knows,
    such as "Augsburg" for the Friedensfest); `categories` adds e.g. "catholic" for Mariä
    Himmelfahrt in predominantly Catholic Bavarian municipalities.
    """

    land: str = "BY"
    subdivision: str | None = None
    categories: tuple[str, ...] = ("public",)
    extra_holidays: tuple[tuple[date, str], ...] = ()
    closing_days: tuple[tuple[int, int, str], ...] = ()


_Date = date


@dataclass(frozen=True, slots=True)
class Adjusted:
    """A computed date with the reasons it differs from the plain arithmetic."""

    date: _Date
    nominal: _Date
    reasons: tuple[str, ...] = ()

    def note_de(self) -> str:
        if not self.reasons:
            return ""
        if self.nominal != self.date:
            return (
                f"verschoben vom {format_date(self.nominal)} ({', '.join(self.reasons)}) auf {format_date(self.date)}"
            )
        return ", ".join(self.reasons)


@dataclass
class BusinessCalendar:
    """Answers whether a day is a business day and does period arithmetic on business days."""

    config: CalendarConfig = field(default_factory=CalendarConfig)
    _years: dict[int, dict[date, str]] = field(default_factory=dict, repr=False, compare=False)
    _reason_cache: dict[date, str | None] = field(default_factory=dict, repr=False, compare=False)
    #: results of date arithmetic over this calendar that callers keep (e.g. reminder milestones)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.config.land not in LAENDER:
            raise ValueError(
                f"Unbekanntes Land '{self.config.land}' (erlaubt: {', '.join(LAENDER)}) / "
                f"unknown Land '{self.config.land}'"
            )

    def _holidays_of(self, year: int) -> dict[date, str]:
        known = self._years.get(year)
        if known is not None:
            return known
        import holidays  # noqa: PLC0415 - costs 0.3 s; only code that needs dates pays it

        days: dict[date, str] = dict(
            holidays.country_holidays(
                "DE",
                subdiv=self.config.subdivision or self.config.land,
                years=year,
                language="de",
                categories=self.config.categories,
            )
        )
        for month, day, name in self.config.closing_days:
            days.setdefault(date(year, month, day), name)
        for extra, name in self.config.extra_holidays:
            if extra.year == year:
                days.setdefault(extra, name)
        self._years[year] = days
        return days

    def holiday_name(self, day: date) -> str | None:
        """Name of the holiday or closing day on `day`, if any."""
        return self._holidays_of(day.year).get(day)

    def holidays_in(self, year: int) -> dict[date, str]:
        return dict(sorted(self._holidays_of(year).items()))

    def non_business_reason(self, day: date) -> str | None:
        """Why `day` is not a business day ("Samstag", "Pfingstmontag" …), or None if it is one."""
        cache = self._reason_cache
        if day in cache:
            return cache[day]
        reason = self.holiday_name(day)
        if reason is None and day.weekday() >= 5:
            reason = WEEKDAYS_DE[day.weekday()]
        cache[day] = reason
        return reason

    def is_business_day(self, day: date) -> bool:
        return self.non_business_reason(day) is None

    def roll_forward(self, day: date) -> Adjusted:
        """The first business day on or after `day` (§ 31 Abs. 3 VwVfG, § 193 BGB)."""
        reasons: list[str] = []
        current = day
        while (reason := self.non_business_reason(current)) is not None:
            reasons.append(reason)
            current += timedelta(days=1)
        return Adjusted(current, day, tuple(reasons))

    def next_business_day(self, day: date) -> date:
        return self.roll_forward(day).date

    def add_business_days(self, start: date, amount: int) -> Adjusted:
        """Count `amount` business days after `start` (before it when negative).

        Holidays skipped on the way are named in the result, weekends are not.
        """
        step = timedelta(days=1 if amount >= 0 else -1)
        remaining = abs(amount)
        current = start
        skipped: list[str] = []
        while remaining:
            current += step
            reason = self.non_business_reason(current)
            if reason is None:
                remaining -= 1
            elif reason not in WEEKDAYS_DE:
                skipped.append(f"{reason} {format_date(current)} nicht mitgezählt")
        return Adjusted(current, current, tuple(skipped))

    def add(self, start: date, duration: Duration, *, extra_days: int = 0, roll: bool = True) -> Adjusted:
        """End of `duration` after `start`, plus `extra_days` of paused time.

        Calendar periods ending on a weekend, holiday or closing day end on the next business day
        when `roll` is set (statutory deadlines); business-day periods always land on one.
        """
        if duration.is_business:
            counted = self.add_business_days(start, duration.amount)
            if not extra_days:
                return counted
            moved = self.roll_forward(counted.date + timedelta(days=extra_days))
            return Adjusted(moved.date, counted.date + timedelta(days=extra_days), counted.reasons + moved.reasons)
        nominal = add_calendar(start, duration) + timedelta(days=extra_days)
        if not roll:
            return Adjusted(nominal, nominal)
        return self.roll_forward(nominal)
