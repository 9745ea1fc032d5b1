"""The planning pages: Kurse auffüllen (who sees it, who may record the BAMF's assignment from
it), the suggestions on a participant's page, the shortest waiting times on the course page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import select

from foerderkette.users import create_user
from pipeline.repository import find_agency, get_region
from pipeline.tables import Participant
from planning.reads import assignment_event
from process_models import load_model
from tests.web.conftest import PASSWORD, World, login, token_of


def test_the_models_assignment_event_is_found_by_its_roles() -> None:
    model = load_model()
    event = assignment_event(model)
    assert event is not None and model.events[event].label == "Zuweisung durch das BAMF"


def test_fill_page_for_coordination_and_bamf_only(world: World, clients: dict[str, TestClient]) -> None:
    page = clients["koord"].get("/kurse/auffuellen")
    assert page.status_code == 200
    assert "Kurse auffüllen" in page.text and "Empfehlung" in page.text
    # the standard model lets only the BAMF record its assignment: no buttons for the coordination
    assert "in dieser Region erfasst die Koordination sie nicht für das BAMF" in page.text
    assert 'name="event"' not in page.text
    assert clients["leser"].get("/kurse/auffuellen").status_code == 200
    denied = clients["jobcenter"].get("/kurse/auffuellen")
    assert denied.status_code == 403 and "Koordination und das BAMF" in denied.text
    assert clients["kurstraeger"].get("/kurse/auffuellen").status_code == 403
    assert 'href="/kurse/auffuellen"' in clients["koord"].get("/kurse").text
    assert 'href="/kurse/auffuellen"' not in clients["kurstraeger"].get("/kurse").text


def test_bamf_records_a_proposed_assignment_from_the_page(world: World) -> None:
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        bamf = find_agency(session=session, region=region, code="BAMF-BA")
        create_user(
            session=session,
            username="bamf",
            display_name="BAMF Test",
            password=PASSWORD,
            role="agency",
            region=region,
            agency=bamf,
        )
    client = login(world, "bamf")
    page = client.get("/kurse/auffuellen").text
    forms = re.findall(r'<form method="post" action="/teilnehmende/([^/"]+)/ereignis">(.*?)</form>', page, re.S)
    assert forms, "a BAMF user gets a button per proposed assignment"
    ref, body = forms[0]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body))
    assert fields["event"] == assignment_event(load_model())
    response = client.post(f"/teilnehmende/{ref}/ereignis", data={**fields, "csrf_token": token_of(page)})
    assert response.status_code == 303, response.text
    with world.app.session() as session:
        person = session.exec(select(Participant).where(Participant.ref == ref)).one()
        assert person.state["facts"]["provider"] == fields["f_provider"]


def test_participant_page_suggests_courses_for_the_waiting(world: World, clients: dict[str, TestClient]) -> None:
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        model = load_model()
        waiting = sorted(model.stages_tagged("awaiting_course"))
        ref = session.exec(
            select(Participant.ref).where(Participant.region_id == region.id, Participant.stage.in_(waiting))  # type: ignore[attr-defined]
        ).first()
    assert ref is not None
    page = clients["koord"].get(f"/teilnehmende/{ref}").text
    assert '<h2 id="suggestions-title">Kursvorschläge</h2>' in page
    # the Jobcenter sees no needs of the person, and so no suggestions built from them
    assert "Kursvorschläge" not in clients["jobcenter"].get("/teilnehmende/T-JC-1").text


def test_course_page_shows_the_shortest_waiting_time_per_provider(clients: dict[str, TestClient]) -> None:
    page = clients["koord"].get("/kurse").text
    assert "Kürzeste Wartezeit je Träger und Kursart" in page
    assert "nur Gruppen ab 5 Kursbeginnen" in page


def _personal_data(world: World, region_code: str) -> list[str]:
    """Every reference, full name, e-mail and phone number of the region's participants."""
    with world.app.session() as session:
        region = get_region(session=session, code=region_code)
        people = session.exec(select(Participant).where(Participant.region_id == region.id)).all()
    found = []
    for person in people:
        found += [person.ref, f"{person.first_name} {person.last_name}", f"{person.last_name}, {person.first_name}"]
        found += [value for value in (person.email, person.phone) if value]
    return found


