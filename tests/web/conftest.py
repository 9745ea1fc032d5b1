"""A small, realistic world for the web UI: demo data for two regions, explicit participants, one user per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from foerderkette.app import App
from foerderkette.demo import generate_demo
from foerderkette.settings import Settings
from foerderkette.users import create_user
from foerderkette.web.app import create_app
from notifications.jobs import land_figures, run_sweep
from notifications.tables import OutboxMessage
from pipeline.repository import find_agency, get_region
from tests.conftest import _clear
from tests.factories import make_participant

PASSWORD = "ein-langes-Test-Passwort"
SECRET = "test-secret-" + "k" * 32
#: username → (role, agency code)
USERS = {
    "koord": ("coordinator", None),
    "jobcenter": ("agency", "JC-BA"),
    "kurstraeger": ("agency", "CAR-BA"),
    "leser": ("readonly", None),
    "koord-pa": ("coordinator", None),
}
XSS = '<script>alert("x")</script>'


@dataclass
class World:
    app: App
    settings: Settings
    today: date
    other_region_ref: str
    failed_message_id: int


def _today(settings: Settings) -> date:
    return datetime.now(settings.tz).date()


@pytest.fixture(scope="module")
def world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings.from_env(
        {},
        database_url=db_url,
        secret_key=SECRET,
        cookie_secure=False,
        mailer="memory",
        overrides_dir=tmp_path_factory.mktemp("regions"),
    )
    app = App(settings)
    _clear(app.engine)
    day = _today(settings)
    generate_demo(engine=app.engine, catalog=app.catalog, participants=240, regions=2, seed=7, as_of=day)
    with app.session() as session:
        bamberg = get_region(session=session, code="BY-BA")
        model = app.model(bamberg)
        since = day - timedelta(days=20)
        make_participant(session, bamberg, model, ref="T-JC-1", stage="obliged", since=since, obliged_by="JC")
        make_participant(session, bamberg, model, ref="T-ABH-1", stage="recorded", since=since)
        make_participant(
            session,
            bamberg,
            model,
            ref="T-KT-1",
            stage="registered",
            since=since,
            provider="CAR-BA",
            course_type="general",
        )
        xss = make_participant(session, bamberg, model, ref="T-XSS-1", stage="recorded", since=since)
        xss.last_name = XSS
        session.add(xss)
        for username, (role, agency_code) in USERS.items():
            region = get_region(session=session, code="BY-PA-S" if username.endswith("-pa") else "BY-BA")
            agency = find_agency(session=session, region=region, code=agency_code) if agency_code else None
            create_user(
                session=session,
                username=username,
                display_name=f"Test {username}",
                password=PASSWORD,
                role=role,
                region=region,
                agency=agency,
            )
        passau = get_region(session=session, code="BY-PA-S")
    run_sweep(engine=app.engine, catalog=app.catalog, region="BY-BA", today=day)
    for code in ("BY-BA", "BY-PA-S"):  # the Land view's rows, as the daily sweep run stores them
        land_figures(app, region=code, today=day)
    with app.session() as session:
        message = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()  # type: ignore[arg-type]
        assert message is not None and message.id is not None
        message.status, message.last_error, message.attempts = "failed", "550 Postfach unbekannt", 8
        session.add(message)
        failed_id = message.id
        from pipeline.tables import Participant

        other = session.exec(select(Participant.ref).where(Participant.region_id == passau.id)).first()
        assert other is not None
    yield World(app=app, settings=settings, today=day, other_region_ref=other, failed_message_id=failed_id)
    app.dispose()


def token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match[1]


def new_client(world: World) -> TestClient:
    return TestClient(create_app(world.settings, app=world.app), follow_redirects=False)


def login(world: World, username: str, password: str = PASSWORD) -> TestClient:
    client = new_client(world)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf_token": token_of(form.text), "username": username, "password": password, "next": "/pipeline"},
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    """One logged-in client per user (for read-only checks; tests that log out make their own)."""
    return {username: login(world, username) for username in USERS}


def screenshots_dir() -> Path:
    from tests.conftest import ROOT

    folder = ROOT / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def send_this_months_invitations(world: World) -> int:
    """Queue the Jour fixe's invitations of this month, which stores its agenda snapshot; its id."""
    from checklists.repository import get_series, meeting_for_month
    from notifications.jourfixe import checklist_for, send_invitations

    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        model = world.app.model(region)
        series = get_series(session=session, region=region, name=None)
        meeting = meeting_for_month(
            session=session, series=series, year=world.today.year, month=world.today.month, model=model
        )
        sent = send_invitations(
            session=session,
            region=region,
            model=model,
            series=series,
            meeting=meeting,
            checklist=checklist_for(series, region, model, world.settings.overrides_dir),
            today=world.today,
            mail_from="koordination@landkreis.example",
        )
        assert sent.snapshot_id is not None
        return sent.snapshot_id
