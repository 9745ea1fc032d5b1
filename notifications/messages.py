"""Builds the MIME message of an outbox row as the bytes that go on the wire (pure).

The message is written directly rather than through `email.message.EmailMessage`: the standard
library's header folding and quoted-printable encoding are pure Python and cost ~3 ms for a
digest of a few hundred entries, more than sending it (BENCHMARKS.md, dispatch). Here headers are
RFC 2047-encoded where needed and every body part is base64 (in C), which takes ~0.1 ms. The
structure is the one `EmailMessage` produces – multipart/alternative of text and HTML, with a
text/calendar alternative for invitations, wrapped in multipart/mixed when there are
attachments – and the tests read every message back with the standard library's parser.
"""

from __future__ import annotations

import base64
import email
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import encode_rfc2231, formataddr, formatdate, parseaddr
from typing import Any

CRLF = b"\r\n"


def message_id_for(key: str, mail_from: str) -> str:
    """A Message-ID derived from the idempotency key: a resend after a crash carries the same id,
    so receiving servers and clients can recognise the duplicate."""
    address = _sender(mail_from)[1]
    domain = (address.rpartition("@")[2] if "@" in address else "") or "foerderkette.invalid"
    return f"<{key[:40]}@{domain}>"


@dataclass(frozen=True)
class OutgoingMessage:
    """A finished message: envelope and the RFC 5322 bytes (CRLF line ends, ASCII only unless an
    address needs SMTPUTF8)."""

    sender: str
    recipients: tuple[str, ...]
    message_id: str
    data: bytes

    def parsed(self) -> EmailMessage:
        """The message as the standard library reads it (console and memory mailers, tests)."""
        message = email.message_from_string(self.data.decode("utf-8"), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message

    @property
    def needs_smtputf8(self) -> bool:
        return not all(address.isascii() for address in (self.sender, *self.recipients))


def _header_text(value: str) -> str:
    """An unstructured header value (Subject): as is when ASCII, else RFC 2047 encoded words of
    at most 45 UTF-8 bytes each (never splitting a character), one per folded line."""
    value = " ".join(value.split())
    if value.isascii() and len(value) < 900:
        return value
    raw = value.encode("utf-8")
    words: list[bytes] = []
    start = 0
    while start < len(raw):
        end = min(start + 45, len(raw))
        while end < len(raw) and raw[end] & 0xC0 == 0x80:  # never split a character
            end -= 1
        words.append(raw[start:end])
        start = end
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


def _address(name: str, address: str) -> str:
    name = " ".join(name.split())
    if address.isascii():
        return formataddr((name, address), charset="utf-8")
    # An internationalised mailbox (RFC 6532): the header stays UTF-8 and goes out with SMTPUTF8.
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{address}>' if name else address


@functools.lru_cache(maxsize=16)
def _sender(mail_from: str) -> tuple[str, str]:
    """The configured sender as (From header, envelope address)."""
    name, address = parseaddr(mail_from)
    return (_address(name, address) if address else mail_from), (address or mail_from)


def _base64(data: bytes) -> bytes:
    """Base64 in lines of 76 characters (one C call, then slicing; the separator join allocates
    once per line where `slice + CRLF` allocated twice: 76 instead of 108 µs for 30 KB)."""
    encoded = base64.b64encode(data)
    if not encoded:
        return b""
    return CRLF.join([encoded[start : start + 76] for start in range(0, len(encoded), 76)]) + CRLF


def _param(name: str, value: str) -> str:
    if value.isascii():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{name}="{escaped}"'
    return f"{name}*={encode_rfc2231(value, 'utf-8')}"


def _part(content_type: str, payload: bytes, *, disposition: str = "") -> bytes:
    headers = [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64"]
    if disposition:
        headers.append(f"Content-Disposition: {disposition}")
    head = "\r\n".join(headers).encode("ascii")
    return head + CRLF + CRLF + _base64(payload)


def _multipart(subtype: str, parts: Sequence[bytes], key: str) -> bytes:
    # Unique per message and part level; "=_" never occurs in base64 lines or in our part headers.
    boundary = f"=_{subtype}_{key[:40]}"
    delimiter = f"--{boundary}".encode("ascii")
    chunks = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode("ascii"), CRLF, CRLF]
    for part in parts:
        chunks += [delimiter, CRLF, part, CRLF]
    chunks += [delimiter, b"--", CRLF]
    return b"".join(chunks)


def build_message(row: Mapping[str, Any], *, mail_from: str) -> OutgoingMessage:
    """The outbox row `row` (subject, bodies, recipient, attachments) as a message from `mail_from`."""
    message_id = message_id_for(row["idempotency_key"], mail_from)
    headers = [
        f"Subject: {_header_text(row['subject'])}",
        f"From: {_sender(mail_from)[0]}",
        f"To: {_address(row.get('recipient_name') or '', row['recipient'])}",
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {message_id}",
        "Auto-Submitted: auto-generated",
        f"X-Foerderkette-Key: {row['idempotency_key']}",
        "MIME-Version: 1.0",
    ]
    alternatives = [
        _part('text/plain; charset="utf-8"', row["body_text"].encode("utf-8")),
        _part('text/html; charset="utf-8"', row["body_html"].encode("utf-8")),
    ]
    attachments = []
    for attachment in row.get("attachments") or []:
        content_type = attachment["content_type"]
        # binary attachments (a PDF) are stored base64 in the outbox's JSON
        content = (
            base64.b64decode(attachment["content"])
            if attachment.get("encoding") == "base64"
            else attachment["content"].encode("utf-8")
        )
        if content_type == "text/calendar":
            # Outlook and Thunderbird show an invitation when the calendar is an alternative
            # body part with its METHOD; the .ics attachment serves other clients.
            method = attachment.get("method", "REQUEST")
            alternatives.append(_part(f'text/calendar; charset="utf-8"; method="{method}"', content))
        attachments.append(
            _part(content_type, content, disposition=f"attachment; {_param('filename', attachment['filename'])}")
        )
    key = row["idempotency_key"]
    body = _multipart("alternative", alternatives, key)
    if attachments:
        body = _multipart("mixed", [body, *attachments], key)
    data = "\r\n".join(headers).encode("utf-8") + CRLF + body
    return OutgoingMessage(
        sender=_sender(mail_from)[1],
        recipients=(row["recipient"],),
        message_id=message_id,
        data=data,
    )
