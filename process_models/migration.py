"""Moving a running case to a newer model version through the version's explicit mapping."""

from __future__ import annotations

from typing import Any

from process_models.spec import (
    ProcessModel,
)
from process_models.state import ParticipantState, VersionMigrationError


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
