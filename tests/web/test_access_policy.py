"""Issue 20: one access policy for every route, enforced by role and ownership, and agendas that
show each agency only its own participants (the rest counted) and wide audiences only numbers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import select

from checklists.tables import ActionItem, MeetingSeries
from foerderkette.web.app import create_app
from foerderkette.web.policy import POLICY, matrix_markdown, rule_for
from notifications.tables import OutboxContent, OutboxMessage
from pipeline.access import Viewer, visible_participants
from pipeline.repository import find_agency, get_region
from pipeline.tables import Agency, Contact, Participant
from tests.conftest import ROOT
from tests.web.conftest import USERS, World, login, new_client, send_this_months_invitations, token_of

#: a person as every agenda names one: "REF (II)"
LABEL = re.compile(r"([A-Za-z0-9._/-]{1,40}) \(([^()]{0,12})\)")


def _region_refs(world: World) -> set[str]:
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        return set(session.exec(select(Participant.ref).where(Participant.region_id == region.id)).all())


def _named(text: str, refs: set[str]) -> set[str]:
    return {match[1] for match in LABEL.finditer(html.unescape(text)) if match[1] in refs}


def _visible(world: World, username: str) -> set[str]:
    """What the user may see anywhere else: the participant listing's rule."""
    role, agency_code = USERS[username]
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        agency = find_agency(session=session, region=region, code=agency_code) if agency_code else None
        assert region.id is not None
        viewer = Viewer(
            user_id=0,
            username=username,
            display_name=username,
            role=role,
            region_id=region.id,
            region_code=region.code,
            agency_type=agency.type if agency else None,
            agency_code=agency.code if agency else None,
            agency_name=agency.name if agency else None,
        )
        connection = session.connection()
        where, params = visible_participants(viewer, connection.dialect.name, world.app.model(region))
        from sqlalchemy import text

        return {row[0] for row in connection.execute(text(f"SELECT p.ref FROM participant p WHERE {where}"), params)}


# --------------------------------------------------------------------------- the policy


def _walk(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI keeps those as one entry each; no
    router here has a prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _walk(route.original_router.routes)


def _routes(world: World) -> set[tuple[str, str]]:
    web = create_app(world.settings, app=world.app)
    return {(method, route.path) for route in _walk(web.routes) for method in route.methods if method != "HEAD"}


def test_every_route_has_exactly_one_entry_in_the_policy(world: World) -> None:
    routes = _routes(world)
    assert routes - set(POLICY) == set(), "routes without a rule in foerderkette/web/policy.py"
    assert set(POLICY) - routes == set(), "rules for routes that do not exist"


def test_a_route_missing_from_the_policy_is_refused(world: World, clients: dict[str, TestClient]) -> None:
    """Fail closed: a view added without a rule answers 403 to everyone, never its content."""
    web = create_app(world.settings, app=world.app)
    from fastapi import Depends

    from foerderkette.web.deps import current_viewer

    @web.get("/ungeregelt")
    def unruled(viewer: Viewer = Depends(current_viewer)) -> dict[str, str]:
        return {"geheim": "ja"}

    client = TestClient(web, follow_redirects=False)
    client.cookies = clients["koord"].cookies
    response = client.get("/ungeregelt")
    assert response.status_code == 403 and "geheim" not in response.text


def test_the_readme_access_matrix_is_the_policy() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert matrix_markdown() in readme, "README access matrix differs: paste foerderkette.web.policy.matrix_markdown()"


def _concrete(path: str, world: World, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: ids[match[1]], path)


@pytest.fixture(scope="module")
def ids(world: World) -> dict[str, str]:
    snapshot_id = send_this_months_invitations(world)
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        action = session.exec(select(ActionItem).where(ActionItem.region_id == region.id)).first()
        assert action is not None
        from pipeline.reads import RegionRow
        from planning.coordination import testing_for_region

        tests = testing_for_region(
            session.connection(),
            RegionRow(region.id or 0, region.code, region.name, region.land),
            world.app.model(region),
            today=world.today,
            months=3,
            max_wait_minutes=90,
        )
        return {
            "datum": tests.dates[0].day.isoformat(),
            "ref": "T-ABH-1",
            "monat": f"{world.today:%Y-%m}",
            "snapshot_id": str(snapshot_id),
            "message_id": str(world.failed_message_id),
            "action_id": str(action.id),
            "suffix": "csv",
            "token": "ungueltig",
            "region": "BY-BA",
            "punkt": "waiting",
        }


ANONYMOUS = "anonym"


@pytest.mark.parametrize("user", [ANONYMOUS, *[name for name in USERS if not name.endswith("-pa")]])
def test_every_route_answers_every_role_as_the_policy_says(
    world: World, clients: dict[str, TestClient], ids: dict[str, str], user: str
) -> None:
    """The role gate of every route for every role: anonymous users are sent to the login, a role
    the rule excludes gets 403 with the rule's German reason, an allowed one gets past the gate."""
    client = new_client(world) if user == ANONYMOUS else login(world, user)  # its own: the matrix logs out
    token = token_of(client.get("/login").text if user == ANONYMOUS else client.get("/pipeline").text)
    role = USERS[user][0] if user != ANONYMOUS else None
    for method, path in sorted(POLICY, key=lambda key: key == ("POST", "/logout")):  # logging out last
        rule = rule_for(method, path)
        url = _concrete(path, world, ids) + ("?reihe=Jour+fixe+Integrationskurs" if "{monat}" in path else "")
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token, "release": "1"})
        where = f"{method} {url} as {user}"
        if (method, path) == ("POST", "/logout"):  # the one route whose success is the login page
            assert response.status_code in ((403,) if role is None else (303,)), where
            continue
        if role is None:
            if rule.needs_login:
                assert response.status_code == 303 and response.headers["location"].startswith("/login"), where
            else:
                assert response.status_code != 403, where
        elif rule.allows(role):
            assert response.status_code != 403 or html.escape(rule.denied, quote=False) not in response.text, where
            assert not response.headers.get("location", "").startswith("/login"), where
        else:
            assert response.status_code == 403, where
            assert html.escape(rule.denied, quote=False) in response.text, where


