"""Small, explicit test data: one region with its agencies and contacts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from pipeline.repository import store_state
from pipeline.tables import Agency, Contact, Course, Participant, Region
from process_models import ProcessModel, new_state

AGENCIES = (
    ("ABH", "ABH-BA", "Ausländerbehörde Landratsamt Bamberg"),
    ("JC", "JC-BA", "Jobcenter Bamberg-Land"),
    ("AA", "AA-BA", "Agentur für Arbeit Bamberg"),
    ("SOZ", "SOZ-BA", "Sozialamt Bamberg"),
    ("BAMF", "BAMF-BA", "BAMF Regionalkoordination Oberfranken"),
    ("KT", "VHS-BA", "Volkshochschule Bamberg-Land"),
    ("KT", "BFZ-BA", "bfz Bamberg"),
    ("MBE", "MBE-BA", "Caritas Migrationsberatung"),
    ("JMD", "JMD-BA", "Jugendmigrationsdienst Bamberg"),
    ("KOM", "KOM-BA", "Landratsamt Bamberg – Integration"),
)


def make_region(
    session: Session, code: str = "BY-BA", name: str = "Landkreis Bamberg", *, contacts: bool = True
) -> Region:
    region = Region(code=code, name=name, land="BY")
    session.add(region)
    session.flush()
    suffix = code.removeprefix("BY-").lower()
    for type_, agency_code, agency_name in AGENCIES:
        agency = Agency(
            region_id=region.id,
            code=agency_code if code == "BY-BA" else agency_code.replace("BA", suffix.upper()),
            type=type_,
            name=agency_name,
        )  # type: ignore[arg-type]
        session.add(agency)
        session.flush()
        if contacts:
            slug = agency.code.lower()
            roles = ["coordinator", "lead"] if type_ == "KOM" else ["case_worker", "lead"]
            for role in roles:
                session.add(
                    Contact(
                        agency_id=agency.id,
                        name=f"{role.title()} {agency.code}",
                        email=f"{role}@{slug}.bamberg.example",
                        role=role,
                    )
                )  # type: ignore[arg-type]
    session.commit()
    return region


def make_course(session: Session, region: Region, *, code: str, provider: str, start: date) -> Course:
    """A general integration course of `provider` (an agency code of the region) in Bamberg."""
    agency = session.exec(select(Agency).where(Agency.region_id == region.id, Agency.code == provider)).one()
    course = Course(
        region_id=region.id,
        code=code,
        provider_id=agency.id,
        course_type="general",
        site="Bamberg",
        planned_start=start,
        capacity=25,
    )  # type: ignore[arg-type]
    session.add(course)
    session.commit()
    return course


def make_participant(
    session: Session,
    region: Region,
    model: ProcessModel,
    *,
    ref: str,
    stage: str = "recorded",
    since: date,
    today: date | None = None,
    **facts: Any,
) -> Participant:
    state = new_state(model, on=since, stage=stage, facts={"birth_year": 1990, **facts})
    participant = Participant(
        region_id=region.id,
        ref=ref,
        last_name="Haddad",
        first_name="Rania",
        birth_year=1990,
        model_version=model.version,
        stage=stage,
        stage_since=since,
    )  # type: ignore[arg-type]
    store_state(participant, state, model=model, today=today or since)
    session.add(participant)
    session.commit()
    return participant
