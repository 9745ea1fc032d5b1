"""Every page for every role through FastAPI's TestClient: access, CSRF, escaping, audit, validation."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from checklists.tables import ActionItem, Decision
from foerderkette.users import User
from notifications.tables import OutboxMessage
from pipeline.tables import AuditEntry, Enrollment, Participant, StageChange
from tests.conftest import require_program
from tests.web.conftest import PASSWORD, XSS, World, login, new_client, token_of

PAGES = ["/pipeline", "/kurse", "/jourfixe", "/prozess"]


def _stage(world: World, ref: str) -> str:
    with world.app.session() as session:
        participant = session.exec(select(Participant).where(Participant.ref == ref)).one()
        return participant.stage


def _audit(world: World, action: str, actor: str) -> list[AuditEntry]:
    with world.app.session() as session:
        return list(
            session.exec(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.actor == actor)).all()
        )


def _post_event(client: TestClient, ref: str, event: str, **fields: str) -> object:
    page = client.get(f"/teilnehmende/{ref}")
    data = {"csrf_token": token_of(page.text), "event": event, **fields}
    return client.post(f"/teilnehmende/{ref}/ereignis", data=data)


# --------------------------------------------------------------------------- login, session, headers


@pytest.mark.parametrize("path", [*PAGES, "/teilnehmende/T-JC-1", "/postausgang", "/kurse/export.csv"])
def test_pages_need_a_login(world: World, path: str) -> None:
    response = new_client(world).get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?weiter={path}"


def test_login_page_and_wrong_password(world: World) -> None:
    client = new_client(world)
    form = client.get("/login")
    assert form.status_code == 200 and "Anmelden" in form.text
    assert "default-src 'self'" in form.headers["content-security-policy"]
    assert form.headers["x-frame-options"] == "SAMEORIGIN"
    response = client.post(
        "/login", data={"csrf_token": token_of(form.text), "username": "koord", "password": "falsch-falsch-falsch"}
    )
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in response.text
    assert _audit(world, "login_failed", "koord")
    assert client.get("/pipeline").status_code == 303


def test_login_without_csrf_token_is_refused(world: World) -> None:
    client = new_client(world)
    client.get("/login")
    response = client.post("/login", data={"username": "koord", "password": PASSWORD})
    assert response.status_code == 403
    assert "Formular ist abgelaufen oder ungültig" in response.text


def test_login_never_redirects_to_another_site(world: World) -> None:
    client = new_client(world)
    form = client.get("/login?weiter=//evil.example/x")
    assert 'name="next" value="/kennzahlen"' in form.text
    response = client.post(
        "/login",
        data={
            "csrf_token": token_of(form.text),
            "username": "koord",
            "password": PASSWORD,
            "next": "https://evil.example",
        },
    )
    assert response.headers["location"] == "/kennzahlen"


def test_session_cookie_is_secure_httponly_and_lax(world: World) -> None:
    from dataclasses import replace

    from foerderkette.web.app import create_app

    client = TestClient(
        create_app(replace(world.settings, cookie_secure=True), app=world.app),
        base_url="https://testserver",
        follow_redirects=False,
    )
    form = client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": token_of(form.text), "username": "koord", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"].lower()
    assert (
        "foerderkette_session=" in cookie and "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    )


def test_logout_ends_the_session(world: World) -> None:
    client = login(world, "leser")
    page = client.get("/pipeline")
    assert page.status_code == 200
    assert client.post("/logout", data={"csrf_token": token_of(page.text)}).status_code == 303
    assert client.get("/pipeline").status_code == 303


def test_logout_without_token_is_refused(world: World) -> None:
    client = login(world, "leser")
    assert client.post("/logout").status_code == 403
    assert client.get("/pipeline").status_code == 200


def test_a_deactivated_user_is_logged_out(world: World) -> None:
    client = login(world, "koord-pa")
    assert client.get("/pipeline").status_code == 200
    with world.app.session() as session:
        user = session.exec(select(User).where(User.username == "koord-pa")).one()
        user.active = False
        session.add(user)
    try:
        assert client.get("/pipeline").status_code == 303
        assert login_fails(world, "koord-pa")
    finally:
        with world.app.session() as session:
            user = session.exec(select(User).where(User.username == "koord-pa")).one()
            user.active = True
            session.add(user)


def login_fails(world: World, username: str) -> bool:
    client = new_client(world)
    form = client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": token_of(form.text), "username": username, "password": PASSWORD}
    )
    return response.status_code == 401


def test_health_needs_no_login(world: World) -> None:
    assert new_client(world).get("/health").json() == {"status": "ok", "scheduler": None}


# --------------------------------------------------------------------------- pages per role


@pytest.mark.parametrize("username", ["koord", "jobcenter", "kurstraeger", "leser"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_every_role(clients: dict[str, TestClient], username: str, path: str) -> None:
    response = clients[username].get(path, follow_redirects=True)
    assert response.status_code == 200, response.text
    assert '<html lang="de">' in response.text
    assert "Traceback" not in response.text


def test_pipeline_board_counts_and_filters(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    page = client.get("/pipeline").text
    with world.app.session() as session:
        total = len(session.exec(select(Participant.id).where(Participant.region_id == 1)).all())
    assert f"{total} Teilnehmende, davon" in page
    assert '<td class="nowrap"><a href="/teilnehmende/' in page  # a reference never breaks across lines
    # the stage board is open on the overview and folded while a filter is set (the list comes first)
    assert '<details class="board-panel" open>' in page
    assert '<details class="board-panel">' in client.get("/pipeline?stufe=obliged").text
    obliged = client.get("/pipeline?stufe=obliged").text
    assert "T-JC-1" in obliged and "T-ABH-1" not in obliged
    assert "T-ABH-1" in client.get("/pipeline?suche=t-abh").text
    assert "T-JC-1" not in client.get("/pipeline?suche=t-abh").text
    overdue = client.get("/pipeline?ueberfaellig=1").text
    rows = re.findall(r"<tr class=\"late\">", overdue)
    assert rows and len(rows) == overdue.count("Tage überfällig</span></td>")
    abh = client.get("/pipeline?stelle=ABH&suche=T-").text
    assert "T-ABH-1" in abh and "T-KT-1" not in abh
    assert client.get("/pipeline?kursart=general&suche=T-").text.count("/teilnehmende/T-") == 1


def test_pipeline_pages_through_long_lists(clients: dict[str, TestClient]) -> None:
    first = clients["koord"].get("/pipeline").text
    assert "Seite 1 von 2" in first and 'rel="next"' in first
    second = clients["koord"].get("/pipeline?seite=2").text
    refs_first = set(re.findall(r'href="/teilnehmende/([^"]+)"', first))
    refs_second = set(re.findall(r'href="/teilnehmende/([^"]+)"', second))
    assert len(refs_first) == 100 and refs_second and not refs_first & refs_second


def test_data_from_the_database_is_escaped(clients: dict[str, TestClient]) -> None:
    page = clients["koord"].get("/teilnehmende/T-XSS-1").text
    assert XSS not in page
    assert html.escape(XSS, quote=False) in page or "&lt;script&gt;" in page


def test_coordinator_sees_participant_with_contact_data_and_audit(world: World, clients: dict[str, TestClient]) -> None:
    before = len(_audit(world, "view_participant", "koord"))
    page = clients["koord"].get("/teilnehmende/T-ABH-1")
    assert page.status_code == 200
    assert "E-Mail" in page.text and "Offene Schritte" in page.text and "Verlauf" in page.text
    assert "Berechtigung oder Verpflichtung klären" in page.text
    after = _audit(world, "view_participant", "koord")
    assert len(after) == before + 1 and after[-1].participant_id is not None and after[-1].role == "coordinator"


def test_agency_user_sees_only_their_cases(clients: dict[str, TestClient]) -> None:
    client = clients["jobcenter"]
    listing = client.get("/pipeline?suche=T-").text
    assert "T-JC-1" in listing
    assert "T-ABH-1" not in listing and "T-KT-1" not in listing
    assert client.get("/teilnehmende/T-ABH-1").status_code == 404
    own = client.get("/teilnehmende/T-JC-1")
    assert own.status_code == 200
    assert "<dt>E-Mail</dt>" not in own.text and "<dt>Telefon</dt>" not in own.text
    assert client.get("/postausgang").status_code == 403


def test_provider_user_sees_the_participants_registered_with_them(clients: dict[str, TestClient]) -> None:
    client = clients["kurstraeger"]
    assert client.get("/teilnehmende/T-KT-1").status_code == 200
    assert client.get("/teilnehmende/T-JC-1").status_code == 404
    assert "T-KT-1" in client.get("/pipeline?suche=T-").text
    courses = client.get("/kurse").text
    assert "Caritas-Sprachschule" in courses and "Berufliche Fortbildungszentren" not in courses


def test_nobody_sees_another_regions_participant(world: World, clients: dict[str, TestClient]) -> None:
    for username in ("koord", "leser", "jobcenter"):
        assert clients[username].get(f"/teilnehmende/{world.other_region_ref}").status_code == 404
    assert clients["koord-pa"].get(f"/teilnehmende/{world.other_region_ref}").status_code == 200
    assert clients["koord-pa"].get("/teilnehmende/T-JC-1").status_code == 404


def test_readonly_user_reads_but_cannot_change(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["leser"]
    page = client.get("/teilnehmende/T-ABH-1")
    assert page.status_code == 200 and "Ereignis erfassen" not in page.text
    response = client.post(
        "/teilnehmende/T-ABH-1/ereignis", data={"csrf_token": token_of(page.text), "event": "case_closed"}
    )
    assert response.status_code == 403
    assert _stage(world, "T-ABH-1") == "recorded"
    assert client.get("/postausgang").status_code == 200


# --------------------------------------------------------------------------- recording events


def test_form_without_csrf_token_changes_nothing(world: World, clients: dict[str, TestClient]) -> None:
    response = clients["koord"].post(
        "/teilnehmende/T-ABH-1/ereignis", data={"event": "case_closed", "f_reason": "moved_away"}
    )
    assert response.status_code == 403
    assert _stage(world, "T-ABH-1") == "recorded"


def test_coordinator_records_course_start_with_enrolment(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    page = client.get("/teilnehmende/T-KT-1").text
    assert "Kursbeginn" in page or "Kurs begonnen" in page
    course = re.search(r'name="f_course_id"[^>]*>\s*<option value="">–</option>\s*<option value="([^"]+)"', page)
    assert course, "course select offers the region's courses"
    response = _post_event(
        client, "T-KT-1", "course_started", by="KT", on=world.today.isoformat(), f_course_id=course[1], note="<b>ok</b>"
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert _stage(world, "T-KT-1") == "in_course"
    timeline = client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert "wurde erfasst" in timeline and "&lt;b&gt;ok&lt;/b&gt;" in timeline and "koord" in timeline
    with world.app.session() as session:
        participant = session.exec(select(Participant).where(Participant.ref == "T-KT-1")).one()
        change = session.exec(
            select(StageChange).where(
                StageChange.participant_id == participant.id, StageChange.event == "course_started"
            )
        ).one()
        assert change.by_user == "koord" and change.by_agency == "KT"
        assert session.exec(select(Enrollment).where(Enrollment.participant_id == participant.id)).one()
    assert any("course_started" in entry.detail for entry in _audit(world, "record_event", "koord"))


def test_refused_transition_shows_the_engine_message(world: World, clients: dict[str, TestClient]) -> None:
    response = _post_event(clients["koord"], "T-ABH-1", "bsk_completed", f_result="passed")
    assert response.status_code == 422  # type: ignore[attr-defined]
    alert = _alert(response.text)  # type: ignore[attr-defined]
    assert "ist in der Stufe „Erfasst“ nicht erlaubt. Erlaubt: „" in alert
    assert "bsk_completed" not in alert and "recorded" not in alert and "_" not in alert
    assert _stage(world, "T-ABH-1") == "recorded"


def test_a_wrong_date_is_called_a_wrong_date_not_a_forbidden_event(
    world: World, clients: dict[str, TestClient]
) -> None:
    response = _post_event(clients["koord"], "T-ABH-1", "entitlement_confirmed", on="2020-01-01", f_issued_by="ABH")
    assert response.status_code == 422  # type: ignore[attr-defined]
    alert = _alert(response.text)  # type: ignore[attr-defined]
    assert "das Datum liegt vor dem Beginn der aktuellen Stufe „Erfasst“" in alert and "nicht erlaubt" not in alert
    assert _stage(world, "T-ABH-1") == "recorded"


def _alert(page: str) -> str:
    start = page.index('role="alert"')
    return page[page.index(">", start) + 1 : page.index("</", start)]


def test_missing_required_field_and_bad_values_are_refused(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    missing = _post_event(client, "T-ABH-1", "case_closed")
    assert missing.status_code == 422 and "Grund" in missing.text  # type: ignore[attr-defined]
    bad_choice = _post_event(client, "T-ABH-1", "case_closed", f_reason="erfunden")
    assert (
        bad_choice.status_code == 422 and "Wert „erfunden“ ist nicht vorgesehen (möglich: Weggezug" in bad_choice.text
    )  # type: ignore[attr-defined]
    future = _post_event(client, "T-ABH-1", "case_closed", f_reason="moved_away", on="2999-01-01")
    assert future.status_code == 422 and "in der Zukunft" in future.text  # type: ignore[attr-defined]
    unknown = _post_event(client, "T-ABH-1", "erfunden")
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    assert _stage(world, "T-ABH-1") == "recorded"


def test_agency_user_records_only_their_events(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["jobcenter"]
    page = client.get("/teilnehmende/T-JC-1").text
    assert "Berechtigung bestätigt" in page and "Beim Kursträger angemeldet" not in page
    refused = _post_event(client, "T-JC-1", "registered", f_provider="CAR-BA")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    done = _post_event(client, "T-JC-1", "entitlement_confirmed", by="ABH")
    assert done.status_code == 303  # type: ignore[attr-defined]
    with world.app.session() as session:
        participant = session.exec(select(Participant).where(Participant.ref == "T-JC-1")).one()
        change = session.exec(
            select(StageChange).where(StageChange.participant_id == participant.id).order_by(StageChange.id.desc())  # type: ignore[union-attr]
        ).first()
        assert change is not None and change.by_agency == "JC" and change.by_user == "jobcenter"


# --------------------------------------------------------------------------- courses, Jour fixe, outbox, process


def test_course_list_and_exports(clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    page = client.get("/kurse").text
    assert "Beginn in den nächsten drei Monaten" in page and "freien Plätzen" in page
    csv = client.get("/kurse/export.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = client.get("/kurse/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/kurse/export.pdf").status_code == 404


def test_a_course_provider_exports_only_its_own_courses(clients: dict[str, TestClient]) -> None:
    """Issue 20 (finding 2): /kurse showed a Kursträger its own courses, the export every provider's."""
    import csv as csv_module

    everything = list(
        csv_module.reader(clients["koord"].get("/kurse/export.csv").text.lstrip("\ufeff").splitlines(), delimiter=";")
    )
    provider_column = everything[0].index("kurstraeger")
    assert len({row[provider_column] for row in everything[1:]}) > 1
    for suffix in ("csv", "xlsx"):
        response = clients["kurstraeger"].get(f"/kurse/export.{suffix}")
        assert response.status_code == 200
        if suffix == "csv":
            own = list(csv_module.reader(response.text.lstrip("\ufeff").splitlines(), delimiter=";"))
            assert own[1:] and {row[provider_column] for row in own[1:]} == {"CAR-BA"}