#: ownership inside allowed routes: (user, method, path, expected status)
OWNERSHIP = [
    ("jobcenter", "GET", "/teilnehmende/T-JC-1", 200),
    ("jobcenter", "GET", "/teilnehmende/T-KT-1", 404),
    ("jobcenter", "POST", "/teilnehmende/T-KT-1/ereignis", 404),
    ("jobcenter", "POST", "/teilnehmende/T-KT-1/wiedervorlage", 404),
    ("kurstraeger", "GET", "/teilnehmende/T-KT-1", 200),
    ("kurstraeger", "GET", "/teilnehmende/T-JC-1", 404),
    ("kurstraeger", "POST", "/teilnehmende/T-JC-1/ereignis", 404),
    ("koord", "GET", "/teilnehmende/T-KT-1/zugriffe", 200),
    ("leser", "GET", "/teilnehmende/T-KT-1/zugriffe", 403),
    ("jobcenter", "GET", "/teilnehmende/T-JC-1/zugriffe", 403),
    ("koord-pa", "GET", "/teilnehmende/T-KT-1", 404),
    ("koord-pa", "GET", "/teilnehmende/T-KT-1/zugriffe", 404),
]


@pytest.mark.parametrize(("user", "method", "path", "expected"), OWNERSHIP)
def test_ownership_inside_allowed_routes(
    clients: dict[str, TestClient], user: str, method: str, path: str, expected: int
) -> None:
    client = clients[user]
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": token_of(client.get("/pipeline").text), "event": "x"})
    assert response.status_code == expected, response.text[:300]


def test_the_access_log_shows_who_read_the_record(world: World, clients: dict[str, TestClient]) -> None:
    clients["jobcenter"].get("/teilnehmende/T-JC-1")
    page = clients["koord"].get("/teilnehmende/T-JC-1/zugriffe")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Zugriffsprotokoll" in text and "jobcenter" in text and "angesehen" in text
    assert "view_participant" not in text  # German, no identifiers
    assert 'href="/teilnehmende/T-JC-1/zugriffe"' in clients["koord"].get("/teilnehmende/T-JC-1").text
    assert "/zugriffe" not in clients["jobcenter"].get("/teilnehmende/T-JC-1").text


# --------------------------------------------------------------------------- agendas (finding 1)


@pytest.mark.parametrize("user", ["jobcenter", "kurstraeger"])
def test_an_agency_reads_only_its_own_participants_in_agenda_and_snapshot(
    world: World, clients: dict[str, TestClient], ids: dict[str, str], user: str
) -> None:
    """Finding 1: the Jobcenter saw 105, the two providers 189 and 185 participants in the agenda
    that they may see nowhere else."""
    refs = _region_refs(world)
    allowed = _visible(world, user)
    full = _named(clients["koord"].get(f"/jourfixe/{ids['monat']}/tagesordnung").text, refs)
    for url in (f"/jourfixe/{ids['monat']}/tagesordnung", f"/jourfixe/stand/{ids['snapshot_id']}"):
        page = clients[user].get(url)
        assert page.status_code == 200, url
        named = _named(page.text, refs)
        assert named <= allowed, f"{url}: {sorted(named - allowed)[:5]} are not the {user}'s"
        assert "nur gezählt" in html.unescape(page.text), url
        assert "Fassung für" in html.unescape(page.text), url
    assert full - allowed, "the coordination's agenda names participants of other agencies (else this proves nothing)"
    own = _named(clients[user].get(f"/jourfixe/{ids['monat']}/tagesordnung").text, refs)
    assert own, f"the {user} sees its own participants by reference and initials"


