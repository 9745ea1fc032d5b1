"""Mail transports behind one protocol: SMTP (one reused connection), console and in-memory."""

from __future__ import annotations

import smtplib
import socket
import ssl
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol, TextIO

from notifications.messages import OutgoingMessage


class TemporaryFailure(Exception):
    """Try again later (4xx reply, connection refused, timeout, server went away)."""


class UncertainDelivery(TemporaryFailure):
    """The message was handed over but the server's answer to the end of DATA never came (timeout,
    disconnect): it may or may not have been accepted. Retried only after a backoff, as the same
    message with the same Message-ID – never resent at once on a new connection."""


class PermanentFailure(Exception):
    """Do not try again (5xx reply for this message: unknown mailbox, rejected content)."""


#: called by a session after the envelope was accepted and before the message is handed over
#: (the outbox waits there until the previous message's outcome is committed)
BeforeData = Callable[[], None] | None


class MailSession(Protocol):
    def send(self, message: OutgoingMessage, before_data: BeforeData = None) -> None: ...


class Mailer(Protocol):
    def session(self) -> AbstractContextManager[MailSession]:
        """Open a connection for a batch of messages."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = field(default="", repr=False)
    security: str = "none"
    timeout: float = 30.0


def _classify(exc: BaseException) -> Exception:
    """Map smtplib's errors to temporary or permanent failures with a readable reason."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _ in exc.recipients.values()}
        detail = "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )
        return (
            PermanentFailure(f"Empfänger abgelehnt: {detail}")
            if all(code >= 500 for code in codes)
            else TemporaryFailure(f"Empfänger vorübergehend abgelehnt: {detail}")
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return TemporaryFailure(f"SMTP-Anmeldung fehlgeschlagen ({exc.smtp_code} {text}) – Zugangsdaten prüfen")
        failure = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
        return failure(f"SMTP {exc.smtp_code}: {text}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryFailure(f"SMTP-Verbindung getrennt: {exc}")
    if isinstance(exc, ConnectionRefusedError):
        return TemporaryFailure("SMTP-Server nicht erreichbar (Verbindung abgelehnt)")  # the OS text is English
    if isinstance(exc, socket.timeout | TimeoutError):
        return TemporaryFailure(f"SMTP-Zeitüberschreitung: {exc}")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return TemporaryFailure(f"SMTP-Fehler: {exc}")
    return PermanentFailure(str(exc))


class _SmtpSession:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client: smtplib.SMTP | None = None

    def connect(self) -> None:
        config = self.config
        try:
            if config.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
                if config.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password)
        except Exception as exc:
            raise _classify(exc) from exc
        self.client = client

    def send(self, message: OutgoingMessage, before_data: BeforeData = None) -> None:
        options = ["SMTPUTF8"] if message.needs_smtputf8 else []
        for attempt in range(2):
            if self.client is None:
                self.connect()
            assert self.client is not None
            try:
                self._envelope(self.client, message, options)
                break
            except smtplib.SMTPServerDisconnected as exc:
                self.client = None
                if attempt == 0:
                    continue  # the reused connection went stale before the message: reconnect once
                raise _classify(exc) from exc
            except Exception as exc:
                raise _classify(exc) from exc
        assert self.client is not None
        if before_data is not None:
            before_data()
        try:
            code, reply = self.client.data(message.data)
            if code != 250:  # `data` returns the final answer instead of raising (sendmail checks it)
                self._reset(drop=code == 421)
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc) from exc  # the server answered: accepted or not, it is certain
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise UncertainDelivery(
                f"Zustellung ungewiss – keine Antwort des SMTP-Servers auf die Nachricht: {exc}"
            ) from exc

    @staticmethod
    def _envelope(client: smtplib.SMTP, message: OutgoingMessage, options: list[str]) -> None:
        """MAIL FROM and RCPT TO as `sendmail` sends them; refusals raise as there."""
        client.ehlo_or_helo_if_needed()
        mail_options = list(options)
        if client.does_esmtp and client.has_extn("size"):
            mail_options.append(f"size={len(message.data)}")
        code, reply = client.mail(message.sender, mail_options)
        if code != 250:
            if code == 421:
                client.close()
            else:
                client.rset()
            raise smtplib.SMTPSenderRefused(code, reply, message.sender)
        refused = {}
        for recipient in message.recipients:
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
            if code == 421:
                client.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if refused:
            client.rset()
            raise smtplib.SMTPRecipientsRefused(refused)

    def _reset(self, *, drop: bool) -> None:
        """After a refused message: RSET for the next one, or a new connection when that fails."""
        if not drop and self.client is not None:
            try:
                self.client.rset()
                return
            except (smtplib.SMTPException, OSError):
                pass
        self._drop()

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
            self.client = None


@dataclass
class SmtpMailer:
    """Sends over SMTP; one connection per batch, STARTTLS/SSL and login as configured."""

    config: SmtpConfig

    @contextmanager
    def session(self) -> Iterator[_SmtpSession]:
        smtp = _SmtpSession(self.config)
        smtp.connect()
        try:
            yield smtp
        finally:
            smtp.close()


@dataclass
class ConsoleMailer:
    """Prints messages instead of sending them (development)."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)

    @contextmanager
    def session(self) -> Iterator[ConsoleMailer]:
        yield self

    def send(self, message: OutgoingMessage, before_data: BeforeData = None) -> None:
        if before_data is not None:
            before_data()
        parsed = message.parsed()
        body = parsed.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        self.stream.write(
            f"--- E-Mail an {parsed['To']}\nBetreff: {parsed['Subject']}\nMessage-ID: {parsed['Message-ID']}\n\n{text}\n"
        )


@dataclass
class MemoryMailer:
    """Keeps sent messages in `outbox` (tests). `fail_with` makes every send raise that error."""

    outbox: list[EmailMessage] = field(default_factory=list)
    fail_with: Exception | None = None

    @contextmanager
    def session(self) -> Iterator[MemoryMailer]:
        yield self

    def send(self, message: OutgoingMessage, before_data: BeforeData = None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if before_data is not None:
            before_data()
        self.outbox.append(message.parsed())


def build_mailer(
    kind: str, smtp: SmtpConfig, stream: TextIO | None = None
) -> SmtpMailer | ConsoleMailer | MemoryMailer:
    if kind == "smtp":
        return SmtpMailer(smtp)
    if kind == "memory":
        return MemoryMailer()
    return ConsoleMailer(stream or sys.stdout)
