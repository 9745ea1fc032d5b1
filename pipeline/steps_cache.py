"""The open steps every write caches on the participant row: listings read them without the
engine, and the daily sweep re-evaluates only the rows whose cache may have changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from process_models import OpenStep, ParticipantState, ProcessModel, calendar_for, steps_valid_until
from process_models.reminders import LEVELS, remind_on

#: the level a Wiedervorlage does not pause: the escalation date stays the law's
ESCALATED = LEVELS[-1]


def steps_columns(
    steps: Sequence[OpenStep],
    *,
    state: ParticipantState,
    today: date,
    model: ProcessModel,
    reminders_planned: bool = False,
    holds: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The cached open-step columns of a participant row, `steps` being `open_steps` as of `today`.

    Listings read them without the engine; the daily sweep re-evaluates only rows whose cache may
    have changed (`steps_valid_until`, a new model fingerprint) or which may need a reminder
    planned (`next_remind`): today when a step has a reminder level and `reminders_planned` is
    not set (every write path), else the next day a step reaches a higher level (the sweep, which
    has just planned today's), or the day a step's Wiedervorlage (`holds`) ends.
    """
    first = steps[0] if steps else None
    calendar = calendar_for(model)
    remind_days = [
        day for step in steps if (day := remind_on(step, today, calendar, planned=reminders_planned)) is not None
    ]
    remind_days.extend(until for step in steps if (until := active_hold(holds, step.step, today)) is not None)
    return {
        "steps_fingerprint": model.fingerprint,
        "next_remind": min(remind_days, default=None),
        "steps_valid_until": steps_valid_until(state, today=today, model=model),
        "open_steps": [step.to_json() for step in steps],
        "open_step_count": len(steps),
        "next_step": first.step if first else None,
        "next_due": first.due if first else None,
        "next_responsible": [str(ref) for ref in first.responsible] if first else [],
        "next_agencies": list(dict.fromkeys(ref.type for ref in first.responsible)) if first else [],
    }


def active_hold(holds: Mapping[str, Any] | None, step: str, today: date) -> date | None:
    """The follow-up date (Wiedervorlage) until which `step`'s reminders pause, if still ahead of
    `today`; escalation is not paused (the sweep and the revision of unsent digests ask this)."""
    hold = holds.get(step) if holds else None
    if not hold:
        return None
    until = date.fromisoformat(hold["until"])
    return until if until > today else None


def hold_pauses(holds: Mapping[str, Any] | None, step: str, level: str, today: date) -> bool:
    """Whether a reminder of `step` at `level` waits for the step's Wiedervorlage (never an escalation)."""
    return level != ESCALATED and active_hold(holds, step, today) is not None
