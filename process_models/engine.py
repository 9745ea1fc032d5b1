"""The pure process engine: apply an event to a participant's state, list the open steps.

No database, no Prefect, no clock: every function takes the date it should reason about. The
engine is split by what it owns: the state and the values passed around (`state`), guards and
payload values (`conditions`), applying an event (`transitions`), open steps and their
deadlines (`deadlines`) and moving a case to a newer model version (`migration`). This module
hands on their public names.
"""

from __future__ import annotations

from process_models.conditions import coerce_payload, coerce_value, describe_condition, holds, parse_date
from process_models.deadlines import calendar_for, counselling_agency, open_steps, paused_days, steps_valid_until
from process_models.migration import migrate_state
from process_models.state import (
    AgencyRef,
    Event,
    Interruption,
    InvalidPayload,
    OpenStep,
    ParticipantState,
    Transition,
    TransitionNotAllowed,
    VersionMigrationError,
    facts_from_json,
    new_state,
)
from process_models.transitions import advance, enrolment_effect

__all__ = [
    "AgencyRef",
    "Event",
    "Interruption",
    "InvalidPayload",
    "OpenStep",
    "ParticipantState",
    "Transition",
    "TransitionNotAllowed",
    "VersionMigrationError",
    "advance",
    "calendar_for",
    "coerce_payload",
    "coerce_value",
    "counselling_agency",
    "describe_condition",
    "enrolment_effect",
    "facts_from_json",
    "holds",
    "migrate_state",
    "new_state",
    "open_steps",
    "parse_date",
    "paused_days",
    "steps_valid_until",
]
