"""The password policy (BSI IT-Grundschutz ORP.4, NIST SP 800-63B §5.1.1.2): long enough, not
too long to hash, and not one an attacker tries first – a common password, a run or repetition
of characters, or one built from the account's own context (user name, display name, region,
the application's name) with a few digits or symbols added. No composition rules and no expiry
(NIST: they make passwords weaker, not stronger)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MIN_LENGTH = 12
#: Argon2 hashes any length, but a megabyte password is a way to burn the server's time
MAX_LENGTH = 128

#: Passwords and stems attackers try first (German and international lists of leaked
#: passwords, their top entries); matched after stripping digits and symbols at the ends,
#: case-insensitively, so "Passwort2024!" and "password1234" count as these.
COMMON = frozenset(
    [
        "password",
        "passwort",
        "passwd",
        "kennwort",
        "geheim",
        "secret",
        "admin",
        "administrator",
        "root",
        "login",
        "welcome",
        "willkommen",
        "hallo",
        "hello",
        "test",
        "tester",
        "testtest",
        "changeme",
        "letmein",
        "master",
        "qwerty",
        "qwertz",
        "qwertyuiop",
        "qwertzuiop",
        "asdfgh",
        "asdfghjkl",
        "yxcvbnm",
        "zxcvbnm",
        "iloveyou",
        "ichliebedich",
        "liebe",
        "schatz",
        "sommer",
        "winter",
        "fruehling",
        "frühling",
        "herbst",
        "januar",
        "februar",
        "maerz",
        "märz",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "dezember",
        "montag",
        "freitag",
        "sonntag",
        "football",
        "fussball",
        "fußball",
        "soccer",
        "baseball",
        "dragon",
        "monkey",
        "shadow",
        "sunshine",
        "princess",
        "superman",
        "batman",
        "starwars",
        "pokemon",
        "computer",
        "internet",
        "schalke",
        "bayern",
        "dortmund",
        "borussia",
        "deutschland",
        "germany",
        "berlin",
        "hamburg",
        "muenchen",
        "münchen",
        "bamberg",
        "passau",
        "amt",
        "behoerde",
        "behörde",
        "landratsamt",
        "stadt",
        "jobcenter",
        "agentur",
        "kommune",
        "verwaltung",
        "integration",
        "integrationskurs",
        "sprachkurs",
        "kurs",
        "bamf",
        "abc",
        "abcdef",
        "abcdefgh",
        "abcd1234",
        "trustno1",
        "benutzer",
        "user",
        "guest",
        "gast",
        "service",
        "support",
        "system",
        "server",
        "dienst",
        "office",
        "mitarbeiter",
    ]
)

_KEYBOARD_ROWS = (
    "1234567890",
    "1234567890ß",
    "qwertzuiopü",
    "asdfghjklöä",
    "yxcvbnm",
    "qwertyuiop",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)


class WeakPassword(ValueError):
    """The password breaks the policy; the message says why, in German."""


def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _stem(password: str) -> str:
    """The password without digits, spaces and symbols at its ends ("Sommer2024!" → "sommer")."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", _normalised(password))


def _is_run(text: str) -> bool:
    """One character repeated, a short pattern repeated ("abcabcabcabc"), or a run along a
    keyboard row or the alphabet or the digits, forwards or backwards."""
    if len(set(text)) <= 2:
        return True
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    for row in _KEYBOARD_ROWS:
        for line in (row, row[::-1]):
            doubled = line * 3  # runs that wrap round ("7890123456…")
            if text in doubled:
                return True
    return False


def check_password(password: str, *, context: Iterable[str] = ()) -> None:
    """Raise WeakPassword (German) unless `password` follows the policy. `context`: the user
    name, display name, region code and name – words an attacker who knows the account tries."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Das Passwort muss mindestens {MIN_LENGTH} Zeichen haben")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Das Passwort darf höchstens {MAX_LENGTH} Zeichen haben")
    if not password.strip():
        raise WeakPassword("Das Passwort darf nicht nur aus Leerzeichen bestehen")
    text = _normalised(password)
    compact = re.sub(r"\s+", "", text)
    if _is_run(compact) or _is_run(re.sub(r"[\W_]+", "", compact)):
        raise WeakPassword("Das Passwort ist eine Wiederholung oder eine Tastatur-/Zahlenfolge und leicht zu erraten")
    stem = _stem(password)
    if not stem or stem in COMMON or _is_run(stem):
        raise WeakPassword(
            "Das Passwort ist ein häufig verwendetes Passwort (mit angehängten Ziffern) und leicht zu erraten"
        )
    words = {"foerderkette", "förderkette", "forderkette"}
    for item in context:
        words.update(part for part in re.split(r"[\s._@-]+", _normalised(item)) if len(part) >= 3)
        words.add(_normalised(item).strip())
    words.discard("")
    for word in words:
        if len(word) >= 3 and word in text and len(text.replace(word, "")) < MIN_LENGTH - 4:
            raise WeakPassword(
                "Das Passwort enthält den Benutzernamen, den Namen, die Region oder „Förderkette“ und ist dadurch leicht zu erraten"
            )