def test_public_course_list_needs_no_login_and_shows_no_personal_data(world: World) -> None:
    import planning.course_list
    from tests.web.conftest import new_client

    client = new_client(world)
    page = client.get("/kursliste/BY-BA")
    assert page.status_code == 200, page.text
    assert "Integrationskurse – Landkreis Bamberg" in page.text and "freien Plätzen" in page.text
    assert 'action="/logout"' not in page.text  # nobody is logged in
    csv_text = client.get("/kursliste/BY-BA.csv")
    assert csv_text.status_code == 200 and csv_text.headers["content-type"].startswith("text/csv")
    header = csv_text.text.lstrip("\ufeff").splitlines()[0]
    assert header.startswith("Kurs;Träger;Kursart;Form;Unterrichtszeit;Uhrzeit;Kursort")
    ics = client.get("/kursliste/BY-BA.ics")
    assert ics.status_code == 200 and "BEGIN:VCALENDAR" in ics.text and "BEGIN:VEVENT" in ics.text
    assert "TZID=Europe/Berlin" in ics.text
    rows = len(csv_text.text.strip().splitlines()) - 1
    assert rows >= 1 and ics.text.count("BEGIN:VEVENT") == rows
    personal = _personal_data(world, "BY-BA")
    assert len(personal) > 500
    for document in (page.text, csv_text.text, ics.text):
        leaked = [value for value in personal if value in document]
        assert leaked == [], leaked[:5]
    # by construction: the list's one query reads course, agency and course_site, never participant
    source = open(planning.course_list.__file__, encoding="utf-8").read()  # noqa: SIM115
    assert "FROM participant" not in source and "JOIN participant" not in source
    assert client.get("/kursliste/XX-NOPE").status_code == 404


def test_the_agreement_is_shown_to_all_and_changed_by_the_coordination(
    world: World, clients: dict[str, TestClient]
) -> None:
    import html

    page = clients["koord"].get("/planung")
    assert page.status_code == 200
    # the demo's agreement: providers, start plan, placement-test dates with how full they are
    assert "Kooperationsvereinbarung – Fassung 1" in page.text and "Rollierender Startplan" in page.text
    assert "Zentrale Einstufungstests der nächsten drei Monate" in page.text
    assert "Vorschlag neuer Kursbeginne" in page.text and "keine Entscheidung" in page.text
    seen = clients["kurstraeger"].get("/planung")
    assert seen.status_code == 200 and 'name="document"' not in seen.text  # providers read, do not edit
    text = html.unescape(
        re.search(r'<textarea id="document" name="document"[^>]*>(.*?)</textarea>', page.text, re.S)[1]
    )
    assert "kurse_je_monat:" in text
    wrong = re.sub(r"kurse_je_monat: \d+", "kurse_je_monat: viele", text, count=1)
    assert wrong != text
    refused = clients["koord"].post(
        "/planung/vereinbarung", data={"document": wrong, "csrf_token": token_of(page.text)}
    )
    assert refused.status_code == 422
    assert "Nichts gespeichert – 1 Fehler" in refused.text
    assert re.search(
        r"Vereinbarung, Zeile \d+, Feld „kurse_je_monat“: eine ganze Zahl von 0 bis 50 erwartet", refused.text
    )
    assert "viele" in refused.text.split('name="document"')[1]  # what was typed stays in the editor
    assert "Fassung 2" not in clients["koord"].get("/planung").text

    changed = text.replace("plaetze: 15", "plaetze: 18")
    saved = clients["koord"].post(
        "/planung/vereinbarung", data={"document": changed, "csrf_token": token_of(page.text)}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/planung?gespeichert=Fassung%202"
    after = clients["koord"].get("/planung?gespeichert=Fassung 2").text
    assert "Kooperationsvereinbarung gespeichert: Fassung 2." in after and "Einstufungstests geändert" in after
    with world.app.session() as session:
        from pipeline.tables import AuditEntry

        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "agreement", AuditEntry.actor == "koord")
        ).one()
        assert entry.detail.endswith("Fassung 2: Einstufungstests geändert") and entry.source.startswith("web")

    reader = clients["leser"]
    denied = reader.post(
        "/planung/vereinbarung", data={"document": changed, "csrf_token": token_of(reader.get("/planung").text)}
    )
    assert denied.status_code == 403
    assert "Die Kooperationsvereinbarung ändert die Koordination." in denied.text
    assert "gespeichert: " not in clients["koord"].get("/planung?gespeichert=<b>gefälscht</b>").text


