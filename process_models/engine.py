"""The pure process engine: apply an event to a participant's state, list the open steps.

No database, no Prefect, no clock: every function takes the date it should reason about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from process_models.business_days import BusinessCalendar, format_date
from process_models.spec import (
    Condition,
    EventSpec,
    FieldSpec,
    ProcessModel,
    ReminderRule,
    Responsible,
    StepSpec,
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


# --------------------------------------------------------------------------- state creation


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


# --------------------------------------------------------------------------- conditions

_OP_LABELS = {
    "eq": "=",
    "ne": "≠",
    "in": "∈",
    "not_in": "∉",
    "gte": "≥",
    "lte": "≤",
    "gte_param": "≥",
    "lte_param": "≤",
}


def _value_of(condition: Condition, facts: Mapping[str, Any], payload: Mapping[str, Any], model: ProcessModel) -> Any:
    if condition.scope == "payload":
        return payload.get(condition.name)
    derived = model.derived.get(condition.name)
    if derived is not None:
        return all(holds(inner, facts, {}, model) for inner in derived.when)
    return facts.get(condition.name)


def holds(condition: Condition, facts: Mapping[str, Any], payload: Mapping[str, Any], model: ProcessModel) -> bool:
    value = _value_of(condition, facts, payload, model)
    op, operand = condition.op, condition.operand
    if op == "eq":
        return bool(value == operand)
    if op == "ne":
        return bool(value != operand)
    if op == "in":
        return value in operand
    if op == "not_in":
        return value not in operand
    if op == "set":
        return (value is not None) is operand
    if op == "unset_or_before":
        other = facts.get(operand)
        return value is None or (other is not None and value < other)
    if value is None:
        return False
    if op in ("gte_param", "lte_param"):
        operand = model.param(operand)
    if op in ("gte", "gte_param"):
        return bool(value >= operand)
    if op in ("lte", "lte_param"):
        return bool(value <= operand)
    raise AssertionError(f"unknown operator {op}")


def describe_condition(condition: Condition, model: ProcessModel, event: EventSpec | None = None) -> str:
    """A German reading of a condition, for refusals."""
    if condition.scope == "payload" and event is not None:
        spec = event.field(condition.name)
        label = spec.label if spec else condition.name
    elif condition.name in model.facts:
        label = model.facts[condition.name].label
    elif condition.name in model.derived:
        label = model.derived[condition.name].label
    else:
        label = condition.name
    op, operand = condition.op, condition.operand
    if op == "set":
        return f"„{label}“ {'angegeben' if operand else 'nicht angegeben'}"
    if op == "unset_or_before":
        return f"„{label}“ fehlt oder liegt vor „{model.facts[operand].label}“"
    if op in ("gte_param", "lte_param"):
        return f"„{label}“ {_OP_LABELS[op]} {model.parameters[operand].display()}"
    if isinstance(operand, tuple):
        shown = ", ".join(str(item) for item in operand)
        return f"„{label}“ {_OP_LABELS[op]} {{{shown}}}"
    if isinstance(operand, bool):
        operand = "ja" if operand else "nein"
    return f"„{label}“ {_OP_LABELS[op]} {operand}"


# --------------------------------------------------------------------------- payloads

_TRUE = {"1", "true", "ja", "j", "yes", "y", "wahr", "x"}
_FALSE = {"0", "false", "nein", "n", "no", "falsch", ""}


def parse_date(text: str) -> date:
    """ISO (2026-05-22) or German (22.05.2026) date."""
    text = text.strip()
    match = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", text)
    if match:
        return date(int(match[3]), int(match[2]), int(match[1]))
    return date.fromisoformat(text)


def coerce_value(kind: str, raw: Any, model: ProcessModel, *, choices: tuple[str, ...] = ()) -> Any:
    """Turn user input (text or typed) into the value of `kind`; raises ValueError in German."""
    if kind == "date":
        if isinstance(raw, date):
            return raw
        try:
            return parse_date(str(raw))
        except ValueError:
            raise ValueError(f"'{raw}' ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)") from None
    if kind == "int":
        if isinstance(raw, bool):
            raise ValueError(f"'{raw}' ist keine ganze Zahl")
        if isinstance(raw, int):
            return raw
        text = str(raw).strip()
        if not re.match(r"^-?\d+$", text):
            raise ValueError(f"'{raw}' ist keine ganze Zahl")
        return int(text)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"'{raw}' ist kein Ja/Nein-Wert (ja, nein)")
    if kind == "str":
        text = str(raw).strip()
        if not text:
            raise ValueError("darf nicht leer sein")
        return text
    if kind == "agency":
        code = str(raw).strip().upper()
        allowed = choices or tuple(model.agencies)
        if code not in allowed:
            raise ValueError(f"'{raw}' ist keine zulässige Stelle (erlaubt: {', '.join(allowed)})")
        return code
    if kind == "course_type":
        return _lookup(str(raw), {key: spec.label for key, spec in model.course_types.items()}, "Kursart")
    if kind.startswith("enum:"):
        value_set = model.value_sets[kind[5:]]
        return _lookup(str(raw), dict(value_set.values), "Wert")
    raise AssertionError(f"unknown type {kind}")


def _lookup(raw: str, options: Mapping[str, str], what: str) -> str:
    wanted = raw.strip().casefold()
    for key, label in options.items():
        if wanted in (key.casefold(), label.casefold()):
            return key
    raise ValueError(f"{what} '{raw}' ist unbekannt (erlaubt: {', '.join(options)})")


_PLAIN_TYPES: dict[str, type] = {"date": date, "int": int, "bool": bool}


def _already_typed(item: FieldSpec, value: Any, model: ProcessModel) -> bool:
    """True when `value` is already exactly what coerce_value would return (values from code)."""
    kind = item.type
    plain = _PLAIN_TYPES.get(kind)
    if plain is not None:
        return type(value) is plain
    if type(value) is not str:
        return False
    if kind == "str":
        return bool(value) and value == value.strip()
    if kind == "agency":
        return value in (item.choices or model.agencies)
    if kind == "course_type":
        return value in model.course_types
    return kind.startswith("enum:") and value in model.value_sets[kind[5:]].values


def coerce_payload(
    spec: EventSpec, raw: Mapping[str, Any], model: ProcessModel, *, by: str | None, stage: str
) -> dict[str, Any]:
    """Validate and type an event's payload; every problem is reported at once."""
    fields: dict[str, FieldSpec] = {item.name: item for item in spec.payload}
    problems: list[str] = []
    for key in raw:
        if key not in fields:
            known = ", ".join(fields) or "keine"
            problems.append(f"Feld '{key}' gibt es bei „{spec.label}“ nicht (Felder: {known})")
    result: dict[str, Any] = {}
    for name, item in fields.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and item.type != "str"):
            value = by if item.default == "$by" else item.default
        if value is None:
            if item.required:
                problems.append(f"Feld '{name}' ({item.label}) fehlt")
            continue
        typed: Any
        try:
            typed = (
                value
                if _already_typed(item, value, model)
                else coerce_value(item.type, value, model, choices=item.choices)
            )
        except ValueError as exc:
            problems.append(f"Feld '{name}' ({item.label}): {exc}")
            continue
        if item.minimum is not None and typed < item.minimum:
            problems.append(f"Feld '{name}' ({item.label}): mindestens {item.minimum}")
        elif item.maximum is not None and typed > item.maximum:
            problems.append(f"Feld '{name}' ({item.label}): höchstens {item.maximum}")
        result[name] = typed
    if problems:
        raise InvalidPayload(
            f"Angaben zu „{spec.label}“ unvollständig oder falsch: " + "; ".join(problems),
            f"invalid payload for '{spec.id}': " + "; ".join(problems),
            stage=stage,
            event=spec.id,
            allowed=(),
        )
    return result


