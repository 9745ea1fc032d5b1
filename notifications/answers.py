"""Signed one-click answers from a reminder e-mail: a link per entry that lets its recipient
confirm the step (record the step's `answer` event) or mark it "in Bearbeitung".

A token names the contact, the participant, the step and its due date, and the last day it is
valid; it is signed with the installation's secret (HMAC-SHA256), so it cannot be altered or
made up. It changes nothing by itself: the page it opens asks for a POST. Each token is used
once (`answer_token_use`); the event is checked like any other way in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

#: how long a link works unless the installation says otherwise (FOERDERKETTE_ANSWER_LINK_DAYS)
DEFAULT_LIFETIME_DAYS = 14
_VERSION = "1"
_PURPOSE = b"foerderkette-answer:"


class TokenError(ValueError):
    """A link that is not (or no longer) valid; the message is German."""


@dataclass(frozen=True, slots=True)
class AnswerClaim:
    """What a valid token says: who may answer which step of whom, until when."""

    contact_id: int
    participant_id: int
    step: str
    due: date
    expires: date

    @property
    def token_id(self) -> str:
        """The key a used token is remembered by (the token itself is not stored)."""
        text = f"{self.contact_id}|{self.participant_id}|{self.step}|{self.due.isoformat()}|{self.expires.isoformat()}"
        return hashlib.sha256(text.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), _PURPOSE + payload.encode(), hashlib.sha256).digest()[:20])


def make_token(secret: str, claim: AnswerClaim) -> str:
    """The token of `claim`, for the URL /antwort/TOKEN."""
    if not secret:
        raise ValueError("answer links need the installation's secret key")
    payload = "|".join(
        [
            _VERSION,
            str(claim.contact_id),
            str(claim.participant_id),
            claim.step,
            claim.due.isoformat(),
            claim.expires.isoformat(),
        ]
    )
    return f"{_b64(payload.encode())}.{_signature(secret, payload)}"


def read_token(secret: str, token: str, *, today: date) -> AnswerClaim:
    """The claim of a genuine, unexpired token; TokenError (German) otherwise. Whether it was
    used already is for the caller to ask (`answer_token_use`)."""
    encoded, _, signature = token.partition(".")
    try:
        payload = _unb64(encoded).decode()
    except (ValueError, UnicodeDecodeError):
        raise TokenError("Der Link ist unvollständig oder verändert worden.") from None
    if not secret or not signature or not hmac.compare_digest(signature, _signature(secret, payload)):
        raise TokenError("Der Link ist unvollständig oder verändert worden.")
    parts = payload.split("|")
    if len(parts) != 6 or parts[0] != _VERSION:
        raise TokenError("Der Link stammt aus einer älteren Fassung und gilt nicht mehr.")
    claim = AnswerClaim(
        int(parts[1]), int(parts[2]), parts[3], date.fromisoformat(parts[4]), date.fromisoformat(parts[5])
    )
    if today > claim.expires:
        raise TokenError(
            f"Der Link galt bis zum {claim.expires:%d.%m.%Y} und ist abgelaufen. Bitte erfassen Sie die Angabe in "
            "Förderkette oder warten Sie auf die nächste Erinnerung."
        )
    return claim


def answer_url(base_url: str, secret: str, claim: AnswerClaim) -> str:
    return f"{base_url.rstrip('/')}/antwort/{make_token(secret, claim)}"
