from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from pipeline.reads import NotFound, participant_detail
from pipeline.repository import get_participant, get_region, record_event, state_of
from pipeline.tables import Course, Enrollment, Participant
from process_models import Event, ProcessModel, TransitionNotAllowed, load_model
from tests.factories import make_course, make_participant, make_region


@pytest.fixture(scope="module")
def model() -> ProcessModel:
    return load_model()


def test_record_event_moves_stage_caches_steps_and_appends_history(session: Session, model: ProcessModel) -> None:
    region = make_region(session)
    person = make_participant(session, region, model, ref="BA-1", since=date(2026, 3, 2))
    record_event(
        session=session,
        participant=person,
        event=Event("obligation_imposed", {}, by="JC"),
        on=date(2026, 3, 3),
        model=model,
        today=date(2026, 3, 3),
        user="test",
    )
    record_event(
        session=session,
        participant=person,
        event=Event("registered", {"provider": "VHS-BA"}, by="KT", note="Anmeldung am Schalter"),
        on=date(2026, 4, 13),
        model=model,
        today=date(2026, 4, 13),
    )
    session.commit()
    stored = get_participant(session=session, ref="BA-1")
    assert (stored.stage, stored.stage_since) == ("registered", date(2026, 4, 13))
    assert stored.next_step == "course_start"
    assert stored.next_due == date(2026, 5, 26)
    assert stored.next_responsible == ["KT:VHS-BA", "BAMF"]
    assert stored.next_agencies == ["KT", "BAMF"]
    assert [step["step"] for step in stored.open_steps] == ["course_start", "registration_lapse"]
    assert state_of(stored, model).facts["obliged_by"] == "JC"
    detail = participant_detail(session.connection(), ref="BA-1", as_of=date(2026, 4, 13))
    assert detail is not None
    history = detail.timeline
    assert [(h.event, h.from_stage, h.to_stage, h.by_agency) for h in history] == [
        ("obligation_imposed", "recorded", "obliged", "JC"),
        ("registered", "obliged", "registered", "KT"),
    ]
    assert history[0].by_user == "test" and history[1].note == "Anmeldung am Schalter"
    assert history[1].payload == {"provider": "VHS-BA"}


def test_refused_event_changes_nothing(session: Session, model: ProcessModel) -> None:
    region = make_region(session)
    person = make_participant(session, region, model, ref="BA-2", since=date(2026, 3, 2))
    with pytest.raises(TransitionNotAllowed):
        record_event(
            session=session,
            participant=person,
            event=Event("course_started", {}),
            on=date(2026, 3, 3),
            model=model,
            today=date(2026, 3, 3),
        )
    session.rollback()
    stored = session.exec(select(Participant).where(Participant.ref == "BA-2")).one()
    assert stored.stage == "recorded"
    detail = participant_detail(session.connection(), ref="BA-2", as_of=date(2026, 3, 3))
    assert detail is not None and detail.timeline == ()


def test_course_start_enrols_and_drop_out_leaves(session: Session, model: ProcessModel) -> None:
    region = make_region(session)
    assert session.exec(select(Course)).first() is None
    make_course(session, region, code="VHS-GEN-1", provider="VHS-BA", start=date(2026, 5, 4))
    person = make_participant(
        session,
        region,
        model,
        ref="BA-3",
        stage="registered",
        since=date(2026, 4, 1),
        registered_on=date(2026, 4, 1),
        assigned_on=date(2026, 4, 1),
        provider="VHS-BA",
    )
    record_event(
        session=session,
        participant=person,
        event=Event("course_started", {"course_id": "VHS-GEN-1"}),
        on=date(2026, 5, 4),
        model=model,
        today=date(2026, 5, 4),
    )
    session.commit()
    enrollment = session.exec(select(Enrollment)).one()
    assert (enrollment.enrolled_on, enrollment.left_on) == (date(2026, 5, 4), None)
    record_event(
        session=session,
        participant=person,
        event=Event("dropped_out", {"reason": "moved"}),
        on=date(2026, 6, 1),
        model=model,
        today=date(2026, 6, 1),
    )
    session.commit()
    session.refresh(enrollment)
    assert enrollment.left_on == date(2026, 6, 1)


def test_unknown_region_and_participant_name_what_exists(session: Session) -> None:
    make_region(session)
    with pytest.raises(NotFound, match="Region 'BY-XX' gibt es nicht \\(vorhanden: BY-BA\\)"):
        get_region(session=session, code="BY-XX")
    with pytest.raises(NotFound, match="Referenz 'nope'"):
        get_participant(session=session, ref="nope")