# --------------------------------------------------------------------------- advance


def _not_allowed(
    model: ProcessModel, state: ParticipantState, event: str, reason_de: str = "", reason_en: str = ""
) -> TransitionNotAllowed:
    allowed = model.allowed_events(state.stage)
    stage_label = model.stage_label(state.stage)
    event_label = model.event_label(event)
    listed = ", ".join(allowed) if allowed else "keine (Endzustand)"
    de = f"„{event_label}“ ({event}) ist in der Stufe „{stage_label}“ ({state.stage}) nicht erlaubt"
    en = f"event '{event}' is not allowed in stage '{state.stage}'"
    if reason_de:
        de += f": {reason_de}"
        en += f": {reason_en or reason_de}"
    de += f". Erlaubt: {listed}."
    en += f". Allowed: {', '.join(allowed) or 'none (final stage)'}."
    return TransitionNotAllowed(de, en, stage=state.stage, event=event, allowed=allowed)


def advance(state: ParticipantState, event: Event, *, at: date, model: ProcessModel) -> Transition:
    """Apply `event`, recorded as happening on `at`, to `state` under `model`.

    Raises TransitionNotAllowed (or InvalidPayload) with a German message naming the stage, the
    event and what is allowed.
    """
    if state.model_version != model.version:
        raise VersionMigrationError(
            f"Der Fall läuft auf Version {state.model_version}, geladen ist {model.version}; erst migrieren"
        )
    spec = model.events.get(event.name)
    if spec is None:
        raise _not_allowed(model, state, event.name, "unbekanntes Ereignis", "unknown event")
    if event.by is not None and event.by != "KOM" and spec.actors and event.by not in spec.actors:
        raise _not_allowed(
            model,
            state,
            event.name,
            f"nur {', '.join(spec.actors)} (oder die Koordination, KOM) dürfen es erfassen, nicht {event.by}",
            f"only {', '.join(spec.actors)} (or KOM) may record it, not {event.by}",
        )
    if at < state.stage_since:
        raise _not_allowed(
            model,
            state,
            event.name,
            f"das Datum {format_date(at)} liegt vor dem Beginn der aktuellen Stufe ({format_date(state.stage_since)})",
            f"{at} is before the current stage began ({state.stage_since})",
        )
    candidates = model.transitions_from.get((state.stage, event.name), ())
    if not candidates:
        raise _not_allowed(model, state, event.name)
    payload = coerce_payload(spec, event.payload, model, by=event.by, stage=state.stage)
    chosen = None
    refusals: list[str] = []
    for candidate in candidates:
        failed = [c for c in candidate.guard if not holds(c, state.facts, payload, model)]
        if not failed:
            chosen = candidate
            break
        refusals.append(
            candidate.refusal
            or "Voraussetzung nicht erfüllt: " + "; ".join(describe_condition(c, model, spec) for c in failed)
        )
    if chosen is None:
        reason = " / ".join(dict.fromkeys(refusals))
        raise _not_allowed(model, state, event.name, reason.rstrip("."), "guard does not hold")
    facts = _apply_effects(spec, dict(state.facts), payload, at=at, by=event.by)
    interruptions = state.interruptions
    if spec.interruption == "start" and not state.interrupted:
        interruptions = (*interruptions, Interruption(at, None))
    elif spec.interruption == "end" and state.interrupted:
        interruptions = (*interruptions[:-1], Interruption(interruptions[-1].start, at))
    new = ParticipantState(
        model_version=state.model_version,
        stage=chosen.target,
        stage_since=at if chosen.target != state.stage else state.stage_since,
        facts=facts,
        interruptions=interruptions,
    )
    return Transition(event.name, state.stage, chosen.target, at, event.by, event.note, payload, new)


