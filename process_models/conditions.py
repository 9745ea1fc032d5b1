"""Guards (conditions over facts and payload) and the typed values of event payloads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from process_models.spec import (
    Condition,
    EventSpec,
    FieldSpec,
    ProcessModel,
)
from process_models.state import InvalidPayload

_OP_LABELS = {
    "eq": "=",
    "ne": "≠",
    "in": "∈",
    "not_in": "∉",
    "gte": "≥",
    "lte": "≤",
    "gte_param": "≥",
    "lte_param": "≤",
    "count_gte": "mindestens",
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
    if op == "count_gte":
        return bool(len(value) >= operand) if isinstance(value, list | tuple) else bool(operand <= 1)
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
    if op == "count_gte":
        return f"„{label}“: mindestens {operand}"
    if isinstance(operand, tuple):
        shown = ", ".join(str(item) for item in operand)
        return f"„{label}“ {_OP_LABELS[op]} {{{shown}}}"
    if isinstance(operand, bool):
        operand = "ja" if operand else "nein"
    return f"„{label}“ {_OP_LABELS[op]} {operand}"


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
    if kind == "agencies":
        items = raw if isinstance(raw, list | tuple) else re.split(r"[,;/ ]+", str(raw).strip())
        codes = [coerce_value("agency", item, model, choices=choices) for item in items if str(item).strip()]
        if not codes:
            raise ValueError("mindestens eine Stelle angeben")
        return list(dict.fromkeys(codes))
    if kind in ("provider", "course"):
        # that the provider or course exists in the region is checked where the region is known
        # (pipeline.validation.check_region_values): the model knows the kind of value, not the
        # region's providers and courses
        return coerce_value("str", raw, model)
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
    raise ValueError(f"{what} „{raw.strip()}“ ist nicht vorgesehen (möglich: {', '.join(options.values())})")


_PLAIN_TYPES: dict[str, type] = {"date": date, "int": int, "bool": bool}


def _already_typed(item: FieldSpec, value: Any, model: ProcessModel) -> bool:
    """True when `value` is already exactly what coerce_value would return (values from code)."""
    kind = item.type
    plain = _PLAIN_TYPES.get(kind)
    if plain is not None:
        return type(value) is plain
    if type(value) is not str:
        return False
    if kind in ("str", "provider", "course"):
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
            known = ", ".join(f"{item.label} ({item.name})" for item in fields.values()) or "keine"
            problems.append(f"Feld '{key}' gibt es bei „{spec.label}“ nicht (Felder: {known})")
    result: dict[str, Any] = {}
    for name, item in fields.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and item.type != "str"):
            value = by if item.default == "$by" else item.default
        if value is None:
            if item.required:
                problems.append(f"„{item.label}“ fehlt")
            continue
        typed: Any
        try:
            typed = (
                value
                if _already_typed(item, value, model)
                else coerce_value(item.type, value, model, choices=item.choices)
            )
        except ValueError as exc:
            problems.append(f"„{item.label}“: {exc}")
            continue
        if item.minimum is not None and typed < item.minimum:
            problems.append(f"„{item.label}“: mindestens {item.minimum}")
        elif item.maximum is not None and typed > item.maximum:
            problems.append(f"„{item.label}“: höchstens {item.maximum}")
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
