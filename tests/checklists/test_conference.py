"""The Integrationskonferenz's situation analysis on hand-built cases: half-years, small groups
shown as "unter 3", the change against the previous half-year."""

from __future__ import annotations

from datetime import date

import pytest

from checklists.conference import build_report, counted, half_year
from figures.definitions import Case
from process_models import load_model

MODEL = load_model()
D = date.fromisoformat


def test_half_years_and_a_german_error() -> None:
    assert half_year("2026-H2").label == "01.07.2026 bis 31.12.2026"
    assert half_year("2027-H1").label == "01.01.2027 bis 30.06.2027"
    with pytest.raises(ValueError, match="JJJJ-H1 oder JJJJ-H2"):
        half_year("2026-Q3")


def test_small_groups_are_never_shown_exactly() -> None:
    assert [counted(n) for n in (0, 1, 2, 3, 10)] == ["0", "unter 3", "unter 3", "3", "10"]


def _case(
    birth_year: int, *, registered: str, started: str, needs: frozenset[str] = frozenset(), course_type: str = "general"
) -> Case:
    return Case(
        "in_course",
        {
            "registered_on": D(registered),
            "first_course_started_on": D(started),
            "entitled_on": D(registered),
            "course_type": course_type,
        },
        birth_year=birth_year,
        needs=needs,
    )


def test_report_aggregates_and_compares_with_the_half_year_before() -> None:
    cases = [
        # H2 2026: waits of 14, 28, 56 days → median 4 weeks
        *(_case(1990, registered="2026-07-01", started=day) for day in ("2026-07-15", "2026-07-29", "2026-08-26")),
        # H1 2026: waits of 42 and 70 days → median 8 weeks
        _case(
            1960, registered="2026-02-01", started="2026-03-15", needs=frozenset({"literacy"}), course_type="literacy"
        ),
        _case(
            2004,
            registered="2026-02-01",
            started="2026-04-12",
            needs=frozenset({"literacy", "childcare"}),
            course_type="literacy",
        ),
    ]
    report = build_report(
        "Landkreis Bamberg", "2. Halbjahr 2026", half_year("2026-H2"), cases, MODEL, today=D("2026-12-31")
    )
    waiting = next(row for row in report.figures if row.value.key == "waiting_time")
    assert waiting.value.number == pytest.approx(4.0) and waiting.previous.number == pytest.approx(8.0)
    assert waiting.change == "−4,0 Wochen"
    assert report.previous.label == "01.01.2026 bis 30.06.2026"
    ages = next(b for b in report.breakdowns if b.title.endswith("Altersgruppe"))
    assert ("35–44", "3", "60 %") in ages.rows  # born 1990: 36 at the end of 2026
    assert ("55 und älter", "unter 3", "–") in ages.rows and ("unter 25", "unter 3", "–") in ages.rows
    kinds = next(b for b in report.breakdowns if b.title.endswith("Kursart"))
    assert (MODEL.course_types["literacy"].label, "unter 3", "–") in kinds.rows
    needs = next(b for b in report.breakdowns if b.title == "Besondere Bedarfe")
    assert ("Alphabetisierung", "unter 3", "0") in needs.rows
    assert any("Herkunft" in note for note in report.notes)
