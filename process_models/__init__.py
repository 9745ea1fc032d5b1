"""The reference process as data: versioned YAML definitions, their loader, and the pure engine."""

from process_models.business_days import Adjusted, BusinessCalendar, CalendarConfig, format_date
from process_models.durations import Duration
from process_models.engine import (
    AgencyRef,
    Event,
    Interruption,
    InvalidPayload,
    OpenStep,
    ParticipantState,
    Transition,
    TransitionNotAllowed,
    VersionMigrationError,
    advance,
    calendar_for,
    coerce_value,
    migrate_state,
    new_state,
    open_steps,
    parse_date,
)
from process_models.loader import (
    ModelCatalog,
    ModelError,
    ModelValidationError,
    current_definition_path,
    definition_paths,
    load_model,
    load_model_text,
)
from process_models.spec import ProcessModel

__all__ = [
    "Adjusted",
    "AgencyRef",
    "BusinessCalendar",
    "CalendarConfig",
    "Duration",
    "Event",
    "Interruption",
    "InvalidPayload",
    "ModelCatalog",
    "ModelError",
    "ModelValidationError",
    "OpenStep",
    "ParticipantState",
    "ProcessModel",
    "Transition",
    "TransitionNotAllowed",
    "VersionMigrationError",
    "advance",
    "calendar_for",
    "coerce_value",
    "current_definition_path",
    "definition_paths",
    "format_date",
    "load_model",
    "load_model_text",
    "migrate_state",
    "new_state",
    "open_steps",
    "parse_date",
]
