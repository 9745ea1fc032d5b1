from datetime import date

import pytest

from process_models import BusinessCalendar, CalendarConfig, Duration
from process_models.durations import add_calendar

BY = BusinessCalendar(CalendarConfig(land="BY"))


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (date(2026, 5, 22), "6w", date(2026, 7, 3)),  # weeks end on the event's weekday (§ 188 Abs. 2 BGB)
        (date(2026, 1, 31), "1m", date(2026, 2, 28)),  # missing day: last day of the month (§ 188 Abs. 3)
        (date(2024, 2, 29), "1y", date(2025, 2, 28)),
        (date(2026, 1, 31), "3m", date(2026, 4, 30)),
        (date(2026, 3, 10), "14d", date(2026, 3, 24)),
        (date(2026, 3, 10), "-8w", date(2026, 1, 13)),
    ],
)
def test_calendar_periods(start: date, period: str, expected: date) -> None:
    assert add_calendar(start, Duration.parse(period)) == expected


def test_period_ending_on_whit_monday_moves_to_tuesday_and_says_why() -> None:
    result = BY.add(date(2026, 4, 13), Duration.parse("6w"))
    assert result.nominal == date(2026, 5, 25)
    assert result.date == date(2026, 5, 26)
    assert result.reasons == ("Pfingstmontag",)
    assert "Pfingstmontag" in result.note_de() and "26.05.2026" in result.note_de()


def test_period_ending_on_corpus_christi_moves_to_friday() -> None:
    assert BY.add(date(2026, 4, 23), Duration.parse("6w")).date == date(2026, 6, 5)


def test_period_ending_on_weekend_moves_to_monday() -> None:
    result = BY.add(date(2026, 10, 3), Duration.parse("2w"))  # Saturday 17.10.2026
    assert result.date == date(2026, 10, 19)
    assert result.reasons == ("Samstag", "Sonntag")


def test_business_days_skip_whit_monday_and_corpus_christi_from_friday_before_pentecost() -> None:
    result = BY.add(date(2026, 5, 22), Duration.parse("10bd"))
    assert result.date == date(2026, 6, 9)
    assert any("Pfingstmontag" in reason for reason in result.reasons)
    assert any("Fronleichnam" in reason for reason in result.reasons)


def test_negative_business_days_count_backwards() -> None:
    assert BY.add_business_days(date(2026, 5, 26), -1).date == date(2026, 5, 22)


def test_holidays_differ_by_land() -> None:
    berlin = BusinessCalendar(CalendarConfig(land="BE"))
    assert not BY.is_business_day(date(2026, 1, 6))  # Heilige Drei Könige, Bavaria only
    assert berlin.is_business_day(date(2026, 1, 6))
    assert not berlin.is_business_day(date(2026, 3, 8))  # Sunday anyway
    assert BY.holiday_name(date(2026, 6, 4)) == "Fronleichnam"
    assert berlin.holiday_name(date(2026, 6, 4)) is None


def test_catholic_municipalities_add_assumption_day() -> None:
    catholic = BusinessCalendar(CalendarConfig(land="BY", categories=("public", "catholic")))
    assert BY.is_business_day(date(2025, 8, 15))
    assert not catholic.is_business_day(date(2025, 8, 15))
    assert catholic.holiday_name(date(2025, 8, 15)) == "Mariä Himmelfahrt"


def test_augsburg_has_its_peace_festival() -> None:
    augsburg = BusinessCalendar(CalendarConfig(land="BY", subdivision="Augsburg"))
    assert augsburg.holiday_name(date(2025, 8, 8)) == "Augsburger Hohes Friedensfest"


def test_closing_days_and_local_holidays() -> None:
    calendar = BusinessCalendar(
        CalendarConfig(
            land="BY",
            closing_days=((12, 24, "Heiligabend"), (12, 31, "Silvester")),
            extra_holidays=((date(2026, 7, 20), "Stadtfest"),),
        )
    )
    moved = calendar.roll_forward(date(2026, 12, 24))
    assert moved.date == date(2026, 12, 28)
    assert moved.reasons == ("Heiligabend", "Erster Weihnachtstag", "Zweiter Weihnachtstag", "Sonntag")
    assert calendar.holiday_name(date(2026, 7, 20)) == "Stadtfest"
    assert BY.is_business_day(date(2026, 12, 24))


def test_unknown_land_is_refused() -> None:
    with pytest.raises(ValueError, match="Unbekanntes Land 'XX'"):
        BusinessCalendar(CalendarConfig(land="XX"))


@pytest.mark.parametrize("text", ["6", "w6", "6 weeks", "", "1.5w"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="keine Frist"):
        Duration.parse(text)