def test_each_invited_agency_is_mailed_its_own_copy(world: World, ids: dict[str, str]) -> None:
    refs = _region_refs(world)
    with world.app.session() as session:
        messages = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "jourfixe_invitation")).all()
        bodies = {body.outbox_id: body for body in session.exec(select(OutboxContent)).all()}
        contacts = {c.id: c for c in session.exec(select(Contact)).all()}
        agencies = {a.id: a for a in session.exec(select(Agency)).all()}
    assert messages
    checked = set()
    for message in messages:
        contact = contacts[message.contact_id]
        agency = agencies[contact.agency_id]
        body = bodies[message.id]
        texts = [body.body_text, body.body_html] + [a["content"] for a in body.attachments]
        named = set().union(*(_named(text, refs) for text in texts))
        if agency.type == "KOM":
            assert named, "the coordination gets the full agenda"
            continue
        user = next((name for name, (_, code) in USERS.items() if code == agency.code), None)
        if user is None:
            continue
        allowed = _visible(world, user)
        assert named <= allowed, f"mail to {contact.email} names {sorted(named - allowed)[:5]}"
        checked.add(agency.code)
    assert checked == {"JC-BA", "CAR-BA"}


@pytest.mark.parametrize("kind", ["network", "konferenz"])
def test_wide_audiences_get_numbers_only(world: World, clients: dict[str, TestClient], kind: str) -> None:
    """Netzwerktreffen and Integrationskonferenz: counts and figures, never a person – even when
    the series is given the person-level Jour-fixe checklist (the series' kind decides as well)."""
    refs = _region_refs(world)
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        series = session.exec(
            select(MeetingSeries).where(MeetingSeries.region_id == region.id, MeetingSeries.kind == kind)
        ).one()
        name, shipped = series.name, series.checklist
    for checklist in (shipped, "jourfixe"):
        with world.app.session() as session:
            stored = session.get(MeetingSeries, series.id)
            assert stored is not None
            stored.checklist = checklist
            session.add(stored)
        page = clients["koord"].get(f"/jourfixe/{world.today:%Y-%m}/tagesordnung", params={"reihe": name})
        if page.status_code == 404:  # no meeting of this series this month: the next one's
            overview = clients["koord"].get("/jourfixe", params={"reihe": name}, follow_redirects=True)
            month = re.search(r'href="/jourfixe/(\d{4}-\d{2})/tagesordnung', overview.text)
            assert month
            page = clients["koord"].get(f"/jourfixe/{month[1]}/tagesordnung", params={"reihe": name})
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert _named(text, refs) == set(), f"{kind} with checklist {checklist} names persons"
        assert "nur Zahlen" in text
    with world.app.session() as session:
        stored = session.get(MeetingSeries, series.id)
        assert stored is not None
        stored.checklist = shipped
        session.add(stored)


def test_a_checklist_declares_its_audience() -> None:
    from checklists.definition import parse_checklist
    from process_models.loader import ModelValidationError

    text = "checklist: x\naudience: alle\nitems:\n  - {id: a, title: A, query: figures}\n"
    with pytest.raises(ModelValidationError) as caught:
        parse_checklist(text, "x.yaml", agencies=["KOM"])
    assert "audience: 'alle' ist keine Zielgruppe" in str(caught.value)
    wide = parse_checklist(text.replace("alle", "wide"), "x.yaml", agencies=["KOM"])
    assert wide.audience == "wide"
    assert parse_checklist(text.replace("audience: alle\n", ""), "x.yaml", agencies=["KOM"]).audience == "agencies"


def test_restricting_an_agenda_keeps_counts_and_drops_other_persons() -> None:
    from checklists.agenda import Agenda, AgendaItem, restrict_agenda
    from checklists.records import ItemResult, Section

    section = Section(
        "Wartende",
        ["Person", "Seit"],
        [["A-1 (AB)", "1.1."], ["B-2 (CD)", "2.1."], ["C-3 (EF)", "3.1."]],
        row_refs=[["A-1"], ["B-2"], ["C-3"]],
    )
    courses = Section("Kurse", ["Kurs", "Plätze"], [["VHS Alpha", "5"]], row_refs=[[]])
    agenda = Agenda(
        {"code": "X", "name": "X"},
        "jourfixe",
        "T",
        {"date": date(2026, 12, 1)},
        date(2026, 12, 1),
        [AgendaItem(1, "w", "W", [], "", ItemResult(count=3, summary="3 warten", sections=[section, courses]))],
    )
    agency = restrict_agenda(agenda, version="agency", visible={"B-2"})
    shown = agency.items[0].result
    assert shown.sections[0].rows == [["B-2 (CD)", "2.1."]] and shown.sections[0].withheld == 2
    assert shown.count == 3 and shown.summary == "3 warten" and shown.sections[1].rows == [["VHS Alpha", "5"]]
    wide = restrict_agenda(agenda, version="wide")
    assert wide.items[0].result.sections[0].rows == [] and wide.items[0].result.sections[0].withheld == 3
    assert agenda.items[0].result.sections[0].withheld == 0  # the original is untouched
    again = Agenda.from_json(agency.to_json())
    assert again.items[0].result.sections[0].rows == [["B-2 (CD)", "2.1."]] and again.version == "agency"
