"""The one-click answer page behind a reminder's link: GET changes nothing, POST records once,
tampered and expired links are refused with a German page (issue 19)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from notifications.answers import AnswerClaim, make_token
from notifications.tables import AnswerTokenUse
from pipeline.repository import find_agency, get_participant, get_region
from pipeline.tables import AuditEntry, Contact, Participant
from tests.factories import make_participant
from tests.web.conftest import SECRET, World, new_client


def _participant(world: World, ref: str) -> tuple[int, int]:
    """A participant registered with CAR-BA whose course start is open; its id and the id of a
    CAR-BA case worker."""
    with world.app.session() as session:
        region = get_region(session=session, code="BY-BA")
        since = world.today - timedelta(days=30)
        row = make_participant(
            session,
            region,
            world.app.model(region),
            ref=ref,
            stage="registered",
            since=since,
            provider="CAR-BA",
            registered_on=since,
            assigned_on=since,
        )
        agency = find_agency(session=session, region=region, code="CAR-BA")
        contact = session.exec(select(Contact).where(Contact.agency_id == agency.id)).first()
        assert row.id is not None and contact is not None and contact.id is not None
        assert any(step["step"] == "course_start" for step in row.open_steps)
        return row.id, contact.id


def _token(
    world: World, participant_id: int, contact_id: int, *, expires_in: int = 14, step: str = "course_start"
) -> str:
    with world.app.session() as session:
        row = session.get(Participant, participant_id)
        assert row is not None
        due = next(entry["due"] for entry in row.open_steps if entry["step"] == step)
    from datetime import date

    claim = AnswerClaim(
        contact_id, participant_id, step, date.fromisoformat(due), world.today + timedelta(days=expires_in)
    )
    return make_token(SECRET, claim)


def _stage(world: World, ref: str) -> str:
    with world.app.session() as session:
        return get_participant(session=session, ref=ref).stage


def test_confirming_from_the_link_records_once_as_the_contact(world: World) -> None:
    pid, contact_id = _participant(world, "T-ANS-1")
    token = _token(world, pid, contact_id)
    client = new_client(world)  # not logged in: the token is the credential
    shown = client.get(f"/antwort/{token}")
    assert shown.status_code == 200, shown.text
    assert "Kursbeginn binnen sechs Wochen" in shown.text and "„Kurs begonnen“ erfassen" in shown.text
    assert "Erst mit „Bestätigen“ wird etwas erfasst" in shown.text
    assert _stage(world, "T-ANS-1") == "registered"  # a GET (a mail scanner) changes nothing
    done = client.post(f"/antwort/{token}", data={"action": "confirm", "on": world.today.isoformat()})
    assert done.status_code == 200, done.text
    assert "„Kurs begonnen“ erfasst" in done.text and "Stufe jetzt: „Im Kurs“" in done.text
    assert _stage(world, "T-ANS-1") == "in_course"
    with world.app.session() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.participant_id == pid, AuditEntry.action == "record_event")
        ).one()
        assert entry.actor == f"{contact.email} (E-Mail-Link)" and entry.role == "agency"
        assert session.exec(select(AnswerTokenUse).where(AnswerTokenUse.participant_id == pid)).one()
    again = client.get(f"/antwort/{token}")
    assert again.status_code == 410 and "bereits verwendet" in again.text and "nur einmal" in again.text
    resubmitted = client.post(f"/antwort/{token}", data={"action": "confirm", "on": world.today.isoformat()})
    assert resubmitted.status_code == 410 and "Es wurde nichts geändert" in resubmitted.text


def test_tampered_and_expired_links_change_nothing(world: World) -> None:
    pid, contact_id = _participant(world, "T-ANS-2")
    token = _token(world, pid, contact_id)
    client = new_client(world)
    payload, signature = token.split(".")
    other = _participant(world, "T-ANS-3")[0]
    forged = make_token(
        "a-different-secret-" + "z" * 32, AnswerClaim(contact_id, other, "course_start", world.today, world.today)
    )
    for bad in (f"{payload}.{signature[:-2]}xx", f"{payload[:-3]}AAA.{signature}", forged, "kaputt"):
        page = client.post(f"/antwort/{bad}", data={"action": "confirm"})
        assert page.status_code == 400 and "verändert" in page.text and "Es wurde nichts geändert" in page.text
    expired = _token(world, pid, contact_id, expires_in=-1)
    page = client.get(f"/antwort/{expired}")
    assert page.status_code == 410 and "abgelaufen" in page.text
    assert client.post(f"/antwort/{expired}", data={"action": "confirm"}).status_code == 410
    assert _stage(world, "T-ANS-2") == "registered" and _stage(world, "T-ANS-3") == "registered"


def test_wiedervorlage_from_the_link(world: World) -> None:
    pid, contact_id = _participant(world, "T-ANS-4")
    token = _token(world, pid, contact_id)
    client = new_client(world)
    too_early = client.post(f"/antwort/{token}", data={"action": "hold", "until": world.today.isoformat()})
    assert too_early.status_code == 422 and "muss nach dem heutigen Tag" in too_early.text
    until = world.today + timedelta(days=10)
    done = client.post(
        f"/antwort/{token}", data={"action": "hold", "until": until.isoformat(), "note": "Kurs ab Montag"}
    )
    assert done.status_code == 200 and f"in Bearbeitung bis {until:%d.%m.%Y}" in done.text
    with world.app.session() as session:
        row = session.get(Participant, pid)
        assert row is not None and row.stage == "registered"
        assert row.step_holds["course_start"]["until"] == until.isoformat()
        assert row.step_holds["course_start"]["note"] == "Kurs ab Montag"
    assert client.get(f"/antwort/{token}").status_code == 410


def test_a_link_to_a_step_done_meanwhile_says_so(world: World) -> None:
    pid, contact_id = _participant(world, "T-ANS-5")
    token = _token(world, pid, contact_id)
    first = _token(world, pid, contact_id, expires_in=13)  # a second link to the same step
    client = new_client(world)
    assert (
        client.post(f"/antwort/{first}", data={"action": "confirm", "on": world.today.isoformat()}).status_code == 200
    )
    page = client.get(f"/antwort/{token}")
    assert page.status_code == 409 and "nicht mehr offen" in page.text


def test_wiedervorlage_on_the_participant_page(world: World) -> None:
    """The responsible agency sets and ends a Wiedervorlage; another agency may not."""
    from tests.web.conftest import login, token_of

    _participant(world, "T-ANS-6")
    provider = login(world, "kurstraeger")  # CAR-BA, the participant's Kursträger
    page = provider.get("/teilnehmende/T-ANS-6")
    assert page.status_code == 200 and "In Bearbeitung</button>" in page.text
    until = world.today + timedelta(days=8)
    done = provider.post(
        "/teilnehmende/T-ANS-6/wiedervorlage",
        data={
            "csrf_token": token_of(page.text),
            "step": "course_start",
            "until": until.isoformat(),
            "note": "Platz im Februar",
        },
    )
    assert done.status_code == 303
    shown = provider.get(done.headers["location"]).text
    assert f"Wiedervorlage {until:%d.%m.%Y}" in shown and "Platz im Februar" in shown and "Bearbeitung beenden" in shown
    jobcenter = login(world, "jobcenter")
    forbidden = jobcenter.post(
        "/teilnehmende/T-ANS-6/wiedervorlage",
        data={"csrf_token": token_of(jobcenter.get("/pipeline").text), "step": "course_start", "release": "1"},
    )
    assert forbidden.status_code in (403, 404)  # the Jobcenter does not even see this participant
    ended = provider.post(
        "/teilnehmende/T-ANS-6/wiedervorlage",
        data={"csrf_token": token_of(shown), "step": "course_start", "release": "1"},
    )
    assert ended.status_code == 303
    with world.app.session() as session:
        assert get_participant(session=session, ref="T-ANS-6").step_holds == {}
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.detail.contains("Kursbeginn"))  # type: ignore[attr-defined]
        ).all()
        assert "hold" in actions and "hold_released" in actions
