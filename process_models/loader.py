"""Loads process definitions and regional overrides from YAML and validates them strictly.

Every problem is collected (not just the first) and reported with file, line and a German and
an English message.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from process_models.business_days import LAENDER, CalendarConfig
from process_models.durations import Duration
from process_models.spec import (
    CONDITION_OPS,
    Agency,
    Condition,
    CourseType,
    DerivedFact,
    DueRule,
    EventSpec,
    FactSpec,
    FieldSpec,
    Parameter,
    ParamValue,
    ProcessModel,
    ReminderRule,
    Responsible,
    StageSpec,
    StepSpec,
    TransitionSpec,
    ValueSet,
    VersionMapping,
    parameter_kind,
)

DEFINITIONS_DIR = Path(__file__).parent / "definitions"

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9]*$")
_SCALAR_TYPES = {"date", "int", "bool", "str", "agency", "course_type"}
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class ModelError:
    file: str
    line: int | None
    de: str
    en: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.de} ({self.en})"


class ModelValidationError(Exception):
    """A definition or override is invalid; `errors` lists every problem found."""

    def __init__(self, errors: list[ModelError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass
class YamlDocument:
    name: str
    text: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)


class _Builder:
    """Collects errors while turning YAML data into spec objects."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.errors: list[ModelError] = []

    def error(self, path: Path_, de: str, en: str, doc: YamlDocument | None = None) -> None:
        doc = doc or self.doc
        self.errors.append(ModelError(doc.name, line_of(doc, path), de, en))

    def mapping(
        self,
        value: Any,
        path: Path_,
        *,
        what: str,
        allowed: Iterable[str] | None = None,
        required: Iterable[str] = (),
        doc: YamlDocument | None = None,
    ) -> dict[str, Any]:
        """`value` as a mapping with only `allowed` keys and all `required` keys, or {}."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"{what}: Zuordnung (Schlüssel: Wert) erwartet", f"{what}: mapping expected", doc)
            return {}
        if allowed is not None:
            allowed_set = set(allowed)
            for key in value:
                if key not in allowed_set:
                    hint = ", ".join(sorted(allowed_set))
                    self.error(
                        (*path, key),
                        f"Unbekannter Schlüssel '{key}' in {what} (erlaubt: {hint})",
                        f"unknown key '{key}' in {what} (allowed: {hint})",
                        doc,
                    )
        for key in required:
            if key not in value:
                self.error(
                    path, f"Pflichtangabe '{key}' fehlt in {what}", f"required key '{key}' missing in {what}", doc
                )
        return value

    def text(self, value: Any, path: Path_, *, what: str, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.error(path, f"{what}: Text erwartet", f"{what}: text expected")
        return default or ""

    def boolean(self, value: Any, path: Path_, *, what: str, default: bool = False) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.error(path, f"{what}: ja/nein (true/false) erwartet", f"{what}: true/false expected")
        return default

    def names(self, value: Any, path: Path_, *, what: str) -> list[str]:
        """A single name or a list of names."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            return list(value)
        self.error(path, f"{what}: Name oder Liste von Namen erwartet", f"{what}: name or list of names expected")
        return []


