"""E-mail addresses are checked in one place, with German reasons for every way in."""

from __future__ import annotations

import pytest

from pipeline.validation import validate_email_address


def test_a_valid_address_is_normalised() -> None:
    assert validate_email_address("  Anna.Huber@Jobcenter.Example ") == "Anna.Huber@jobcenter.example"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "leer"),
        ("anna.huber(at)jobcenter.example", "das @-Zeichen fehlt"),
        ("rania.haddad@@mail", "mehr als ein @-Zeichen"),
        ("@jobcenter.example", "vor dem @ steht nichts"),
        ("anna@", "nach dem @ steht nichts"),
        ("anna huber@jobcenter.example", "enthält Leerzeichen"),
        ("anna@localhost", "'localhost' ist kein vollständiger Domainname"),
    ],
)
def test_an_invalid_address_says_why_in_german(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match="keine gültige E-Mail-Adresse") as caught:
        validate_email_address(text)
    assert str(caught.value) == f"keine gültige E-Mail-Adresse ({reason})"
