"""The German words for the stored values of meetings and action items; no ORM here, so the
read-only CLI imports it without SQLModel."""

from __future__ import annotations

SERIES_KINDS: dict[str, str] = {
    "jourfixe": "Jour fixe",
    "network": "Netzwerktreffen",
    "konferenz": "Integrationskonferenz",
}
MEETING_STATUSES: dict[str, str] = {"planned": "geplant", "held": "stattgefunden", "cancelled": "abgesagt"}
ACTION_STATUSES: dict[str, str] = {"open": "offen", "closed": "erledigt"}
#: Why a snapshot of the agenda was kept.
SNAPSHOT_REASONS: dict[str, str] = {"invitation": "Einladung"}
