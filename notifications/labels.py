"""German names of the outbox's kinds and states, ORM-free (read-only CLI commands import them)."""

from __future__ import annotations

#: Outbox states: pending → sending → sent; temporary failures go to retry, permanent ones to
#: failed; a digest with nothing true left to say, or superseded by a newer one, is cancelled.
STATUSES: dict[str, str] = {
    "pending": "geplant",
    "sending": "wird gesendet",
    "retry": "erneuter Versuch geplant",
    "uncertain": "Zustellung ungewiss",
    "sent": "gesendet",
    "failed": "fehlgeschlagen",
    "cancelled": "entfallen",
}

KINDS: dict[str, str] = {
    "reminder_digest": "Erinnerung (Sammelmail)",
    "jourfixe_invitation": "Einladung Jour fixe",
    "jourfixe_cancellation": "Absage Jour fixe",
    "jourfixe_minutes": "Protokoll Jour fixe",
    "action_items": "Aufgaben aus dem Jour fixe",
    "import_report": "Importfehler",
    "delivery_failures": "Nicht zugestellte E-Mails (an die Koordination)",
}