def test_jourfixe_agenda_minutes_and_actions(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    overview = client.get("/jourfixe", follow_redirects=True)
    assert overview.status_code == 200 and "Terminreihen" in overview.text
    # the demo's series rules in words, never as RRULE text
    assert "jeden 1. Dienstag im Monat, 09:30" in overview.text and "FREQ=" not in overview.text
    assert re.search(
        r'rel="prev">← (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}<',
        overview.text,
    )
    link = re.search(r'href="(/jourfixe/(\d{4}-\d{2})/tagesordnung\?reihe=[^"]+)"', overview.text)
    assert link
    agenda = client.get(html.unescape(link[1]))
    assert agenda.status_code == 200 and "Tagesordnung" in agenda.text
    assert "sandbox" in agenda.headers["content-security-policy"]
    month, query = link[2], html.unescape(link[1]).split("?", 1)[1]
    token = token_of(overview.text)
    decision = client.post(
        f"/jourfixe/{month}/beschluss?{query}", data={"csrf_token": token, "text": "Kurs <X> planen"}
    )
    assert decision.status_code == 303 and decision.headers["location"].endswith("#protokoll")
    confirmed = client.get(decision.headers["location"]).text
    assert '<p class="notice" role="status">Der Beschluss ist festgehalten.</p>' in confirmed
    assert "gespeichert" not in client.get(f"/jourfixe?monat={month}&gespeichert=<b>x</b>").text.split("<main")[1][:400]
    action = client.post(
        f"/jourfixe/{month}/aufgabe?{query}",
        data={"csrf_token": token, "title": "Kursplatz klären", "owner": "JC-BA", "due": world.today.isoformat()},
    )
    assert action.status_code == 303
    bad = client.post(
        f"/jourfixe/{month}/aufgabe?{query}",
        data={"csrf_token": token, "title": "x", "owner": "NIX", "due": world.today.isoformat()},
    )
    assert bad.status_code == 422 and "Stelle 'NIX' gibt es" in html.unescape(bad.text)
    page = client.get(decision.headers["location"].split("#")[0]).text
    assert "Kurs &lt;X&gt; planen" in page and "Kursplatz klären" in page
    with world.app.session() as session:
        assert session.exec(select(Decision).where(Decision.text == "Kurs <X> planen")).one().recorded_by == "koord"
        created = session.exec(select(ActionItem).where(ActionItem.title == "Kursplatz klären")).one()
    closed = client.post(f"/aufgaben/{created.id}/erledigt", data={"csrf_token": token, "note": "erledigt im Termin"})
    assert closed.status_code == 303
    with world.app.session() as session:
        assert session.get(ActionItem, created.id).status == "closed"  # type: ignore[union-attr]
    again = client.post(f"/aufgaben/{created.id}/erledigt", data={"csrf_token": token})
    assert again.status_code == 422 and "bereits erledigt" in again.text
    readonly = clients["leser"]
    assert (
        readonly.post(
            f"/jourfixe/{month}/beschluss?{query}",
            data={"csrf_token": token_of(readonly.get("/pipeline").text), "text": "x"},
        ).status_code
        == 403
    )


def test_attendance_is_recorded(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    overview = client.get("/jourfixe", follow_redirects=True)
    match = re.search(r'action="(/jourfixe/\d{4}-\d{2}/anwesenheit\?[^"]+)"', overview.text)
    boxes = re.findall(r'name="(present_\d+)"', overview.text)
    assert match and len(boxes) >= 3
    response = client.post(
        html.unescape(match[1]), data={"csrf_token": token_of(overview.text), boxes[0]: "1", boxes[2]: "1"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"].split("#")[0]).text
    assert page.count(" checked>") == 2


def test_unknown_month_is_a_german_404(clients: dict[str, TestClient]) -> None:
    response = clients["koord"].get("/jourfixe?monat=2026-13")
    assert response.status_code == 404 and "kein Monat" in response.text


def test_outbox_lists_shows_and_resends(world: World, clients: dict[str, TestClient]) -> None:
    client = clients["koord"]
    listing = client.get("/postausgang?status=failed").text
    assert f'href="/postausgang/{world.failed_message_id}"' in listing
    message = client.get(f"/postausgang/{world.failed_message_id}")
    assert "550 Postfach unbekannt" in message.text and "Erneut senden" in message.text
    body = client.get(f"/postausgang/{world.failed_message_id}/html")
    assert body.status_code == 200 and body.headers["content-security-policy"].startswith("sandbox")
    assert (
        clients["leser"]
        .post(
            f"/postausgang/{world.failed_message_id}/erneut",
            data={"csrf_token": token_of(clients["leser"].get("/pipeline").text)},
        )
        .status_code
        == 403
    )
    resent = client.post(f"/postausgang/{world.failed_message_id}/erneut", data={"csrf_token": token_of(message.text)})
    assert resent.status_code == 303
    with world.app.session() as session:
        assert session.get(OutboxMessage, world.failed_message_id).status != "failed"  # type: ignore[union-attr]
    twice = client.post(f"/postausgang/{world.failed_message_id}/erneut", data={"csrf_token": token_of(message.text)})
    assert twice.status_code == 422 and "nicht fehlgeschlagen" in twice.text
    assert _audit(world, "resend", "koord")
    assert client.get("/postausgang/999999").status_code == 404


def test_process_page_shows_the_diagram(clients: dict[str, TestClient]) -> None:
    require_program("dot", install="graphviz")
    page = clients["leser"].get("/prozess").text
    assert "<svg" in page and "Schritte und Fristen" in page and "§ 44 Abs. 2 AufenthG" in page
    # the scrollable diagram can be reached by keyboard (WCAG 2.1.1; axe: scrollable-region-focusable)
    assert '<figure class="diagram zoom-ganz" tabindex="0" aria-labelledby="diagram-title">' in page
    svg = clients["leser"].get("/prozess/ablauf.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


def test_static_assets_are_local(clients: dict[str, TestClient]) -> None:
    page = clients["koord"].get("/pipeline").text
    assert "http://" not in page.split("<main")[0] and "https://" not in page.split("<main")[0]
    css = clients["koord"].get("/static/style.css")
    assert css.status_code == 200 and ".board" in css.text


# --------------------------------------------------------------------------- sessions that end (issue 20)


def _cookie(client: TestClient) -> str:
    value = client.cookies.get("foerderkette_session")
    assert value
    return value


def _replay(world: World, cookie: str) -> int:
    replayed = new_client(world)
    replayed.cookies.set("foerderkette_session", cookie)
    return replayed.get("/pipeline").status_code


def test_a_cookie_replayed_after_logout_or_password_change_is_refused(world: World) -> None:
    """Finding 5: the cookie was accepted for up to ten hours after logout or `users passwd`."""
    from foerderkette.users import end_sessions

    client = login(world, "leser")
    cookie = _cookie(client)
    page = client.get("/pipeline")
    assert client.post("/logout", data={"csrf_token": token_of(page.text)}).status_code == 303
    assert _replay(world, cookie) == 303
    second = login(world, "leser")
    cookie = _cookie(second)
    assert _replay(world, cookie) == 200
    with world.app.session() as session:
        user = session.exec(select(User).where(User.username == "leser")).one()
        assert end_sessions(session=session, user=user, reason="Passwort geändert") >= 1
    assert _replay(world, cookie) == 303 and second.get("/pipeline").status_code == 303


def test_an_idle_session_ends(world: World) -> None:
    import base64
    import hashlib
    import json
    from datetime import timedelta

    from foerderkette.users import WebSession
    from pipeline.database import utcnow

    client = login(world, "leser")
    assert client.get("/pipeline").status_code == 200
    token = json.loads(base64.b64decode(_cookie(client).split(".")[0] + "=="))["sid"]
    with world.app.session() as session:  # only this client's session: the others' stay live
        records = [session.get(WebSession, hashlib.sha256(token.encode()).hexdigest())]
        for record in records:
            assert record is not None
            record.last_seen_at = utcnow() - timedelta(minutes=world.settings.session_idle_minutes + 1)
            session.add(record)
    assert client.get("/pipeline").status_code == 303
    with world.app.session() as session:
        reasons = {r.ended_reason for r in session.exec(select(WebSession)).all()}
        assert "Zeitüberschreitung" in reasons


def test_the_cookie_carries_only_an_opaque_token(world: World) -> None:
    """Finding 8: the signed cookie was readable base64 JSON with the user id and CSRF token."""
    import base64
    import json

    client = login(world, "koord")
    page = client.get("/pipeline").text
    payload = json.loads(base64.b64decode(_cookie(client).split(".")[0] + "=="))
    assert set(payload) == {"sid"} and token_of(page) not in json.dumps(payload)
    with world.app.session() as session:
        user = session.exec(select(User).where(User.username == "koord")).one()
        assert str(user.id) != payload["sid"] and len(payload["sid"]) >= 40


def test_failed_logins_slow_down_and_lock_for_a_while(world: World) -> None:
    """Finding 6: 60 wrong passwords in a row all got 401 with no delay or lock."""
    from datetime import timedelta

    from foerderkette.users import LoginThrottle
    from pipeline.database import utcnow

    def attempt(username: str, password: str) -> int:
        client = new_client(world)
        form = client.get("/login")
        return client.post(
            "/login", data={"csrf_token": token_of(form.text), "username": username, "password": password}
        ).status_code

    codes = [attempt("jobcenter", "falsch-falsch-falsch") for _ in range(6)]
    assert codes == [401] * 6
    client = new_client(world)
    form = client.get("/login")
    locked = client.post(
        "/login", data={"csrf_token": token_of(form.text), "username": "jobcenter", "password": PASSWORD}
    )
    assert (
        locked.status_code == 429 and "Bitte versuchen Sie es in 1 Minute erneut" in locked.text
    )  # even the right one
    assert attempt("leser", PASSWORD) == 303  # another account from the same address is not locked
    with world.app.session() as session:
        record = session.get(LoginThrottle, "user:jobcenter")
        assert record is not None and record.failures == 6
        record.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
        session.add(record)
    assert attempt("jobcenter", PASSWORD) == 303
    with world.app.session() as session:
        assert session.get(LoginThrottle, "user:jobcenter") is None  # a correct login clears the count
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.actor == "jobcenter")).all()
        assert "login_throttled" in actions and actions.count("login_failed") >= 6


def test_an_agency_user_closes_only_its_own_action_items_and_keeps_no_minutes(
    world: World, clients: dict[str, TestClient]
) -> None:
    """Finding 3: a Jobcenter user recorded decisions and attendance, closed the Kommune's action
    item, and `closed_by` was whatever the form sent."""
    coordinator, jobcenter = clients["koord"], login(world, "jobcenter")
    overview = coordinator.get("/jourfixe", follow_redirects=True)
    link = re.search(r'href="/jourfixe/(\d{4}-\d{2})/tagesordnung\?(reihe=[^"]+)"', overview.text)
    assert link
    month, query = link[1], html.unescape(link[2])
    token = token_of(overview.text)
    for title, owner in (("JC-Aufgabe", "JC-BA"), ("KOM-Aufgabe", "KOM-BA")):
        made = coordinator.post(
            f"/jourfixe/{month}/aufgabe?{query}",
            data={"csrf_token": token, "title": title, "owner": owner, "due": world.today.isoformat()},
        )
        assert made.status_code == 303
    with world.app.session() as session:
        own = session.exec(select(ActionItem).where(ActionItem.title == "JC-Aufgabe")).one()
        other = session.exec(select(ActionItem).where(ActionItem.title == "KOM-Aufgabe")).one()
    jc_page = jobcenter.get(f"/jourfixe?monat={month}&{query}")
    jc_token = token_of(jc_page.text)
    assert f'action="/aufgaben/{own.id}/erledigt"' in jc_page.text
    assert f'action="/aufgaben/{other.id}/erledigt"' not in jc_page.text
    assert "/beschluss" not in jc_page.text and "/anwesenheit" not in jc_page.text
    for path, data in (
        (f"/jourfixe/{month}/beschluss?{query}", {"text": "x"}),
        (f"/jourfixe/{month}/anwesenheit?{query}", {}),
        (f"/jourfixe/{month}/aufgabe?{query}", {"title": "x", "owner": "JC-BA", "due": world.today.isoformat()}),
        (f"/aufgaben/{other.id}/erledigt", {"by": "Koordination"}),
    ):
        assert jobcenter.post(path, data={"csrf_token": jc_token, **data}).status_code == 403, path
    closed = jobcenter.post(f"/aufgaben/{own.id}/erledigt", data={"csrf_token": jc_token, "by": "Landrat persönlich"})
    assert closed.status_code == 303
    with world.app.session() as session:
        done = session.get(ActionItem, own.id)
        assert done is not None and done.status == "closed"
        assert done.closed_by == "Test jobcenter (Jobcenter Bamberg)" or "jobcenter" in (done.closed_by or "").lower()
        assert "Landrat" not in (done.closed_by or "")
        assert session.get(ActionItem, other.id).status == "open"  # type: ignore[union-attr]


def test_failed_mail_shows_a_banner_to_the_coordination(world: World) -> None:
    """Issue 21: an outage must end in delivery or in a visible alarm."""
    with world.app.session() as session:
        for message in session.exec(select(OutboxMessage)).all():
            message.status = "failed" if message.id == world.failed_message_id else "sent"
            session.add(message)
    for user in ("koord", "leser"):
        text = html.unescape(login(world, user).get("/pipeline").text)
        assert "1 E-Mail endgültig fehlgeschlagen." in text and 'href="/postausgang?status=failed"' in text
    assert "fehlgeschlagen." not in html.unescape(login(world, "jobcenter").get("/pipeline").text)


def test_the_operations_page_is_the_coordinations(world: World) -> None:
    """Issue 21: scheduler heartbeat, last and missed runs per job; agencies are kept out."""
    clients = {user: login(world, user) for user in ("koord", "leser", "jobcenter")}
    page = clients["koord"].get("/betrieb")
    assert page.status_code == 200
    assert "Der Zeitplan läuft nicht." in page.text and "E-Mail-Versand" in page.text
    assert "send-reminders" not in page.text  # German names, no identifiers
    assert clients["leser"].get("/betrieb").status_code == 200
    assert clients["jobcenter"].get("/betrieb").status_code == 403


def test_a_retrying_message_shows_until_when_it_is_retried(world: World) -> None:
    """Issue 21: the Postausgang says how long a temporarily failing e-mail is still tried."""
    from datetime import UTC, datetime

    from notifications.tables import OutboxMessage

    with world.app.session() as session:
        message = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.id != world.failed_message_id, OutboxMessage.region_id.is_not(None))  # type: ignore[union-attr]
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
        ).first()
        assert message is not None
        before = (message.status, message.last_error, message.retry_until)
        message.status, message.last_error = "retry", "SMTP-Server nicht erreichbar (Verbindung abgelehnt)"
        message.retry_until = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
        session.add(message)
        session.commit()
        message_id = message.id
    try:
        client = login(world, "koord")
        listing = client.get("/postausgang?status=retry").text
        assert "weitere Versuche bis 26.11.2026 10:30" in listing and "Verbindung abgelehnt" in listing
        detail = client.get(f"/postausgang/{message_id}").text
        assert "danach gilt die E-Mail als fehlgeschlagen und die Koordination wird benachrichtigt" in detail
    finally:
        with world.app.session() as session:
            stored = session.get(OutboxMessage, message_id)
            assert stored is not None
            stored.status, stored.last_error, stored.retry_until = before
            session.add(stored)
            session.commit()


def test_a_lapse_that_has_happened_reads_verfallen(world: World, clients: dict[str, TestClient]) -> None:
    """§ 4 Abs. 1 S. 3 IntV: the entitlement lapses when the course does not start within a year of
    registering – past that day the step is not "n Tage überfällig" but "verfallen"."""
    from datetime import timedelta

    from pipeline.repository import get_region
    from process_models import load_model
    from tests.factories import make_participant

    model = load_model()
    assert model.steps["registration_lapse"].lapses and not model.steps["course_start"].lapses
    since = world.today - timedelta(days=500)
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        make_participant(
            session, region, model, ref="T-LAPSE-1", stage="registered", since=since, today=world.today,
            entitled_on=since, registered_on=since, provider="VHS-BA",
        )  # fmt: skip
    page = clients["koord"].get("/teilnehmende/T-LAPSE-1").text
    assert "verfallen</span>" in page
    lapse_row = page.split(model.steps["registration_lapse"].label)[1].split("</tr>")[0]
    assert "verfallen" in lapse_row and "Tage überfällig" not in lapse_row


def test_the_list_sorts_by_its_column_headers(clients: dict[str, TestClient]) -> None:
    """Issue 24: sortable columns, announced to screen readers (aria-sort), kept across pages."""
    import re

    client = clients["koord"]
    default = client.get("/pipeline").text
    assert 'aria-sort="ascending"><a class="sort" href="/pipeline?sortierung=-due"' in default
    refs = lambda html: re.findall(r'<a href="/teilnehmende/([^"]+)">', html)  # noqa: E731
    ascending = refs(client.get("/pipeline?sortierung=ref").text)
    descending = refs(client.get("/pipeline?sortierung=-ref").text)
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert ascending[0] != descending[0]
    by_ref = client.get("/pipeline?sortierung=ref").text
    assert 'aria-sort="ascending"><a class="sort" href="/pipeline?sortierung=-ref"' in by_ref
    assert client.get("/pipeline?sortierung=unsinn").status_code == 200  # falls back to due dates


def test_the_process_page_fits_the_diagram_and_zooms(clients: dict[str, TestClient]) -> None:
    from tests.conftest import require_program

    require_program("dot", install="graphviz")
    page = clients["koord"].get("/prozess").text
    assert 'class="diagram zoom-ganz"' in page and 'href="/prozess?zoom=150#diagram-title"' in page
    assert 'class="diagram zoom-200"' in clients["koord"].get("/prozess?zoom=200").text
    assert "referenzprozess" not in page.split('<p class="lead">', 1)[1].split("</p>", 1)[0]  # no model identifier
