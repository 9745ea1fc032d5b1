"""A participant's state and the values the engine passes around: events, transitions, open
steps, agency references, and the errors it raises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from process_models.spec import (
    ProcessModel,
    ReminderRule,
)


class Interruption(NamedTuple):
    start: date
    end: date | None


@dataclass(frozen=True, slots=True)
class ParticipantState:
    """Where one participant stands; points at the model version it runs on."""

    model_version: str
    stage: str
    stage_since: date
    facts: Mapping[str, Any] = field(default_factory=dict)
    interruptions: tuple[Interruption, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Facts and interruptions as JSON-ready data (version and stage live in their own columns)."""
        return {
            "facts": {key: _to_json_value(value) for key, value in self.facts.items() if value is not None},
            "interruptions": [
                [start.isoformat(), end.isoformat() if end else None] for start, end in self.interruptions
            ],
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, model_version: str, stage: str, stage_since: date, model: ProcessModel
    ) -> ParticipantState:
        facts = facts_from_json(data, model)
        interruptions = tuple(
            Interruption(date.fromisoformat(start), date.fromisoformat(end) if end else None)
            for start, end in data.get("interruptions") or ()
        )
        return cls(model_version, stage, stage_since, facts, interruptions)

    @property
    def interrupted(self) -> bool:
        return bool(self.interruptions) and self.interruptions[-1].end is None


def facts_from_json(data: Mapping[str, Any], model: ProcessModel) -> dict[str, Any]:
    """The facts of a stored state, dates as dates (without building the whole state)."""
    facts = dict(data.get("facts") or {})
    for key in _date_facts(model).intersection(facts):
        value = facts[key]
        if isinstance(value, str):
            facts[key] = date.fromisoformat(value)
    return facts


def _to_json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


@lru_cache(maxsize=32)
def _date_facts(model: ProcessModel) -> frozenset[str]:
    return frozenset(name for name, spec in model.facts.items() if spec.type == "date")


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a participant, as recorded by an agency."""

    name: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of `advance`: what changed, and the new state."""

    event: str
    source: str
    target: str
    on: date
    by: str | None
    note: str | None
    payload: Mapping[str, Any]
    state: ParticipantState

    @property
    def changes_stage(self) -> bool:
        return self.source != self.target


class TransitionNotAllowed(Exception):
    """The event cannot be applied in the participant's stage (or its guard does not hold)."""

    def __init__(self, message_de: str, message_en: str, *, stage: str, event: str, allowed: tuple[str, ...]) -> None:
        super().__init__(message_de)
        self.message_de = message_de
        self.message_en = message_en
        self.stage = stage
        self.event = event
        self.allowed = allowed


class InvalidPayload(TransitionNotAllowed):
    """The event's data is missing, of the wrong type or out of range."""


class VersionMigrationError(Exception):
    pass


class AgencyRef(NamedTuple):
    """An agency type (ABH, KT …) and, where the participant names one, the specific agency's code."""

    type: str
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.type}:{self.code}" if self.code else self.type

    @classmethod
    def parse(cls, text: str) -> AgencyRef:
        """The ref of its text form ("KT:VHS-BA", "JC"), as cached in a participant's open steps."""
        kind, _, code = text.partition(":")
        return cls(kind, code or None)


@dataclass(frozen=True, slots=True)
class OpenStep:
    """A pending step of a participant: who must act, by when, and whether it is late."""

    step: str
    label: str
    responsible: tuple[AgencyRef, ...]
    due: date
    nominal_due: date
    due_note: str
    overdue: bool
    days_overdue: int
    legal_basis: str
    reminders: ReminderRule

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "label": self.label,
            "responsible": [str(ref) for ref in self.responsible],
            "due": self.due.isoformat(),
            "due_note": self.due_note,
            "legal_basis": self.legal_basis,
        }


def new_state(
    model: ProcessModel, *, on: date, facts: Mapping[str, Any] | None = None, stage: str | None = None
) -> ParticipantState:
    """A participant entering the process (at the start stage unless `stage` is given, as on import)."""
    stage = stage or model.start_stage
    if stage not in model.stages:
        raise ValueError(f"Unbekannte Stufe '{stage}'")
    unknown = set(facts or {}) - set(model.facts)
    if unknown:
        raise ValueError(f"Unbekannte Angaben: {', '.join(sorted(unknown))}")
    return ParticipantState(model.version, stage, on, dict(facts or {}))