def line_of(doc: YamlDocument, path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        line = doc.lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, name: str) -> YamlDocument:
    """Parse YAML keeping the line of every node; duplicate keys are errors."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ModelValidationError(
            [ModelError(name, line, f"Kein gültiges YAML: {problem}", f"invalid YAML: {problem}")]
        ) from exc
    if root is None:
        raise ModelValidationError([ModelError(name, None, "Die Datei ist leer", "the file is empty")])
    doc = YamlDocument(name, text, None)
    errors: list[ModelError] = []
    constructor = yaml.constructor.SafeConstructor()

    def build(node: yaml.Node, path: Path_) -> Any:
        doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = build(key_node, (*path, "<key>"))
                if isinstance(key, date):
                    key = key.isoformat()
                if not isinstance(key, str | int | bool):
                    errors.append(ModelError(name, key_node.start_mark.line + 1, "Ungültiger Schlüssel", "invalid key"))
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    errors.append(
                        ModelError(
                            name,
                            key_node.start_mark.line + 1,
                            f"Schlüssel '{key}' ist doppelt",
                            f"duplicate key '{key}'",
                        )
                    )
                result[key] = build(value_node, (*path, key))
                doc.lines[(*path, key)] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, (*path, index)) for index, item in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)  # type: ignore[no-untyped-call]

    doc.data = build(root, ())
    if errors:
        raise ModelValidationError(errors)
    return doc


# --------------------------------------------------------------------------- conditions


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


# --------------------------------------------------------------------------- parts


def _parameters(b: _Builder, data: Any) -> dict[str, Parameter]:
    params: dict[str, Parameter] = {}
    for name, spec in b.mapping(data, ("parameters",), what="parameters").items():
        path: Path_ = ("parameters", name)
        if not _IDENTIFIER.match(name):
            b.error(path, f"Parametername '{name}' muss snake_case sein", f"parameter name '{name}' must be snake_case")
        spec = b.mapping(
            spec, path, what=f"Parameter '{name}'", allowed=("value", "label", "source"), required=("value", "label")
        )
        if "value" not in spec:
            continue
        value = _param_value(b, spec["value"], (*path, "value"), name)
        if value is None:
            continue
        params[name] = Parameter(
            name,
            value,
            b.text(spec.get("label"), (*path, "label"), what="label"),
            str(spec.get("source") or ""),
        )
    return params


def _param_value(b: _Builder, raw: Any, path: Path_, name: str, doc: YamlDocument | None = None) -> ParamValue | None:
    if isinstance(raw, bool | int):
        return raw
    if isinstance(raw, str):
        return Duration.parse(raw) if Duration.is_literal(raw) else raw
    b.error(
        path,
        f"Parameter '{name}': Zahl, ja/nein, Frist (z. B. 6w) oder Text erwartet",
        f"parameter '{name}': number, boolean, period (e.g. 6w) or text expected",
        doc,
    )
    return None


def _duration_ref(
    b: _Builder, raw: Any, path: Path_, params: Mapping[str, Parameter], doc: YamlDocument | None = None
) -> tuple[Duration, str] | None:
    """A literal period ("6w") or the name of a period parameter."""
    if isinstance(raw, str):
        if Duration.is_literal(raw):
            return Duration.parse(raw), ""
        param = params.get(raw)
        if param is None:
            b.error(path, f"Unbekannter Parameter '{raw}'", f"unknown parameter '{raw}'", doc)
            return None
        if not isinstance(param.value, Duration):
            b.error(path, f"Parameter '{raw}' ist keine Frist", f"parameter '{raw}' is not a period", doc)
            return None
        return param.value, raw
    b.error(path, "Frist (z. B. 6w) oder Parametername erwartet", "period (e.g. 6w) or parameter name expected", doc)
    return None


def _int_ref(b: _Builder, raw: Any, path: Path_, params: Mapping[str, Parameter]) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw in params and parameter_kind(params[raw].value) == "int":
        value = params[raw].value
        assert isinstance(value, int)
        return value
    b.error(
        path,
        f"Ganzzahl oder Zahl-Parameter erwartet, nicht '{raw}'",
        f"integer or integer parameter expected, not '{raw}'",
    )
    return 0


_REMINDER_KEYS = ("lead", "on_due", "repeat_after", "escalate_after")


def _reminders(
    b: _Builder,
    data: Any,
    path: Path_,
    params: Mapping[str, Parameter],
    base: ReminderRule | None,
    doc: YamlDocument | None = None,
) -> ReminderRule | None:
    spec = b.mapping(
        data, path, what="reminders", allowed=_REMINDER_KEYS, required=() if base else _REMINDER_KEYS, doc=doc
    )
    values: dict[str, Any] = {}
    for key in ("lead", "repeat_after", "escalate_after"):
        if key in spec:
            ref = _duration_ref(b, spec[key], (*path, key), params, doc)
            if ref is not None:
                values[key] = ref[0]
    if "on_due" in spec:
        if isinstance(spec["on_due"], bool):
            values["on_due"] = spec["on_due"]
        else:
            b.error((*path, "on_due"), "on_due: true/false erwartet", "on_due: true/false expected", doc)
    if base is None:
        if set(values) != set(_REMINDER_KEYS):
            return None
        return ReminderRule(**values)
    return replace(base, **values)


def _calendar(
    b: _Builder, data: Any, path: Path_, base: CalendarConfig, doc: YamlDocument | None = None
) -> CalendarConfig:
    spec = b.mapping(
        data,
        path,
        what="calendar",
        allowed=("land", "subdivision", "categories", "extra_holidays", "closing_days"),
        doc=doc,
    )
    config = base
    if "land" in spec:
        land = spec["land"]
        if land not in LAENDER:
            b.error(
                (*path, "land"),
                f"Unbekanntes Land '{land}' (erlaubt: {', '.join(LAENDER)})",
                f"unknown Land '{land}'",
                doc,
            )
        else:
            config = replace(config, land=land)
    if "subdivision" in spec:
        config = replace(config, subdivision=str(spec["subdivision"]))
    if "categories" in spec:
        categories = spec["categories"]
        if not isinstance(categories, list) or not set(categories) <= {"public", "catholic"}:
            b.error(
                (*path, "categories"),
                "categories: Liste aus public, catholic erwartet",
                "categories: list of public, catholic expected",
                doc,
            )
        else:
            config = replace(config, categories=tuple(categories))
    if "extra_holidays" in spec:
        extra: list[tuple[date, str]] = []
        for key, name in b.mapping(
            spec["extra_holidays"], (*path, "extra_holidays"), what="extra_holidays", doc=doc
        ).items():
            try:
                extra.append((date.fromisoformat(key), str(name)))
            except ValueError:
                b.error(
                    (*path, "extra_holidays", key),
                    f"'{key}' ist kein Datum (JJJJ-MM-TT)",
                    f"'{key}' is not a date (YYYY-MM-DD)",
                    doc,
                )
        config = replace(config, extra_holidays=tuple(extra))
    if "closing_days" in spec:
        closing: list[tuple[int, int, str]] = []
        for key, name in b.mapping(spec["closing_days"], (*path, "closing_days"), what="closing_days", doc=doc).items():
            match = re.match(r"^(\d{2})-(\d{2})$", str(key))
            if not match or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
                b.error(
                    (*path, "closing_days", key), f"'{key}' ist kein Tag (MM-TT)", f"'{key}' is not a day (MM-DD)", doc
                )
                continue
            closing.append((int(match[1]), int(match[2]), str(name)))
        config = replace(config, closing_days=tuple(closing))
    return config


def _responsible(
    b: _Builder, raw: Any, path: Path_, agencies: Mapping[str, Agency], facts: Mapping[str, FactSpec]
) -> Responsible | None:
    if not isinstance(raw, str):
        b.error(path, "Zuständigkeit: Text erwartet", "responsible: text expected")
        return None
    if raw == "counselling":
        return Responsible("counselling")
    if raw.startswith("fact:"):
        name = raw[5:]
        fact = facts.get(name)
        if fact is None or fact.type != "agency":
            b.error(path, f"'{name}' ist keine Angabe vom Typ agency", f"'{name}' is not a fact of type agency")
            return None
        return Responsible("fact", fact=name)
    code, _, via = raw.partition("@")
    if code not in agencies:
        b.error(path, f"Unbekannte Stelle '{code}' (erlaubt: {', '.join(agencies)})", f"unknown agency '{code}'")
        return None
    if via and via not in facts:
        b.error(path, f"Unbekannte Angabe '{via}'", f"unknown fact '{via}'")
        return None
    return Responsible("agency", agency=code, via=via)


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
            allowed=("label", "description", "actors", "payload", "sets", "keeps", "adds", "clears", "interruption"),
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
        events[event_id] = EventSpec(
            id=event_id,
            label=b.text(spec.get("label"), (*path, "label"), what="label"),
            description=str(spec.get("description") or ""),
            actors=actors,
            payload=tuple(payload.values()),
            sets=_effects(b, spec, "sets", path, payload, ctx),
            keeps=_effects(b, spec, "keeps", path, payload, ctx),
            adds=_effects(b, spec, "adds", path, payload, ctx),
            clears=clears,
            interruption=interruption,
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
            allowed=("label", "description", "legal_basis", "stages", "when", "responsible", "due", "reminders"),
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
        )
    return steps


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


def _check_graph(
    b: _Builder, stages: Mapping[str, StageSpec], events: Mapping[str, EventSpec], transitions: list[TransitionSpec]
) -> None:
    starts = [stage.id for stage in stages.values() if stage.start]
    if len(starts) != 1:
        b.error(
            ("stages",),
            f"Genau eine Startstufe (start: true) erwartet, gefunden: {len(starts)}",
            f"exactly one start stage expected, found {len(starts)}",
        )
    outgoing: dict[str, set[str]] = {stage: set() for stage in stages}
    for transition in transitions:
        if transition.source in outgoing and transition.target in stages:
            outgoing[transition.source].add(transition.target)
    for stage in stages.values():
        leaves = outgoing[stage.id] - {stage.id}
        if stage.final and outgoing[stage.id]:
            b.error(
                ("stages", stage.id),
                f"Endzustand '{stage.id}' hat ausgehende Übergänge",
                f"final stage '{stage.id}' has outgoing transitions",
            )
        if not stage.final and not leaves:
            b.error(
                ("stages", stage.id),
                f"Sackgasse: Stufe '{stage.id}' ist kein Endzustand, führt aber nirgendwohin",
                f"dead end: stage '{stage.id}' is not final but has no way out",
            )
    if len(starts) == 1:
        seen = {starts[0]}
        queue = deque(seen)
        while queue:
            for target in outgoing[queue.popleft()]:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        for stage_id in stages:
            if stage_id not in seen:
                b.error(
                    ("stages", stage_id),
                    f"Stufe '{stage_id}' ist von der Startstufe aus nicht erreichbar",
                    f"stage '{stage_id}' is unreachable from the start stage",
                )
    used = {transition.event for transition in transitions}
    for event_id in events:
        if event_id not in used:
            b.error(
                ("events", event_id),
                f"Ereignis '{event_id}' kommt in keinem Übergang vor",
                f"event '{event_id}' is used by no transition",
            )
    unguarded: set[tuple[str, str]] = set()
    for transition in transitions:
        key = (transition.source, transition.event)
        if key in unguarded:
            b.errors.append(
                ModelError(
                    b.doc.name,
                    transition.line,
                    f"Übergang {transition.source} –{transition.event}→ {transition.target} wird nie erreicht (ein früherer ohne Bedingung greift immer)",
                    f"transition {transition.source} -{transition.event}-> {transition.target} is never reached (an earlier unguarded one always applies)",
                )
            )
        if not transition.guard:
            unguarded.add(key)


# --------------------------------------------------------------------------- model


_TOP_KEYS = (
    "model",
    "version",
    "title",
    "valid_from",
    "description",
    "agencies",
    "parameters",
    "reminders",
    "calendar",
    "value_sets",
    "course_types",
    "facts",
    "derived",
    "stages",
    "events",
    "transitions",
    "steps",
    "migrations",
)
_REQUIRED_TOP = (
    "model",
    "version",
    "title",
    "agencies",
    "parameters",
    "reminders",
    "facts",
    "stages",
    "events",
    "transitions",
    "steps",
)
_OVERRIDE_KEYS = ("region", "base", "parameters", "reminders", "steps", "calendar")


def _apply_parameter_overrides(b: _Builder, params: dict[str, Parameter], override: YamlDocument) -> None:
    data = override.data.get("parameters") if isinstance(override.data, dict) else None
    for name, raw in b.mapping(data, ("parameters",), what="parameters", doc=override).items():
        path: Path_ = ("parameters", name)
        base = params.get(name)
        if base is None:
            b.error(
                path,
                f"Parameter '{name}' gibt es im Prozessmodell nicht",
                f"override of unknown parameter '{name}'",
                override,
            )
            continue
        value = _param_value(b, raw, path, name, override)
        if value is None:
            continue
        if parameter_kind(value) != base.kind:
            b.error(
                path,
                f"Parameter '{name}' erwartet {base.kind}, nicht '{raw}'",
                f"parameter '{name}' expects {base.kind}, not '{raw}'",
                override,
            )
            continue
        params[name] = replace(base, value=value, overridden=True)


def _build(doc: YamlDocument, override: YamlDocument | None, land: str | None = None) -> ProcessModel:
    b = _Builder(doc)
    top = b.mapping(doc.data, (), what="Prozessmodell", allowed=_TOP_KEYS, required=_REQUIRED_TOP)
    if override is not None:
        b.mapping(
            override.data, (), what="Regionale Anpassung", allowed=_OVERRIDE_KEYS, required=("region",), doc=override
        )
    if b.errors:
        raise ModelValidationError(b.errors)

    agencies: dict[str, Agency] = {}
    for code, spec in b.mapping(top["agencies"], ("agencies",), what="agencies").items():
        path: Path_ = ("agencies", code)
        if not _AGENCY_CODE.match(code):
            b.error(
                path,
                f"Stellenkürzel '{code}' muss aus Großbuchstaben bestehen",
                f"agency code '{code}' must be upper case",
            )
        spec = b.mapping(spec, path, what=f"Stelle '{code}'", allowed=("label", "color"), required=("label",))
        agencies[code] = Agency(
            code, b.text(spec.get("label"), (*path, "label"), what="label"), str(spec.get("color") or "#999999")
        )

    params = _parameters(b, top["parameters"])
    if override is not None:
        _apply_parameter_overrides(b, params, override)

    value_sets: dict[str, ValueSet] = {}
    for name, values in b.mapping(top.get("value_sets"), ("value_sets",), what="value_sets").items():
        values = b.mapping(values, ("value_sets", name), what=f"Werteliste '{name}'")
        value_sets[name] = ValueSet(name, {str(key): str(label) for key, label in values.items()})

    course_types: dict[str, CourseType] = {}
    for type_id, spec in b.mapping(top.get("course_types"), ("course_types",), what="course_types").items():
        path = ("course_types", type_id)
        keys = ("label", "language_hours", "orientation_hours", "max_group")
        spec = b.mapping(spec, path, what=f"Kursart '{type_id}'", allowed=keys, required=keys)
        if set(keys) <= set(spec):
            course_types[type_id] = CourseType(
                type_id,
                b.text(spec["label"], (*path, "label"), what="label"),
                _int_ref(b, spec["language_hours"], (*path, "language_hours"), params),
                _int_ref(b, spec["orientation_hours"], (*path, "orientation_hours"), params),
                _int_ref(b, spec["max_group"], (*path, "max_group"), params),
            )

    facts: dict[str, FactSpec] = {}
    for name, spec in b.mapping(top["facts"], ("facts",), what="facts").items():
        path = ("facts", name)
        spec = b.mapping(spec, path, what=f"Angabe '{name}'", allowed=("type", "label"), required=("type", "label"))
        if "type" in spec and _valid_type(b, spec["type"], (*path, "type"), value_sets):
            facts[name] = FactSpec(name, spec["type"], b.text(spec.get("label"), (*path, "label"), what="label"))

    ctx: dict[str, Any] = {
        "agencies": agencies,
        "params": params,
        "value_sets": value_sets,
        "course_types": course_types,
        "facts": facts,
        "derived": (),
    }
    derived: dict[str, DerivedFact] = {}
    for name, spec in b.mapping(top.get("derived"), ("derived",), what="derived").items():
        path = ("derived", name)
        if name in facts:
            b.error(path, f"'{name}' ist bereits eine gespeicherte Angabe", f"'{name}' is already a stored fact")
        spec = b.mapping(
            spec, path, what=f"Abgeleitete Angabe '{name}'", allowed=("label", "when"), required=("label", "when")
        )
        derived[name] = DerivedFact(
            name,
            b.text(spec.get("label"), (*path, "label"), what="label"),
            _conditions(
                b, spec.get("when"), (*path, "when"), facts=facts, params=params, value_sets=value_sets, payload=None
            ),
        )
    ctx["derived"] = tuple(derived)

    stages: dict[str, StageSpec] = {}
    for stage_id, spec in b.mapping(top["stages"], ("stages",), what="stages").items():
        path = ("stages", stage_id)
        if not _IDENTIFIER.match(stage_id):
            b.error(path, f"Stufe '{stage_id}' muss snake_case sein", f"stage '{stage_id}' must be snake_case")
        spec = b.mapping(
            spec,
            path,
            what=f"Stufe '{stage_id}'",
            allowed=("label", "group", "description", "start", "final", "requires"),
            required=("label",),
        )
        requires = tuple(b.names(spec["requires"], (*path, "requires"), what="requires")) if "requires" in spec else ()
        for name in requires:
            if name not in facts:
                b.error((*path, "requires"), f"Unbekannte Angabe '{name}'", f"unknown fact '{name}'")
        stages[stage_id] = StageSpec(
            id=stage_id,
            label=b.text(spec.get("label"), (*path, "label"), what="label"),
            group=str(spec.get("group") or ""),
            description=str(spec.get("description") or ""),
            start=b.boolean(spec.get("start"), (*path, "start"), what="start"),
            final=b.boolean(spec.get("final"), (*path, "final"), what="final"),
            requires=requires,
        )

    events = _events(b, top["events"], ctx)
    transitions = _transitions(b, top["transitions"], stages, events, ctx)
    _check_graph(b, stages, events, transitions)

    reminders = _reminders(b, top["reminders"], ("reminders",), params, None)
    calendar = _calendar(b, top.get("calendar"), ("calendar",), CalendarConfig())
    if land is not None:
        calendar = replace(calendar, land=land)
    region: str | None = None
    if override is not None:
        odata = override.data
        region = str(odata.get("region"))
        if "base" in odata:
            wanted = str(odata["base"])
            if wanted not in (top.get("model"), f"{top.get('model')}@{top.get('version')}"):
                b.error(
                    ("base",),
                    f"Die Anpassung gilt für '{wanted}', geladen ist {top.get('model')}@{top.get('version')}",
                    f"override is for '{wanted}'",
                    override,
                )
        if reminders is not None and "reminders" in odata:
            reminder_data = dict(odata["reminders"]) if isinstance(odata["reminders"], dict) else odata["reminders"]
            reminders = _reminders(b, reminder_data, ("reminders",), params, reminders, override) or reminders
        calendar = _calendar(b, odata.get("calendar"), ("calendar",), calendar, override)
    steps = _steps(
        b,
        top["steps"],
        stages,
        reminders or ReminderRule(Duration(0, "d"), True, Duration(0, "d"), Duration(0, "d")),
        ctx,
    )
    if override is not None:
        for step_id, spec in b.mapping(override.data.get("steps"), ("steps",), what="steps", doc=override).items():
            path = ("steps", step_id)
            if step_id not in steps:
                b.error(
                    path,
                    f"Schritt '{step_id}' gibt es im Prozessmodell nicht",
                    f"override of unknown step '{step_id}'",
                    override,
                )
                continue
            spec = b.mapping(spec, path, what=f"Schritt '{step_id}'", allowed=("reminders",), doc=override)
            rule = _reminders(
                b, spec.get("reminders"), (*path, "reminders"), params, steps[step_id].reminders, override
            )
            if rule is not None:
                steps[step_id] = replace(steps[step_id], reminders=rule)

    migrations: list[VersionMapping] = []
    raw_migrations = top.get("migrations") or []
    if not isinstance(raw_migrations, list):
        b.error(("migrations",), "migrations: Liste erwartet", "migrations: list expected")
        raw_migrations = []
    for index, spec in enumerate(raw_migrations):
        path = ("migrations", index)
        spec = b.mapping(
            spec, path, what="Versionswechsel", allowed=("from_version", "stages", "facts"), required=("from_version",)
        )
        stage_map = {str(k): str(v) for k, v in b.mapping(spec.get("stages"), (*path, "stages"), what="stages").items()}
        for old, new in stage_map.items():
            if new not in stages:
                b.error(
                    (*path, "stages", old), f"Zielstufe '{new}' gibt es nicht", f"target stage '{new}' does not exist"
                )
        fact_map = {str(k): str(v) for k, v in b.mapping(spec.get("facts"), (*path, "facts"), what="facts").items()}
        for old, new in fact_map.items():
            if new not in facts:
                b.error(
                    (*path, "facts", old), f"Zielangabe '{new}' gibt es nicht", f"target fact '{new}' does not exist"
                )
        migrations.append(VersionMapping(str(spec.get("from_version")), stage_map, fact_map))

    version = top["version"]
    if not isinstance(version, str):
        b.error(
            ("version",),
            'version: Text in Anführungszeichen erwartet, z. B. "2017.1"',
            'version: quoted text expected, e.g. "2017.1"',
        )
    valid_from = top.get("valid_from")
    if valid_from is not None and not isinstance(valid_from, date):
        b.error(("valid_from",), "valid_from: Datum erwartet", "valid_from: date expected")
        valid_from = None

    if b.errors:
        raise ModelValidationError(b.errors)
    assert reminders is not None

    digest = hashlib.sha256(doc.text.encode())
    if override is not None:
        digest.update(b"\0" + override.text.encode())
    transitions_from: dict[tuple[str, str], list[TransitionSpec]] = {}
    for transition in transitions:
        transitions_from.setdefault((transition.source, transition.event), []).append(transition)
    steps_in_stage: dict[str, list[StepSpec]] = {stage: [] for stage in stages}
    for step in steps.values():
        for stage in step.stages:
            steps_in_stage[stage].append(step)
    return ProcessModel(
        model_id=str(top["model"]),
        version=str(version),
        title=b.text(top["title"], ("title",), what="title"),
        valid_from=valid_from,
        description=str(top.get("description") or ""),
        source=doc.name,
        agencies=agencies,
        parameters=params,
        value_sets=value_sets,
        course_types=course_types,
        facts=facts,
        derived=derived,
        stages=stages,
        events=events,
        transitions=tuple(transitions),
        steps=steps,
        reminders=reminders,
        calendar=calendar,
        migrations=tuple(migrations),
        region=region,
        override_source=override.name if override else None,
        fingerprint=digest.hexdigest()[:16],
        transitions_from={key: tuple(value) for key, value in transitions_from.items()},
        steps_in_stage={key: tuple(value) for key, value in steps_in_stage.items()},
    )


def _read_file(path: Path) -> YamlDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ModelValidationError([ModelError(str(path), None, "Datei nicht gefunden", "file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise ModelValidationError(
            [ModelError(str(path), None, "Datei ist nicht UTF-8-kodiert", "file is not UTF-8 encoded")]
        ) from exc
    return read_yaml(text, path.name)


def load_model_text(
    text: str,
    *,
    name: str = "<text>",
    override_text: str | None = None,
    override_name: str = "<override>",
    land: str | None = None,
) -> ProcessModel:
    """Build a model from YAML text (and an optional regional override)."""
    override = read_yaml(override_text, override_name) if override_text is not None else None
    return _build(read_yaml(text, name), override, land)


def load_model(
    path: str | Path | None = None, *, override: str | Path | None = None, land: str | None = None
) -> ProcessModel:
    """Load a definition file (the current default when `path` is None) with an optional override.

    `land` sets the calendar's Land (a region's own); the override's calendar section still wins.
    """
    doc = _read_file(Path(path) if path else current_definition_path())
    override_doc = _read_file(Path(override)) if override else None
    return _build(doc, override_doc, land)


def definition_paths() -> list[Path]:
    return sorted(DEFINITIONS_DIR.glob("*.yaml"))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in re.split(r"[.\-]", version))


def _peek_version(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return "0"


def current_definition_path() -> Path:
    """The definition new cases start on: the highest version in `definitions/`."""
    paths = definition_paths()
    if not paths:
        raise ModelValidationError(
            [ModelError(str(DEFINITIONS_DIR), None, "Keine Prozessdefinition gefunden", "no process definition found")]
        )
    return max(paths, key=lambda path: _version_key(_peek_version(path)))


class ModelCatalog:
    """Every shipped model version per region, with the region's override file applied.

    Overrides live in `overrides_dir/<REGION>.yaml`; regions without a file use the plain model
    (with their own Land's calendar). Models are loaded once per override file and Land, and kept.
    """

    def __init__(self, overrides_dir: Path | None = None) -> None:
        self.overrides_dir = overrides_dir
        # parsed models per (override file, Land): regions without an override file share the plain
        # models of their Land, so 96 regions parse the definitions once, not 96 times
        self._parsed: dict[tuple[str | None, str | None], dict[str, ProcessModel]] = {}
        # per (region, Land): the sweep asks once per participant, so no file-system look-up here
        self._cache: dict[tuple[str | None, str | None], dict[str, ProcessModel]] = {}

    def override_path(self, region: str | None) -> Path | None:
        if region is None or self.overrides_dir is None:
            return None
        path = self.overrides_dir / f"{region}.yaml"
        return path if path.is_file() else None

    def versions(self, region: str | None = None, *, land: str | None = None) -> dict[str, ProcessModel]:
        models = self._cache.get((region, land))
        if models is None:
            override = self.override_path(region)
            key = (str(override) if override else None, land)
            models = self._parsed.get(key)
            if models is None:
                models = {}
                for path in definition_paths():
                    model = load_model(path, override=override, land=land)
                    models[model.version] = model
                self._parsed[key] = models
            self._cache[(region, land)] = models
        return models

    def current(self, region: str | None = None, *, land: str | None = None) -> ProcessModel:
        """The version new cases of `region` start on."""
        models = self.versions(region, land=land)
        return models[max(models, key=_version_key)]

    def get(self, version: str, region: str | None = None, *, land: str | None = None) -> ProcessModel:
        models = self.versions(region, land=land)
        if version not in models:
            raise ModelValidationError(
                [
                    ModelError(
                        str(DEFINITIONS_DIR),
                        None,
                        f"Prozessversion {version} ist nicht vorhanden",
                        f"process version {version} not found",
                    )
                ]
            )
        return models[version]
