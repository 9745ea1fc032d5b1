"""The German words for the stored values of meetings and action items; no ORM here, so the
read-only CLI imports it without SQLModel."""

from __future__ import annotations

SERIES_KINDS: dict[str, str] = {
    "jourfixe": "Jour fixe",
    "network": "Netzwerktreffen",
    "konferenz": "Integrationskonferenz",
}
#: meetings whose audience is wide (police, clubs, schools attend): their agendas carry counts and
#: figures only, whatever their checklist says
WIDE_SERIES_KINDS = frozenset({"network", "konferenz"})
#: the shipped checklist a new series of each kind starts with
DEFAULT_CHECKLISTS: dict[str, str] = {
    "jourfixe": "jourfixe",
    "network": "netzwerktreffen",
    "konferenz": "integrationskonferenz",
}
#: who reads an agenda: every invited agency (each sees its own participants) or a wide audience
AUDIENCES: dict[str, str] = {"agencies": "die beteiligten Stellen", "wide": "eine weite Runde (nur Zahlen)"}
MEETING_STATUSES: dict[str, str] = {"planned": "geplant", "held": "stattgefunden", "cancelled": "abgesagt"}
ACTION_STATUSES: dict[str, str] = {"open": "offen", "closed": "erledigt"}
#: Why a snapshot of the agenda was kept.
SNAPSHOT_REASONS: dict[str, str] = {"invitation": "Einladung"}
