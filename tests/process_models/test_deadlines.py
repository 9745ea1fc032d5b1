"""Every deadline of DOMAIN.md, computed through the engine's open steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from process_models import (
    Event,
    Interruption,
    OpenStep,
    ParticipantState,
    ProcessModel,
    advance,
    load_model,
    load_model_text,
    new_state,
    open_steps,
)
from process_models.loader import current_definition_path


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    return load_model()


def steps_of(model: ProcessModel, state: ParticipantState, today: date) -> dict[str, OpenStep]:
    return {step.step: step for step in open_steps(state, today=today, model=model)}


def in_stage(model: ProcessModel, stage: str, since: date, **facts: Any) -> ParticipantState:
    return new_state(model, on=since, stage=stage, facts={"birth_year": 1985, **facts})


def responsible(step: OpenStep) -> list[str]:
    return [str(ref) for ref in step.responsible]


def test_obliged_but_not_registered_after_two_weeks_goes_to_the_obliging_agency(model: ProcessModel) -> None:
    state = in_stage(model, "recorded", date(2026, 3, 2))
    state = advance(state, Event("obligation_imposed", {}, by="ABH"), at=date(2026, 3, 3), model=model).state
    step = steps_of(model, state, date(2026, 3, 10))["registration_proof"]
    assert step.due == date(2026, 3, 17)
    assert responsible(step) == ["ABH"]
    assert not step.overdue
    late = steps_of(model, state, date(2026, 3, 20))["registration_proof"]
    assert late.overdue and late.days_overdue == 3


def test_six_week_course_start_from_registration_moved_off_whit_monday(model: ProcessModel) -> None:
    state = in_stage(
        model,
        "registered",
        date(2026, 4, 13),
        registered_on=date(2026, 4, 13),
        assigned_on=date(2026, 4, 13),
        provider="VHS-BA",
    )
    step = steps_of(model, state, date(2026, 4, 14))["course_start"]
    assert step.nominal_due == date(2026, 5, 25)
    assert step.due == date(2026, 5, 26)
    assert "Pfingstmontag" in step.due_note
    assert responsible(step) == ["KT:VHS-BA", "BAMF"]
    assert step.legal_basis == "§ 7 Abs. 3–5 IntV"


def test_registration_on_the_friday_before_pentecost(model: ProcessModel) -> None:
    """A calendar period is not extended by holidays inside it; business-day periods are."""
    friday = date(2026, 5, 22)
    state = in_stage(
        model,
        "entitled",
        friday,
        entitled_on=date(2026, 1, 15),
        entitled_by="JC",
        obliged_on=date(2026, 5, 8),
        obliged_by="JC",
    )
    state = advance(state, Event("registered", {"provider": "VHS-BA"}), at=friday, model=model).state
    assert steps_of(model, state, friday)["course_start"].due == date(2026, 7, 3)


def test_absence_reported_on_the_friday_before_pentecost(model: ProcessModel) -> None:
    friday = date(2026, 5, 22)
    state = in_stage(
        model,
        "in_course",
        date(2026, 3, 2),
        course_started_on=date(2026, 3, 2),
        obliged_by="SOZ",
        obliged_on=date(2026, 1, 5),
    )
    reported = advance(state, Event("absence_reported", {"days": 4}), at=friday, model=model).state
    followup = steps_of(model, reported, friday)["absence_followup"]
    assert followup.due == date(2026, 6, 9)  # ten business days without Pfingstmontag and Fronleichnam
    assert "Pfingstmontag 25.05.2026 nicht mitgezählt" in followup.due_note
    assert "Fronleichnam 04.06.2026 nicht mitgezählt" in followup.due_note
    assert [str(ref) for ref in followup.responsible] == ["SOZ"]


def test_reassignment_restarts_the_six_weeks(model: ProcessModel) -> None:
    state = in_stage(
        model,
        "registered",
        date(2026, 1, 12),
        registered_on=date(2026, 1, 12),
        assigned_on=date(2026, 1, 12),
        provider="VHS-BA",
    )
    state = advance(
        state,
        Event("provider_changed", {"provider": "BFZ-BA", "reason": "moved"}, by="BAMF"),
        at=date(2026, 3, 2),
        model=model,
    ).state
    step = steps_of(model, state, date(2026, 3, 2))["course_start"]
    assert step.due == date(2026, 4, 13)
    assert responsible(step) == ["KT:BFZ-BA", "BAMF"]
    assert state.facts["registered_on"] == date(
        2026, 1, 12
    )  # the waiting time still counts from the first registration


@pytest.mark.parametrize(
    ("facts", "due", "who"),
    [
        # § 44 Abs. 2 AufenthG: one year after the residence title; 01.11.2026 is Sunday and Allerheiligen
        (
            {"entitled_on": date(2025, 12, 1), "entitled_by": "ABH", "title_issued_on": date(2025, 11, 1)},
            date(2026, 11, 2),
            ["ABH", "MBE"],
        ),
        # §§ 4, 6 Abs. 1 S. 4 IntV: a Jobcenter entitlement holds until the day on its confirmation
        (
            {"entitled_on": date(2026, 2, 10), "entitled_by": "JC", "entitlement_valid_until": date(2026, 8, 31)},
            date(2026, 8, 31),
            ["JC", "MBE"],
        ),
        # § 5 Abs. 3 IntV: BAMF admission one year, three months for asylum seekers
        (
            {"entitled_on": date(2026, 1, 31), "admitted_on": date(2026, 1, 31), "entitled_by": "BAMF"},
            date(2027, 2, 1),
            ["BAMF", "MBE"],
        ),
        (
            {
                "entitled_on": date(2026, 1, 31),
                "admitted_on": date(2026, 1, 31),
                "entitled_by": "BAMF",
                "admission_asylum": True,
            },
            date(2026, 4, 30),
            ["BAMF", "MBE"],
        ),
        (
            {
                "entitled_on": date(2026, 2, 10),
                "entitled_by": "SOZ",
                "entitlement_valid_until": date(2027, 2, 10),
                "birth_year": 2000,
            },
            date(2027, 2, 10),
            ["SOZ", "JMD"],
        ),
    ],
)
def test_entitlement_lapse(model: ProcessModel, facts: dict[str, Any], due: date, who: list[str]) -> None:
    state = in_stage(model, "entitled", facts["entitled_on"], **facts)
    step = steps_of(model, state, date(2026, 3, 1))["entitlement_lapse"]
    assert step.due == due
    assert responsible(step) == who
    assert step.reminders.lead.label_de() == "8 Wochen"


def test_lapse_clock_pauses_while_interrupted(model: ProcessModel) -> None:
    """§ 4 Abs. 1 S. 3 IntV: one year from registration; an interruption before the start extends it."""
    state = in_stage(
        model,
        "registered",
        date(2026, 1, 12),
        registered_on=date(2026, 1, 12),
        assigned_on=date(2026, 1, 12),
        provider="VHS-BA",
    )
    assert steps_of(model, state, date(2026, 1, 13))["registration_lapse"].due == date(2027, 1, 12)
    state = advance(state, Event("interrupted", {"reason": "pregnancy"}), at=date(2026, 2, 2), model=model).state
    assert set(steps_of(model, state, date(2026, 2, 3))) == {"interruption_lapse"}
    state = advance(state, Event("resumed"), at=date(2026, 4, 6), model=model).state
    assert state.stage == "registered"
    step = steps_of(model, state, date(2026, 4, 6))["registration_lapse"]
    assert step.due == date(2027, 3, 16)  # 12.01.2027 + 63 days of interruption
    assert "63 Tage Unterbrechung" in step.due_note


def test_interruption_lapses_after_one_year(model: ProcessModel) -> None:
    state = in_stage(
        model, "interrupted", date(2026, 6, 4), interrupted_on=date(2026, 6, 4), provider="VHS-BA", birth_year=2001
    )
    state = replace(state, interruptions=(Interruption(date(2026, 6, 4), None),))
    step = steps_of(model, state, date(2026, 6, 5))["interruption_lapse"]
    assert step.due == date(2027, 6, 4)
    assert responsible(step) == ["KT:VHS-BA", "JMD"]


def test_unexcused_absence_of_an_obliged_person_goes_to_the_obliging_agency(model: ProcessModel) -> None:
    state = in_stage(
        model,
        "in_course",
        date(2026, 3, 2),
        course_started_on=date(2026, 3, 2),
        obliged_by="JC",
        obliged_on=date(2026, 1, 5),
    )
    state = advance(state, Event("absence_reported", {"days": 3}, by="KT"), at=date(2026, 4, 1), model=model).state
    step = steps_of(model, state, date(2026, 4, 1))["absence_followup"]
    assert responsible(step) == ["JC"]
    assert step.due == date(2026, 4, 17)  # ten business days; Karfreitag and Ostermontag skipped
    state = advance(
        state, Event("absence_followed_up", {"measure": "warning"}, by="JC"), at=date(2026, 4, 8), model=model
    ).state
    assert "absence_followup" not in steps_of(model, state, date(2026, 4, 8))
    state = advance(state, Event("absence_reported", {"days": 2}, by="KT"), at=date(2026, 5, 4), model=model).state
    assert "absence_followup" in steps_of(model, state, date(2026, 5, 4))


def test_absence_of_a_volunteer_is_nobodys_enforcement_step(model: ProcessModel) -> None:
    state = in_stage(model, "in_course", date(2026, 3, 2), course_started_on=date(2026, 3, 2))
    state = advance(state, Event("absence_reported", {"days": 3}), at=date(2026, 4, 1), model=model).state
    assert "absence_followup" not in steps_of(model, state, date(2026, 4, 1))


def test_graduate_management_before_course_end_extended_by_interruptions(model: ProcessModel) -> None:
    state = in_stage(
        model,
        "registered",
        date(2026, 2, 2),
        registered_on=date(2026, 2, 2),
        assigned_on=date(2026, 2, 2),
        provider="VHS-BA",
        benefit_status="sgb2",
    )
    state = advance(
        state, Event("course_started", {"planned_end": "2026-09-25"}), at=date(2026, 3, 2), model=model
    ).state
    step = steps_of(model, state, date(2026, 3, 2))["graduate_management"]
    assert (step.due, responsible(step)) == (date(2026, 9, 25), ["JC"])
    assert step.reminders.lead.label_de() == "8 Wochen"
    state = advance(state, Event("interrupted", {"reason": "illness"}), at=date(2026, 5, 4), model=model).state
    state = advance(state, Event("resumed"), at=date(2026, 5, 18), model=model).state
    assert steps_of(model, state, date(2026, 5, 18))["graduate_management"].due == date(2026, 10, 9)
    state = advance(state, Event("followup_planned", {"path": "bsk"}, by="JC"), at=date(2026, 8, 3), model=model).state
    assert "graduate_management" not in steps_of(model, state, date(2026, 8, 3))


def test_graduate_management_without_reported_end_assumes_the_default_duration(model: ProcessModel) -> None:
    state = in_stage(model, "in_course", date(2026, 3, 2), course_started_on=date(2026, 3, 2))
    assert steps_of(model, state, date(2026, 3, 2))["graduate_management"].due == date(2026, 10, 2)


def test_berufssprachkurs_not_started_after_four_weeks(model: ProcessModel) -> None:
    state = in_stage(model, "completed", date(2026, 5, 4), dtz_level="B1", test_date=date(2026, 5, 4))
    state = advance(
        state, Event("bsk_registered", {"level": "B2", "provider": "BSK-BA"}, by="AA"), at=date(2026, 6, 1), model=model
    ).state
    step = steps_of(model, state, date(2026, 6, 1))["bsk_start"]
    assert step.due == date(2026, 6, 29)
    assert responsible(step) == ["KT:BSK-BA", "BAMF", "AA"]


@pytest.mark.parametrize(
    ("measure", "planned_end", "due"),
    [
        ("eq", None, date(2027, 3, 1)),  # Einstiegsqualifizierung: at most 12 months
        ("activation", None, date(2026, 6, 1)),
        ("activation", "2026-04-10", date(2026, 4, 10)),
    ],
)
def test_measure_end(model: ProcessModel, measure: str, planned_end: str | None, due: date) -> None:
    state = in_stage(model, "completed", date(2026, 2, 2), dtz_level="B1")
    payload = {"type": measure, "planned_end": planned_end}
    state = advance(state, Event("measure_started", payload, by="AA"), at=date(2026, 3, 1), model=model).state
    step = steps_of(model, state, date(2026, 3, 1))["measure_end"]
    assert (step.due, responsible(step)) == (due, ["AA"])


def test_exam_and_followup_steps(model: ProcessModel) -> None:
    state = in_stage(
        model,
        "in_course",
        date(2026, 3, 2),
        course_started_on=date(2026, 3, 2),
        provider="VHS-BA",
        benefit_status="sgb2",
    )
    state = advance(
        state, Event("module_completed", {"module": 6, "final": True}), at=date(2026, 10, 2), model=model
    ).state
    assert steps_of(model, state, date(2026, 10, 2))["exam_result"].due == date(2026, 11, 13)
    failed = advance(state, Event("test_result", {"dtz_level": "below_A2"}), at=date(2026, 10, 20), model=model).state
    assert set(steps_of(model, failed, date(2026, 10, 20))) == {"repetition_or_followup"}
    passed = advance(
        state, Event("test_result", {"dtz_level": "B1", "lid_points": 25}), at=date(2026, 10, 20), model=model
    ).state
    step = steps_of(model, passed, date(2026, 10, 20))["followup_plan"]
    assert (step.due, responsible(step)) == (date(2026, 11, 17), ["JC"])


def test_a_region_overrides_a_deadline_and_its_calendar() -> None:
    base = current_definition_path().read_text(encoding="utf-8")
    override = """
region: BY-BA
parameters:
  course_start_max_wait: 8w
calendar:
  categories: [public, catholic]
  closing_days: {"12-24": Heiligabend, "12-31": Silvester}
steps:
  course_start:
    reminders: {lead: 10bd}
"""
    model = load_model_text(base, name="base.yaml", override_text=override, override_name="BY-BA.yaml")
    assert model.region == "BY-BA" and model.parameters["course_start_max_wait"].overridden
    state = new_state(
        model,
        on=date(2026, 10, 29),
        stage="registered",
        facts={"registered_on": date(2026, 10, 29), "assigned_on": date(2026, 10, 29), "provider": "VHS"},
    )
    step = steps_of(model, state, date(2026, 10, 29))["course_start"]
    assert step.due == date(2026, 12, 28)  # 24.12. closed, Christmas, Sunday
    assert step.reminders.lead.label_de() == "10 Arbeitstage"
    assert model.reminders.lead.label_de() == "5 Arbeitstage"