def _source_value(source: str, payload: Mapping[str, Any], at: date, by: str | None) -> Any:
    if source == "date":
        return at
    if source == "by":
        return by
    if source.startswith("="):
        return source[1:]
    return payload.get(source[8:])


def _apply_effects(
    spec: EventSpec, facts: dict[str, Any], payload: Mapping[str, Any], *, at: date, by: str | None
) -> dict[str, Any]:
    for name in spec.clears:
        facts.pop(name, None)
    for name, source in spec.sets:
        value = _source_value(source, payload, at, by)
        if value is not None:
            facts[name] = value
    for name, source in spec.keeps:
        if facts.get(name) is None:
            value = _source_value(source, payload, at, by)
            if value is not None:
                facts[name] = value
    for name, source in spec.adds:
        value = _source_value(source, payload, at, by)
        if value:
            facts[name] = int(facts.get(name) or 0) + int(value)
    return facts


# --------------------------------------------------------------------------- open steps


def paused_days(interruptions: Iterable[Interruption], since: date, today: date) -> int:
    """Days of interruption on or after `since` (a running interruption counts up to `today`)."""
    total = 0
    for start, end in interruptions:
        begin = max(start, since)
        finish = end or today
        if finish > begin:
            total += (finish - begin).days
    return total


def calendar_for(model: ProcessModel) -> BusinessCalendar:
    """The (cached) business calendar of a model's region."""
    return _calendar(model.calendar)


@lru_cache(maxsize=256)
def _calendar(config: Any) -> BusinessCalendar:
    return BusinessCalendar(config)


def counselling_agency(birth_year: int | None, today: date, model: ProcessModel) -> str:
    """JMD for young people up to `jmd_max_age`, MBE for adults (and when the age is unknown)."""
    if birth_year is not None and today.year - birth_year <= model.int_param("jmd_max_age"):
        return "JMD"
    return "MBE"


