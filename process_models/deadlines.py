"""The open steps of a state as of a day: who must act and by when (business days, pauses)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from process_models.business_days import BusinessCalendar
from process_models.conditions import holds
from process_models.spec import (
    ProcessModel,
    Responsible,
    StepSpec,
)
from process_models.state import AgencyRef, Interruption, OpenStep, ParticipantState


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
        if item.kind == "switch":
            value = facts.get(item.fact)
            chosen = next((ref for case, ref in item.cases if case == value), None)
            refs.update(dict.fromkeys(_resolve((chosen,) if chosen else item.otherwise, facts, today, model)))
        elif item.kind == "counselling":
            refs[AgencyRef(counselling_agency(facts.get("birth_year"), today, model))] = None
        elif item.kind == "fact":
            value = facts.get(item.fact)
            for code in value if isinstance(value, list | tuple) else (value,) if value else ():
                refs[AgencyRef(str(code))] = None
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
        item.kind == "counselling" or any(inner.kind == "counselling" for inner in item.otherwise)
        for step in model.steps_in_stage.get(state.stage, ())
        for item in step.responsible
    )
    birth_year = state.facts.get("birth_year")
    if counselling and isinstance(birth_year, int) and counselling_agency(birth_year, today, model) == "JMD":
        grown_up = date(birth_year + model.int_param("jmd_max_age") + 1, 1, 1)
        until = grown_up if until is None else min(until, grown_up)
    return until
