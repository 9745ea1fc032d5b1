"""The open steps of each stage: responsible agency, deadline rule, pauses and reminders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from process_models.loading.events import _conditions
from process_models.loading.values import _duration_ref, _reminders, _responsible
from process_models.loading.yaml_source import Path_, _Builder
from process_models.spec import (
    DueRule,
    FactSpec,
    ReminderRule,
    Responsible,
    StageSpec,
    StepSpec,
)


def _steps(
    b: _Builder, data: Any, stages: Mapping[str, StageSpec], defaults: ReminderRule, ctx: dict[str, Any]
) -> dict[str, StepSpec]:
    steps: dict[str, StepSpec] = {}
    facts: Mapping[str, FactSpec] = ctx["facts"]
    for step_id, spec in b.mapping(data, ("steps",), what="steps").items():
        path: Path_ = ("steps", step_id)
        spec = b.mapping(
            spec,
            path,
            what=f"Schritt '{step_id}'",
            allowed=(
                "label",
                "description",
                "legal_basis",
                "stages",
                "when",
                "responsible",
                "due",
                "reminders",
                "answer",
                "lapses",
            ),
            required=("label", "stages", "responsible", "due"),
        )
        if not {"label", "stages", "responsible", "due"} <= set(spec):
            continue
        step_stages = b.names(spec["stages"], (*path, "stages"), what="stages")
        for stage in step_stages:
            if stage not in stages:
                b.error((*path, "stages"), f"Unbekannte Stufe '{stage}'", f"unknown stage '{stage}'")
            elif stages[stage].final:
                b.error(
                    (*path, "stages"),
                    f"Stufe '{stage}' ist ein Endzustand und hat keine offenen Schritte",
                    f"stage '{stage}' is final and has no open steps",
                )
        responsible: list[Responsible] = []
        raw_responsible = spec["responsible"] if isinstance(spec["responsible"], list) else [spec["responsible"]]
        for index, raw in enumerate(raw_responsible):
            built = _responsible(b, raw, (*path, "responsible", index), ctx["agencies"], facts)
            if built is not None:
                responsible.append(built)
        due_rules: list[DueRule] = []
        raw_due = spec["due"] if isinstance(spec["due"], list) else [spec["due"]]
        if not raw_due:
            b.error((*path, "due"), "Mindestens eine Fristregel erwartet", "at least one due rule expected")
        for index, rule in enumerate(raw_due):
            rule_path = (*path, "due", index)
            rule = b.mapping(
                rule,
                rule_path,
                what="due",
                allowed=("from", "after", "when", "pause_for_interruptions"),
                required=("from", "after"),
            )
            if not {"from", "after"} <= set(rule):
                continue
            anchor = rule["from"]
            if anchor != "stage_since" and (anchor not in facts or facts[anchor].type != "date"):
                b.error(
                    (*rule_path, "from"),
                    f"'{anchor}' ist keine Datumsangabe (oder stage_since)",
                    f"'{anchor}' is not a date fact (or stage_since)",
                )
                continue
            offset = _duration_ref(b, rule["after"], (*rule_path, "after"), ctx["params"])
            if offset is None:
                continue
            due_rules.append(
                DueRule(
                    anchor=anchor,
                    offset=offset[0],
                    offset_ref=offset[1],
                    when=_conditions(
                        b,
                        rule.get("when"),
                        (*rule_path, "when"),
                        facts=facts,
                        params=ctx["params"],
                        value_sets=ctx["value_sets"],
                        payload=None,
                        derived=ctx["derived"],
                    ),
                    pause_since=_pause_since(
                        b, rule.get("pause_for_interruptions"), (*rule_path, "pause_for_interruptions"), facts
                    ),
                )
            )
        reminders = _reminders(b, spec.get("reminders"), (*path, "reminders"), ctx["params"], defaults) or defaults
        answer = _answer(b, spec.get("answer"), (*path, "answer"), step_stages, ctx)
        steps[step_id] = StepSpec(
            id=step_id,
            label=b.text(spec.get("label"), (*path, "label"), what="label"),
            description=str(spec.get("description") or ""),
            legal_basis=str(spec.get("legal_basis") or ""),
            stages=tuple(step_stages),
            when=_conditions(
                b,
                spec.get("when"),
                (*path, "when"),
                facts=facts,
                params=ctx["params"],
                value_sets=ctx["value_sets"],
                payload=None,
                derived=ctx["derived"],
            ),
            responsible=tuple(responsible),
            due=tuple(due_rules),
            reminders=reminders,
            answer=answer,
            lapses=b.boolean(spec.get("lapses"), (*path, "lapses"), what="lapses"),
        )
    return steps


def _answer(b: _Builder, raw: Any, path: Path_, stages: list[str], ctx: dict[str, Any]) -> str | None:
    """The event that a confirmation from the reminder e-mail records for a step: it must be
    allowed in each of the step's stages."""
    if raw is None:
        return None
    event = str(raw)
    transitions = ctx.get("transitions") or ()
    if not any(transition.event == event for transition in transitions):
        b.error(path, f"Unbekanntes Ereignis '{event}'", f"unknown event '{event}'")
        return None
    for stage in stages:
        if not any(transition.event == event and transition.source == stage for transition in transitions):
            b.error(
                path,
                f"Ereignis '{event}' ist in der Stufe '{stage}' nicht erlaubt",
                f"event '{event}' is not allowed in stage '{stage}'",
            )
            return None
    return event


def _pause_since(b: _Builder, raw: Any, path: Path_, facts: Mapping[str, FactSpec]) -> str:
    """`true` pauses for interruptions after the anchor; a date fact pauses for those after it."""
    if raw is None or raw is False:
        return ""
    if raw is True:
        return "anchor"
    if isinstance(raw, str) and raw in facts and facts[raw].type == "date":
        return raw
    b.error(
        path,
        "pause_for_interruptions: true/false oder eine Datumsangabe erwartet",
        "pause_for_interruptions: true/false or a date fact expected",
    )
    return ""
