"""The sweep re-evaluates only rows whose cached steps may have changed or that may be due a
reminder; day after day its result must equal a full evaluation of every open participant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from notifications.jobs import run_sweep
from notifications.tables import ReminderItem
from pipeline.repository import store_state
from pipeline.tables import Participant, Region
from process_models import (
    Interruption,
    ModelCatalog,
    ParticipantState,
    ProcessModel,
    calendar_for,
    load_model,
    new_state,
    open_steps,
    steps_valid_until,
)
from process_models.reminders import remind_on, reminder_level
from tests.factories import make_participant
from tests.notifications import scenario


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    return load_model()


def _extra_participants(session: Session, region: Region, model: ProcessModel) -> None:
    # 27 in 2026: the youth migration service (JMD) until New Year, the MBE from 2027
    make_participant(
        session,
        region,
        model,
        ref="BA-YNG",
        stage="entitled",
        since=date(2026, 1, 15),
        entitled_on=date(2026, 1, 15),
        entitled_by="ABH",
        birth_year=1999,
    )
    # a running interruption extends due dates day by day (here the graduate management before
    # the planned course end; the engine pauses it for interruptions since the course start)
    facts = {
        "birth_year": 1990,
        "provider": "VHS-BA",
        "course_started_on": date(2025, 11, 3),
        "course_end_planned": date(2026, 10, 30),
    }
    paused = make_participant(session, region, model, ref="BA-INT", stage="in_course", since=date(2025, 11, 3), **facts)
    state = new_state(model, on=date(2025, 11, 3), stage="in_course", facts=facts)
    state = ParticipantState(
        state.model_version, state.stage, state.stage_since, state.facts, (Interruption(date(2026, 3, 2), None),)
    )
    store_state(paused, state, model=model, today=date(2026, 3, 2))
    session.add(paused)
    session.commit()


def _check_against_full_evaluation(engine: Engine, model: ProcessModel, day: date) -> None:
    calendar = calendar_for(model)
    with Session(engine) as session:
        planned = {
            (item.participant_id, item.step, item.due, item.level) for item in session.exec(select(ReminderItem)).all()
        }
        people = session.exec(select(Participant).where(Participant.stage.not_in(list(model.final_stages)))).all()  # type: ignore[attr-defined]
        for person in people:
            state = ParticipantState.from_json(
                person.state,
                model_version=person.model_version,
                stage=person.stage,
                stage_since=person.stage_since,
                model=model,
            )
            steps = open_steps(state, today=day, model=model)
            assert person.open_steps == [step.to_json() for step in steps], (person.ref, day)
            # the next day a step reaches a higher level: today's are planned (asserted below)
            expected = [remind_on(step, day, calendar, planned=True) for step in steps]
            assert person.next_remind == min((d for d in expected if d), default=None), (person.ref, day)
            for step in steps:
                level = reminder_level(step, day, calendar)
                if level is not None:
                    assert (person.id, step.step, step.due, level) in planned, (person.ref, step.step, day, level)


def test_incremental_sweep_equals_full_evaluation_day_after_day(
    engine: Engine, session: Session, model: ProcessModel
) -> None:
    region = scenario.build(session, model)
    _extra_participants(session, region, model)
    catalog = ModelCatalog(None)
    days = [date(2026, 5, 1) + timedelta(days=n) for n in range(80)]
    days += [date(2026, 12, 28) + timedelta(days=n) for n in range(10)]
    evaluated = []
    for day in days:
        result = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=day)
        assert result.participants == 8
        evaluated.append(result.evaluated)
        _check_against_full_evaluation(engine, model, day)
    # a step with a reminder level is looked at again only on the day of its next milestone: most
    # days evaluate only the participant whose running interruption moves its due dates daily,
    # although several overdue steps are open all along
    assert sum(1 for count in evaluated if count <= 1) > len(days) * 2 // 3, evaluated


def test_rows_from_before_the_cache_columns_are_all_evaluated_once(
    engine: Engine, session: Session, model: ProcessModel
) -> None:
    scenario.build(session, model)
    for person in session.exec(select(Participant)).all():
        person.steps_fingerprint = ""  # what migration 0007 leaves behind
        person.next_remind = None
        session.add(person)
    session.commit()
    catalog = ModelCatalog(None)
    first = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=date(2026, 2, 2))
    second = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=date(2026, 2, 2))
    assert first.evaluated == first.participants == 6
    assert second.evaluated < 6


def test_time_dependent_steps_say_when_they_may_change(model: ProcessModel) -> None:
    young = new_state(model, on=date(2026, 1, 15), stage="entitled", facts={"birth_year": 1999, "entitled_by": "ABH"})
    assert steps_valid_until(young, today=date(2026, 6, 1), model=model) == date(2027, 1, 1)
    adult = new_state(model, on=date(2026, 1, 15), stage="entitled", facts={"birth_year": 1980, "entitled_by": "ABH"})
    assert steps_valid_until(adult, today=date(2026, 6, 1), model=model) is None
    paused = ParticipantState(
        adult.model_version, "interrupted", date(2026, 3, 2), adult.facts, (Interruption(date(2026, 3, 2), None),)
    )
    assert steps_valid_until(paused, today=date(2026, 6, 1), model=model) == date(2026, 6, 2)
