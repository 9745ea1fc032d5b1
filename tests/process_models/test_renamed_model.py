"""The process is data: a copy of the model with every stage and event identifier renamed runs the
import, an enrolment, the sweep and the Jour-fixe agenda with the same results.

Code outside `process_models/` may ask the model for tags, flags, fact types and roles, never for a
stage or event by name; if it did, the renamed model would give other results (or fail) here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from checklists.render import render_agenda
from checklists.repository import get_series
from checklists.tables import MeetingSeries
from notifications.jobs import run_sweep
from notifications.jourfixe import agenda_for_month
from notifications.tables import OutboxContent, OutboxMessage, ReminderItem
from pipeline.importing import import_participants
from pipeline.repository import get_participant, get_region, record_event
from pipeline.tables import Agency, Enrollment, Participant, StageChange
from process_models import Event, ModelCatalog, ProcessModel
from process_models.loading.catalog import DEFINITIONS_DIR
from tests.factories import make_course, make_participant, make_region
from tests.notifications.scenario import PARTICIPANTS

TODAY = date(2026, 5, 21)
SOURCE = DEFINITIONS_DIR / "referenzprozess-2017.2.yaml"

#: The import uses stage labels, as a coordinator's spreadsheet does.
CSV = [
    "ref,nachname,vorname,geburtsjahr,plz,stufe,berechtigt_am,verpflichtet_durch,verpflichtet_am,"
    "angemeldet_am,kurstraeger,kursbeginn,kursart",
    "BA-101,Haddad,Rania,1991,96047,Angemeldet,2026-03-04,JC,2026-03-04,2026-04-12,VHS-BA,2026-06-01,general",
    "BA-102,Kovalenko,Olena,1987,96050,Berechtigt,2026-04-01,,,,,,",
    "BA-103,Rahimi,Navid,2001,96052,Im Kurs,2026-01-12,ABH,2026-01-10,2026-02-02,BFZ-BA,2026-03-02,literacy",
    "BA-104,Nasser,Omar,1999,96049,Verpflichtet,,ABH,2026-05-04,,,,",
]


def _rename(ids: list[str], prefix: str) -> dict[str, str]:
    return {old: f"{prefix}{index:02d}" for index, old in enumerate(ids)}


def _one_or_many(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [names[item] for item in value]
    return names[value]


def renamed_definition(target: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Write the model with stages renamed `phase_NN` and events `vorfall_NN`; return both maps."""
    doc = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    stages = _rename(list(doc["stages"]), "phase_")
    events = _rename(list(doc["events"]), "vorfall_")
    doc["stages"] = {stages[key]: value for key, value in doc["stages"].items()}
    doc["events"] = {events[key]: value for key, value in doc["events"].items()}
    for transition in doc["transitions"]:
        transition["from"] = _one_or_many(transition["from"], stages)
        transition["to"] = stages[transition["to"]]
        transition["event"] = _one_or_many(transition["event"], events)
    for step in doc["steps"].values():
        step["stages"] = [stages[stage] for stage in step["stages"]]
        if "answer" in step:
            step["answer"] = events[step["answer"]]
    # the cases of an older version are not part of this copy
    doc.pop("migrations", None)
    target.mkdir(parents=True, exist_ok=True)
    (target / SOURCE.name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return stages, events


def _run(engine: Engine, catalog: ModelCatalog, stage: dict[str, str], event: dict[str, str], tmp: Path) -> dict:
    """Import, enrol, sweep and render the agenda; return every result with the original ids."""
    back = {new: old for old, new in stage.items()}
    with Session(engine, expire_on_commit=False) as session:
        region = make_region(session)
        model: ProcessModel = catalog.current(region.code, land=region.land)
        make_course(session, region, code="VHS-GEN-1", provider="VHS-BA", start=date(2026, 6, 1))
        session.add(
            MeetingSeries(
                region_id=region.id,
                name="Jour fixe Integrationskurs",
                kind="jourfixe",
                rrule="FREQ=MONTHLY;BYDAY=1TU",
                starts=date(2026, 1, 1),
                start_time="09:30",
                duration_minutes=120,
                location="Landratsamt Bamberg",
                invited_agencies=[
                    agency.id for agency in session.exec(select(Agency).where(Agency.region_id == region.id)).all()
                ],
            )  # type: ignore[arg-type]
        )
        session.commit()
        for ref, (name, since, facts) in PARTICIPANTS.items():
            make_participant(session, region, model, ref=ref, stage=stage[name], since=since, **facts)
        csv_path = tmp / "teilnehmende.csv"
        csv_path.write_text("\n".join(CSV) + "\n", encoding="utf-8")
        summary = import_participants(
            session=session, path=csv_path, region=region, model=model, today=TODAY, max_bytes=1_000_000
        ).summary()
        session.commit()
        # an enrolment: registration with the VHS, then the course start in a planned course
        olena = get_participant(session=session, ref="BA-102")
        for name, payload, on in (
            ("registered", {"provider": "VHS-BA"}, date(2026, 5, 11)),
            ("course_started", {"course_id": "VHS-GEN-1"}, date(2026, 6, 1)),
        ):
            record_event(
                session=session,
                participant=olena,
                event=Event(event[name], payload, by="KT"),
                on=on,
                model=model,
                today=TODAY,
            )
        session.commit()
        enrolments = [(e.enrolled_on, e.left_on) for e in session.exec(select(Enrollment)).all()]
    sweep = run_sweep(engine=engine, catalog=catalog, region="BY-BA", today=TODAY)
    with Session(engine, expire_on_commit=False) as session:
        people = {
            p.ref: (back[p.stage], p.stage_since, p.next_step, p.next_due, p.open_step_count)
            for p in session.exec(select(Participant)).all()
        }
        history = sorted(
            (c.occurred_on, back[c.to_stage], c.from_stage and back[c.from_stage])
            for c in session.exec(select(StageChange)).all()
        )
        items = sorted((i.step, i.due, i.level, i.planned_for) for i in session.exec(select(ReminderItem)).all())
        messages = sorted(
            (m.recipient, m.subject, m.item_count, c.body_text)
            for m, c in session.exec(
                select(OutboxMessage, OutboxContent).where(OutboxMessage.id == OutboxContent.outbox_id)
            ).all()
        )
        region = get_region(session=session, code="BY-BA")
        _meeting, agenda = agenda_for_month(
            session=session,
            region=region,
            model=catalog.current(region.code, land=region.land),
            series=get_series(session=session, region=region),
            year=2026,
            month=6,
            as_of=TODAY,
            overrides_dir=None,
        )
        text = render_agenda(agenda, "txt")
        session.commit()
    return {
        "import": summary,
        "people": people,
        "history": history,
        "enrolments": enrolments,
        "sweep": (sweep.participants, sweep.open_steps, sweep.overdue, sweep.items_planned),
        "items": items,
        "messages": messages,
        "agenda": text,
    }


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelCatalog, dict[str, str], dict[str, str]]:
    directory = tmp_path_factory.mktemp("renamed")
    stages, events = renamed_definition(directory)
    return ModelCatalog(None, definitions_dir=directory), stages, events