def _resolve(
    responsible: tuple[Responsible, ...], facts: Mapping[str, Any], today: date, model: ProcessModel
) -> tuple[AgencyRef, ...]:
    refs: dict[AgencyRef, None] = {}
    for item in responsible:
        if item.kind == "counselling":
            refs[AgencyRef(counselling_agency(facts.get("birth_year"), today, model))] = None
        elif item.kind == "fact":
            value = facts.get(item.fact)
            if value:
                refs[AgencyRef(str(value))] = None
        else:
            code = facts.get(item.via) if item.via else None
            refs[AgencyRef(item.agency, str(code) if code else None)] = None
    return tuple(refs)


def _due(
    step: StepSpec, state: ParticipantState, model: ProcessModel, calendar: BusinessCalendar, today: date
) -> tuple[date, date, str] | None:
    facts = state.facts
    for rule in step.due:
        anchor = state.stage_since if rule.anchor == "stage_since" else facts.get(rule.anchor)
        if anchor is None:
            continue
        if rule.when and not all(holds(c, facts, {}, model) for c in rule.when):
            continue
        extra = 0
        if rule.pause_since and state.interruptions:
            since = anchor if rule.pause_since == "anchor" else facts.get(rule.pause_since, anchor)
            extra = paused_days(state.interruptions, since, today)
        result = calendar.add(anchor, rule.offset, extra_days=extra)
        note = result.note_de()
        if extra:
            pause = f"um {extra} Tage Unterbrechung verlängert"
            note = f"{pause}; {note}" if note else pause
        return result.date, result.nominal, note
    return None


def open_steps(
    state: ParticipantState, *, today: date, model: ProcessModel, calendar: BusinessCalendar | None = None
) -> list[OpenStep]:
    """The participant's pending steps as of `today`, earliest due first.

    A step is open while the participant is in one of its stages, its `when` holds and one of its
    due rules has its anchor date.
    """
    calendar = calendar or calendar_for(model)
    facts = state.facts
    result: list[OpenStep] = []
    for step in model.steps_in_stage.get(state.stage, ()):
        if step.when and not all(holds(c, facts, {}, model) for c in step.when):
            continue
        due = _due(step, state, model, calendar, today)
        if due is None:
            continue
        due_date, nominal, note = due
        overdue_days = (today - due_date).days if today > due_date else 0
        result.append(
            OpenStep(
                step=step.id,
                label=step.label,
                responsible=_resolve(step.responsible, facts, today, model),
                due=due_date,
                nominal_due=nominal,
                due_note=note,
                overdue=overdue_days > 0,
                days_overdue=overdue_days,
                legal_basis=step.legal_basis,
                reminders=step.reminders,
            )
        )
    result.sort(key=lambda item: (item.due, item.step))
    return result


def steps_valid_until(state: ParticipantState, *, today: date, model: ProcessModel) -> date | None:
    """The first day on which `open_steps` may give other steps than it gives `today` although
    neither the state nor the model changed; None when only they can change them.

    Time enters the evaluation in two places: a running interruption extends due dates day by
    day, and the counselling service (JMD or MBE) follows the participant's age. (Whether a step
    is overdue also depends on the day, but it is derived from the due date when read.)
    """
    until: date | None = None
    if any(end is None for _start, end in state.interruptions):
        until = today + timedelta(days=1)
    counselling = any(
        item.kind == "counselling" for step in model.steps_in_stage.get(state.stage, ()) for item in step.responsible
    )
    birth_year = state.facts.get("birth_year")
    if counselling and isinstance(birth_year, int) and counselling_agency(birth_year, today, model) == "JMD":
        grown_up = date(birth_year + model.int_param("jmd_max_age") + 1, 1, 1)
        until = grown_up if until is None else min(until, grown_up)
    return until


# --------------------------------------------------------------------------- versions


def migrate_state(state: ParticipantState, *, target: ProcessModel) -> ParticipantState:
    """Move a running case onto `target` using the explicit mapping the target declares."""
    if state.model_version == target.version:
        return state
    mapping = next((m for m in target.migrations if m.from_version == state.model_version), None)
    if mapping is None:
        raise VersionMigrationError(
            f"Version {target.version} enthält keine Zuordnung für Fälle der Version {state.model_version}"
        )
    stage = mapping.stages.get(state.stage, state.stage)
    if stage not in target.stages:
        raise VersionMigrationError(f"Stufe '{state.stage}' hat in Version {target.version} keine Entsprechung")
    facts: dict[str, Any] = {}
    for name, value in state.facts.items():
        new_name = mapping.facts.get(name, name)
        if new_name in target.facts:
            facts[new_name] = value
    return ParticipantState(target.version, stage, state.stage_since, facts, state.interruptions)
