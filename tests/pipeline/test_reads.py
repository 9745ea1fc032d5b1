"""The fast read path: listings over plain DB-API agree with each other and with the engine."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine

from foerderkette.demo import generate_demo
from pipeline.reads import ReadConnection, list_participants, list_participants_json, participant_detail
from process_models import ModelCatalog

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
        database = [json.loads(row) for row in list_participants_json(conn, as_of=as_of, **filters)]  # type: ignore[arg-type]
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