def test_the_renamed_copy_really_renames_every_stage_and_event(
    renamed: tuple[ModelCatalog, dict[str, str], dict[str, str]],
) -> None:
    catalog, stages, events = renamed
    model = catalog.current("BY-BA", land="BY")
    assert set(model.stages) == set(stages.values()) and set(model.events) == set(events.values())
    assert not set(model.stages) & set(stages) and not set(model.events) & set(events)


def test_import_enrolment_sweep_and_agenda_are_the_same_on_a_renamed_model(
    engine: Engine, tmp_path: Path, renamed: tuple[ModelCatalog, dict[str, str], dict[str, str]]
) -> None:
    catalog, stages, events = renamed
    identity_stages = {name: name for name in stages}
    identity_events = {name: name for name in events}
    original = _run(engine, ModelCatalog(None), identity_stages, identity_events, tmp_path)
    assert original["enrolments"] == [(date(2026, 6, 1), None)]
    assert original["items"] and original["messages"] and "BA-104" in original["agenda"]
    from tests.conftest import _clear

    _clear(engine)
    copy = _run(engine, catalog, stages, events, tmp_path)
    for key, value in original.items():
        assert copy[key] == value, key


#: Packages whose code must not name a stage or an event (the demo's synthetic histories are written
#: against the shipped model on purpose and live in foerderkette/demo.py, outside this list).
PACKAGES = ("checklists", "notifications", "pipeline", "flows", "foerderkette/web", "foerderkette/cli")
#: Words that are a stage identifier and, in these places, mean something else.
OTHER_VOCABULARIES = {
    # the status of a Jour-fixe action item (open/closed), stored in action_item.status
    ("checklists/queries.py", "closed"),
    ("checklists/labels.py", "closed"),
    ("checklists/repository.py", "closed"),
    ("foerderkette/cli/jourfixe_cmd.py", "closed"),
}


def test_no_stage_or_event_identifier_is_written_in_code() -> None:
    import ast

    doc = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    identifiers = set(doc["stages"]) | set(doc["events"])
    root = DEFINITIONS_DIR.parent.parent
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and node.value in identifiers
                    and (relative, node.value) not in OTHER_VOCABULARIES
                ):
                    found.append(f"{relative}:{node.lineno}: {node.value!r}")
    assert found == []