def test_a_test_date_list_for_the_coordination_only(world: World, clients: dict[str, TestClient]) -> None:
    overview = clients["koord"].get("/planung").text
    days = re.findall(r'href="/planung/einstufung/(\d{4}-\d{2}-\d{2})"', overview)
    assert len(days) >= 2, "the coordination reaches every date of the rotation"
    # providers see the dates and how full they are, never who is booked (not their participants)
    seen = clients["kurstraeger"].get("/planung").text
    assert "/planung/einstufung/" not in seen and "Zentrale Einstufungstests" in seen
    for user in ("kurstraeger", "jobcenter"):
        denied = clients[user].get(f"/planung/einstufung/{days[0]}")
        assert denied.status_code == 403 and "Die Liste eines Testtermins sieht die Koordination." in denied.text
    assert clients["kurstraeger"].get(f"/planung/einstufung/{days[0]}/einladungen.html").status_code == 403
    booked = next(
        day for day in days if "Noch niemand eingeplant" not in clients["koord"].get(f"/planung/einstufung/{day}").text
    )
    assert "Einladungen drucken" in clients["leser"].get(f"/planung/einstufung/{booked}").text
    letters = clients["koord"].get(f"/planung/einstufung/{booked}/einladungen.html")
    assert letters.status_code == 200 and "Einladung zum Einstufungstest" in letters.text
    assert clients["koord"].get("/planung/einstufung/2026-13-01").status_code == 404
    with world.app.session() as session:
        from pipeline.tables import AuditEntry

        logged = session.exec(select(AuditEntry).where(AuditEntry.action == "placement_list")).all()
        assert {entry.actor for entry in logged} >= {"koord", "leser"}


def test_the_stored_proposal_is_dated_flagged_when_stale_and_recomputed(
    world: World, clients: dict[str, TestClient]
) -> None:
    # the agreement was changed above (Fassung 2) after the demo computed its proposal
    page = clients["koord"].get("/planung").text
    assert "Berechnet am" in page and "veraltet: die Kooperationsvereinbarung ist seitdem geändert" in page
    denied = clients["leser"].post(
        "/planung/vorschlag", data={"csrf_token": token_of(clients["leser"].get("/planung").text)}
    )
    assert denied.status_code == 403 and "Den Vorschlag berechnet die Koordination neu." in denied.text
    done = clients["koord"].post("/planung/vorschlag", data={"csrf_token": token_of(page)}, follow_redirects=False)
    assert done.status_code == 303
    fresh = clients["koord"].get(done.headers["location"]).text
    assert "Der Vorschlag neuer Kursbeginne ist neu berechnet." in fresh and "veraltet" not in fresh
    agenda = clients["koord"].get(f"/jourfixe/{world.today:%Y-%m}/tagesordnung").text
    assert f"Vorschlag aus den Daten vom {world.today:%d.%m.%Y} für 6 Monate" in agenda


def test_the_course_choice_offers_only_courses_that_fit_the_person(world: World) -> None:
    from dataclasses import replace

    from foerderkette.web.views.participants import local_choices
    from pipeline.access import Viewer
    from pipeline.reads import participant_detail
    from pipeline.repository import course_overview

    model = load_model()
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        courses = {c.code: c for c in course_overview(session=session, region_id=region.id or 0, on=world.today)}
        detail = participant_detail(session.connection(), ref="T-KT-1", as_of=world.today)
        assert detail is not None
        viewer = Viewer(0, "koord", "Koordination", "coordinator", region.id or 0, "BY-BA")
        kinds = {c.course_type for c in courses.values() if c.kind == "ik"}
        assert len(kinds) >= 2  # the demo region has general and special courses
        for placed in sorted(kinds):
            person = replace(detail, facts={**detail.facts, "course_type": placed})
            offered = [code for code, _label in local_choices(session, person, viewer, world.today, model)["course_id"]]
            assert offered, placed
            assert {courses[code].course_type for code in offered if courses[code].kind == "ik"} == {placed}
