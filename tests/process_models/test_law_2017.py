"""One test per rule of the 2017 law that version 2017.1 of the model got wrong (issue 18).

Each test names its paragraph (IntV, AufenthG and DeuFöV as in force on 21.6.2017) and fails on
version 2017.1, which is still shipped for running cases: `test_version_2017_1_fails_these_rules`
runs the rules against it and counts the failures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from process_models import (
    Event,
    InvalidPayload,
    OpenStep,
    ParticipantState,
    ProcessModel,
    TransitionNotAllowed,
    advance,
    load_model,
    new_state,
    open_steps,
)
from process_models.loader import DEFINITIONS_DIR

ON = date(2026, 3, 2)


def current() -> ProcessModel:
    return load_model(DEFINITIONS_DIR / "referenzprozess-2017.2.yaml")


def previous() -> ProcessModel:
    return load_model(DEFINITIONS_DIR / "referenzprozess-2017.1.yaml")


def state(model: ProcessModel, stage: str, **facts: Any) -> ParticipantState:
    return new_state(model, on=ON, stage=stage, facts={"birth_year": 1990, **facts})


def steps(model: ProcessModel, current_state: ParticipantState, today: date = ON) -> dict[str, OpenStep]:
    return {step.step: step for step in open_steps(current_state, today=today, model=model)}


def who(step: OpenStep) -> list[str]:
    return [str(ref) for ref in step.responsible]


# ----------------------------------------------------------------------------------- the rules


def rule_course_start_is_a_target_from_registration_or_assignment(model: ProcessModel) -> None:
    """§ 7 Abs. 3–5 IntV: the course *soll* start within six weeks; when it does not, the provider
    informs participant and BAMF, and BAMF soll reassign obliged and kann refer entitled persons."""
    period = model.parameters["course_start_max_wait"]
    assert period.target, "a Sollfrist, not a Höchstdauer"
    assert "Höchstdauer" not in period.label
    assert period.source == "§ 7 Abs. 3–5 IntV"
    step = model.steps["course_start"]
    assert step.legal_basis == "§ 7 Abs. 3–5 IntV"
    assert "soll" in step.description and "kann" in step.description
    assert "informiert der Kursträger" in step.label


def rule_bamf_assignment_restarts_the_six_weeks(model: ProcessModel) -> None:
    """§ 7 Abs. 3, 5 IntV: a BAMF assignment (Zuweisung) to a provider starts the six weeks anew."""
    registered = advance(
        state(model, "entitled", entitled_on=ON, entitled_by="ABH"),
        Event("registered", {"provider": "VHS-BA"}, by="KT"),
        at=date(2026, 3, 9),
        model=model,
    ).state
    assigned = advance(
        registered, Event("assigned", {"provider": "BFZ-BA"}, by="BAMF"), at=date(2026, 4, 6), model=model
    )
    step = steps(model, assigned.state, date(2026, 4, 6))["course_start"]
    assert step.due == date(2026, 5, 18)
    assert who(step)[0] == "KT:BFZ-BA"
    with pytest.raises(TransitionNotAllowed, match="erfassen nur BAMF, nicht KOM"):
        advance(registered, Event("assigned", {"provider": "BFZ-BA"}, by="KOM"), at=date(2026, 4, 6), model=model)


def rule_registration_stops_the_lapse_of_the_entitlement(model: ProcessModel) -> None:
    """§ 44 Abs. 2 AufenthG, § 5 Abs. 3 S. 4 IntV: once registered with a provider, the entitlement
    no longer lapses one year after the title; only the year after the registration counts."""
    entitled = state(model, "entitled", entitled_on=ON, entitled_by="ABH", title_issued_on=ON)
    assert "entitlement_lapse" in steps(model, entitled)
    registered = advance(entitled, Event("registered", {"provider": "VHS-BA"}, by="KT"), at=ON, model=model).state
    open_now = steps(model, registered)
    assert "entitlement_lapse" not in open_now
    assert "registration_lapse" in open_now


def rule_jobcenter_entitlement_holds_until_the_stated_day(model: ProcessModel) -> None:
    """§§ 4 Abs. 1, 6 Abs. 1 S. 4 IntV: an entitlement confirmed by the Jobcenter or the Sozialamt
    is not one of § 44 AufenthG; it holds until the day stated on the confirmation."""
    confirmed = advance(
        state(model, "recorded"),
        Event("entitlement_confirmed", {"issued_by": "JC", "valid_until": "31.08.2026"}, by="JC"),
        at=ON,
        model=model,
    ).state
    assert steps(model, confirmed)["entitlement_lapse"].due == date(2026, 8, 31)
    without_day = advance(
        state(model, "recorded"), Event("entitlement_confirmed", {"issued_by": "SOZ"}, by="SOZ"), at=ON, model=model
    ).state
    assert "entitlement_lapse" not in steps(model, without_day), "no year after the title for SOZ/JC"
    by_abh = advance(
        state(model, "recorded"), Event("entitlement_confirmed", {"issued_by": "ABH"}, by="ABH"), at=ON, model=model
    ).state
    assert steps(model, by_abh)["entitlement_lapse"].nominal_due == date(2027, 3, 2)


def rule_an_obligation_does_not_lapse(model: ProcessModel) -> None:
    """§ 44a Abs. 1a AufenthG: an obligation ends only through proper participation or revocation."""
    obliged = advance(
        state(model, "entitled", entitled_on=ON, entitled_by="ABH"),
        Event("obligation_imposed", {"obliged_by": "ABH"}, by="ABH"),
        at=ON,
        model=model,
    ).state
    with pytest.raises(TransitionNotAllowed):
        advance(obliged, Event("lapsed", {"reason": "entitlement_expired"}, by="ABH"), at=ON, model=model)
    registered = advance(obliged, Event("registered", {"provider": "VHS-BA"}, by="KT"), at=ON, model=model).state
    with pytest.raises(TransitionNotAllowed, match=r"44a Abs\. 1a"):
        advance(registered, Event("lapsed", {"reason": "not_started"}, by="BAMF"), at=ON, model=model)
    revoked = advance(obliged, Event("obligation_revoked", {}, by="ABH"), at=ON, model=model)
    assert revoked.target == "entitled"
    assert "obliged_on" not in revoked.state.facts
    assert advance(revoked.state, Event("lapsed", {"reason": "entitlement_expired"}), at=ON, model=model).target == (
        "lapsed"
    )


def rule_both_agencies_may_oblige_and_reconcile(model: ProcessModel) -> None:
    """§ 44a Abs. 1 S. 3–5 AufenthG, § 8 Abs. 1 S. 2 IntV: the ABH and the Jobcenter can both oblige
    the same person; both are responsible and their lists must be reconciled."""
    first = advance(
        state(model, "recorded"), Event("obligation_imposed", {"obliged_by": "ABH"}, by="ABH"), at=ON, model=model
    ).state
    both = advance(first, Event("obligation_imposed", {"obliged_by": "JC"}, by="JC"), at=date(2026, 3, 4), model=model)
    facts = both.state.facts
    assert facts["obliging_agencies"] == ["ABH", "JC"]
    open_now = steps(model, both.state, date(2026, 3, 4))
    assert who(open_now["registration_proof"]) == ["ABH", "JC"]
    assert who(open_now["reconcile_obligations"]) == ["ABH", "JC"]
    reconciled = advance(both.state, Event("obligations_reconciled", {}, by="JC"), at=date(2026, 3, 5), model=model)
    assert "reconcile_obligations" not in steps(model, reconciled.state, date(2026, 3, 5))


def rule_repetition_only_after_proper_participation_and_failed_dtz(model: ProcessModel) -> None:
    """§§ 5 Abs. 5, 14 Abs. 6 IntV: a repetition (up to 300 UE) only after proper participation and
    a DTZ below B1."""
    repeat = Event("course_started", {"repetition": True, "hours": 300}, by="KT")
    untested = state(model, "in_exam", course_started_on=date(2025, 9, 1), proper_participation=True)
    with pytest.raises(TransitionNotAllowed, match=r"14 Abs\. 6"):
        advance(untested, repeat, at=ON, model=model)
    improper = state(model, "in_exam", course_started_on=date(2025, 9, 1), dtz_level="below_A2")
    with pytest.raises(TransitionNotAllowed):
        advance(improper, repeat, at=ON, model=model)
    proper = state(
        model, "in_exam", course_started_on=date(2025, 9, 1), dtz_level="below_A2", proper_participation=True
    )
    assert advance(proper, repeat, at=ON, model=model).target == "in_course"


def rule_sources_name_the_right_paragraphs(model: ProcessModel) -> None:
    """IntV 2017: repetition § 5 Abs. 5, group size § 14 Abs. 2; the ten business days for handling
    an absence report are a practice value, not § 8 Abs. 3 IntV."""
    assert model.parameters["repetition_hours"].source == "§ 5 Abs. 5 IntV"
    assert model.parameters["group_max"].source == "§ 14 Abs. 2 IntV"
    period = model.parameters["absence_followup_period"]
    assert "Praxiswert" in period.label and period.source == ""
    assert model.steps["repetition_or_followup"].legal_basis == "§ 5 Abs. 5 IntV"
    text = (DEFINITIONS_DIR / model.source).read_text(encoding="utf-8")
    assert "§ 5 Abs. 4 IntV" not in text


def rule_bsk_basic_module_300_hours_until_december_2018(model: ProcessModel) -> None:
    """§ 12 DeuFöV: basic modules had 300 UE until 4.12.2018 (400/500 after); the model says until
    when its rules hold."""
    assert model.valid_until == date(2018, 12, 4)
    assert model.param("bsk_hours_basic") == 300


def rule_only_providers_and_test_bodies_record_placement_tests(model: ProcessModel) -> None:
    """§§ 11 Abs. 2, 20a Abs. 5 IntV: placement tests are held by a provider or a test body
    commissioned by the BAMF, not by the Kommune."""
    entitled = state(model, "entitled", entitled_on=ON, entitled_by="ABH")
    test = {"course_type": "general"}
    with pytest.raises(TransitionNotAllowed, match="nicht KOM"):
        advance(entitled, Event("placement_tested", test, by="KOM"), at=ON, model=model)
    assert advance(entitled, Event("placement_tested", test, by="TS"), at=ON, model=model).target == "placement_tested"


def rule_graduate_management_follows_the_benefit_status(model: ProcessModel) -> None:
    """§ 44a Abs. 1 Nr. 2 AufenthG: the Jobcenter manages graduates only for SGB II recipients; the
    Agentur für Arbeit for SGB III, otherwise the migration counselling (MBE/JMD)."""
    base = {"course_started_on": ON, "course_end_planned": date(2026, 9, 25)}
    cases = {None: ["MBE"], "sgb2": ["JC"], "sgb3": ["AA"], "none": ["MBE"]}
    for status, expected in cases.items():
        facts = {**base, **({"benefit_status": status} if status else {})}
        assert who(steps(model, state(model, "in_course", **facts))["graduate_management"]) == expected, status
    young = state(model, "completed", dtz_level="B1", birth_year=2004)
    assert who(steps(model, young)["followup_plan"]) == ["JMD"]
    # starting the planned follow-up as well (it named the Jobcenter for everyone, which let it see
    # every such participant – issue 20, finding 4)
    planned = {"dtz_level": "B1", "followup_planned_on": ON}
    for status, expected in cases.items():
        facts = {**planned, **({"benefit_status": status} if status else {})}
        assert who(steps(model, state(model, "followup_planned", **facts))["followup_start"]) == expected, status


def rule_a_provider_change_needs_a_reason(model: ProcessModel) -> None:
    """§ 14 Abs. 4 IntV: a provider may be changed only for an important reason."""
    attending = state(model, "in_course", course_started_on=ON, provider="VHS-BA")
    with pytest.raises(InvalidPayload, match="Grund"):
        advance(attending, Event("provider_changed", {"provider": "BFZ-BA"}, by="KT"), at=ON, model=model)
    changed = advance(
        attending,
        Event("provider_changed", {"provider": "BFZ-BA", "reason": "Umzug"}, by="KT"),
        at=ON,
        model=model,
    )
    assert changed.state.facts["provider_change_reason"] == "moved"


RULES: list[Callable[[ProcessModel], None]] = [
    rule_course_start_is_a_target_from_registration_or_assignment,
    rule_bamf_assignment_restarts_the_six_weeks,
    rule_registration_stops_the_lapse_of_the_entitlement,
    rule_jobcenter_entitlement_holds_until_the_stated_day,
    rule_an_obligation_does_not_lapse,
    rule_both_agencies_may_oblige_and_reconcile,
    rule_repetition_only_after_proper_participation_and_failed_dtz,
    rule_sources_name_the_right_paragraphs,
    rule_bsk_basic_module_300_hours_until_december_2018,
    rule_only_providers_and_test_bodies_record_placement_tests,
    rule_graduate_management_follows_the_benefit_status,
    rule_a_provider_change_needs_a_reason,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__.removeprefix("rule_"))
def test_the_current_model_follows_the_law(rule: Callable[[ProcessModel], None]) -> None:
    rule(current())


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__.removeprefix("rule_"))
def test_version_2017_1_fails_these_rules(rule: Callable[[ProcessModel], None]) -> None:
    """Each rule is a real check: the uncorrected model of 2017.1 does not pass it."""
    failures = (AssertionError, KeyError, ValueError, TransitionNotAllowed, pytest.fail.Exception)
    with pytest.raises(failures):
        rule(previous())


# § 13 Abs. 1 Nr. 1 IntV (youth courses under 27) is checked on the demo data: tests/test_demo.py
