"""Applying one event to a participant's state: the transition, its guards and effects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from process_models.business_days import format_date
from process_models.conditions import coerce_payload, describe_condition, holds
from process_models.spec import (
    EventSpec,
    ProcessModel,
)
from process_models.state import (
    Event,
    Interruption,
    ParticipantState,
    Transition,
    TransitionNotAllowed,
    VersionMigrationError,
)


def _not_allowed(
    model: ProcessModel, state: ParticipantState, event: str, reason_de: str = "", reason_en: str = ""
) -> TransitionNotAllowed:
    allowed = model.allowed_events(state.stage)
    stage_label = model.stage_label(state.stage)
    event_label = model.event_label(event)
    listed = ", ".join(f"„{model.event_label(name)}“" for name in allowed) if allowed else "keine (Endzustand)"
    de = f"„{event_label}“ ist in der Stufe „{stage_label}“ nicht erlaubt"
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
    if event.by is not None and not spec.coordination_records(event.by) and spec.actors and event.by not in spec.actors:
        others = "" if spec.actors_only else " (oder die Koordination, KOM)"
        raise TransitionNotAllowed(
            f"„{spec.label}“ erfassen nur {', '.join(spec.actors)}{others}, nicht {event.by}.",
            f"only {', '.join(spec.actors)}{' (or KOM)' if not spec.actors_only else ''} may record "
            f"'{event.name}', not {event.by}",
            stage=state.stage,
            event=event.name,
            allowed=model.allowed_events(state.stage),
        )
    if at < state.stage_since:
        raise TransitionNotAllowed(
            f"„{spec.label}“ am {format_date(at)}: das Datum liegt vor dem Beginn der aktuellen Stufe "
            f"„{model.stage_label(state.stage)}“ am {format_date(state.stage_since)}; bitte das Datum prüfen.",
            f"{at} is before the current stage '{state.stage}' began ({state.stage_since})",
            stage=state.stage,
            event=event.name,
            allowed=model.allowed_events(state.stage),
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


def enrolment_effect(model: ProcessModel, event: str, payload: Mapping[str, Any]) -> str | None:
    """ "start" or "end" when `event` with this payload starts or ends a course enrolment (the
    event's `enrolment` flag, where its `enrolment_when` holds), otherwise None."""
    spec = model.events.get(event)
    if spec is None or spec.enrolment is None:
        return None
    if not all(holds(condition, {}, payload, model) for condition in spec.enrolment_when):
        return None
    return spec.enrolment


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
    for name, source in spec.appends:
        value = _source_value(source, payload, at, by)
        if value:
            listed = list(facts.get(name) or ())
            facts[name] = listed if value in listed else [*listed, value]
    return facts
