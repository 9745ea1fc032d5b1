"""The hand-written MIME builder produces what the standard library parser reads back exactly."""

from __future__ import annotations

from typing import Any

from notifications.messages import build_message

MAIL_FROM = "Förderkette Landkreis Bamberg <noreply@bamberg.example>"


def _row(**extra: Any) -> dict[str, Any]:
    return {
        "subject": "Erinnerung: 3 überfällige Schritte – Jobcenter Bamberg (Stadt & Land) " + "ä" * 40,
        "recipient": "fallmanagement@jc-ba.bamberg.example",
        "recipient_name": "Müller, Jürgen",
        "idempotency_key": "a1b2c3" * 10,
        "body_text": "Guten Tag,\n\nÄnderungen für Ž. Öztürk\n" + "Zeile\n" * 300 + "\n.\nEnde\n",
        "body_html": "<p>Guten Tag, <b>Öztürk</b> &amp; Co.</p>\n" * 50,
        **extra,
    }


def test_digest_round_trips_through_the_parser() -> None:
    row = _row()
    outgoing = build_message(row, mail_from=MAIL_FROM)
    assert outgoing.sender == "noreply@bamberg.example"
    assert outgoing.recipients == ("fallmanagement@jc-ba.bamberg.example",)
    assert outgoing.data.isascii() and not outgoing.needs_smtputf8
    lines = outgoing.data.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 998
    message = outgoing.parsed()
    assert message["Subject"] == row["subject"]
    assert message["To"].addresses[0].display_name == "Müller, Jürgen"
    assert message["From"].addresses[0].display_name == "Förderkette Landkreis Bamberg"
    assert message["Message-ID"] == outgoing.message_id == f"<{row['idempotency_key'][:40]}@bamberg.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content() == row["body_text"]  # type: ignore[union-attr]
    assert message.get_body(("html",)).get_content() == row["body_html"]  # type: ignore[union-attr]
    assert not list(message.iter_attachments())


def test_invitation_has_calendar_alternative_and_attachments() -> None:
    ics = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n"
    row = _row(
        attachments=[
            {"content_type": "text/calendar", "method": "CANCEL", "filename": "einladung.ics", "content": ics},
            {"content_type": "text/html", "filename": "tagesordnung-öffentlich.html", "content": "<h1>TO</h1>"},
        ]
    )
    message = build_message(row, mail_from=MAIL_FROM).parsed()
    assert message.get_content_type() == "multipart/mixed"
    body, *attachments = message.iter_parts()
    assert [part.get_content_type() for part in body.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    calendar = list(body.iter_parts())[2]
    assert calendar.get_param("method") == "CANCEL" and calendar.get_content() == ics
    assert [(part.get_filename(), part.get_content_type()) for part in attachments] == [
        ("einladung.ics", "text/calendar"),
        ("tagesordnung-öffentlich.html", "text/html"),
    ]
    assert attachments[1].get_content() == "<h1>TO</h1>"
    assert message.get_body(("plain",)).get_content() == row["body_text"]  # type: ignore[union-attr]


def test_internationalised_address_asks_for_smtputf8() -> None:
    outgoing = build_message(_row(recipient="jürgen@bamberg.example"), mail_from=MAIL_FROM)
    assert outgoing.needs_smtputf8
    assert outgoing.parsed()["To"].addresses[0].addr_spec == "jürgen@bamberg.example"
