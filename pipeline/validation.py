"""Validation of what comes in from outside, shared by every way in (import, CLI, web, file drop,
outbox): e-mail addresses, with German reasons."""

from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email


def validate_email_address(text: str) -> str:
    """The normalised address, or ValueError with a German reason."""
    return _normalised(text.strip())


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    # cached: the sweep and the invitations check the same few hundred contact addresses again
    # and again, ~1 ms each
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValueError(f"keine gültige E-Mail-Adresse ({_reason(text)})") from None


def _reason(text: str) -> str:
    """Why `text` is no address, in German (email-validator explains in English)."""
    if not text:
        return "leer"
    if "@" not in text:
        return "das @-Zeichen fehlt"
    if text.count("@") > 1:
        return "mehr als ein @-Zeichen"
    local, domain = text.split("@")
    if not local:
        return "vor dem @ steht nichts"
    if not domain:
        return "nach dem @ steht nichts"
    if " " in text:
        return "enthält Leerzeichen"
    if "." not in domain or domain.startswith(".") or domain.endswith("."):
        return f"'{domain}' ist kein vollständiger Domainname"
    return "Zeichen oder Aufbau nicht erlaubt"
