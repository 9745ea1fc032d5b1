"""The demo generator: realistic spread, deterministic for a seed."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from foerderkette.demo import generate_demo
from foerderkette.demo_data import MUNICIPALITIES
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
        # every course type is wanted; the rare formats only come about where enough people want them
        wanted = {p.state["facts"].get("course_type") for p in session.exec(select(Participant)).all()}
        assert wanted - {None} == set(model.course_types)
        run = {c.course_type for c in session.exec(select(Course).where(Course.kind == "ik")).all()}
        assert {"general", "literacy"} <= run and len(run) >= 4
        # real municipalities with their own postcodes (public facts), no made-up ones
        places = {(name, code) for region in MUNICIPALITIES.values() for name, code, _ in region}
        homes = {(p.location, p.postcode) for p in session.exec(select(Participant)).all()}
        assert homes <= places and len(homes) > 30
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


def _figure(figures: list[tuple[str, str, str]], label: str) -> float:
    value = next(value for name, value, _ in figures if name == label)
    return float(value.split(" ")[0].replace(",", "."))


def test_demo_figures_look_like_a_real_landkreis(engine: Engine) -> None:
    """The figures `foerderkette demo` prints, read back from the database, near the published ones."""
    summary = generate_demo(
        engine=engine, catalog=ModelCatalog(None), participants=6000, regions=5, seed=1, as_of=AS_OF
    )
    figures = summary.figures
    assert 58 <= _figure(figures, "Verpflichtete unter den Berechtigten und Verpflichteten") <= 75
    assert 42 <= _figure(figures, "DTZ-Ergebnis B1") <= 56
    assert 34 <= _figure(figures, "DTZ-Ergebnis A2") <= 48
    assert 5 <= _figure(figures, "DTZ-Ergebnis unter A2") <= 15
    assert 9 <= _figure(figures, "Kursende ohne Test (vor mehr als 60 Tagen beendet)") <= 21
    started = _figure(figures, "Begonnene Integrationskurse")
    assert 13 <= _figure(figures, "Teilnehmende je begonnenem Kurs (Durchschnitt)") <= 20
    assert 0 < _figure(figures, "Begonnene Kurse voll belegt") < started / 2
    assert 0 < _figure(figures, "Begonnene Kurse unter der Mindestgröße") <= started * 0.15
    assert _figure(figures, "davon bisher unter der Mindestgröße") < _figure(figures, "Kurse der nächsten drei Monate")
    assert _figure(figures, "Kursbeginne eines Kursträgers am selben Tag (höchstens)") == 1
    assert _figure(figures, "Kursorte") >= 10 and _figure(figures, "Wohnorte") >= 60
    for label in (
        "Fehlzeitenmeldungen",
        "Trägerwechsel",
        "Zuweisungen durch das BAMF",
        "Wiederholungen",
        "Verpflichtungen durch das Sozialamt",
        "Widerrufene Verpflichtungen",
    ):
        assert _figure(figures, label) > 0, label


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
            login_password="Zusteuerung-Demo-26",
        )
    assert summary.users == ["koordination", "jobcenter", "kurstraeger", "lesen"]
    with Session(engine) as session:
        user = authenticate(session=session, username="jobcenter", password="Zusteuerung-Demo-26")
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
