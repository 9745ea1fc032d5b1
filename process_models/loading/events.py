"""Events, their typed payloads and effects, guards (conditions) and the transitions they cause."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from process_models.loading.yaml_source import _IDENTIFIER, _SCALAR_TYPES, Path_, _Builder, line_of
from process_models.spec import (
    CONDITION_OPS,
    Condition,
    EventSpec,
    FactSpec,
    FieldSpec,
    Parameter,
    StageSpec,
    TransitionSpec,
    ValueSet,
)


def _conditions(
    b: _Builder,
    value: Any,
    path: Path_,
    *,
    facts: Mapping[str, FactSpec],
    params: Mapping[str, Parameter],
    value_sets: Mapping[str, ValueSet],
    payload: Mapping[str, FieldSpec] | None,
    derived: Iterable[str] = (),
) -> tuple[Condition, ...]:
    if value is None:
        return ()
    items: list[tuple[Path_, Any]]
    if isinstance(value, dict):
        items = [(path, value)]
    elif isinstance(value, list):
        items = [((*path, index), item) for index, item in enumerate(value)]
    else:
        b.error(path, "Bedingung: Zuordnung erwartet", "condition: mapping expected")
        return ()
    derived_names = set(derived)
    result: list[Condition] = []
    for item_path, item in items:
        if not isinstance(item, dict):
            b.error(item_path, "Bedingung: Zuordnung erwartet", "condition: mapping expected")
            continue
        for subject, test in item.items():
            subject_path = (*item_path, subject)
            scope, _, name = str(subject).partition(".")
            subject_type: str | None = None
            if scope == "fact":
                if name in facts:
                    subject_type = facts[name].type
                elif name in derived_names:
                    subject_type = "bool"
                else:
                    b.error(subject_path, f"Unbekannte Angabe (fact) '{name}'", f"unknown fact '{name}'")
                    continue
            elif scope == "payload":
                if payload is None:
                    b.error(
                        subject_path,
                        "Hier sind nur Bedingungen auf Angaben (fact.*) erlaubt",
                        "only fact.* conditions are allowed here",
                    )
                    continue
                if name not in payload:
                    b.error(
                        subject_path,
                        f"Das Ereignis hat kein Feld '{name}'",
                        f"the event has no payload field '{name}'",
                    )
                    continue
                subject_type = payload[name].type
            else:
                b.error(
                    subject_path,
                    f"Bedingung '{subject}': erwartet fact.NAME oder payload.NAME",
                    f"condition '{subject}': expected fact.NAME or payload.NAME",
                )
                continue
            if not isinstance(test, dict) or len(test) != 1:
                b.error(
                    subject_path,
                    f"Bedingung '{subject}': genau ein Vergleich erwartet, z. B. {{eq: B1}}",
                    f"condition '{subject}': exactly one test expected, e.g. {{eq: B1}}",
                )
                continue
            op, operand = next(iter(test.items()))
            kind = CONDITION_OPS.get(op)
            if kind is None:
                hint = ", ".join(CONDITION_OPS)
                b.error(
                    (*subject_path, op),
                    f"Unbekannter Vergleich '{op}' (erlaubt: {hint})",
                    f"unknown test '{op}' (allowed: {hint})",
                )
                continue
            if kind == "param":
                if operand not in params:
                    b.error((*subject_path, op), f"Unbekannter Parameter '{operand}'", f"unknown parameter '{operand}'")
                    continue
            elif kind == "fact":
                if operand not in facts:
                    b.error((*subject_path, op), f"Unbekannte Angabe '{operand}'", f"unknown fact '{operand}'")
                    continue
            elif kind == "bool":
                if not isinstance(operand, bool):
                    b.error((*subject_path, op), f"'{op}' erwartet true/false", f"'{op}' expects true/false")
                    continue
            elif kind == "list":
                if not isinstance(operand, list):
                    b.error((*subject_path, op), f"'{op}' erwartet eine Liste", f"'{op}' expects a list")
                    continue
                operand = tuple(operand)
            if op == "count_gte" and (subject_type != "agencies" or not isinstance(operand, int)):
                b.error(
                    (*subject_path, op),
                    "count_gte: nur für Listen (agencies) und mit einer ganzen Zahl",
                    "count_gte: only for lists (agencies), with an integer",
                )
                continue
            if subject_type and subject_type.startswith("enum:") and kind in ("value", "list"):
                allowed = value_sets.get(subject_type[5:])
                for candidate in operand if kind == "list" else (operand,):
                    if allowed is not None and candidate not in allowed.values:
                        b.error(
                            (*subject_path, op),
                            f"Wert '{candidate}' gibt es in '{subject_type[5:]}' nicht",
                            f"value '{candidate}' is not in '{subject_type[5:]}'",
                        )
            result.append(Condition(scope, name, op, operand))  # type: ignore[arg-type]
    return tuple(result)


def _field(b: _Builder, name: str, spec: Any, path: Path_, ctx: dict[str, Any]) -> FieldSpec | None:
    spec = b.mapping(
        spec,
        path,
        what=f"Feld '{name}'",
        allowed=("type", "label", "required", "default", "choices", "min", "max"),
        required=("type", "label"),
    )
    if "type" not in spec:
        return None
    kind = spec["type"]
    if not _valid_type(b, kind, (*path, "type"), ctx["value_sets"]):
        return None
    choices: tuple[str, ...] = ()
    if "choices" in spec:
        choices = tuple(b.names(spec["choices"], (*path, "choices"), what="choices"))
        if kind == "agency":
            for code in choices:
                if code not in ctx["agencies"]:
                    b.error((*path, "choices"), f"Unbekannte Stelle '{code}'", f"unknown agency '{code}'")
    default = spec.get("default")
    if default is not None and default != "$by":
        default = _check_literal(b, kind, default, (*path, "default"), ctx)
    for bound in ("min", "max"):
        if bound in spec and (kind != "int" or not isinstance(spec[bound], int)):
            b.error((*path, bound), f"'{bound}' nur für Ganzzahlen", f"'{bound}' only for integers")
    return FieldSpec(
        name=name,
        type=kind,
        label=b.text(spec.get("label"), (*path, "label"), what="label"),
        required=b.boolean(spec.get("required"), (*path, "required"), what="required"),
        default=default,
        choices=choices,
        minimum=spec.get("min"),
        maximum=spec.get("max"),
    )


def _valid_type(b: _Builder, kind: Any, path: Path_, value_sets: Mapping[str, ValueSet]) -> bool:
    if isinstance(kind, str) and (kind in _SCALAR_TYPES or (kind.startswith("enum:") and kind[5:] in value_sets)):
        return True
    b.error(
        path,
        f"Unbekannter Typ '{kind}' (erlaubt: {', '.join(sorted(_SCALAR_TYPES))}, enum:LISTE)",
        f"unknown type '{kind}'",
    )
    return False


def _check_literal(b: _Builder, kind: str, value: Any, path: Path_, ctx: dict[str, Any]) -> Any:
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "date": isinstance(value, date),
        "agency": value in ctx["agencies"],
        "provider": isinstance(value, str),
        "course": isinstance(value, str),
        "course_type": value in ctx["course_types"],
    }.get(kind)
    if kind.startswith("enum:"):
        ok = value in ctx["value_sets"][kind[5:]].values
    if not ok:
        b.error(path, f"Wert '{value}' passt nicht zum Typ {kind}", f"value '{value}' does not fit type {kind}")
    return value


def _effects(
    b: _Builder,
    spec: Mapping[str, Any],
    key: str,
    path: Path_,
    payload: Mapping[str, FieldSpec],
    ctx: dict[str, Any],
) -> tuple[tuple[str, str], ...]:
    facts: Mapping[str, FactSpec] = ctx["facts"]
    result: list[tuple[str, str]] = []
    for fact_name, source in b.mapping(spec.get(key), (*path, key), what=key).items():
        item_path = (*path, key, fact_name)
        fact = facts.get(fact_name)
        if fact is None:
            b.error(item_path, f"Unbekannte Angabe '{fact_name}'", f"unknown fact '{fact_name}'")
            continue
        source_type: str | None = None
        if source == "date":
            source_type = "date"
        elif source == "by":
            source_type = "agency"
        elif isinstance(source, str) and source.startswith("payload."):
            field_spec = payload.get(source[8:])
            if field_spec is None:
                b.error(
                    item_path,
                    f"Das Ereignis hat kein Feld '{source[8:]}'",
                    f"the event has no payload field '{source[8:]}'",
                )
                continue
            source_type = field_spec.type
        elif isinstance(source, str) and source.startswith("="):
            _check_literal(b, fact.type, source[1:], item_path, ctx)
            source_type = fact.type
        else:
            b.error(
                item_path,
                f"Quelle '{source}': erwartet date, by, payload.FELD oder =WERT",
                f"source '{source}': expected date, by, payload.FIELD or =VALUE",
            )
            continue
        if key == "adds" and fact.type != "int":
            b.error(item_path, f"'{fact_name}' ist keine Zahl", f"'{fact_name}' is not an integer")
        elif key == "appends":
            if fact.type != "agencies" or source_type != "agency":
                b.error(
                    item_path,
                    f"'{fact_name}' muss eine Liste von Stellen (agencies) sein und die Quelle eine Stelle",
                    f"'{fact_name}' must be of type agencies and its source an agency",
                )
        elif source_type != fact.type:
            b.error(
                item_path,
                f"Typ passt nicht: '{fact_name}' ist {fact.type}, die Quelle {source_type}",
                f"type mismatch: '{fact_name}' is {fact.type}, the source {source_type}",
            )
        result.append((fact_name, str(source)))
    return tuple(result)


def _events(b: _Builder, data: Any, ctx: dict[str, Any]) -> dict[str, EventSpec]:
    events: dict[str, EventSpec] = {}
    for event_id, spec in b.mapping(data, ("events",), what="events").items():
        path: Path_ = ("events", event_id)
        if not _IDENTIFIER.match(event_id):
            b.error(path, f"Ereignis '{event_id}' muss snake_case sein", f"event '{event_id}' must be snake_case")
        spec = b.mapping(
            spec,
            path,
            what=f"Ereignis '{event_id}'",
            allowed=(
                "label",
                "description",
                "actors",
                "payload",
                "sets",
                "keeps",
                "adds",
                "appends",
                "clears",
                "interruption",
                "enrolment",
                "enrolment_when",
                "actors_only",
            ),
            required=("label",),
        )
        actors = tuple(b.names(spec["actors"], (*path, "actors"), what="actors")) if "actors" in spec else ()
        for actor in actors:
            if actor not in ctx["agencies"]:
                b.error((*path, "actors"), f"Unbekannte Stelle '{actor}'", f"unknown agency '{actor}'")
        payload: dict[str, FieldSpec] = {}
        for field_name, field_spec in b.mapping(spec.get("payload"), (*path, "payload"), what="payload").items():
            built = _field(b, field_name, field_spec, (*path, "payload", field_name), ctx)
            if built is not None:
                payload[field_name] = built
        clears = tuple(b.names(spec["clears"], (*path, "clears"), what="clears")) if "clears" in spec else ()
        for name in clears:
            if name not in ctx["facts"]:
                b.error((*path, "clears"), f"Unbekannte Angabe '{name}'", f"unknown fact '{name}'")
        interruption = spec.get("interruption")
        if interruption not in (None, "start", "end"):
            b.error((*path, "interruption"), "interruption: start oder end", "interruption: start or end")
            interruption = None
        enrolment = spec.get("enrolment")
        if enrolment not in (None, "start", "end"):
            b.error((*path, "enrolment"), "enrolment: start oder end", "enrolment: start or end")
            enrolment = None
        enrolment_when = _conditions(
            b,
            spec.get("enrolment_when"),
            (*path, "enrolment_when"),
            facts=ctx["facts"],
            params=ctx["params"],
            value_sets=ctx["value_sets"],
            payload=payload,
        )
        if enrolment_when and enrolment is None:
            b.error(
                (*path, "enrolment_when"),
                "enrolment_when nur zusammen mit enrolment",
                "enrolment_when only together with enrolment",
            )
        events[event_id] = EventSpec(
            id=event_id,
            label=b.text(spec.get("label"), (*path, "label"), what="label"),
            description=str(spec.get("description") or ""),
            actors=actors,
            payload=tuple(payload.values()),
            sets=_effects(b, spec, "sets", path, payload, ctx),
            keeps=_effects(b, spec, "keeps", path, payload, ctx),
            adds=_effects(b, spec, "adds", path, payload, ctx),
            appends=_effects(b, spec, "appends", path, payload, ctx),
            clears=clears,
            interruption=interruption,
            enrolment=enrolment,
            enrolment_when=enrolment_when,
            actors_only=b.boolean(spec.get("actors_only"), (*path, "actors_only"), what="actors_only"),
        )
    return events


def _transitions(
    b: _Builder, data: Any, stages: Mapping[str, StageSpec], events: Mapping[str, EventSpec], ctx: dict[str, Any]
) -> list[TransitionSpec]:
    if not isinstance(data, list):
        b.error(("transitions",), "transitions: Liste erwartet", "transitions: list expected")
        return []
    result: list[TransitionSpec] = []
    for index, spec in enumerate(data):
        path: Path_ = ("transitions", index)
        spec = b.mapping(
            spec,
            path,
            what="Übergang",
            allowed=("from", "event", "to", "guard", "refusal"),
            required=("from", "event", "to"),
        )
        if not {"from", "event", "to"} <= set(spec):
            continue
        sources = b.names(spec["from"], (*path, "from"), what="from")
        event_ids = b.names(spec["event"], (*path, "event"), what="event")
        target = spec["to"]
        if target not in stages:
            b.error((*path, "to"), f"Unbekannte Stufe '{target}'", f"unknown stage '{target}'")
        for source in sources:
            if source not in stages:
                b.error((*path, "from"), f"Unbekannte Stufe '{source}'", f"unknown stage '{source}'")
        for event_id in event_ids:
            event = events.get(event_id)
            if event is None:
                b.error((*path, "event"), f"Unbekanntes Ereignis '{event_id}'", f"unknown event '{event_id}'")
                continue
            guard = _conditions(
                b,
                spec.get("guard"),
                (*path, "guard"),
                facts=ctx["facts"],
                params=ctx["params"],
                value_sets=ctx["value_sets"],
                payload={f.name: f for f in event.payload},
                derived=ctx["derived"],
            )
            for source in sources:
                result.append(
                    TransitionSpec(
                        source,
                        event_id,
                        str(target),
                        guard,
                        str(spec.get("refusal") or "").strip(),
                        line_of(b.doc, path),
                    )
                )
    return result
