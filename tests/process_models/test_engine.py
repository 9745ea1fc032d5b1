"""Table-driven tests of the process engine: every transition, every refusal, every guard."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from process_models import (
    Event,
    InvalidPayload,
    ParticipantState,
    ProcessModel,
    TransitionNotAllowed,
    VersionMigrationError,
    advance,
    load_model_text,
    migrate_state,
    new_state,
    open_steps,
)
from process_models.loader import current_definition_path

#: The reference process's transition table (from, event, to). Reviewed against DOMAIN.md and
#: the IntV/AufenthG of 2017; a change to the YAML shows up here as a diff.
EXPECTED_TRANSITIONS = {
    # recorded
    ("recorded", "entitlement_confirmed", "entitled"),
    ("recorded", "admission_granted", "entitled"),
    ("recorded", "obligation_imposed", "obliged"),
    ("recorded", "case_closed", "closed"),
    # entitled
    ("entitled", "obligation_imposed", "obliged"),
    ("entitled", "entitlement_confirmed", "entitled"),
    ("entitled", "admission_granted", "entitled"),
    ("entitled", "placement_tested", "placement_tested"),
    ("entitled", "registered", "registered"),
    ("entitled", "lapsed", "lapsed"),
    ("entitled", "case_closed", "closed"),
    # dropped_out
    ("dropped_out", "obligation_imposed", "obliged"),
    ("dropped_out", "entitlement_confirmed", "entitled"),
    ("dropped_out", "registered", "registered"),
    ("dropped_out", "followup_planned", "followup_planned"),
    ("dropped_out", "measure_started", "in_measure"),
    ("dropped_out", "training_started", "in_training"),
    ("dropped_out", "employment_started", "employed"),
    ("dropped_out", "case_closed", "closed"),
    # lapsed
    ("lapsed", "obligation_imposed", "obliged"),
    ("lapsed", "entitlement_confirmed", "entitled"),
    ("lapsed", "admission_granted", "entitled"),
    ("lapsed", "training_started", "in_training"),
    ("lapsed", "employment_started", "employed"),
    ("lapsed", "case_closed", "closed"),
    # obliged
    ("obliged", "entitlement_confirmed", "obliged"),
    ("obliged", "admission_granted", "obliged"),
    ("obliged", "obligation_imposed", "obliged"),
    ("obliged", "placement_tested", "placement_tested"),
    ("obliged", "registered", "registered"),
    ("obliged", "obligations_reconciled", "obliged"),
    ("obliged", "obligation_revoked", "entitled"),
    ("obliged", "obligation_revoked", "recorded"),
    ("obliged", "case_closed", "closed"),
    # placement_tested
    ("placement_tested", "placement_tested", "placement_tested"),
    ("placement_tested", "entitlement_confirmed", "placement_tested"),
    ("placement_tested", "admission_granted", "placement_tested"),
    ("placement_tested", "obligation_imposed", "placement_tested"),
    ("placement_tested", "registered", "registered"),
    ("placement_tested", "lapsed", "lapsed"),
    ("placement_tested", "case_closed", "closed"),
    # registered
    ("registered", "course_started", "in_course"),
    ("registered", "placement_tested", "registered"),
    ("registered", "provider_changed", "registered"),
    ("registered", "entitlement_confirmed", "registered"),
    ("registered", "obligation_imposed", "registered"),
    ("registered", "interrupted", "interrupted"),
    ("registered", "dropped_out", "dropped_out"),
    ("registered", "lapsed", "lapsed"),
    ("registered", "case_closed", "closed"),
    # in_course
    ("in_course", "module_completed", "in_exam"),
    ("in_course", "module_completed", "in_course"),
    ("in_course", "absence_reported", "in_course"),
    ("in_course", "absence_followed_up", "in_course"),
    ("in_course", "provider_changed", "in_course"),
    ("in_course", "followup_planned", "in_course"),
    ("in_course", "obligation_imposed", "in_course"),
    ("in_course", "interrupted", "interrupted"),
    ("in_course", "test_result", "completed"),
    ("in_course", "test_result", "in_exam"),
    ("in_course", "dropped_out", "dropped_out"),
    ("in_course", "case_closed", "closed"),
    # interrupted
    ("interrupted", "resumed", "in_course"),
    ("interrupted", "resumed", "registered"),
    ("interrupted", "provider_changed", "interrupted"),
    ("interrupted", "absence_followed_up", "interrupted"),
    ("interrupted", "absence_reported", "interrupted"),
    ("interrupted", "dropped_out", "dropped_out"),
    ("interrupted", "lapsed", "lapsed"),
    ("interrupted", "case_closed", "closed"),
    # in_exam
    ("in_exam", "test_result", "completed"),
    ("in_exam", "test_result", "in_exam"),
    ("in_exam", "absence_followed_up", "in_exam"),
    ("in_exam", "course_started", "in_course"),
    ("in_exam", "dropped_out", "dropped_out"),
    ("in_exam", "followup_planned", "followup_planned"),
    ("in_exam", "case_closed", "closed"),
    # completed
    ("completed", "course_started", "in_course"),
    ("completed", "followup_planned", "followup_planned"),
    ("completed", "bsk_registered", "bsk_registered"),
    ("completed", "measure_started", "in_measure"),
    ("completed", "training_started", "in_training"),
    ("completed", "employment_started", "employed"),
    ("completed", "case_closed", "closed"),
    # in_bsk
    ("in_bsk", "dropped_out", "dropped_out"),
    ("in_bsk", "bsk_completed", "bsk_completed"),
    ("in_bsk", "training_started", "in_training"),
    ("in_bsk", "employment_started", "employed"),
    ("in_bsk", "case_closed", "closed"),
    # in_measure
    ("in_measure", "dropped_out", "dropped_out"),
    ("in_measure", "measure_completed", "measure_completed"),
    ("in_measure", "training_started", "in_training"),
    ("in_measure", "employment_started", "employed"),
    ("in_measure", "case_closed", "closed"),
    # followup_planned
    ("followup_planned", "followup_planned", "followup_planned"),
    ("followup_planned", "bsk_registered", "bsk_registered"),
    ("followup_planned", "measure_started", "in_measure"),
    ("followup_planned", "training_started", "in_training"),
    ("followup_planned", "employment_started", "employed"),
    ("followup_planned", "case_closed", "closed"),
    # bsk_completed
    ("bsk_completed", "followup_planned", "followup_planned"),
    ("bsk_completed", "bsk_registered", "bsk_registered"),
    ("bsk_completed", "measure_started", "in_measure"),
    ("bsk_completed", "training_started", "in_training"),
    ("bsk_completed", "employment_started", "employed"),
    ("bsk_completed", "case_closed", "closed"),
    # measure_completed
    ("measure_completed", "followup_planned", "followup_planned"),
    ("measure_completed", "bsk_registered", "bsk_registered"),
    ("measure_completed", "measure_started", "in_measure"),
    ("measure_completed", "training_started", "in_training"),
    ("measure_completed", "employment_started", "employed"),
    ("measure_completed", "case_closed", "closed"),
    # bsk_registered
    ("bsk_registered", "bsk_registered", "bsk_registered"),
    ("bsk_registered", "bsk_started", "in_bsk"),
    ("bsk_registered", "measure_started", "in_measure"),
    ("bsk_registered", "training_started", "in_training"),
    ("bsk_registered", "employment_started", "employed"),
    ("bsk_registered", "case_closed", "closed"),
}
# 2017.2: obligations reconciled or revoked, the benefit status, BAMF assignments (§ 7 Abs. 3 IntV)
EXPECTED_TRANSITIONS |= {
    (stage, event, stage)
    for stage in ("placement_tested", "registered", "in_course", "interrupted", "in_exam")
    for event in ("obligation_revoked", "obligations_reconciled")
}
EXPECTED_TRANSITIONS |= {
    (stage, "benefit_status_recorded", stage)
    for stage in (
        "recorded",
        "entitled",
        "obliged",
        "placement_tested",
        "registered",
        "in_course",
        "interrupted",
        "in_exam",
        "completed",
        "followup_planned",
    )
}
EXPECTED_TRANSITIONS |= {
    (stage, "assigned", "registered")
    for stage in ("entitled", "obliged", "placement_tested", "registered", "dropped_out")
}

ON = date(2026, 3, 2)
LATER = date(2026, 3, 16)

#: A valid payload for each event.
SAMPLE_PAYLOAD: dict[str, dict[str, Any]] = {
    "entitlement_confirmed": {"issued_by": "ABH"},
    "admission_granted": {},
    "obligation_imposed": {"obliged_by": "JC"},
    "placement_tested": {"course_type": "general"},
    "registered": {"provider": "VHS-BA"},
    "course_started": {"planned_end": "2026-10-30"},
    "module_completed": {"module": 3, "hours": 100},
    "absence_reported": {"days": 3},
    "absence_followed_up": {"measure": "warning"},
    "interrupted": {"reason": "illness"},
    "resumed": {},
    "provider_changed": {"provider": "BFZ-BA", "reason": "moved"},
    "assigned": {"provider": "BFZ-BA"},
    "obligations_reconciled": {},
    "obligation_revoked": {},
    "benefit_status_recorded": {"status": "sgb2"},
    "test_result": {"dtz_level": "B1", "lid_points": 20},
    "dropped_out": {"reason": "moved"},
    "lapsed": {"reason": "not_started"},
    "followup_planned": {"path": "bsk"},
    "bsk_registered": {"level": "B2", "issued_by": "JC", "provider": "BSK-BA"},
    "bsk_started": {},
    "bsk_completed": {"result": "passed"},
    "measure_started": {"type": "activation", "agency": "JC"},
    "measure_completed": {},
    "training_started": {"employer": "Brose"},
    "employment_started": {"employer": "Bosch"},
    "case_closed": {"reason": "moved_away"},
}

#: Facts a participant in each stage plausibly has (enough for every guard's happy path).
STAGE_FACTS: dict[str, dict[str, Any]] = {
    "interrupted": {"interrupted_on": ON},
    "in_exam": {"course_started_on": date(2025, 9, 1), "dtz_level": "below_A2", "proper_participation": True},
    "completed": {"dtz_level": "A2", "test_date": ON, "proper_participation": True},
    "obliged": {"obliged_on": ON, "obliged_by": "JC"},
}

#: Payload or facts that select a guarded transition's target.
VARIANTS: dict[tuple[str, str, str], tuple[dict[str, Any], dict[str, Any]]] = {
    ("in_course", "module_completed", "in_exam"): ({"final": True}, {}),
    ("in_course", "module_completed", "in_course"): ({"final": False}, {}),
    ("interrupted", "resumed", "in_course"): ({}, {"course_started_on": date(2025, 9, 1)}),
    ("interrupted", "resumed", "registered"): ({}, {}),
    ("obliged", "obligation_revoked", "entitled"): ({}, {"entitled_on": ON}),
    ("in_course", "test_result", "completed"): ({"dtz_level": "A2"}, {}),
    ("in_course", "test_result", "in_exam"): ({"dtz_level": "below_A2"}, {}),
    ("in_exam", "test_result", "completed"): ({"dtz_level": "B1"}, {}),
    ("in_exam", "test_result", "in_exam"): ({"dtz_level": "below_A2"}, {}),
    ("in_exam", "course_started", "in_course"): ({"repetition": True, "hours": 300}, {}),
    ("completed", "course_started", "in_course"): ({"repetition": True, "hours": 200}, {}),
}


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    from process_models import load_model

    return load_model()


def state_in(model: ProcessModel, stage: str, **facts: Any) -> ParticipantState:
    base = {"birth_year": 1990, **STAGE_FACTS.get(stage, {}), **facts}
    state = new_state(model, on=ON, stage=stage, facts=base)
    if stage == "interrupted":
        from process_models import Interruption

        state = replace(state, interruptions=(Interruption(ON, None),))
    return state


def roundtrip(state: ParticipantState, model: ProcessModel) -> ParticipantState:
    """Serialise and reload, as the database does between every step."""
    return ParticipantState.from_json(
        state.to_json(),
        model_version=state.model_version,
        stage=state.stage,
        stage_since=state.stage_since,
        model=model,
    )


def test_transition_table_is_exactly_the_reviewed_one(model: ProcessModel) -> None:
    assert {(t.source, t.event, t.target) for t in model.transitions} == EXPECTED_TRANSITIONS


@pytest.mark.parametrize(("source", "event", "target"), sorted(EXPECTED_TRANSITIONS))
def test_every_allowed_transition(model: ProcessModel, source: str, event: str, target: str) -> None:
    payload_extra, facts = VARIANTS.get((source, event, target), ({}, {}))
    state = roundtrip(state_in(model, source, **facts), model)
    payload = {**SAMPLE_PAYLOAD[event], **payload_extra}
    transition = advance(state, Event(event, payload), at=LATER, model=model)
    assert (transition.source, transition.target) == (source, target)
    assert roundtrip(transition.state, model) == transition.state
    expected_since = LATER if target != source else state.stage_since
    assert transition.state.stage_since == expected_since


def _refused_pairs() -> list[tuple[str, str]]:
    from process_models import load_model

    model = load_model(current_definition_path())
    allowed = {(source, event) for source, event, _ in EXPECTED_TRANSITIONS}
    return sorted((stage, event) for stage in model.stages for event in model.events if (stage, event) not in allowed)


@pytest.mark.parametrize(("stage", "event"), _refused_pairs())
def test_every_refused_pair_names_stage_event_and_alternatives(model: ProcessModel, stage: str, event: str) -> None:
    state = state_in(model, stage)
    with pytest.raises(TransitionNotAllowed) as info:
        advance(state, Event(event, SAMPLE_PAYLOAD[event]), at=LATER, model=model)
    message = str(info.value)
    # German labels only, no identifiers (the English message keeps them for logs)
    assert f"„{model.event_label(event)}“" in message and f"„{model.stage_label(stage)}“" in message
    assert f"({event})" not in message and f"({stage})" not in message
    assert "Erlaubt:" in message
    assert f"'{event}'" in info.value.message_en and f"'{stage}'" in info.value.message_en
    assert info.value.allowed == model.allowed_events(stage)


def test_final_stages_allow_nothing(model: ProcessModel) -> None:
    for stage in model.final_stages:
        assert model.allowed_events(stage) == ()
    with pytest.raises(TransitionNotAllowed, match="keine \\(Endzustand\\)"):
        advance(state_in(model, "employed"), Event("case_closed", {"reason": "other"}), at=LATER, model=model)


# ---------------------------------------------------------------- guards


@pytest.mark.parametrize(
    ("payload", "facts", "reason"),
    [
        ({"repetition": False, "hours": 300}, {}, "nur eine Wiederholung"),
        ({"repetition": True, "hours": 301}, {}, "nur eine Wiederholung"),
        ({"repetition": True}, {}, "nur eine Wiederholung"),
        ({"repetition": True, "hours": 100}, {"repetition_used": True}, "nur eine Wiederholung"),
    ],
)
def test_repetition_after_exam_is_guarded(
    model: ProcessModel, payload: dict[str, Any], facts: dict[str, Any], reason: str
) -> None:
    with pytest.raises(TransitionNotAllowed, match=reason):
        advance(state_in(model, "in_exam", **facts), Event("course_started", payload), at=LATER, model=model)


def test_no_repetition_after_b1(model: ProcessModel) -> None:
    state = state_in(model, "completed", dtz_level="B1")
    with pytest.raises(TransitionNotAllowed, match="nur bei verfehltem B1"):
        advance(state, Event("course_started", {"repetition": True, "hours": 100}), at=LATER, model=model)


def test_repetition_is_used_once(model: ProcessModel) -> None:
    state = state_in(model, "completed", dtz_level="A2")
    state = advance(state, Event("course_started", {"repetition": True, "hours": 300}), at=LATER, model=model).state
    assert state.facts["repetition_used"] is True
    assert "dtz_level" not in state.facts  # the old result no longer describes the participant
    state = advance(
        state, Event("module_completed", {"module": 6, "final": True}), at=date(2026, 9, 1), model=model
    ).state
    state = advance(state, Event("test_result", {"dtz_level": "A2"}), at=date(2026, 9, 20), model=model).state
    assert state.stage == "completed"
    with pytest.raises(TransitionNotAllowed):
        advance(state, Event("course_started", {"repetition": True, "hours": 100}), at=date(2026, 10, 1), model=model)


def test_certificate_needs_b1_and_15_lid_points(model: ProcessModel) -> None:
    from process_models.engine import holds
    from process_models.spec import Condition

    certificate = Condition("fact", "certificate", "eq", True)
    assert holds(certificate, {"dtz_level": "B1", "lid_points": 15}, {}, model)
    assert not holds(certificate, {"dtz_level": "B1", "lid_points": 14}, {}, model)
    assert not holds(certificate, {"dtz_level": "A2", "lid_points": 33}, {}, model)


def test_actor_must_be_allowed_to_record_the_event(model: ProcessModel) -> None:
    state = state_in(model, "recorded")
    with pytest.raises(TransitionNotAllowed, match="nur ABH, JC, SOZ"):
        advance(state, Event("obligation_imposed", {"obliged_by": "JC"}, by="KT"), at=LATER, model=model)
    by_coordinator = advance(state, Event("obligation_imposed", {"obliged_by": "JC"}, by="KOM"), at=LATER, model=model)
    assert by_coordinator.target == "obliged"
    by_jobcenter = advance(state, Event("obligation_imposed", {}, by="JC"), at=LATER, model=model)
    assert by_jobcenter.state.facts["obliged_by"] == "JC"  # defaults to the recording agency


def test_event_dated_before_current_stage_is_refused(model: ProcessModel) -> None:
    with pytest.raises(TransitionNotAllowed, match="liegt vor dem Beginn der aktuellen Stufe"):
        advance(
            state_in(model, "recorded"),
            Event("entitlement_confirmed", {"issued_by": "ABH"}),
            at=date(2026, 3, 1),
            model=model,
        )


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("registered", {}, "„Kursträger (Kürzel)“ fehlt"),
        ("test_result", {"dtz_level": "C1"}, "Wert „C1“ ist nicht vorgesehen (möglich: B1, A2, unter A2)"),
        ("test_result", {"dtz_level": "B1", "lid_points": 34}, "höchstens 33"),
        ("test_result", {"dtz_level": "B1", "lid_points": "viele"}, "keine ganze Zahl"),
        ("registered", {"provider": "X", "expected_start": "31.02.2026"}, "kein Datum"),
        ("registered", {"provider": "X", "colour": "blue"}, "Feld 'colour' gibt es"),
        ("entitlement_confirmed", {"issued_by": "KT"}, "keine zulässige Stelle"),
    ],
)
def test_invalid_payloads_are_refused_in_german(
    model: ProcessModel, event: str, payload: dict[str, Any], message: str
) -> None:
    stage = {"registered": "entitled", "test_result": "in_exam", "entitlement_confirmed": "recorded"}[event]
    with pytest.raises(InvalidPayload, match=message.replace("(", "\\(").replace(")", "\\)")):
        advance(state_in(model, stage), Event(event, payload), at=LATER, model=model)


def test_payload_accepts_german_input(model: ProcessModel) -> None:
    state = state_in(model, "in_course")
    transition = advance(
        state, Event("module_completed", {"module": "6", "final": "ja", "hours": "100"}), at=LATER, model=model
    )
    assert transition.target == "in_exam"
    assert transition.payload == {"module": 6, "final": True, "hours": 100}
    registered = advance(
        state_in(model, "placement_tested"),
        Event(
            "registered", {"provider": "VHS", "expected_start": "04.05.2026", "course_type": "Alphabetisierungskurs"}
        ),
        at=LATER,
        model=model,
    )
    assert registered.state.facts["expected_start"] == date(2026, 5, 4)
    assert registered.state.facts["course_type"] == "literacy"


def test_interruptions_are_recorded_and_closed(model: ProcessModel) -> None:
    state = state_in(model, "in_course", course_started_on=date(2026, 1, 12))
    state = advance(state, Event("interrupted", {"reason": "pregnancy"}), at=date(2026, 4, 1), model=model).state
    assert state.interrupted
    state = advance(state, Event("resumed"), at=date(2026, 7, 1), model=model).state
    assert not state.interrupted
    assert state.stage == "in_course"
    assert [tuple(i) for i in state.interruptions] == [(date(2026, 4, 1), date(2026, 7, 1))]


def test_counters_add_up(model: ProcessModel) -> None:
    state = state_in(model, "in_course")
    for days in (2, 3):
        state = advance(state, Event("absence_reported", {"days": days}), at=LATER, model=model).state
    assert state.facts["absence_days_total"] == 5


# ---------------------------------------------------------------- versions

NEXT_VERSION_PATCH = {'version: "2017.2"': 'version: "2024.1"'}


def _next_version_text(mapping: bool) -> str:
    text = current_definition_path().read_text(encoding="utf-8")
    for old, new in NEXT_VERSION_PATCH.items():
        assert old in text, old
        text = text.replace(old, new)
    text = re.sub(r"\brecorded\b", "known", text)  # the stage, renamed
    text = text.replace('migrations:\n  - from_version: "2017.1"\n', "")
    if mapping:
        text += '\nmigrations:\n  - from_version: "2017.2"\n    stages: {recorded: known}\n'
    return text


def test_running_cases_move_to_a_new_version_only_through_an_explicit_mapping(model: ProcessModel) -> None:
    state = state_in(model, "recorded")
    newer = load_model_text(_next_version_text(mapping=True), name="next.yaml")
    migrated = migrate_state(state, target=newer)
    assert (migrated.model_version, migrated.stage) == ("2024.1", "known")
    assert migrated.facts == state.facts
    without = load_model_text(_next_version_text(mapping=False), name="next.yaml")
    with pytest.raises(VersionMigrationError, match="keine Zuordnung"):
        migrate_state(state, target=without)


def test_advance_refuses_a_state_of_another_version(model: ProcessModel) -> None:
    newer = load_model_text(_next_version_text(mapping=True), name="next.yaml")
    with pytest.raises(VersionMigrationError, match="erst migrieren"):
        advance(state_in(model, "recorded"), Event("case_closed", {"reason": "other"}), at=LATER, model=newer)


def test_open_steps_only_for_open_stages(model: ProcessModel) -> None:
    for stage in model.final_stages:
        assert open_steps(state_in(model, stage), today=LATER, model=model) == []
