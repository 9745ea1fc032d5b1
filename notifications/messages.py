"""Builds the MIME message for an outbox row (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any


def message_id_for(key: str, mail_from: str) -> str:
    """A Message-ID derived from the idempotency key: a resend after a crash carries the same id,
    so receiving servers and clients can recognise the duplicate."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "foerderkette.invalid"
    return f"<{key[:40]}@{domain}>"


def build_message(row: Mapping[str, Any], *, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = row["subject"]
    message["From"] = mail_from
    message["To"] = formataddr((row.get("recipient_name") or "", row["recipient"]))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id_for(row["idempotency_key"], mail_from)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Foerderkette-Key"] = row["idempotency_key"]
    message.set_content(row["body_text"])
    message.add_alternative(row["body_html"], subtype="html")
    for attachment in row.get("attachments") or []:
        maintype, _, subtype = attachment["content_type"].partition("/")
        if attachment["content_type"] == "text/calendar":
            # Outlook and Thunderbird show an invitation when the calendar is an alternative
            # body part with its METHOD; the .ics attachment serves other clients.
            message.add_alternative(
                attachment["content"], subtype="calendar", params={"method": attachment.get("method", "REQUEST")}
            )
        message.add_attachment(
            attachment["content"].encode("utf-8"), maintype=maintype, subtype=subtype, filename=attachment["filename"]
        )
    return message
