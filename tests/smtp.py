"""A real SMTP server on loopback (aiosmtpd) for tests: counts and keeps every message."""

from __future__ import annotations

import email
import email.policy
import email.utils
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sink:
    """Accepts mail, except for mailboxes in `reject` (550, permanent)."""

    reject: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.reject:
            return "550 5.1.1 Mailbox unbekannt"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in str(message["To"])]

    def recipients(self) -> list[str]:
        return sorted(email.utils.parseaddr(str(message["To"]))[1] for message in self.messages)


@contextmanager
def smtp_server(port: int | None = None, sink: Sink | None = None) -> Iterator[tuple[Sink, int]]:
    sink = sink or Sink()
    port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
