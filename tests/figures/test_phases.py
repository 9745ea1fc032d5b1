"""The phases of the reference process (the tasks of a daily-sweep run), from tags and groups."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from figures.phases import phase_counts, process_phases
from pipeline.reads import agency_names
from process_models import load_model
from tests.factories import make_participant, make_region

MODEL = load_model()


def test_every_stage_is_in_exactly_one_phase_in_model_order() -> None:
    phases = process_phases(MODEL)
    assert [p.label for p in phases][:3] == ["Zusteuerung", "Integrationskurs", "Prüfung"]
    assert "Sprache → Beruf" in [p.label for p in phases] and "Arbeit / Ausbildung" in [p.label for p in phases]
    stages = [stage for phase in phases for stage in phase.stages]
    assert sorted(stages) == sorted(MODEL.stages) and len(stages) == len(set(stages))
    before = next(p for p in phases if p.label == "Zusteuerung")
    assert set(before.stages) == set(MODEL.stages_tagged("before_course"))


def test_phase_counts_persons_overdue_and_agencies(engine: Engine) -> None:
    today = date(2026, 11, 23)
    with Session(engine) as session:
        region = make_region(session)
        # three persons before the course: two with an overdue next step (the Jobcenter's and the ABH's)
        late = [
            make_participant(session, region, MODEL, ref=f"P-{n}", stage="obliged", since=today - timedelta(days=90))
            for n in (1, 2)
        ]
        make_participant(session, region, MODEL, ref="P-3", stage="entitled", since=today)
        make_participant(session, region, MODEL, ref="P-4", stage="in_course", since=today - timedelta(days=10))
        for person, agencies in zip(late, (["JC"], ["ABH"]), strict=True):
            person.next_due, person.next_agencies = today - timedelta(days=3), agencies
            session.add(person)
        session.commit()
        assert region.id is not None
        names = agency_names(session.connection(), region.id)
        phases = {p.label: p for p in process_phases(MODEL)}
        before = phase_counts(
            session.connection(), region.id, phases["Zusteuerung"], MODEL, today=today, agency_names=names
        )
        course = phase_counts(
            session.connection(), region.id, phases["Integrationskurs"], MODEL, today=today, agency_names=names
        )
    assert (before.persons, before.overdue) == (3, 2)
    assert before.stages[MODEL.stage_label("obliged")] == (2, 2)
    assert sum(before.agencies.values()) == 2 and len(before.agencies) == 2
    assert (course.persons, course.overdue) == (1, 0)
