"""The fast read path: listings over plain DB-API agree with each other and with the engine."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from foerderkette.demo import generate_demo
from pipeline.reads import ReadConnection, list_participants, list_participants_json, participant_detail
from pipeline.repository import get_participant, record_event
from process_models import Event, ModelCatalog
from tests.factories import make_participant, make_region

AS_OF = date(2026, 11, 20)


@pytest.fixture
def conn(engine: Engine, db_url: str) -> ReadConnection:
    generate_demo(engine=engine, catalog=ModelCatalog(None), participants=600, regions=2, seed=5, as_of=AS_OF)
    return ReadConnection.open(db_url)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"region": "BY-PA-S"},
        {"stage": "registered"},
        {"overdue": True},
        {"responsible": "KT"},
        {"responsible": "JC", "overdue": True, "region": "BY-BA"},
    ],
)
def test_database_built_json_equals_the_python_listing(conn: ReadConnection, filters: dict[str, object]) -> None:
    for as_of in (AS_OF, date(2027, 3, 1)):
        python = list_participants(conn, as_of=as_of, **filters)  # type: ignore[arg-type]
        database = [json.loads(row) for batch in list_participants_json(conn, as_of=as_of, **filters) for row in batch]  # type: ignore[arg-type]
        assert python and database == python


def test_filters_select_what_they_say(conn: ReadConnection) -> None:
    everyone = list_participants(conn, as_of=AS_OF)
    assert len(everyone) == 600
    overdue = list_participants(conn, as_of=AS_OF, overdue=True)
    assert overdue == [item for item in everyone if item["due"] and item["due"] < AS_OF.isoformat()]
    kt = list_participants(conn, as_of=AS_OF, responsible="KT")
    assert kt == [item for item in everyone if "KT" in item["responsible_agencies"]]
    finished = [item for item in everyone if item["stage"] in ("employed", "in_training", "closed")]
    assert finished and all(item["due"] is None and item["next_step"] is None for item in finished)
    assert everyone.index(finished[0]) > everyone.index(
        next(item for item in everyone if item["region"] == finished[0]["region"])
    )


def test_detail_has_timeline_and_open_steps(conn: ReadConnection) -> None:
    item = next(item for item in list_participants(conn, as_of=AS_OF, stage="in_course"))
    detail = participant_detail(conn, ref=item["ref"], as_of=AS_OF)
    assert detail is not None
    assert detail["stage"] == "in_course"
    assert [entry["to_stage"] for entry in detail["timeline"]][-1] == "in_course"
    assert detail["open_steps"][0]["step"] == item["next_step"]
    assert participant_detail(conn, ref="missing", as_of=AS_OF) is None


def test_listing_column_follows_every_write_path(engine: Engine, db_url: str) -> None:
    """The prepared JSON rows (database triggers) stay equal to the Python listing after writes
    through the ORM (record_event), a raw UPDATE (as the sweep and imports do) and an INSERT."""

    catalog = ModelCatalog(None)
    generate_demo(engine=engine, catalog=catalog, participants=60, regions=1, seed=3, as_of=AS_OF)
    with Session(engine) as session:
        model = catalog.current("BY-BA", land="BY")
        person = make_participant(session, make_region(session, code="BY-XX"), model, ref="NEU-1", since=AS_OF)
        record_event(
            session=session,
            participant=person,
            event=Event("obligation_imposed", {}, by="JC"),
            on=AS_OF,
            model=model,
            today=AS_OF,
        )
        with ReadConnection.open(db_url) as conn:
            other_ref = list_participants(conn, as_of=AS_OF)[0]["ref"]
        session.execute(
            text("UPDATE participant SET last_name = 'Zorn', next_due = :due WHERE id = :id"),
            {"due": date(2026, 1, 5), "id": get_participant(session=session, ref=other_ref).id},
        )
        session.commit()
    with ReadConnection.open(db_url) as conn:
        python = list_participants(conn, as_of=AS_OF)
        database = [json.loads(row) for batch in list_participants_json(conn, as_of=AS_OF) for row in batch]
    assert database == python
    changed = {item["ref"]: item for item in database}
    assert changed["NEU-1"]["stage"] == "obliged" and changed["NEU-1"]["region"] == "BY-XX"
    assert changed[other_ref]["initials"].endswith("Z.") and changed[other_ref]["due"] == "2026-01-05"
