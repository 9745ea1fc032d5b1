"""The password policy (issue 20, finding 7): length alone let `aaaaaaaaaaaa`, twelve spaces,
`password1234` and `123456789012` through."""

from __future__ import annotations

import pytest

from foerderkette.passwords import MAX_LENGTH, WeakPassword, check_password

CONTEXT = ("a.schmidt", "Anna Schmidt", "BY-BA", "Landkreis Bamberg")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "Wiederholung"),
        (" " * 12, "Leerzeichen"),
        ("password1234", "häufig verwendetes"),
        ("123456789012", "Zahlenfolge"),
        ("Passwort2024!", "häufig verwendetes"),
        ("Sommer2026!!!", "häufig verwendetes"),
        ("qwertzuiopü1", "häufig verwendetes"),
        ("abcabcabcabc", "Wiederholung"),
        ("0987654321098", "Zahlenfolge"),
        ("a.schmidt2026", "Benutzernamen"),
        ("Schmidt-12345", "Benutzernamen"),
        ("Landkreis!2026#", "Benutzernamen"),
        ("Förderkette-1!", "Förderkette"),
        ("foerderkette99", "Förderkette"),
        ("kurz", "mindestens 12"),
        ("x" * (MAX_LENGTH + 1), "höchstens"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    with pytest.raises(WeakPassword) as info:
        check_password(password, context=CONTEXT)
    assert why in str(info.value)


@pytest.mark.parametrize(
    "password", ["Tomate Fahrrad Wolke", "ein-langes-Test-Passwort", "x7#Lp9!qRz2$w", "Schmidt mag Kaffee im Garten"]
)
def test_good_passwords_pass(password: str) -> None:
    check_password(password, context=CONTEXT)
