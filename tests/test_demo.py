"""The demo generator: realistic spread, deterministic for a seed."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from foerderkette.demo import generate_demo
from pipeline.tables import Agency, Contact, Course, Enrollment, Participant, Region, StageChange
from process_models import ModelCatalog, load_model

AS_OF = date(2026, 11, 20)


def _digest(engine: Engine) -> str:
    with Session(engine) as session:
        rows = session.exec(
            select(
                Participant.ref, Participant.last_name, Participant.stage, Participant.stage_since, Participant.state
            ).order_by(Participant.ref)
        ).all()
        history = session.exec(select(func.count()).select_from(StageChange)).one()
        courses = session.exec(select(Course.code).order_by(Course.code)).all()
    return hashlib.sha256(repr((rows, history, courses)).encode()).hexdigest()


def test_demo_is_deterministic_and_realistic(engine: Engine) -> None:
    catalog = ModelCatalog(None)
    summary = generate_demo(engine=engine, catalog=catalog, participants=2000, regions=3, seed=42, as_of=AS_OF)
    first = _digest(engine)
    generate_demo(engine=engine, catalog=catalog, participants=2000, regions=3, seed=42, as_of=AS_OF, replace=True)
    assert _digest(engine) == first
    generate_demo(engine=engine, catalog=catalog, participants=2000, regions=3, seed=43, as_of=AS_OF, replace=True)
    assert _digest(engine) != first
    generate_demo(engine=engine, catalog=catalog, participants=2000, regions=3, seed=42, as_of=AS_OF, replace=True)

    model = load_model()
    assert summary.participants == 2000 and summary.regions == 3
    assert set(summary.by_stage) == set(model.stages), set(model.stages) - set(summary.by_stage)
    with Session(engine) as session:
        assert session.exec(select(Region.code).order_by(Region.code)).all() == ["BY-BA", "BY-MUE", "BY-PA-S"]
        types = {agency.type for agency in session.exec(select(Agency)).all()}
        assert types == {"ABH", "JC", "AA", "SOZ", "BAMF", "KT", "MBE", "JMD", "KOM"}
        assert all(
            "@" in contact.email and contact.email.endswith(".example")
            for contact in session.exec(select(Contact)).all()
        )
        assert {c.course_type for c in session.exec(select(Course).where(Course.kind == "ik")).all()} == set(
            model.course_types
        )
        assert session.exec(select(func.count()).select_from(Course).where(Course.kind == "bsk")).one() > 0
        assert session.exec(select(func.count()).select_from(Enrollment)).one() > 0
        upcoming = session.exec(
            select(Course).where(Course.planned_start > AS_OF, Course.planned_start <= AS_OF + timedelta(days=92))
        ).all()  # type: ignore[operator]
        assert upcoming
        participants = session.exec(select(Participant)).all()
        overdue = [p for p in participants if p.next_due and p.next_due < AS_OF]
        assert 0.1 < len(overdue) / len(participants) < 0.6
        lapsing = [
            p
            for p in participants
            if any(
                s["step"] == "entitlement_lapse" and AS_OF <= date.fromisoformat(s["due"]) <= AS_OF + timedelta(weeks=8)
                for s in p.open_steps
            )
        ]
        assert lapsing
        follow_on = [
            p for p in participants if p.stage in ("bsk_registered", "in_bsk", "in_measure", "followup_planned")
        ]
        assert follow_on
        assert all(p.stage_since <= AS_OF for p in participants)
        needs = [p for p in participants if p.childcare or p.literacy or p.part_time]
        assert 0.1 < len(needs) / len(participants) < 0.7
        # § 13 Abs. 1 Nr. 1 IntV: youth courses for people who have not yet turned 27
        assert not [p for p in participants if p.youth and p.birth_year and AS_OF.year - p.birth_year >= 27]
        # § 44a Abs. 1a AufenthG: an obligation does not lapse
        assert not [p for p in participants if p.stage == "lapsed" and p.state["facts"].get("obliged_on")]


def test_demo_creates_web_accounts_and_replaces_them(engine: Engine) -> None:
    import pytest

    from foerderkette.demo import DemoError
    from foerderkette.users import User, authenticate

    catalog = ModelCatalog(None)
    for _ in range(2):  # --replace removes the region with its accounts, then creates both again
        summary = generate_demo(
            engine=engine,
            catalog=catalog,
            participants=40,
            regions=1,
            seed=1,
            as_of=AS_OF,
            replace=True,
            login_password="demo-foerderkette",
        )
    assert summary.users == ["koordination", "jobcenter", "kurstraeger", "lesen"]
    with Session(engine) as session:
        user = authenticate(session=session, username="jobcenter", password="demo-foerderkette")
        assert user is not None and user.role == "agency"
        agency = session.get(Agency, user.agency_id)
        assert agency is not None and agency.type == "JC"
        assert authenticate(session=session, username="koordination", password="falsch-falsch") is None
        assert len(session.exec(select(User)).all()) == 4
    with pytest.raises(DemoError, match="mindestens 12 Zeichen"):
        generate_demo(
            engine=engine,
            catalog=catalog,
            participants=40,
            regions=1,
            seed=1,
            as_of=AS_OF,
            replace=True,
            login_password="kurz",
        )
