"""The one read path: listings and the detail agree with each other, with the writes and with
the access policy, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import orjson
import pytest
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from foerderkette.demo import generate_demo
from pipeline.access import Viewer, visible_participants
from pipeline.database import read_only_connection
from pipeline.reads import (
    NotFound,
    ParticipantFilter,
    count_participants,
    find_region,
    list_participants,
    participant_detail,
    region_codes,
)
from pipeline.repository import get_participant, record_event
from process_models import Event, ModelCatalog, load_model
from tests.factories import make_participant, make_region

AS_OF = date(2026, 11, 20)


@pytest.fixture
def conn(engine: Engine, db_url: str) -> Iterator[Connection]:
    generate_demo(engine=engine, catalog=ModelCatalog(None), participants=600, regions=2, seed=5, as_of=AS_OF)
    with read_only_connection(db_url) as connection:
        yield connection


def test_filters_select_what_they_say(conn: Connection) -> None:
    everyone = list_participants(conn, ParticipantFilter(as_of=AS_OF))
    assert len(everyone) == 600 == count_participants(conn, ParticipantFilter(as_of=AS_OF))
    overdue = list_participants(conn, ParticipantFilter(as_of=AS_OF, overdue=True))
    assert overdue == [item for item in everyone if item.due and item.due < AS_OF]
    assert all(item.days_overdue == (AS_OF - item.due).days for item in overdue if item.due)
    kt = list_participants(conn, ParticipantFilter(as_of=AS_OF, responsible="KT"))
    assert kt == [item for item in everyone if "KT" in item.responsible_agencies]
    region = list_participants(conn, ParticipantFilter(as_of=AS_OF, region="BY-BA"))
    assert region == [item for item in everyone if item.region == "BY-BA"]
    finished = [item for item in everyone if item.stage in ("employed", "in_training", "closed")]
    assert finished and all(item.due is None and item.next_step is None for item in finished)
    assert everyone.index(finished[0]) > everyone.index(
        next(item for item in everyone if item.region == finished[0].region)
    )
    page = list_participants(conn, ParticipantFilter(as_of=AS_OF), limit=50, offset=100)
    assert page == everyone[100:150]


def test_json_of_a_row_is_its_fields(conn: Connection) -> None:
    """`participants list --format json` encodes the dataclass as it is: the keys the scripts rely on."""
    row = next(item for item in list_participants(conn, ParticipantFilter(as_of=AS_OF)) if item.overdue)
    data = json.loads(orjson.dumps(row))
    assert data == row.to_json()
    assert list(data) == [
        "ref",
        "region",
        "initials",
        "stage",
        "stage_since",
        "next_step",
        "responsible_agency",
        "responsible_agencies",
        "responsible",
        "due",
        "overdue",
        "days_overdue",
        "model_version",
    ]
    assert data["due"] == row.due.isoformat() if row.due else False
    assert data["overdue"] is True and data["responsible_agency"] == data["responsible_agencies"][0]


def test_detail_has_timeline_and_open_steps(conn: Connection) -> None:
    item = next(iter(list_participants(conn, ParticipantFilter(as_of=AS_OF, stage="in_course"))))
    detail = participant_detail(conn, ref=item.ref, as_of=AS_OF)
    assert detail is not None
    assert detail.stage == "in_course" and detail.region == item.region
    assert [entry.to_stage for entry in detail.timeline][-1] == "in_course"
    assert detail.open_steps[0].step == item.next_step and detail.open_steps[0].due == item.due
    assert detail.timeline[0].recorded_at is not None and detail.timeline[0].recorded_at.tzinfo is not None
    data = detail.to_json()
    assert data["open_steps"][0]["due"] == item.due.isoformat() if item.due else False
    assert participant_detail(conn, ref="missing", as_of=AS_OF) is None


def test_a_scope_hides_what_the_viewer_may_not_see(conn: Connection) -> None:
    """Opening one record is the listing's own visibility rule: an agency user sees exactly the
    participants of the listing, and any other reference is as absent as a missing one."""
    region = find_region(conn, "BY-BA")
    viewer = Viewer(1, "jc", "JC", "agency", region.id, region.code, agency_type="JC", agency_code="JC-BA")
    scope = visible_participants(viewer, conn.dialect.name, load_model())
    seen = {row.ref for row in list_participants(conn, ParticipantFilter(as_of=AS_OF, scope=scope))}
    everyone = {row.ref for row in list_participants(conn, ParticipantFilter(as_of=AS_OF))}
    assert seen and seen < everyone
    hidden = sorted(everyone - seen)
    assert participant_detail(conn, ref=sorted(seen)[0], as_of=AS_OF, scope=scope) is not None
    assert participant_detail(conn, ref=hidden[0], as_of=AS_OF, scope=scope) is None


def test_regions_are_found_or_named(conn: Connection) -> None:
    assert region_codes(conn) == ["BY-BA", "BY-PA-S"]
    assert region_codes(conn, ["BY-PA-S"]) == ["BY-PA-S"]
    with pytest.raises(NotFound, match=r"Region .XX. gibt es nicht \(vorhanden: BY-BA, BY-PA-S\)"):
        find_region(conn, "XX")


def test_listing_follows_every_write_path(engine: Engine, db_url: str) -> None:
    """After writes through the ORM (record_event), a raw UPDATE (as the sweep and imports do) and
    an INSERT, the listing shows the rows as they are now."""
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
        with read_only_connection(db_url) as conn:
            other_ref = list_participants(conn, ParticipantFilter(as_of=AS_OF))[0].ref
        session.execute(
            text("UPDATE participant SET last_name = 'Zorn', next_due = :due WHERE id = :id"),
            {"due": date(2026, 1, 5), "id": get_participant(session=session, ref=other_ref).id},
        )
        session.commit()
    with read_only_connection(db_url) as conn:
        changed = {item.ref: item for item in list_participants(conn, ParticipantFilter(as_of=AS_OF))}
    assert changed["NEU-1"].stage == "obliged" and changed["NEU-1"].region == "BY-XX"
    assert changed[other_ref].initials.endswith("Z.") and changed[other_ref].due == date(2026, 1, 5)


def test_the_jobcenter_sees_a_planned_follow_up_only_of_its_own_benefit_recipients(engine: Engine) -> None:
    """Issue 20, finding 4: a step that named the Jobcenter for everyone let it see everyone; the
    agency rule (own participants only) is computed from the facts, the benefit status deciding."""
    from pipeline.database import session_scope

    model = load_model()
    with session_scope(engine) as session:
        region = make_region(session, code="BY-JC")
        for ref, status in (("JC-SGB2", "sgb2"), ("JC-SGB3", "sgb3"), ("JC-NONE", None)):
            facts = {"dtz_level": "B1", "followup_planned_on": AS_OF, **({"benefit_status": status} if status else {})}
            make_participant(session, region, model, ref=ref, stage="followup_planned", since=AS_OF, **facts)
        region_id = region.id
    with engine.connect() as conn:
        seen = {}
        for agency in ("JC", "AA"):
            viewer = Viewer(1, "x", "x", "agency", region_id, "BY-JC", agency_type=agency, agency_code=f"{agency}-JC")
            scope = visible_participants(viewer, conn.dialect.name, model)
            seen[agency] = {row.ref for row in list_participants(conn, ParticipantFilter(as_of=AS_OF, scope=scope))}
    assert seen == {"JC": {"JC-SGB2"}, "AA": {"JC-SGB3"}}
