"""The SMTP mailer logs in when a user is configured."""

from __future__ import annotations

from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.mailers import SmtpConfig, SmtpMailer, TemporaryFailure
from notifications.messages import OutgoingMessage, build_message
from tests.smtp import Sink, free_port


class Accounts:
    def __init__(self) -> None:
        self.logins: list[bytes] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"foerderkette",
            b"geheim",
        )
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok, handled=False)


def _message() -> OutgoingMessage:
    row = {
        "subject": "Test",
        "recipient": "b@bamberg.example",
        "idempotency_key": "k" * 40,
        "body_text": "Hallo",
        "body_html": "<p>Hallo</p>",
    }
    return build_message(row, mail_from="a@bamberg.example")


@pytest.mark.parametrize(("password", "delivered"), [("geheim", True), ("falsch", False)])
def test_login(password: str, delivered: bool) -> None:
    sink = Sink()
    port = free_port()
    accounts = Accounts()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=accounts, auth_require_tls=False)
    controller.start()
    try:
        mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, user="foerderkette", password=password, timeout=5))
        if delivered:
            with mailer.session() as session:
                session.send(_message())
                session.send(_message())  # one connection, several messages
            assert len(sink.messages) == 2
            assert accounts.logins == [b"foerderkette"]
        else:
            with pytest.raises(TemporaryFailure, match="SMTP-Anmeldung fehlgeschlagen"), mailer.session():
                pass
    finally:
        controller.stop()
